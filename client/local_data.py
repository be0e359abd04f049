"""The user's saved sessions on this machine: where they are, times as people read them, and
files only the user can read. Shared by the `sessions` and `report` commands."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from voice_rp.config import Settings
from voice_rp.errors import VoiceRPError


def default_data_dir(environ: Mapping[str, str]) -> Path:
    try:
        return Settings.from_env(environ).data_dir
    except VoiceRPError:  # an LLM setting problem is no reason not to read transcripts
        return Path(environ.get("VOICE_RP_DATA_DIR") or Settings().data_dir).expanduser()


def local_time(t: float, *, clock_only: bool = False) -> str:
    return time.strftime("%H:%M:%S" if clock_only else "%Y-%m-%d %H:%M", time.localtime(t))


def write_private(path: Path, text: str) -> None:
    """Write a file only the user can read: a report holds everything they said."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)
