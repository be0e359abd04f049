"""Session transcripts on disk: one JSONL file per session, appended and fsync'd as things happen.

Each line is one record {"t": unix time, "kind": ..., ...}. Kinds: session_start (persona),
user (a transcribed user turn), reply (the reply as the user heard it), metrics (stage times),
error, session_end. Because every record reaches the disk before the next thing happens, a
dropped connection or a crashed server loses nothing said before it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voice_rp import events as ev

_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


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


class SessionLog:
    """The append-only transcript of one session. Not thread-safe: one writer per session."""

    def __init__(self, path: Path, session_id: str, *, now: Callable[[], float]) -> None:
        self.path = path
        self.id = session_id
        self._now = now
        # O_APPEND: each record lands at the end even if something else opened the file.
        # 0600: what a user said in practice is theirs alone, not every account's on the machine.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = open(fd, "a", encoding="utf-8")  # noqa: SIM115
        self.closed = False

    def write(self, kind: str, **data: Any) -> None:
        """Append one record and make it durable before returning."""
        if self.closed:
            return
        record = {"t": round(self._now(), 3), "kind": kind, **data}
        self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def record_event(self, event: ev.Event) -> bool:
        """Append what a conversation event means for the transcript; False if it means nothing."""
        match event:
            case ev.UserTranscript(turn=turn, text=text):
                self.write("user", turn=turn, text=text)
            case ev.ReplyDone(turn=turn, text=text, interrupted=interrupted, speaker=speaker):
                self.write("reply", turn=turn, text=text, interrupted=interrupted, speaker=speaker)
            case ev.TurnMetrics(turn=turn, stages=stages):
                self.write("metrics", turn=turn, stages=stages)
            case ev.ErrorEvent(code=code, message=message, fatal=fatal):
                self.write("error", code=code, message=message, fatal=fatal)
            case ev.SessionEnded(reason=reason, summary=summary):
                self.end(reason, summary)
            case _:
                return False
        return True

    def end(self, reason: str, summary: dict[str, Any] | None = None) -> None:
        """Write the session_end record (once) and close the file."""
        if self.closed:
            return
        self.write("session_end", reason=reason, summary=summary or {})
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._file.close()


class TranscriptStore:
    """Saved sessions under `<data_dir>/sessions/`."""

    def __init__(self, data_dir: Path | str, *, now: Callable[[], float] = time.time) -> None:
        self.dir = Path(data_dir) / "sessions"
        self._now = now

    def open_session(self, *, persona: str, session_id: str | None = None,
                     **meta: Any) -> SessionLog:
        """Create a new session file and write its session_start record."""
        private_dir(self.dir)
        sid = session_id or self.new_id()
        path = self._path(sid)
        if path.exists():
            raise FileExistsError(f"session {sid} already exists")
        log = SessionLog(path, sid, now=self._now)
        _fsync_dir(self.dir)  # the new file's directory entry must survive a crash too
        log.write("session_start", session=sid, persona=persona, **meta)
        return log

    def new_id(self) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self._now()))
        return f"{stamp}-{secrets.token_hex(3)}"

    def read_session(self, session_id: str) -> list[dict[str, Any]]:
        """All records of a session, oldest first. A torn last line (crash mid-write) is skipped."""
        path = self._path(session_id)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SessionNotFound(f"no saved session {session_id!r} in {self.dir}") from None
        records = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def list_sessions(self) -> list[SessionSummary]:
        """Summaries of every saved session, oldest first."""
        if not self.dir.is_dir():
            return []
        out = [self._summary(p.stem) for p in self.dir.glob("*.jsonl") if _ID.match(p.stem)]
        return sorted(out, key=lambda s: (s.started, s.id))

    def _summary(self, session_id: str) -> SessionSummary:
        records = self.read_session(session_id)
        start = next((r for r in records if r.get("kind") == "session_start"), {})
        end = next((r for r in records if r.get("kind") == "session_end"), None)
        return SessionSummary(
            id=session_id,
            started=float(start.get("t", 0.0)),
            persona=str(start.get("persona", "?")),
            user_turns=sum(r.get("kind") == "user" for r in records),
            replies=sum(r.get("kind") == "reply" for r in records),
            ended=end is not None,
            end_reason=None if end is None else str(end.get("reason")),
            feedback=(end or {}).get("summary") or None,
        )

    def _path(self, session_id: str) -> Path:
        if not _ID.match(session_id):
            raise SessionNotFound(f"{session_id!r} is not a session id")
        return self.dir / f"{session_id}.jsonl"


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) readable by this user only; tighten it if it exists."""
    for parent in reversed(path.parents):
        if not parent.exists():
            parent.mkdir(mode=0o700, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # e.g. platforms where directories cannot be opened; the file itself is fsync'd
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
