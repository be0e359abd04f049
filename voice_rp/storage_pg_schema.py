"""The PostgreSQL schema of saved sessions, and its numbered migrations.

The numbers match the SQLite schema's (`storage.MIGRATIONS`): version N means the same tables in
either database. Each applied migration is a row of `voice_rp_schema`, so an operator can see what
ran and when. Several session servers often start at once behind a load balancer; a session-level
advisory lock makes them migrate one after another, and the ones that come later find nothing to do.
Each migration runs in its own transaction (PostgreSQL's DDL is transactional): a server killed
half-way leaves the schema at the last whole version.
"""

from __future__ import annotations

import contextlib
from typing import Any

# Any constant works as long as every voice-rp uses the same one: b"voice-rp" as a signed bigint.
MIGRATION_LOCK = int.from_bytes(b"voice-rp", "big")

MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("sessions and their records", """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY, started DOUBLE PRECISION NOT NULL, persona TEXT NOT NULL,
            ended BOOLEAN NOT NULL DEFAULT FALSE, end_reason TEXT, summary JSON);
        CREATE INDEX sessions_by_start ON sessions (started, id);
        CREATE TABLE records (
            session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL, t DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL,
            data JSON NOT NULL,
            PRIMARY KEY (session, seq));
    """),
    ("the user's goals, and analyses worth keeping (a model's corrections cost a call)", """
        CREATE TABLE goals (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, text TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL);
        CREATE TABLE analyses (
            session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            key TEXT NOT NULL, data JSON NOT NULL, created DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (session, key));
    """),
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer voice-rp than this one."""


async def migrate(conn: Any) -> list[int]:
    """Bring the schema to SCHEMA_VERSION; returns the versions this call applied.

    `conn` is an asyncpg connection outside any transaction.
    """
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS voice_rp_schema ("
            " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
            " applied TIMESTAMPTZ NOT NULL DEFAULT now())")
        current = int(await conn.fetchval(
            "SELECT COALESCE(MAX(version), 0) FROM voice_rp_schema"))
        if current > SCHEMA_VERSION:
            raise SchemaTooNew(f"the database has schema {current}, newer than this voice-rp "
                               f"({SCHEMA_VERSION}); update voice-rp")
        applied = []
        for version, (description, script) in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with conn.transaction():
                await conn.execute(script)
                await conn.execute(
                    "INSERT INTO voice_rp_schema (version, description) VALUES ($1, $2)",
                    version, description)
            applied.append(version)
        return applied
    finally:
        # A dead connection has released its lock already; its error is the one worth raising.
        with contextlib.suppress(Exception):
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
