"""Both session stores for tests: SQLite in a temp dir, and PostgreSQL started by the test run.

The PostgreSQL server is Debian's (scripts/setup installs it), run by scripts/pg_local.py in a
directory under /tmp as a non-root user; each test gets a database of its own.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from voice_rp.storage import SessionStore
from voice_rp.stores import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import pg_local

BACKENDS = ("sqlite", "postgresql")


class LocalPostgres:
    """One PostgreSQL server for the test run: fresh databases, and a restart for outage tests."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.url = pg_local.start(directory)
        self._names = itertools.count(1)

    def new_database(self) -> str:
        return pg_local.create_database(self.dir, f"test_{next(self._names)}")

    def stop(self) -> None:
        pg_local.stop(self.dir)

    def start(self) -> None:
        pg_local.start(self.dir)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_postgres() -> LocalPostgres:
    """A running server, or a skip that says why there cannot be one."""
    try:
        pg_local.bin_dir()
    except pg_local.PostgresMissing as exc:
        pytest.skip(f"{exc}; scripts/setup installs it (as root)")
    if shutil.which("runuser") is None and pg_local.os.geteuid() == 0:
        pytest.skip("PostgreSQL cannot run as root and runuser is missing")
    # Not under pytest's tmp dir: it is 0700 root's, and the server runs as another user.
    directory = Path(tempfile.mkdtemp(prefix="voice-rp-pg-", dir="/tmp"))
    try:
        return LocalPostgres(directory)
    except (RuntimeError, subprocess.CalledProcessError, KeyError) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        detail = getattr(exc, "stderr", "") or ""
        pytest.fail(f"PostgreSQL is installed but did not start: {exc} {detail}")


StoreMaker = Callable[..., SessionStore]


def store_maker(kind: str, tmp_path: Path, postgres: Callable[[], LocalPostgres],
                opened: list[SessionStore]) -> StoreMaker:
    """`make(now=...)` opens a store of `kind`; each call after the first opens the same data
    again, as a second process (or a restarted server) would."""
    url: list[str] = []

    def make(now: Callable[[], float] = time.time) -> SessionStore:
        if kind == "sqlite":
            store = open_store(tmp_path / "data", None, now=now)
        else:
            if not url:
                url.append(postgres().new_database())
            store = open_store(tmp_path / "unused", url[0], now=now)
        opened.append(store)
        return store
    return make
