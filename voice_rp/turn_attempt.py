"""One attempt at a reply, as the turn controller keeps track of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_rp import events as ev
from voice_rp.flow import FlowEngine, Step
from voice_rp.listening.respond import Listening
from voice_rp.listening.turn_kind import TurnKind
from voice_rp.personas import Speaker
from voice_rp.timeline import TurnTimeline


@dataclass
class Attempt:
    """A reply in the making for one user turn (or a scripted line, with no audio)."""

    id: int
    turn: int
    audio: bytes
    timeline: TurnTimeline
    speech_end_audio_t: float = 0.0  # in the audio time of the endpointer that heard it
    committed: bool = False
    working: bool = True  # False: its work ended with nothing to say (a look at a talk's tail)
    held: list[ev.Event] = field(default_factory=list)  # its events, until the turn end
    user_text: str | None = None
    waiting: bool = False  # transcribed; the rest waits for the turn end
    speaker: Speaker | None = None  # set when its reply starts
    closing: bool = False  # the session ends once this reply is heard
    made: bool = False  # the reply is all made (or failed, with `failed`)
    failed: bool = False
    made_ms: float = 0.0  # audio made so far: where the next piece starts
    sent_ms: float = 0.0  # audio sent to the client
    playing_since: float | None = None  # clock time the first audio was sent
    piece_text: str = ""
    flow_after: FlowEngine | None = None  # the scenario's state once this reply is heard
    step: Step | None = None
    kind: TurnKind | None = None  # what kind of turn the user took
    listening_after: Listening | None = None  # what the session keeps once this reply is heard
    end_reason: str = ""  # with `closing`: why the session ends ("" : the scenario is done)

    @property
    def delivered_audio(self) -> bool:
        return self.playing_since is not None

    def since_end_and_heard_s(self, now: float) -> tuple[float, float]:
        """Seconds since the user's speech ended, and of the reply played by our estimate."""
        return now - self.timeline.speech_end, self.played_ms(now) / 1000.0

    def played_ms(self, now: float) -> float:
        """Our estimate of the client's playback position: it plays in real time once sent."""
        if self.playing_since is None:
            return 0.0
        return min(self.sent_ms, (now - self.playing_since) * 1000.0)
