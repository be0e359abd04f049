"""What one client may use of the server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerLimits:
    """What one client may use. Defaults suit a laptop serving a few people."""

    max_sessions: int = 4
    """Concurrent conversations; more are refused with server_busy (each one runs STT/LLM/TTS).
    Only started sessions count: a connection that has not sent `start` holds no slot."""
    max_connections: int = 32
    """Open connections, started or not; more are refused at once with server_busy. A bound on
    what idle or junk-sending sockets can hold (each also has the absolute `start_timeout_s`)."""
    latency_target_ms: float | None = None
    """Refuse new sessions while the p95 response latency of recent turns is above this. None:
    twice the p95 measured while one session ran alone (server/admission.py)."""
    retry_after_s: float = 15.0
    """The retry hint sent with server_busy."""
    max_message_bytes: int = 64 * 1024
    """Largest text or binary message answered normally; bigger ones get message_too_large."""
    hard_max_message_bytes: int = 1024 * 1024
    """Beyond this the websocket library closes the connection (1009) without reading it."""
    audio_rate: float = 3.0
    """Sustained audio speed allowed, in multiples of real time."""
    audio_burst_ms: float = 10_000.0
    """Audio a client may send at once above that speed (e.g. a short file sent with --fast)."""
    error_interval_s: float = 1.0
    """A client flooding audio is told at most this often, not once per dropped frame."""
    start_timeout_s: float = 30.0
    """A connection that has not started a session this long after connecting is closed, however
    many other messages it sends."""
    error_burst: int = 20
    """Non-fatal errors answered (and logged) at once; beyond that, `error_rate` a second. The
    rest are counted and mentioned in the next one sent, so a flood of bad messages costs the
    server little and fills no log."""
    error_rate: float = 2.0
    model_wait_s: float = 300.0
    """A start that arrives while models are still loading waits this long for them."""
    drain_s: float = 10.0
    """On SIGTERM, running sessions may go on this long (no new ones are taken) before they end
    with server_shutdown. A deployment that rolls servers sets it to a whole practice session."""
    close_timeout_s: float = 10.0
    """How long a closing conversation may take to wind down and report its end."""
    resume_grace_s: float = 60.0
    """A session whose connection drops (a reload, a lost network) is kept this long for the
    client to `resume` it; then it ends as "disconnected". 0: sessions end with their
    connection."""


class ErrorBudget:
    """A token bucket over error replies of one connection (times in seconds, from the caller).

    `allow` says whether to send (and log) this error; `suppressed` counts the ones not sent
    since the last one that was, so that one can say how many were left out.
    """

    def __init__(self, *, burst: int, rate: float) -> None:
        self.burst = burst
        self.rate = rate
        self._tokens = float(burst)
        self._last: float | None = None
        self.suppressed = 0

    def allow(self, now: float) -> bool:
        if self._last is not None:
            self._tokens = min(float(self.burst),
                               self._tokens + max(0.0, now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.suppressed += 1
        return False

    def take_suppressed(self) -> int:
        n, self.suppressed = self.suppressed, 0
        return n
