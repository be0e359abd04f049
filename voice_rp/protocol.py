"""The voice-rp wire protocol ("voice-rp/1"): one codec for every program that speaks it.

Text messages are JSON objects with a "type"; binary messages are raw PCM16 audio. Each message
is a frozen dataclass with its wire `TYPE`; `encode` writes one, `decode_client` (the server's
side) and `decode_server` (the clients' side) read one. The server checks a binary message with
`check_frame` where it arrives. `from_event` is the wire form of a conversation event, and
`browser_constants` is what the browser client (client/web/) gets as /protocol.js.
docs/protocol.md is the reference a client author reads.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar

from voice_rp import events as ev
from voice_rp.audio import FRAME_BYTES, FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE
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
STT_UNAVAILABLE = "stt_unavailable"
TTS_UNAVAILABLE = "tts_unavailable"
SAVE_DELAYED = "save_delayed"
SAVE_FAILED = "save_failed"
MODEL_UNAVAILABLE = "model_unavailable"
VOICE_MISSING = "voice_missing"
SERVER_BUSY = "server_busy"
UNAUTHORIZED = "unauthorized"
BAD_ORIGIN = "bad_origin"
BAD_HOST = "bad_host"
PROTOCOL_VERSION = "protocol_version"
INTERNAL_ERROR = "internal_error"
RESUME_FAILED = "resume_failed"
SESSION_MOVED = "session_moved"

ERROR_CODES = frozenset({
    BAD_JSON, UNKNOWN_TYPE, BAD_MESSAGE, NOT_STARTED, ALREADY_STARTED, BAD_AUDIO,
    FRAME_RATE_EXCEEDED, MESSAGE_TOO_LARGE, PERSONA_UNKNOWN, PERSONA_INVALID, LLM_UNAVAILABLE,
    STT_UNAVAILABLE, TTS_UNAVAILABLE, SAVE_DELAYED, SAVE_FAILED, MODEL_UNAVAILABLE,
    VOICE_MISSING, SERVER_BUSY, UNAUTHORIZED, BAD_ORIGIN, BAD_HOST, PROTOCOL_VERSION,
    INTERNAL_ERROR, RESUME_FAILED, SESSION_MOVED,
})

# Websocket close codes the server uses (docs/protocol.md, "Close codes").
CLOSE_CODES = {"normal": 1000, "going_away": 1001, "too_big": 1009, "internal_error": 1011,
               "busy": 1013, "moved": 4001}

STATES = ("listening", "thinking", "speaking", "ended")
"""The values of a `state` message."""


@dataclass(frozen=True)
class AudioFormat:
    """What a client sends: one message per 20 ms frame of 16 kHz mono PCM16."""

    format: str = "pcm16"
    sample_rate: int = SAMPLE_RATE
    channels: int = 1
    frame_ms: int = FRAME_MS

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


AUDIO = AudioFormat()


class ProtocolError(VoiceRPError):
    """A message broke the protocol; `code` is one of ERROR_CODES."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = fatal


_OMIT_NONE = {"omit_none": True}  # field metadata: left out of the message when None


@dataclass(frozen=True)
class Message:
    """A text message: its fields, in wire order, after `"type": TYPE`."""

    TYPE: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get("omit_none"):
                continue
            out[f.name] = value
        return out


# -- client → server ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Start(Message):
    TYPE: ClassVar[str] = "start"
    protocol: str = PROTOCOL
    persona: str
    options: dict[str, Any] = field(default_factory=dict)
    audio: dict[str, Any] = field(default_factory=AUDIO.to_dict)


@dataclass(frozen=True)
class Played(Message):
    TYPE: ClassVar[str] = "played"
    turn: int
    ms: float


@dataclass(frozen=True)
class End(Message):
    TYPE: ClassVar[str] = "end"


@dataclass(frozen=True, kw_only=True)
class Resume(Message):
    """Continue a session whose connection dropped (a reload, a lost network): the first message
    on a new connection, instead of `start`, with the token the session's `ready` or last
    `resumed` gave."""

    TYPE: ClassVar[str] = "resume"
    protocol: str = PROTOCOL
    session: str
    token: str
    audio: dict[str, Any] = field(default_factory=AUDIO.to_dict)


ClientMessage = Start | Played | End | Resume


# -- server → client ----------------------------------------------------------------------------

# A message that carries a conversation event's fields as they are (reply_done: the part of its
# event the client is told) is that event with a wire TYPE: one definition of the fields. Adding
# a field there adds it to the wire, which docs/protocol.md and tests/test_protocol*.py pin down.


@dataclass(frozen=True, kw_only=True)
class Ready(Message):
    TYPE: ClassVar[str] = "ready"
    protocol: str = PROTOCOL
    session: str
    notice: str = AI_NOTICE
    persona: dict[str, Any]
    audio: dict[str, Any] = field(default_factory=AUDIO.to_dict)
    limits: dict[str, Any]
    resume_token: str = ""
    """Kept by the client to continue this session on a new connection (`resume`)."""
    resume_grace_s: float = 0.0
    """How long the server keeps the session after its connection drops (0: it does not)."""


@dataclass(frozen=True, kw_only=True)
class Resumed(Message):
    """A `resume` worked: the session goes on. `resume_token` replaces the old one; `transcript`
    is what was said so far (replies made while the client was away included); `state` is the
    conversation's state now."""

    TYPE: ClassVar[str] = "resumed"
    protocol: str = PROTOCOL
    session: str
    notice: str = AI_NOTICE
    persona: dict[str, Any]
    audio: dict[str, Any] = field(default_factory=AUDIO.to_dict)
    limits: dict[str, Any]
    resume_token: str
    resume_grace_s: float
    transcript: list[dict[str, Any]] = field(default_factory=list)
    state: str = "listening"


@dataclass(frozen=True)
class State(ev.StateChanged, Message):
    TYPE: ClassVar[str] = "state"


@dataclass(frozen=True)
class SpeechStarted(Message):
    TYPE: ClassVar[str] = "speech_started"
    turn: int


@dataclass(frozen=True)
class Partial(ev.PartialTranscript, Message):
    """The words heard so far in the user's turn in progress: a caption the `transcript` of
    the same turn replaces."""

    TYPE: ClassVar[str] = "partial"


@dataclass(frozen=True)
class Transcript(Message):
    TYPE: ClassVar[str] = "transcript"
    turn: int
    text: str
    kind: str = ""  # what kind of turn it was: "answer", "question", "clarify", ... (protocol.md)


@dataclass(frozen=True)
class Safety(ev.SafetyNotice, Message):
    """The user said they are in distress: show these crisis resources; the practice is paused
    until the user says to continue or stop."""

    TYPE: ClassVar[str] = "safety"


@dataclass(frozen=True)
class Holding(ev.Holding, Message):
    """The user asked for time: nothing is said for `seconds` (0: the hold is over)."""

    TYPE: ClassVar[str] = "holding"


@dataclass(frozen=True)
class AudioStart(ev.AudioStart, Message):
    """A piece of a reply begins; binary audio at `sample_rate` follows (none if 0)."""

    TYPE: ClassVar[str] = "audio_start"


@dataclass(frozen=True)
class AudioEnd(ev.AudioEnd, Message):
    TYPE: ClassVar[str] = "audio_end"


@dataclass(frozen=True)
class Clear(ev.Clear, Message):
    TYPE: ClassVar[str] = "clear"


@dataclass(frozen=True)
class ReplyDone(ev.ReplyHeard, Message):
    TYPE: ClassVar[str] = "reply_done"


@dataclass(frozen=True)
class Metrics(Message):
    TYPE: ClassVar[str] = "metrics"
    turn: int
    stages: dict[str, float | None]


@dataclass(frozen=True)
class ErrorMessage(ev.ErrorEvent, Message):
    TYPE: ClassVar[str] = "error"
    retry_after_s: float | None = field(default=None, metadata=_OMIT_NONE)


@dataclass(frozen=True)
class SessionEnd(ev.SessionEnded, Message):
    TYPE: ClassVar[str] = "session_end"


@dataclass(frozen=True)
class UnknownMessage(Message):
    """A server message of a type this client does not know (a newer server): ignore it."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


ServerMessage = (Ready | Resumed | State | SpeechStarted | Partial | Transcript | Safety
                 | Holding | AudioStart | AudioEnd | Clear | ReplyDone | Metrics | ErrorMessage
                 | SessionEnd | UnknownMessage)

SERVER_TYPES: tuple[type[Message], ...] = (
    Ready, Resumed, State, SpeechStarted, Partial, Transcript, Safety, Holding, AudioStart,
    AudioEnd, Clear, ReplyDone, Metrics, ErrorMessage, SessionEnd)
CLIENT_TYPES: tuple[type[Message], ...] = (Start, Played, End, Resume)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def encode(message: Message) -> str:
    """The text of one message (compact JSON, UTF-8 kept as is)."""
    return json.dumps(message.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str)


# -- the clients read server messages ------------------------------------------------------------


def decode_server(text: str | bytes | dict[str, Any]) -> ServerMessage:
    """Decode one server text message (or its parsed JSON). Unknown fields are ignored and an
    unknown type is an UnknownMessage, so a newer server does not break a client; a known
    message with a missing or mistyped field raises ProtocolError(bad_message)."""
    try:
        data = text if isinstance(text, dict) else json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(BAD_JSON, f"the server sent a text message that is not JSON: {exc}"
                            ) from exc
    if not isinstance(data, dict):
        raise ProtocolError(BAD_JSON, "the server sent a text message that is not a JSON object")
    kind = data.get("type")
    cls = _SERVER_BY_TYPE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return UnknownMessage(type=str(kind), data=data)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ProtocolError(BAD_MESSAGE, f"{kind} message without {f.name!r}")
            continue
        value = data[f.name]
        if not _fits(value, _HINTS[cls][f.name]):
            raise ProtocolError(BAD_MESSAGE, f"{kind} message with a bad {f.name!r}: "
                                f"{repr(value)[:40]}")
        values[f.name] = value
    return typing.cast(ServerMessage, cls(**values))


_SERVER_BY_TYPE: dict[str, type[Message]] = {cls.TYPE: cls for cls in SERVER_TYPES}
_HINTS = {cls: typing.get_type_hints(cls) for cls in SERVER_TYPES}


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value can stand for a field of this type (ints pass as floats)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is Any:
        return True
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return _is_int(value)
    return isinstance(value, origin or hint)


# -- conversation events on the wire ------------------------------------------------------------


def from_event(event: ev.Event) -> ServerMessage | bytes:
    """The wire form of a conversation event: a message, or bytes for reply audio."""
    match event:
        case ev.AudioChunk(pcm=pcm):
            return pcm
        case ev.StateChanged(state=state):
            return State(state)
        case ev.SpeechStarted(turn=turn):
            return SpeechStarted(turn)
        case ev.PartialTranscript(turn=turn, text=text):
            return Partial(turn, text)
        case ev.UserTranscript(turn=turn, text=text, kind=kind):
            return Transcript(turn, text, kind)
        case ev.SafetyNotice(turn=turn, resources=resources):
            return Safety(turn, resources)
        case ev.Holding(turn=turn, seconds=seconds):
            return Holding(turn, seconds)
        case ev.AudioStart():
            return AudioStart(event.turn, event.piece, event.text, event.speaker,
                              event.sample_rate, round(event.offset_ms, 1))
        case ev.AudioEnd():
            return AudioEnd(event.turn, event.piece, round(event.duration_ms, 1))
        case ev.Clear(turn=turn):
            return Clear(turn)
        case ev.ReplyDone():
            return ReplyDone(event.turn, event.text, event.interrupted, event.speaker)
        case ev.TurnMetrics(turn=turn, stages=stages):
            return Metrics(turn, {k: None if v is None else round(v, 1)
                                  for k, v in stages.items()})
        case ev.ErrorEvent(code=code, message=message, fatal=fatal):
            return ErrorMessage(code, message, fatal)
        case ev.SessionEnded(reason=reason, summary=summary):
            return SessionEnd(reason, summary)
    raise TypeError(f"not a conversation event: {event!r}")


# -- the browser client's copy ------------------------------------------------------------------


def browser_constants() -> dict[str, Any]:
    """What client/web/ needs to speak the protocol (served as /protocol.js: a browser cannot
    import Python): the version, the audio format, message types, codes and states."""
    return {
        "protocol": PROTOCOL,
        "audio": {**AUDIO.to_dict(), "frame_samples": FRAME_SAMPLES, "frame_bytes": FRAME_BYTES},
        "client": {cls.TYPE: cls.TYPE for cls in CLIENT_TYPES},
        "server": {cls.TYPE: cls.TYPE for cls in SERVER_TYPES},
        "errors": {code: code for code in sorted(ERROR_CODES)},
        "close": dict(CLOSE_CODES),
        "states": {state: state for state in STATES},
    }

