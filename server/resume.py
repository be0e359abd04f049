"""Continuing a session on a new connection: its token, and what the client is told it missed.

A reload, a closed laptop lid or a lost network must not end a practice. The server keeps a
started session whose connection dropped for a grace period (ServerLimits.resume_grace_s); the
client proves it is the same client with the token the session gave it (`ready` or the last
`resumed`), and gets a new token each time, so a token seen once cannot be used again. Tokens
live only in this process's memory: a resume must reach the server that holds the session.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

TOKEN_BYTES = 32
DRAIN_TURN_S = 5.0
"""Silence fed to a dropped session so the turn the user was in ends and is transcribed and
saved: longer than any end-of-turn wait (the longest, after a sentence left open, is 3.5 s)."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_matches(expected: str | None, given: str) -> bool:
    """Constant-time comparison: a forged token learns nothing from how long a refusal took."""
    return expected is not None and hmac.compare_digest(expected.encode(), given.encode())


def refusal(why: str) -> str:
    """The sentence a refused resume gets. Whether a session with that id exists is not said
    to a client without its token."""
    return {
        "ended": "This session has ended, so it cannot be continued. Its transcript is saved; "
                 "start a new session to go on practising.",
        "unknown": "This session can no longer be continued: it ended, it was kept for too "
                   "long without a connection, or it is not on this server. Start a new "
                   "session.",
    }[why]


def transcript_lines(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What was said so far, in order, from a session's saved records: the lines a client
    shows after a resume (replies made while it was away included)."""
    lines: list[dict[str, Any]] = []
    for r in records:
        if r.get("kind") == "user":
            lines.append({"turn": r.get("turn"), "role": "user", "speaker": "",
                          "text": r.get("text", ""), "interrupted": False})
        elif r.get("kind") == "reply" and (r.get("text") or r.get("interrupted")):
            lines.append({"turn": r.get("turn"), "role": "persona",
                          "speaker": r.get("speaker") or "", "text": r.get("text", ""),
                          "interrupted": bool(r.get("interrupted"))})
    return lines


class LiveSessions:
    """Started sessions by id, and the tokens of recently ended ones (so a resume of an ended
    session can be told it ended, but only to the client holding its token)."""

    _ENDED_KEPT = 256

    def __init__(self) -> None:
        self.sessions: dict[str, Any] = {}  # server.session.Session by id
        self._ended: dict[str, str] = {}

    def ended(self, session: Any) -> None:
        self.sessions.pop(session.id, None)
        if session.token is not None:
            self._ended[session.id] = session.token
            while len(self._ended) > self._ENDED_KEPT:
                del self._ended[next(iter(self._ended))]

    def ended_with(self, session_id: str, token: str) -> bool:
        return token_matches(self._ended.get(session_id), token)
