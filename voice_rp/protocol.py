"""The voice-rp wire protocol ("voice-rp/1"), without any I/O.

Text messages are JSON objects with a "type"; binary messages are raw PCM16 audio. The server turns
conversation events into messages with `event_message`; both ends parse client messages with
`parse_client_message`. docs/protocol.md is the reference a client author reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from voice_rp import events as ev
from voice_rp.audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE
from voice_rp.errors import VoiceRPError

PROTOCOL = "voice-rp/1"
AI_NOTICE = (
    "You are talking to an AI character, not a person. "
    "It can be wrong; the conversation is saved on this server so you can review it."
)

# Stable error codes (docs/protocol.md lists what each means).
BAD_JSON = "bad_json"
UNKNOWN_TYPE = "unknown_type"
BAD_MESSAGE = "bad_message"
NOT_STARTED = "not_started"
ALREADY_STARTED = "already_started"
BAD_AUDIO = "bad_audio"
FRAME_RATE_EXCEEDED = "frame_rate_exceeded"
MESSAGE_TOO_LARGE = "message_too_large"
PERSONA_UNKNOWN = "persona_unknown"
PERSONA_INVALID = "persona_invalid"
LLM_UNAVAILABLE = "llm_unavailable"
MODEL_UNAVAILABLE = "model_unavailable"
VOICE_MISSING = "voice_missing"
SERVER_BUSY = "server_busy"
UNAUTHORIZED = "unauthorized"
BAD_ORIGIN = "bad_origin"
BAD_HOST = "bad_host"
PROTOCOL_VERSION = "protocol_version"
INTERNAL_ERROR = "internal_error"

ERROR_CODES = frozenset({
    BAD_JSON, UNKNOWN_TYPE, BAD_MESSAGE, NOT_STARTED, ALREADY_STARTED, BAD_AUDIO,
    FRAME_RATE_EXCEEDED, MESSAGE_TOO_LARGE, PERSONA_UNKNOWN, PERSONA_INVALID, LLM_UNAVAILABLE,
    MODEL_UNAVAILABLE, VOICE_MISSING, SERVER_BUSY, UNAUTHORIZED, BAD_ORIGIN, BAD_HOST,
    PROTOCOL_VERSION, INTERNAL_ERROR,
})


class ProtocolError(VoiceRPError):
    """A client message broke the protocol; `code` is one of ERROR_CODES."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = fatal


@dataclass(frozen=True)
class Start:
    persona: str
    protocol: str = PROTOCOL
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Played:
    turn: int
    ms: float


@dataclass(frozen=True)
class End:
    pass


ClientMessage = Start | Played | End


MAX_PERSONA_CHARS = 200
"""Longer persona names are refused: real ones are short ids."""
MAX_TURN = 1_000_000
MAX_PLAYED_MS = 24 * 3600 * 1000.0
"""A reply longer than a day cannot have been played: such a report is a broken client."""
MAX_OPTION_DEPTH = 4
MAX_OPTION_STRING = 2_000


def parse_client_message(text: str | bytes) -> ClientMessage:
    """Parse one client text message. Raises ProtocolError, with the code a client is sent, and
    nothing else: whatever a client sends, the server answers it with an error, not a crash."""
    try:
        return _parse(text)
    except ProtocolError:
        raise
    except RecursionError:
        raise ProtocolError(BAD_JSON, "text messages must be JSON objects; this one is nested "
                            "too deeply to read") from None
    except Exception as exc:  # a case the checks below missed must still be the client's error
        raise ProtocolError(BAD_MESSAGE, f"the message could not be read: {type(exc).__name__}"
                            ) from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse(text: str | bytes) -> ClientMessage:
    try:
        # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(BAD_JSON, f"text messages must be JSON objects: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolError(BAD_JSON, "text messages must be JSON objects, not "
                            f"{type(data).__name__}")
    kind = data.get("type")
    if kind == "start":
        return _parse_start(data)
    if kind == "played":
        return _parse_played(data)
    if kind == "end":
        return End()
    shown = repr(kind)[:40] if isinstance(kind, str | int | float | bool | None) else \
        type(kind).__name__
    raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {shown}; expected start, played "
                        "or end")


def _parse_played(data: dict[str, Any]) -> Played:
    turn: Any = data.get("turn")
    ms: Any = data.get("ms")
    usage = (f"played needs an integer 'turn' (0 to {MAX_TURN}) and a number 'ms' "
             f"(0 to {MAX_PLAYED_MS:.0f})")
    if not _is_int(turn) or not 0 <= turn <= MAX_TURN:
        raise ProtocolError(BAD_MESSAGE, usage)
    # Compared before any conversion: a 400-digit integer overflows a float.
    if not (_is_int(ms) or isinstance(ms, float)) or not 0 <= ms <= MAX_PLAYED_MS:
        raise ProtocolError(BAD_MESSAGE, usage)  # NaN fails the comparison too
    return Played(turn=turn, ms=float(ms))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_start(data: dict[str, Any]) -> Start:
    version = data.get("protocol", PROTOCOL)
    if version != PROTOCOL:
        shown = repr(version)[:40] if isinstance(version, str) else type(version).__name__
        raise ProtocolError(PROTOCOL_VERSION, f"this server speaks {PROTOCOL}, not {shown}",
                            fatal=True)
    persona = data.get("persona")
    if not isinstance(persona, str) or not persona.strip():
        raise ProtocolError(BAD_MESSAGE, "start needs a 'persona' name (a non-empty string)")
    if len(persona) > MAX_PERSONA_CHARS:
        raise ProtocolError(BAD_MESSAGE, f"start 'persona' is {len(persona)} characters long; "
                            f"persona names have at most {MAX_PERSONA_CHARS}")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ProtocolError(BAD_MESSAGE, "start 'options' must be a JSON object")
    _check_option_value("options", options, 0)
    audio = data.get("audio", {})
    if not isinstance(audio, dict):
        raise ProtocolError(BAD_MESSAGE, "start 'audio' must be a JSON object")
    expected = {"format": "pcm16", "sample_rate": SAMPLE_RATE, "channels": 1, "frame_ms": FRAME_MS}
    for key, want in expected.items():
        if key in audio and audio[key] != want:
            got = audio[key]
            shown = repr(got)[:40] if isinstance(got, str | int | float | bool | None) else \
                type(got).__name__
            raise ProtocolError(BAD_AUDIO, f"audio {key} must be {want!r}, got {shown}: "
                                "send 20 ms frames of 16 kHz mono PCM16 (resample first)")
    return Start(persona=persona.strip(), protocol=version, options=options)


def _check_option_value(where: str, value: Any, depth: int) -> None:
    """Options reach persona code and the saved transcript: keep them small and plain."""
    if depth > MAX_OPTION_DEPTH:
        raise ProtocolError(BAD_MESSAGE, f"start {where} is nested too deeply")
    if isinstance(value, str) and len(value) > MAX_OPTION_STRING:
        raise ProtocolError(BAD_MESSAGE, f"start {where} is longer than {MAX_OPTION_STRING} "
                            "characters")
    if _is_int(value) and abs(value) > 2**53:
        raise ProtocolError(BAD_MESSAGE, f"start {where} is out of range")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_option_value(f"{where}.{str(key)[:40]}", item, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_option_value(f"{where}[{i}]", item, depth + 1)


def check_frame(frame: bytes) -> None:
    """Raise ProtocolError(bad_audio) unless `frame` is one 20 ms frame of 16 kHz mono PCM16."""
    if len(frame) == FRAME_BYTES:
        return
    hint = ""
    if len(frame) % 2:
        hint = " (odd length: PCM16 samples are 2 bytes)"
    elif len(frame) in _OTHER_FORMATS:
        hint = f" (looks like 20 ms of {_OTHER_FORMATS[len(frame)]}: send 16 kHz mono)"
    elif len(frame) and len(frame) % FRAME_BYTES == 0:
        hint = f" ({len(frame) // FRAME_BYTES} frames in one message: send one per message)"
    raise ProtocolError(BAD_AUDIO, f"audio frames must be {FRAME_BYTES} bytes (20 ms of 16 kHz "
                        f"mono PCM16), got {len(frame)}{hint}")


_OTHER_FORMATS = {
    rate * ch // 50 * 2: f"{rate} Hz {'stereo' if ch == 2 else 'mono'}"
    for rate in (8000, 16000, 22050, 24000, 44100, 48000) for ch in (1, 2)
    if (rate, ch) != (SAMPLE_RATE, 1)
}


class FrameRateLimiter:
    """A token bucket over audio time: allows `rate` x real time sustained plus a burst.

    Frames over the limit are dropped, not queued: queuing would let a client grow server memory.
    """

    def __init__(self, *, rate: float = 3.0, burst_ms: float = 10_000.0,
                 frame_ms: float = FRAME_MS, error_interval_s: float = 1.0) -> None:
        self.rate = rate
        self.burst_ms = burst_ms
        self.frame_ms = frame_ms
        self.error_interval_s = error_interval_s
        self._tokens = burst_ms
        self._last: float | None = None
        self._last_report: float | None = None
        self.dropped = 0
        self._dropped_since_report = 0

    def allow(self, now: float) -> bool:
        """Account for one frame arriving at `now` (seconds); False means drop it."""
        if self._last is not None:
            elapsed_ms = max(0.0, now - self._last) * 1000.0
            self._tokens = min(self.burst_ms, self._tokens + elapsed_ms * self.rate)
        self._last = now
        if self._tokens >= self.frame_ms:
            self._tokens -= self.frame_ms
            return True
        self.dropped += 1
        self._dropped_since_report += 1
        return False

    def wait_s(self, now: float) -> float:
        """Seconds from `now` until one more frame would be allowed (0 if it would be now)."""
        tokens = self._tokens
        if self._last is not None:
            tokens = min(self.burst_ms, tokens + max(0.0, now - self._last) * 1000.0 * self.rate)
        return max(0.0, (self.frame_ms - tokens) / self.rate / 1000.0)

    def take_dropped(self, now: float) -> int:
        """Frames dropped since the last report, reported now whatever the interval."""
        self._last_report = now
        n, self._dropped_since_report = self._dropped_since_report, 0
        return n

    @property
    def unreported(self) -> int:
        return self._dropped_since_report

    def report_due(self, now: float) -> int:
        """Frames dropped since the last report if it is time to tell the client, else 0."""
        if not self._dropped_since_report:
            return 0
        if self._last_report is not None and now - self._last_report < self.error_interval_s:
            return 0
        self._last_report = now
        n, self._dropped_since_report = self._dropped_since_report, 0
        return n


def client_start(persona: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "start", "protocol": PROTOCOL, "persona": persona, "options": options or {},
            "audio": {"format": "pcm16", "sample_rate": SAMPLE_RATE, "channels": 1,
                      "frame_ms": FRAME_MS}}


def error_message(code: str, message: str, *, fatal: bool = False,
                  retry_after_s: float | None = None) -> dict[str, Any]:
    message_ = {"type": "error", "code": code, "message": message, "fatal": fatal}
    if retry_after_s is not None:
        message_["retry_after_s"] = retry_after_s
    return message_


def event_message(event: ev.Event) -> dict[str, Any] | bytes:
    """The wire form of a conversation event: a JSON-ready dict, or bytes for reply audio."""
    match event:
        case ev.AudioChunk(pcm=pcm):
            return pcm
        case ev.StateChanged(state=state):
            return {"type": "state", "state": state}
        case ev.SpeechStarted(turn=turn):
            return {"type": "speech_started", "turn": turn}
        case ev.UserTranscript(turn=turn, text=text):
            return {"type": "transcript", "turn": turn, "text": text}
        case ev.AudioStart():
            return {"type": "audio_start", "turn": event.turn, "piece": event.piece,
                    "text": event.text, "speaker": event.speaker,
                    "sample_rate": event.sample_rate, "offset_ms": round(event.offset_ms, 1)}
        case ev.AudioEnd():
            return {"type": "audio_end", "turn": event.turn, "piece": event.piece,
                    "duration_ms": round(event.duration_ms, 1)}
        case ev.Clear(turn=turn):
            return {"type": "clear", "turn": turn}
        case ev.ReplyDone():
            return {"type": "reply_done", "turn": event.turn, "text": event.text,
                    "interrupted": event.interrupted, "speaker": event.speaker}
        case ev.TurnMetrics(turn=turn, stages=stages):
            return {"type": "metrics", "turn": turn,
                    "stages": {k: None if v is None else round(v, 1) for k, v in stages.items()}}
        case ev.ErrorEvent(code=code, message=message, fatal=fatal):
            return error_message(code, message, fatal=fatal)
        case ev.SessionEnded(reason=reason, summary=summary):
            return {"type": "session_end", "reason": reason, "summary": summary}
    raise TypeError(f"not a conversation event: {event!r}")


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)

