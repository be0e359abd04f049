"""Saved sessions in one SQLite database, each record durable before the call that wrote it returns.

A session is its records, oldest first, each {"t": unix time, "kind": ..., ...}. Kinds:
session_start (persona, options), speech_start (the user began to speak), user (a transcribed
turn, with what its audio showed), reply (as the user heard it), metrics (stage times), error,
session_end (reason, summary). Every record is committed (WAL, synchronous=FULL) before the next
thing happens, so a dropped connection or a killed server loses nothing said before it, and the
report of a session that never ended can still be built.

The database lives at `<data_dir>/voice-rp.sqlite3`, readable by the user only (0600, its
directory 0700). Its schema is versioned (`PRAGMA user_version`) and migrated forward on open.
Transcripts earlier versions wrote as `<data_dir>/sessions/*.jsonl` are imported once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from voice_rp import events as ev

_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")
DB_NAME = "voice-rp.sqlite3"

MIGRATIONS: tuple[str, ...] = (
    # 1: sessions and their records
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY, started REAL NOT NULL, persona TEXT NOT NULL,
        ended INTEGER NOT NULL DEFAULT 0, end_reason TEXT, summary TEXT);
    CREATE TABLE records (
        session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL, t REAL NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (session, seq));
    CREATE TABLE imported_files (name TEXT PRIMARY KEY, imported REAL NOT NULL);
    """,
    # 2: the user's goals, and analyses worth keeping (a model's corrections cost a call)
    """
    CREATE TABLE goals (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL,
                        created REAL NOT NULL);
    CREATE TABLE analyses (
        session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        key TEXT NOT NULL, data TEXT NOT NULL, created REAL NOT NULL,
        PRIMARY KEY (session, key));
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SessionNotFound(LookupError):
    """No saved session has that id."""


@dataclass(frozen=True)
class SessionSummary:
    id: str
    started: float  # unix time
    persona: str
    user_turns: int
    replies: int
    ended: bool
    end_reason: str | None
    feedback: dict[str, Any] | None = None  # the session's end-of-session summary, if it ended


@dataclass(frozen=True)
class Goal:
    id: int
    text: str
    created: float


class SaveDelayed(OSError):
    """A record is kept in memory, not yet saved: the database is unreachable for now.

    The store goes on trying and saves it, in order, when the database is back; the session should
    tell its user. Any other OSError from a writer means the record is lost.
    """


class SessionWriter(Protocol):
    """What a running session writes through (SessionLog; a failing fake in tests)."""

    id: str
    closed: bool

    def write(self, kind: str, **data: Any) -> None: ...
    def record_event(self, event: ev.Event) -> bool: ...
    def end(self, reason: str, summary: dict[str, Any] | None = None) -> None: ...
    def close(self) -> None: ...


class SessionStore(Protocol):
    """Where sessions, goals and analyses are kept: TranscriptStore (SQLite, one machine) or
    storage_pg.PostgresStore (PostgreSQL, shared by session servers). `stores.open_store` picks.

    Calls block, so async code makes them in a worker thread (`asyncio.to_thread`). Reads and
    deletes raise OSError when the database cannot be reached in time.
    """

    @property
    def location(self) -> str:
        """Where the data is, for messages (a path, or a URL without its password)."""
        ...

    def open_session(self, *, persona: str, session_id: str | None = None,
                     **meta: Any) -> SessionWriter: ...
    def new_id(self) -> str: ...
    def read_session(self, session_id: str) -> list[dict[str, Any]]: ...
    def list_sessions(self) -> list[SessionSummary]: ...
    def delete_session(self, session_id: str) -> None: ...
    def delete_all(self) -> int: ...
    def add_goal(self, text: str) -> Goal: ...
    def goals(self) -> list[Goal]: ...
    def remove_goal(self, goal_id: int) -> bool: ...
    def analysis(self, session_id: str, key: str) -> dict[str, Any] | None: ...
    def save_analysis(self, session_id: str, key: str, data: dict[str, Any]) -> None: ...
    def export(self, session_ids: list[str] | None = None) -> dict[str, Any]: ...
    def check(self) -> None:
        """Raise OSError unless the database answers now (for a readiness probe)."""
        ...

    def close(self) -> None: ...


def export_sessions(store: SessionStore, session_ids: list[str] | None) -> dict[str, Any]:
    """Sessions (all, or the ones named) with their records, and the goals, as JSON data."""
    ids = session_ids if session_ids is not None else [s.id for s in store.list_sessions()]
    return {"format": "voice-rp-export", "schema": SCHEMA_VERSION,
            "sessions": [{"id": sid, "records": store.read_session(sid)} for sid in ids],
            "goals": [{"text": g.text, "created": g.created} for g in store.goals()]}


def check_id(session_id: str) -> None:
    if not _ID.match(session_id):
        raise SessionNotFound(f"{session_id!r} is not a session id")


def new_session_id(now: float) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    return f"{stamp}-{secrets.token_hex(3)}"


def valid_new_id(session_id: str) -> str:
    if not _ID.match(session_id):
        raise ValueError(f"{session_id!r} is not a session id")
    return session_id


def _connect(path: Path) -> sqlite3.Connection:
    # The file is made 0600 before SQLite opens it: its -wal and -shm files copy its mode.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk when it returns
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION, one migration per transaction."""
    with _transaction(conn):
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"the database has schema {version}, newer than this voice-rp "
                               f"({SCHEMA_VERSION}); update voice-rp")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")


class SessionLog:
    """The append-only record of one session. Not thread-safe: one writer per session."""

    def __init__(self, conn: sqlite3.Connection, session_id: str, *,
                 now: Callable[[], float]) -> None:
        self.id = session_id
        self._conn = conn
        self._now = now
        self._seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM records WHERE session=?",
                                     (session_id,)).fetchone()[0])
        self.closed = False

    def write(self, kind: str, **data: Any) -> None:
        """Append one record and make it durable before returning."""
        if self.closed:
            return
        t = round(self._now(), 3)
        self._seq += 1
        try:
            self._conn.execute(
                "INSERT INTO records (session, seq, t, kind, data) VALUES (?, ?, ?, ?, ?)",
                (self.id, self._seq, t, kind, json.dumps(data, ensure_ascii=False, default=str)))
        except sqlite3.Error as exc:
            self._seq -= 1
            raise OSError(f"cannot save the transcript: {exc}") from exc

    def record_event(self, event: ev.Event) -> bool:
        """Append what a conversation event means for the transcript; False if it means nothing."""
        return record_event(self, event)

    def end(self, reason: str, summary: dict[str, Any] | None = None) -> None:
        """Write the session_end record (once) and close."""
        if self.closed:
            return
        self.write("session_end", reason=reason, summary=summary or {})
        try:
            self._conn.execute("UPDATE sessions SET ended=1, end_reason=?, summary=? WHERE id=?",
                               (reason, json.dumps(summary or {}, default=str), self.id))
        except sqlite3.Error as exc:
            raise OSError(f"cannot save the transcript: {exc}") from exc
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._conn.close()


class TranscriptStore:
    """Saved sessions, goals and analyses in `<data_dir>/voice-rp.sqlite3`."""

    def __init__(self, data_dir: Path | str, *, now: Callable[[], float] = time.time) -> None:
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / DB_NAME
        self.dir = self.data_dir / "sessions"  # where earlier versions kept JSONL transcripts
        self._now = now
        self._ready = False
        self._setup = threading.Lock()  # the first open migrates: one thread at a time

    @property
    def location(self) -> str:
        return str(self.db_path)

    def check(self) -> None:
        try:
            with self._db() as conn:
                conn.execute("SELECT 1")
        except sqlite3.Error as exc:
            raise OSError(f"cannot open {self.db_path}: {exc}") from exc

    def close(self) -> None:
        """Nothing to release: each call opens and closes its own connection."""

    # -- connections ----------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        if self._ready:
            return _connect(self.db_path)
        # Sessions that start together on a new database must not race to create it: switching
        # a new file to WAL does not wait for a lock, it fails ("database is locked").
        with self._setup:
            if self._ready:
                return _connect(self.db_path)
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(OSError):
                os.chmod(self.data_dir, 0o700)
            conn = _connect(self.db_path)
            try:
                migrate(conn)
                self._import_jsonl(conn)
            except BaseException:
                conn.close()
                raise
            self._ready = True
            return conn

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    # -- sessions -------------------------------------------------------------------------------

    def open_session(self, *, persona: str, session_id: str | None = None,
                     **meta: Any) -> SessionLog:
        """Create a new session and write its session_start record."""
        sid = valid_new_id(session_id or self.new_id())
        conn = self._open()
        try:
            with _transaction(conn):
                if conn.execute("SELECT 1 FROM sessions WHERE id=?", (sid,)).fetchone():
                    raise FileExistsError(f"session {sid} already exists")
                conn.execute("INSERT INTO sessions (id, started, persona) VALUES (?, ?, ?)",
                             (sid, round(self._now(), 3), persona))
        except BaseException:
            conn.close()
            raise
        log = SessionLog(conn, sid, now=self._now)
        log.write("session_start", session=sid, persona=persona, **meta)
        return log

    def new_id(self) -> str:
        return new_session_id(self._now())

    def read_session(self, session_id: str) -> list[dict[str, Any]]:
        """All records of a session, oldest first."""
        self._check_id(session_id)
        with self._db() as conn:
            rows = conn.execute("SELECT t, kind, data FROM records WHERE session=? ORDER BY seq",
                                (session_id,)).fetchall()
            if not rows and not conn.execute("SELECT 1 FROM sessions WHERE id=?",
                                             (session_id,)).fetchone():
                raise SessionNotFound(f"no saved session {session_id!r} in {self.db_path}")
        return [_record(t, kind, data) for t, kind, data in rows]

    def list_sessions(self) -> list[SessionSummary]:
        """Summaries of every saved session, oldest first."""
        if not self.db_path.exists() and not self.dir.is_dir():
            return []
        with self._db() as conn:
            rows = conn.execute(
                "SELECT s.id, s.started, s.persona, s.ended, s.end_reason, s.summary,"
                " (SELECT COUNT(*) FROM records r WHERE r.session=s.id AND r.kind='user'),"
                " (SELECT COUNT(*) FROM records r WHERE r.session=s.id AND r.kind='reply')"
                " FROM sessions s ORDER BY s.started, s.id").fetchall()
        return [SessionSummary(id=r[0], started=r[1], persona=r[2], user_turns=r[6],
                               replies=r[7], ended=bool(r[3]), end_reason=r[4],
                               feedback=(json.loads(r[5]) if r[5] else None) or None)
                for r in rows]

    def delete_session(self, session_id: str) -> None:
        """Delete a session, its records and analyses."""
        self._check_id(session_id)
        with self._db() as conn, _transaction(conn):
            if not conn.execute("DELETE FROM sessions WHERE id=?", (session_id,)).rowcount:
                raise SessionNotFound(f"no saved session {session_id!r}")
        self._vacuum()

    def delete_all(self) -> int:
        """Delete every session (goals stay); returns how many there were."""
        with self._db() as conn, _transaction(conn):
            n = conn.execute("DELETE FROM sessions").rowcount
        self._vacuum()
        return int(n)

    def _vacuum(self) -> None:
        # Deleted words must not linger in free pages or the write-ahead log.
        with self._db() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")

    # -- goals and analyses ---------------------------------------------------------------------

    def add_goal(self, text: str) -> Goal:
        with self._db() as conn:
            cur = conn.execute("INSERT INTO goals (text, created) VALUES (?, ?)",
                               (text, self._now()))
            return Goal(int(cur.lastrowid or 0), text, self._now())

    def goals(self) -> list[Goal]:
        with self._db() as conn:
            return [Goal(*row) for row in conn.execute(
                "SELECT id, text, created FROM goals ORDER BY id")]

    def remove_goal(self, goal_id: int) -> bool:
        with self._db() as conn:
            return bool(conn.execute("DELETE FROM goals WHERE id=?", (goal_id,)).rowcount)

    def analysis(self, session_id: str, key: str) -> dict[str, Any] | None:
        with self._db() as conn:
            row = conn.execute("SELECT data FROM analyses WHERE session=? AND key=?",
                               (session_id, key)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def save_analysis(self, session_id: str, key: str, data: dict[str, Any]) -> None:
        with self._db() as conn:
            conn.execute("INSERT OR REPLACE INTO analyses (session, key, data, created) "
                         "VALUES (?, ?, ?, ?)", (session_id, key, json.dumps(data), self._now()))

    def export(self, session_ids: list[str] | None = None) -> dict[str, Any]:
        """Sessions (all, or the ones named) with their records, and the goals, as JSON data."""
        return export_sessions(self, session_ids)

    # -- earlier versions' JSONL transcripts ---------------------------------------------------

    def _import_jsonl(self, conn: sqlite3.Connection) -> None:
        if not self.dir.is_dir():
            return
        for path in sorted(self.dir.glob("*.jsonl")):
            if not _ID.match(path.stem):
                continue
            with _transaction(conn):
                if conn.execute("SELECT 1 FROM imported_files WHERE name=?",
                                (path.name,)).fetchone():
                    continue
                records = _read_jsonl(path)
                if not conn.execute("SELECT 1 FROM sessions WHERE id=?",
                                    (path.stem,)).fetchone():
                    _insert_imported(conn, path.stem, records)
                conn.execute("INSERT INTO imported_files (name, imported) VALUES (?, ?)",
                             (path.name, self._now()))

    _check_id = staticmethod(check_id)


def _record(t: float, kind: str, data: str) -> dict[str, Any]:
    record: dict[str, Any] = {"t": t, "kind": kind}
    record.update(json.loads(data))
    return record


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a torn last line from a crash mid-write
        if isinstance(record, dict):
            records.append(record)
    return records


def _insert_imported(conn: sqlite3.Connection, sid: str, records: list[dict[str, Any]]) -> None:
    start = next((r for r in records if r.get("kind") == "session_start"), {})
    end = next((r for r in records if r.get("kind") == "session_end"), None)
    conn.execute("INSERT INTO sessions (id, started, persona, ended, end_reason, summary) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (sid, float(start.get("t", 0.0)), str(start.get("persona", "?")),
                  int(end is not None), None if end is None else str(end.get("reason")),
                  None if end is None else json.dumps(end.get("summary") or {})))
    for seq, record in enumerate(records, start=1):
        data = {k: v for k, v in record.items() if k not in ("t", "kind")}
        conn.execute("INSERT INTO records (session, seq, t, kind, data) VALUES (?, ?, ?, ?, ?)",
                     (sid, seq, float(record.get("t", 0.0)), str(record.get("kind", "?")),
                      json.dumps(data, ensure_ascii=False, default=str)))


def record_event(log: SessionWriter, event: ev.Event) -> bool:
    """Write what a conversation event means for the transcript to `log` (either store's
    session log); False if it means nothing there (audio, state changes)."""
    match event:
        case ev.SpeechStarted(turn=turn):
            log.write("speech_start", turn=turn)
        case ev.UserTranscript(turn=turn, text=text, audio=audio, kind=kind):
            user: dict[str, Any] = {} if audio is None else {"audio": audio}
            if kind:
                user["turn_kind"] = kind
            log.write("user", turn=turn, text=text, **user)
        case ev.SafetyNotice(turn=turn, resources=resources):
            log.write("safety", turn=turn, region=resources.get("region", ""))
        case ev.AnswerWords(turn=turn, words=words, fillers_kept=kept):
            log.write("words", turn=turn, words=words, fillers_kept=kept)
        case ev.ReplyDone(turn=turn, text=text, interrupted=interrupted, speaker=speaker):
            reply: dict[str, Any] = ({} if event.audio_ms is None
                                     else {"audio_ms": event.audio_ms})
            log.write("reply", turn=turn, text=text, interrupted=interrupted,
                      speaker=speaker, **reply)
        case ev.TurnMetrics(turn=turn, stages=stages):
            log.write("metrics", turn=turn, stages=stages)
        case ev.ErrorEvent(code=code, message=message, fatal=fatal):
            log.write("error", code=code, message=message, fatal=fatal)
        case ev.SessionEnded(reason=reason, summary=summary):
            log.end(reason, summary)
        case _:
            return False
    return True
