#!/usr/bin/env python3
"""A private PostgreSQL for development, tests and `scripts/cluster`: start, stop, print its URL.

    scripts/pg_local.py start --dir D [--port P]   # prints postgresql://voicerp:...@127.0.0.1:P/voicerp
    scripts/pg_local.py stop --dir D

Uses Debian's server binaries (/usr/lib/postgresql/*/bin; `apt-get install postgresql`), with its
data in D/data, its log in D/postgres.log, its socket in D and its password in D/password (0600).
It listens on 127.0.0.1 only and asks for the password there. PostgreSQL refuses to run as root,
so as root D is handed to the `postgres` user (or --user) and the server runs as that user.
Importable: `start(Path(D), port)` returns the URL, `stop(Path(D))`.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

DB_USER = "voicerp"
DB_NAME = "voicerp"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def bin_dir() -> Path:
    """The newest installed server's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return Path(shutil.which("initdb") or "").parent
    raise PostgresMissing("PostgreSQL is not installed (Debian: apt-get install postgresql)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as(user: str | None, argv: list[str]) -> subprocess.CompletedProcess[str]:
    if user is not None:
        argv = ["runuser", "-u", user, "--", *argv]
    return subprocess.run(argv, check=True, text=True, capture_output=True)


def _server_user(user: str | None) -> str | None:
    """Who runs the server: None (this user) unless we are root."""
    if os.geteuid() != 0:
        return None
    return user or "postgres"


def url_of(directory: Path) -> str:
    """The URL of the server in `directory` (after `start`)."""
    port = (directory / "port").read_text().strip()
    password = (directory / "password").read_text().strip()
    return f"postgresql://{DB_USER}:{password}@127.0.0.1:{port}/{DB_NAME}"


def start(directory: Path, port: int | None = None, *, user: str | None = None) -> str:
    """Create (first time) and start the server in `directory`; returns its URL."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    bins = bin_dir()
    run_as = _server_user(user)
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(directory, account.pw_uid, account.pw_gid)
        _check_reachable(directory, run_as)
    data = directory / "data"
    password_file = directory / "password"
    if not (data / "PG_VERSION").exists():
        password_file.write_text(secrets.token_urlsafe(18) + "\n")
        password_file.chmod(0o600)
        if run_as is not None:
            os.chown(password_file, account.pw_uid, account.pw_gid)
        _run_as(run_as, [str(bins / "initdb"), "-D", str(data), "-U", DB_USER,
                         "--auth-local=trust", "--auth-host=scram-sha-256",
                         f"--pwfile={password_file}", "-E", "UTF8", "--no-instructions"])
    if port is None:
        saved = directory / "port"
        port = int(saved.read_text()) if saved.exists() else free_port()
    if _running(bins, data, run_as):
        return url_of(directory)  # already up (a second `start`): same server, same URL
    (directory / "port").write_text(f"{port}\n")
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
    try:
        _run_as(run_as, [str(bins / "pg_ctl"), "-D", str(data), "-l",
                         str(directory / "postgres.log"), "-o", options, "-w", "-t", "60",
                         "start"])
    except subprocess.CalledProcessError as exc:
        log = directory / "postgres.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr.strip()}\n{tail}") from exc
    # The database the URL names; the unix socket (trust, this machine's user only) makes it.
    exists = _run_as(run_as, [str(bins / "psql"), "-h", str(directory), "-p", str(port), "-U",
                              DB_USER, "-d", "postgres", "-tAc",
                              f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"])
    if exists.stdout.strip() != "1":
        _run_as(run_as, [str(bins / "createdb"), "-h", str(directory), "-p", str(port), "-U",
                         DB_USER, DB_NAME])
    return url_of(directory)


def _running(bins: Path, data: Path, run_as: str | None) -> bool:
    if not (data / "postmaster.pid").exists():
        return False
    argv = [str(bins / "pg_ctl"), "-D", str(data), "status"]
    if run_as is not None:
        argv = ["runuser", "-u", run_as, "--", *argv]
    return subprocess.run(argv, capture_output=True).returncode == 0


def stop(directory: Path, *, user: str | None = None, mode: str = "fast") -> None:
    """Stop the server in `directory` (nothing if it is not running)."""
    directory = directory.resolve()
    data = directory / "data"
    if not (data / "postmaster.pid").exists():
        return
    _run_as(_server_user(user), [str(bin_dir() / "pg_ctl"), "-D", str(data), "-m", mode, "-w",
                                 "-t", "60", "stop"])


def create_database(directory: Path, name: str, *, user: str | None = None) -> str:
    """A new empty database on the server in `directory`; returns its URL."""
    directory = directory.resolve()
    port = (directory / "port").read_text().strip()
    _run_as(_server_user(user), [str(bin_dir() / "createdb"), "-h", str(directory), "-p", port,
                                 "-U", DB_USER, name])
    return url_of(directory).rsplit("/", 1)[0] + "/" + name


def _check_reachable(directory: Path, user: str) -> None:
    # The server user must be able to walk to its directory (pytest's /tmp/pytest-of-root is 0700).
    probe = subprocess.run(["runuser", "-u", user, "--", "test", "-w", str(directory)],
                           capture_output=True)
    if probe.returncode != 0:
        raise RuntimeError(f"{directory} is not reachable by the {user} user that runs "
                           "PostgreSQL; choose a directory under /tmp or /var/tmp")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/pg_local.py", description=__doc__.split("\n")[0])
    p.add_argument("action", choices=["start", "stop", "url"])
    p.add_argument("--dir", type=Path, required=True, help="where the server keeps everything")
    p.add_argument("--port", type=int, default=None,
                   help="TCP port on 127.0.0.1 (default: the last one used, else a free one)")
    p.add_argument("--user", default=None,
                   help="when run as root: the user the server runs as (default postgres)")
    args = p.parse_args(argv)
    try:
        if args.action == "start":
            print(start(args.dir, args.port, user=args.user))
        elif args.action == "stop":
            stop(args.dir, user=args.user)
        else:
            print(url_of(args.dir.resolve()))
    except (PostgresMissing, RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        print(f"pg_local: {exc} {detail}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
