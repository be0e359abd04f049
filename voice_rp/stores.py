"""Choose where sessions are kept: one factory, so nothing else asks which database it has."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voice_rp.errors import VoiceRPError
from voice_rp.storage import SessionStore, TranscriptStore


class StoreUnavailable(VoiceRPError):
    """The configured session database cannot be used: a bad URL, or it does not answer.

    Raised when a server starts (it then refuses to run), never sent over a conversation."""

    code = "storage_unavailable"


def open_store(data_dir: Path | str, database_url: str | None = None, *,
               now: Callable[[], float] = time.time, **pg_options: Any) -> SessionStore:
    """PostgreSQL when `database_url` is a postgresql:// URL (shared by session servers), else
    SQLite in `data_dir` (one machine). Connects and migrates; StoreUnavailable if it cannot.
    `pg_options`: PostgresStore's (pool size, how long to wait for the database)."""
    if not database_url:
        return TranscriptStore(data_dir, now=now)
    scheme = database_url.split(":", 1)[0].lower()
    if scheme not in ("postgresql", "postgres"):
        raise StoreUnavailable(f"VOICE_RP_DATABASE_URL must start with postgresql://, "
                               f"got {scheme}://...")
    from voice_rp.storage_pg import PostgresStore, SchemaTooNew  # asyncpg only when used

    try:
        return PostgresStore.connect(database_url, now=now, **pg_options)
    except (OSError, SchemaTooNew, ValueError) as exc:
        raise StoreUnavailable(str(exc)) from exc
