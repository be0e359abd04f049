"""Saved sessions in PostgreSQL, shared by every session server (see docs/storage.md).

The same SessionStore interface as the SQLite TranscriptStore, so the server, the reports and the
CLIs do not know which one they have. asyncpg is async while the interface is blocking (the
server calls it from worker threads, the CLIs from plain code), so the store runs its own event
loop in a thread of its own: a call submits a coroutine there and waits for it. The sessions'
event loop never waits on the database, and one connection pool serves every session.

A session's writes are durable before `write` returns while the database answers. When it stops
answering (a restart, a failover), writes are kept in memory, in order, and `write` raises
SaveDelayed at once so the conversation goes on and its user is told; a retry task saves them
when the database is back. Records carry their sequence number and are inserted with ON CONFLICT
DO NOTHING, so a retry after a commit whose answer was lost cannot duplicate one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from voice_rp import events as ev
from voice_rp.loop_thread import LoopThread
from voice_rp.storage import (
    Goal,
    SaveDelayed,
    SessionNotFound,
    SessionSummary,
    check_id,
    export_sessions,
    new_session_id,
    record_event,
    valid_new_id,
)
from voice_rp.storage_pg_schema import SchemaTooNew, migrate

__all__ = ["PgSessionLog", "PostgresStore", "SchemaTooNew", "redact"]

log = logging.getLogger("voice_rp.storage")
T = TypeVar("T")

# What a database restart or a network cut looks like from asyncpg: worth trying again.
RETRYABLE: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    # Seen when the server went away while a broken connection was being reset for the pool.
    asyncpg.exceptions.InternalClientError)

_INSERT_RECORD = ("INSERT INTO records (session, seq, t, kind, data) VALUES ($1, $2, $3, $4, $5)"
                  " ON CONFLICT DO NOTHING")
_INSERT_SESSION = ("INSERT INTO sessions (id, started, persona) VALUES ($1, $2, $3)"
                   " ON CONFLICT DO NOTHING")
_END_SESSION = "UPDATE sessions SET ended=TRUE, end_reason=$2, summary=$3 WHERE id=$1"


class _Exists(Exception):
    """A session id already taken (not an OSError, so never retried as an outage)."""


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


class PgSessionLog:
    """The append-only record of one session in PostgreSQL. One writer per session."""

    def __init__(self, store: PostgresStore, session_id: str) -> None:
        self.id = session_id
        self.closed = False
        self._store = store
        self._seq = 0
        # Only the store's loop touches these.
        self._pending: list[tuple[str, tuple[Any, ...]]] = []
        self._lock: asyncio.Lock | None = None
        self._retry: asyncio.Task[None] | None = None

    @property
    def unsaved(self) -> int:
        """Writes kept in memory, waiting for the database."""
        return len(self._pending)

    def write(self, kind: str, **data: Any) -> None:
        """Append one record: durable when this returns, or SaveDelayed (kept, saved later)."""
        if self.closed:
            return
        self._seq += 1
        t = round(self._store.now(), 3)
        self._save([(_INSERT_RECORD, (self.id, self._seq, t, kind,
                                      json.dumps(data, ensure_ascii=False, default=str)))])

    def record_event(self, event: ev.Event) -> bool:
        """Append what a conversation event means for the transcript; False if it means nothing."""
        return record_event(self, event)

    def end(self, reason: str, summary: dict[str, Any] | None = None) -> None:
        """Write session_end (once) and close; waits longer than a write for an outage to pass."""
        if self.closed:
            return
        self.closed = True
        self._seq += 1
        data = {"reason": reason, "summary": summary or {}}
        self._save([
            (_INSERT_RECORD, (self.id, self._seq, round(self._store.now(), 3), "session_end",
                              json.dumps(data, ensure_ascii=False, default=str))),
            (_END_SESSION, (self.id, reason, json.dumps(summary or {}, default=str)))],
            wait_s=self._store.end_wait_s)

    def close(self) -> None:
        self.closed = True

    # -- on the store's loop --------------------------------------------------------------------

    def _save(self, ops: list[tuple[str, tuple[Any, ...]]], wait_s: float | None = None) -> None:
        wait = self._store.write_wait_s if wait_s is None else wait_s
        self._store.run(self._append_and_flush(ops, wait), timeout=wait + 5.0)

    async def _append_and_flush(self, ops: list[tuple[str, tuple[Any, ...]]],
                                wait_s: float) -> None:
        self._pending.extend(ops)
        if wait_s <= self._store.write_wait_s and (self._retry is not None or self._store.down):
            # An outage is known (to this session or another): do not hold the conversation
            # up again; the retry task saves this in order.
            self._start_retry()
            raise self._delayed()
        deadline = asyncio.get_running_loop().time() + wait_s
        try:
            await self._store.retrying(self._flush, deadline)
        except RETRYABLE as exc:
            log.warning("session %s: %d record(s) wait for the database: %s",
                        self.id, len(self._pending), exc)
            self._store.down = True
            self._start_retry()
            raise self._delayed() from exc
        except asyncpg.PostgresError as exc:
            # Not an outage (the session was deleted meanwhile, say): retrying cannot help.
            lost = len(self._pending)
            self._pending.clear()
            raise OSError(f"cannot save the transcript ({lost} record(s) lost): {exc}") from exc
        except Exception as exc:
            # A driver failure nobody foresaw: keep the records and keep trying rather than
            # lose them or end the conversation.
            log.exception("session %s: unexpected error while saving", self.id)
            self._start_retry()
            raise self._delayed() from exc

    def _delayed(self) -> SaveDelayed:
        return SaveDelayed(f"the session database cannot be reached; {len(self._pending)} "
                           "record(s) are kept and will be saved when it is back")

    async def _flush(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            batch = list(self._pending)
            if not batch:
                return
            async with self._store.pool.acquire() as conn, conn.transaction():
                for sql, args in batch:
                    await conn.execute(sql, *args)
            del self._pending[:len(batch)]
            self._store.down = False

    def _start_retry(self) -> None:
        if self._retry is None:
            self._retry = asyncio.get_running_loop().create_task(self._retry_until_saved())
            self._store.waiting.add(self)

    async def _retry_until_saved(self) -> None:
        delay = 0.2
        try:
            while self._pending:
                await asyncio.sleep(delay)
                try:
                    await self._flush()
                except RETRYABLE:
                    delay = min(delay * 2, 2.0)
                except asyncpg.PostgresError as exc:
                    log.error("session %s: %d record(s) cannot be saved: %s",
                              self.id, len(self._pending), exc)
                    self._pending.clear()
                    return
                except Exception:
                    log.exception("session %s: unexpected error while saving", self.id)
                    delay = 2.0
            log.info("session %s: the records kept during the outage are saved", self.id)
        finally:
            self._retry = None
            self._store.waiting.discard(self)

    async def _flush_by(self, deadline: float) -> None:
        await self._store.retrying(self._flush, deadline)


class PostgresStore:
    """Saved sessions, goals and analyses in a PostgreSQL database. `connect` makes one."""

    def __init__(self, url: str, *, now: Callable[[], float] = time.time,
                 pool_size: int = 5, write_wait_s: float = 2.0, end_wait_s: float = 10.0,
                 read_wait_s: float = 5.0) -> None:
        """`pool_size`: connections per server (writes are short; 5 serve dozens of sessions,
        and 18 servers stay under PostgreSQL's default max_connections of 100).
        `write_wait_s`: how long a write may wait for the database before it is kept for later;
        `end_wait_s` the same for a session's end; `read_wait_s`: how long reads retry."""
        self.url = url
        self.now = now
        self.pool_size = pool_size
        self.write_wait_s = write_wait_s
        self.end_wait_s = end_wait_s
        self.read_wait_s = read_wait_s
        self.waiting: set[PgSessionLog] = set()  # logs with writes kept for later
        # A write found the database unreachable and none has reached it since: other
        # sessions' writes queue at once instead of each holding a worker thread for write_wait_s.
        self.down = False
        self._loop: LoopThread | None = None
        self._pool: asyncpg.Pool | None = None

    @classmethod
    def connect(cls, url: str, *, connect_wait_s: float = 30.0, **options: Any) -> PostgresStore:
        """Open the pool and migrate the schema. Waits up to `connect_wait_s` for a database
        that is still starting (as in a cluster brought up all at once); OSError after that."""
        store = cls(url, **options)
        store._loop = LoopThread("voice-rp-postgres")
        try:
            store.run(store._open(connect_wait_s), timeout=connect_wait_s + 30.0)
        except BaseException:
            store._loop.stop()
            raise
        return store

    async def _open(self, wait_s: float) -> None:
        self._pool = await asyncpg.create_pool(
            self.url, min_size=0, max_size=self.pool_size, timeout=5.0, command_timeout=10.0,
            max_inactive_connection_lifetime=60.0)

        async def migrate_once() -> None:
            async with self.pool.acquire() as conn:
                applied = await migrate(conn)
            if applied:
                log.info("session database %s migrated to schema %d", self.location, applied[-1])

        deadline = asyncio.get_running_loop().time() + wait_s
        try:
            await self.retrying(migrate_once, deadline)
        except RETRYABLE as exc:
            await self._pool.close()
            raise OSError(f"the session database at {self.location} cannot be reached: "
                          f"{exc}") from exc
        except asyncpg.PostgresError as exc:  # a wrong password, no such database...
            await self._pool.close()
            raise OSError(f"the session database at {self.location} refused voice-rp: "
                          f"{exc}") from exc

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("PostgresStore.connect() opens the store")
        return self._pool

    @property
    def location(self) -> str:
        return redact(self.url)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("PostgresStore.connect() opens the store")
        return self._loop.run(coro, timeout)

    async def retrying(self, attempt: Callable[[], Awaitable[T]], deadline: float) -> T:
        """`attempt()` until it succeeds or `deadline` (loop time) passes; then its error."""
        loop = asyncio.get_running_loop()
        delay = 0.05
        while True:
            try:
                return await asyncio.wait_for(attempt(), max(0.1, deadline - loop.time()))
            except RETRYABLE:
                if loop.time() + delay >= deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _call(self, fn: Callable[[asyncpg.Connection], Awaitable[T]],
              wait_s: float | None = None) -> T:
        """One read or small write, retried across a reconnect for up to read_wait_s."""
        wait = self.read_wait_s if wait_s is None else wait_s
        async def attempt() -> T:
            async with self.pool.acquire() as conn:
                return await fn(conn)

        async def go() -> T:
            deadline = asyncio.get_running_loop().time() + wait
            try:
                return await self.retrying(attempt, deadline)
            except RETRYABLE as exc:
                raise OSError(f"the session database at {self.location} cannot be reached: "
                              f"{exc}") from exc
        return self.run(go(), timeout=wait + 15.0)

    # -- sessions -------------------------------------------------------------------------------

    def open_session(self, *, persona: str, session_id: str | None = None,
                     **meta: Any) -> PgSessionLog:
        """Create a new session and write its session_start record.

        While the database is unreachable the session starts anyway, its writes kept for later.
        """
        sid = valid_new_id(session_id or self.new_id())
        started = round(self.now(), 3)

        async def create(conn: asyncpg.Connection) -> None:
            inserted = await conn.fetchval(_INSERT_SESSION + " RETURNING 1", sid, started,
                                           persona)
            if inserted is None:
                # Our own insert whose answer a dropped connection lost looks the same as ours.
                row = await conn.fetchrow("SELECT started, persona FROM sessions WHERE id=$1",
                                          sid)
                if row is None or (row["started"], row["persona"]) != (started, persona):
                    raise _Exists(sid)

        session = PgSessionLog(self, sid)
        try:
            if self.down:  # known to be unreachable: start at once, create it later
                raise OSError("the session database is unreachable")
            self._call(create, self.write_wait_s)
        except _Exists:
            raise FileExistsError(f"session {sid} already exists") from None
        except OSError as exc:
            log.warning("session %s starts without the database: %s", sid, exc)
            session._pending.append((_INSERT_SESSION, (sid, started, persona)))
        # If it is delayed, the first event the session records tells its user.
        with contextlib.suppress(SaveDelayed):
            session.write("session_start", session=sid, persona=persona, **meta)
        return session

    def new_id(self) -> str:
        return new_session_id(self.now())

    def read_session(self, session_id: str) -> list[dict[str, Any]]:
        """All records of a session, oldest first."""
        check_id(session_id)

        async def read(conn: asyncpg.Connection) -> list[Any]:
            rows = await conn.fetch("SELECT t, kind, data FROM records WHERE session=$1"
                                    " ORDER BY seq", session_id)
            if not rows and not await conn.fetchval("SELECT 1 FROM sessions WHERE id=$1",
                                                    session_id):
                raise SessionNotFound(f"no saved session {session_id!r} in {self.location}")
            return list(rows)
        return [{"t": r["t"], "kind": r["kind"], **json.loads(r["data"])}
                for r in self._call(read)]

    def list_sessions(self) -> list[SessionSummary]:
        """Summaries of every saved session, oldest first."""
        rows = self._call(lambda conn: conn.fetch(
            "SELECT s.id, s.started, s.persona, s.ended, s.end_reason, s.summary,"
            " (SELECT COUNT(*) FROM records r WHERE r.session=s.id AND r.kind='user') AS users,"
            " (SELECT COUNT(*) FROM records r WHERE r.session=s.id AND r.kind='reply') AS replies"
            " FROM sessions s ORDER BY s.started, s.id"))
        return [SessionSummary(id=r["id"], started=r["started"], persona=r["persona"],
                               user_turns=int(r["users"]), replies=int(r["replies"]),
                               ended=bool(r["ended"]), end_reason=r["end_reason"],
                               feedback=(json.loads(r["summary"]) if r["summary"] else None)
                               or None)
                for r in rows]

    def delete_session(self, session_id: str) -> None:
        """Delete a session, its records and analyses."""
        check_id(session_id)
        status = self._call(lambda conn: conn.execute("DELETE FROM sessions WHERE id=$1",
                                                      session_id))
        if status == "DELETE 0":
            raise SessionNotFound(f"no saved session {session_id!r}")

    def delete_all(self) -> int:
        """Delete every session (goals stay); returns how many there were."""
        status = self._call(lambda conn: conn.execute("DELETE FROM sessions"))
        return int(status.split()[-1])

    # -- goals and analyses ---------------------------------------------------------------------

    def add_goal(self, text: str) -> Goal:
        created = self.now()
        goal_id = self._call(lambda conn: conn.fetchval(
            "INSERT INTO goals (text, created) VALUES ($1, $2) RETURNING id", text, created))
        return Goal(int(goal_id), text, created)

    def goals(self) -> list[Goal]:
        rows = self._call(lambda conn: conn.fetch(
            "SELECT id, text, created FROM goals ORDER BY id"))
        return [Goal(int(r["id"]), r["text"], r["created"]) for r in rows]

    def remove_goal(self, goal_id: int) -> bool:
        status = self._call(lambda conn: conn.execute("DELETE FROM goals WHERE id=$1", goal_id))
        return status != "DELETE 0"

    def analysis(self, session_id: str, key: str) -> dict[str, Any] | None:
        data = self._call(lambda conn: conn.fetchval(
            "SELECT data FROM analyses WHERE session=$1 AND key=$2", session_id, key))
        return None if data is None else dict(json.loads(data))

    def save_analysis(self, session_id: str, key: str, data: dict[str, Any]) -> None:
        self._call(lambda conn: conn.execute(
            "INSERT INTO analyses (session, key, data, created) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (session, key) DO UPDATE SET data=EXCLUDED.data,"
            " created=EXCLUDED.created", session_id, key, json.dumps(data), self.now()))

    def export(self, session_ids: list[str] | None = None) -> dict[str, Any]:
        """Sessions (all, or the ones named) with their records, and the goals, as JSON data."""
        return export_sessions(self, session_ids)

    # -- health and shutdown --------------------------------------------------------------------

    def check(self, wait_s: float = 2.0) -> None:
        """OSError unless the database answers within `wait_s` (a readiness probe's question)."""
        self._call(lambda conn: conn.fetchval("SELECT 1"), wait_s)

    def close(self, *, wait_s: float = 10.0) -> None:
        """Save what waits for the database (up to `wait_s`), then close the pool."""
        if self._loop is None:
            return
        try:
            self.run(self._close(wait_s), timeout=wait_s + 15.0)
        finally:
            self._loop.stop()
            self._loop = None

    async def _close(self, wait_s: float) -> None:
        deadline = asyncio.get_running_loop().time() + wait_s
        retries = []
        for session in list(self.waiting):
            try:
                await session._flush_by(deadline)
            except (*RETRYABLE, asyncpg.PostgresError) as exc:
                log.error("session %s: %d record(s) could not be saved before shutdown: %s",
                          session.id, session.unsaved, exc)
            if session._retry is not None:
                session._retry.cancel()
                retries.append(session._retry)
        await asyncio.gather(*retries, return_exceptions=True)
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), 5.0)
            except TimeoutError:
                self._pool.terminate()
