"""Typed events a conversation emits; the server turns them into wire messages (several
messages are these events as they are, with a wire type: voice_rp.protocol)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StateChanged:
    state: str  # "listening" | "thinking" | "speaking" | "ended"


@dataclass(frozen=True)
class SpeechStarted:
    turn: int
    t: float


@dataclass(frozen=True)
class PartialTranscript:
    """The words heard so far in a user's turn still going on (decoded at one of its pauses)."""

    turn: int
    text: str


@dataclass(frozen=True)
class UserTranscript:
    turn: int
    text: str
    audio: dict | None = None
    """What the turn's audio showed for feedback (voice_rp.feedback.audio.AnswerAudio.to_dict)."""
    kind: str = ""
    """What kind of turn it was (voice_rp.listening.turn_kind.TurnKind: "answer", "question"...)."""


@dataclass(frozen=True)
class SafetyNotice:
    """The user said they are in distress: the character stepped out of the role, the practice
    is paused, and these resources are shown (voice_rp.safety.crisis.CrisisResources.to_dict)."""

    turn: int
    resources: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Holding:
    """The user asked for time ("give me a moment"): the floor is theirs for `seconds`, and the
    character says nothing meanwhile. `seconds` 0: the hold is over (the user went on)."""

    turn: int
    seconds: float


@dataclass(frozen=True)
class AnswerWords:
    """Whisper's word timings of an answer, made after its reply for the saved feedback only
    (voice_rp.feedback.timing); never sent to the client."""

    turn: int
    words: list = field(default_factory=list)
    """[[word, start s, end s], ...] from the start of the turn's audio."""
    fillers_kept: bool = False
    """Decoded with a prompt that keeps "um" and "uh": the answer's fillers were listened for."""


@dataclass(frozen=True)
class AudioStart:
    """A piece of the reply begins: its text and where its audio starts in the turn's audio."""

    turn: int
    piece: int
    text: str
    speaker: str
    sample_rate: int
    offset_ms: float


@dataclass(frozen=True)
class AudioChunk:
    turn: int
    piece: int
    pcm: bytes
    sample_rate: int


@dataclass(frozen=True)
class AudioEnd:
    turn: int
    piece: int
    duration_ms: float


@dataclass(frozen=True)
class Clear:
    """Barge-in: the client must drop all buffered reply audio of `turn` now."""

    turn: int


@dataclass(frozen=True)
class ReplyHeard:
    """What the user heard of a reply, as the client is told it."""

    turn: int
    text: str  # what the user heard (truncated on barge-in)
    interrupted: bool
    speaker: str


@dataclass(frozen=True)
class ReplyDone(ReplyHeard):
    """A reply is over; the session also keeps how long it played, for talk-time share."""

    audio_ms: float | None = None


@dataclass(frozen=True)
class TurnMetrics:
    """Stage times of one turn, in ms from the detected end of the user's speech (None = n/a)."""

    turn: int
    speech_end: float  # clock time the VAD saw speech end
    stages: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorEvent:
    code: str
    message: str
    fatal: bool = False


@dataclass(frozen=True)
class SessionEnded:
    reason: str
    summary: dict = field(default_factory=dict)


Event = (
    StateChanged
    | SpeechStarted
    | PartialTranscript
    | UserTranscript
    | SafetyNotice
    | Holding
    | AnswerWords
    | AudioStart
    | AudioChunk
    | AudioEnd
    | Clear
    | ReplyDone
    | TurnMetrics
    | ErrorEvent
    | SessionEnded
)
