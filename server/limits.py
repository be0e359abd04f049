"""What one client may use of the server."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerLimits:
    """What one client may use. Defaults suit a laptop serving a few people."""

    max_sessions: int = 4
    """Concurrent conversations; more are refused with server_busy (each one runs STT/LLM/TTS)."""
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
    """A connection that sends no start message in this time is closed: it holds a session slot."""
    model_wait_s: float = 300.0
    """A start that arrives while models are still loading waits this long for them."""
    close_timeout_s: float = 10.0
    """How long a closing conversation may take to wind down and report its end."""
