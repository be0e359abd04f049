"""A spoken turn replayed through the server's turn-taking, and where its turn ends fell.

The endpointer decides in audio time; its transcript hints come from speech recognition that
takes wall-clock time. So each clip is pushed frame by frame (20 ms of audio at a time, no
waiting), and at each `SpeculativeEnd` its audio is really transcribed the way a conversation
does it, timed, and the hint handed over (`TurnTaking.hint`, as the turn controller does: the
persona's language with it) only once that much more audio has been pushed: a hint arrives as
late as it would live. Decodes run one at a time, as on the server
(a decode asked for while one runs starts when it is done). A `SpeechResumed` drops the hints
still on their way, as the turn controller drops the attempt they belong to.

Not modelled: the speculative reply the server starts on the same CPU (decodes here run
alone, so live ones are slower under load), and the decode of a turn end's audio when no
speculative decode covered it (it informs no endpointing decision).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from voice_rp import endpointer as ep
from voice_rp.audio import FRAME_MS, SAMPLE_RATE, float_to_pcm16, frames, pcm16_to_float
from voice_rp.clock import FakeClock

try:
    from voice_rp.completeness import read_ending
except ImportError:  # the code before ee41893 (a before/after run): two kinds of ending only
    read_ending = None  # type: ignore[assignment]
from voice_rp.conversation_options import ConversationOptions
from voice_rp.models import Models
from voice_rp.personas import Persona
from voice_rp.stt import Transcript, recognition_prompt
from voice_rp.stt_incremental import IncrementalTranscriber
from voice_rp.turn_taking import TurnTaking

from .stats import summarize as stat_summary
from .turn_clips import TurnClip

CUT_TOLERANCE_S = 0.05
"""A turn end this little before the true end of speech is the VAD trimming a soft ending, not
a cut-off."""
_FRAME_S = FRAME_MS / 1000
_HINTED_SAMPLES = 2.5 * SAMPLE_RATE
"""voice_rp.conversation's `_HINTED_S`: shorter decodes get no practice words in their prompt."""


class Recognition(Protocol):
    def transcribe(self, audio: bytes) -> str:
        """The transcript of `audio` (PCM16) as the conversation would hint it. Blocking."""
        ...


class ServerRecognition:
    """One conversation's decodes, as voice_rp.conversation makes them: through an
    IncrementalTranscriber when the persona gets one, else one decode of the audio; each by
    `Models.transcribe` in the persona's language, prompted with the practice's words except
    on short audio (Conversation._decode). Close it when the conversation is over."""

    def __init__(self, models: Models, persona: Persona,
                 options: ConversationOptions | None = None) -> None:
        options = options or ConversationOptions()
        self._models, self._language = models, persona.language
        self._hints = recognition_prompt(persona.recognition_hints, None,
                                         language=persona.language)
        self._prompt = recognition_prompt(persona.recognition_hints, options.stt_prompt,
                                          language=persona.language)
        self._incremental = options.transcribes_incrementally(persona.turn_taking)
        self._stt = IncrementalTranscriber(self._decode, prompt=self._prompt)
        self._loop = asyncio.new_event_loop()

    def transcribe(self, audio: bytes) -> str:
        if self._incremental:
            return self._loop.run_until_complete(self._stt.transcribe(audio)).text.strip()
        return self._decode(pcm16_to_float(audio), self._prompt).text.strip()

    def _decode(self, samples: np.ndarray, prompt: str | None) -> Transcript:
        if self._hints and prompt and prompt.startswith(self._hints) \
                and len(samples) < _HINTED_SAMPLES:
            prompt = prompt[len(self._hints):].strip() or None
        return self._models.transcribe(samples, language=self._language, prompt=prompt)

    def close(self) -> None:
        self._loop.run_until_complete(self._loop.shutdown_default_executor())
        self._loop.close()


@dataclass(frozen=True)
class HeardEnd:
    """A TurnEnd, in the clip's audio time."""

    audio_t: float
    speech_end_audio_t: float
    reason: str
    hinted: bool


@dataclass(frozen=True)
class Hint:
    """One speculative decode: asked at `asked_t`, its text ready at `ready_t` (clip time)."""

    asked_t: float
    ready_t: float
    decode_ms: float
    text: str
    ending: str
    """How voice_rp.completeness reads the words' ending ("complete", "open", "hold", ...)."""
    delivered: bool = False
    """False: the user went on, or the turn ended, before it was ready."""


@dataclass(frozen=True)
class Replay:
    ends: tuple[HeardEnd, ...]
    hints: tuple[Hint, ...]


@dataclass
class _OnItsWay:
    hint: Hint
    speech_end_audio_t: float  # in the endpointer's own audio time, as hint() wants it


def clip_frames(samples: np.ndarray) -> list[bytes]:
    """The clip as the microphone sends it: 20 ms PCM16 frames."""
    return frames(float_to_pcm16(samples))


def replay(pcm_frames: Sequence[bytes], persona: Persona, recognition: Recognition, *,
           policy: ep.TurnPolicy | None = None, timer: Callable[[], float],
           is_speech: Callable[[bytes], bool] | None = None,
           talk_tail_s: float = ConversationOptions().talk_tail_s) -> Replay:
    """Push the frames through the persona's TurnTaking (`policy` overrides its own), hinting
    each pause with `recognition`'s transcript once `timer` says it would be ready."""
    clock = FakeClock()  # the endpointer's clock stamps events only: audio time will do
    turn_taking = TurnTaking(persona, clock=clock, policy=policy, is_speech=is_speech)
    origin = 0.0  # clip time at which the current endpointer started counting
    ends: list[HeardEnd] = []
    hints: list[Hint] = []
    on_way: list[_OnItsWay] = []
    busy_until = 0.0

    def drop() -> None:
        hints.extend(w.hint for w in on_way)
        on_way.clear()

    for i, frame in enumerate(pcm_frames):
        now = i * _FRAME_S
        for w in [w for w in on_way if w.hint.ready_t <= now + 1e-9]:
            if hasattr(turn_taking, "hint"):
                turn_taking.hint(w.hint.text, w.speech_end_audio_t, turn=len(ends))
            else:  # the code before ee41893, for a before/after comparison in one session
                turn_taking.endpointer.hint(w.hint.text, speech_end_audio_t=w.speech_end_audio_t)
            hints.append(_delivered(w.hint))
            on_way.remove(w)
        clock.advance(_FRAME_S)
        for event in turn_taking.push(frame, bot_speaking=False):
            if isinstance(event, ep.SpeculativeEnd):
                if hasattr(turn_taking.endpointer, "expect_hint"):  # (absent before 11bcc5d)
                    turn_taking.endpointer.expect_hint()  # as the controller does
                audio = event.audio
                if turn_taking.in_talk:  # a talk's look at a pause covers its last seconds
                    audio = audio[-int(talk_tail_s * SAMPLE_RATE) * 2:]
                started = timer()
                text = recognition.transcribe(audio)
                took = timer() - started
                asked = origin + event.audio_t
                busy_until = max(asked, busy_until) + took
                ending = (read_ending(text, language=persona.language).value
                          if read_ending is not None
                          else _old_ending(text))
                on_way.append(_OnItsWay(Hint(asked, busy_until, round(took * 1000, 1), text,
                                             ending), event.speech_end_audio_t))
            elif isinstance(event, ep.SpeechResumed):
                drop()
            elif isinstance(event, ep.TurnEnd):
                drop()
                ends.append(HeardEnd(round(origin + event.audio_t, 3),
                                     round(origin + event.speech_end_audio_t, 3),
                                     event.reason, event.hinted))
                if turn_taking.in_talk:
                    turn_taking.end_talk()
                    origin = (i + 1) * _FRAME_S
            # Any other event (SpeechStart, BargeIn, kinds added later) decides nothing here.
    drop()
    return Replay(tuple(ends), tuple(sorted(hints, key=lambda h: h.asked_t)))


def _delivered(hint: Hint) -> Hint:
    return dataclasses.replace(hint, delivered=True)


# --- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    cut_offs: int
    """Turn ends before the true end of speech: the user was cut off (mid-pause, mid-answer)."""
    latency_s: float | None
    """The first turn end at or after the end of speech, less that end; None: never ended."""
    first_cut_s: float | None = None


def score(end_s: float, ends: Iterable[float], *, tolerance_s: float = CUT_TOLERANCE_S
          ) -> Score:
    """Judge a clip's turn-end times (clip seconds) against its true end of speech."""
    times = sorted(ends)
    early = [t for t in times if t < end_s - tolerance_s]
    late = [t for t in times if t >= end_s - tolerance_s]
    return Score(len(early), round(late[0] - end_s, 3) if late else None,
                 early[0] if early else None)


@dataclass(frozen=True)
class Outcome:
    """A clip's replay and its score, with what the report groups it by."""

    name: str
    language: str
    source: str
    kind: str
    split: str
    text: str
    end_s: float
    pause_at_s: float | None
    pause_s: float | None
    filler: str
    boundary: str
    score: Score
    replay: Replay = field(repr=False)

    @classmethod
    def of(cls, clip: TurnClip, result: Replay) -> Outcome:
        return cls(clip.name, clip.language, clip.source, clip.kind, clip.split, clip.text,
                   round(clip.end_s, 3), clip.pause_at_s, clip.pause_s, clip.filler,
                   clip.boundary, score(clip.end_s, (e.audio_t for e in result.ends)), result)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _group_stats(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    latencies = [o.score.latency_s * 1000 for o in outcomes if o.score.latency_s is not None]
    cut = sum(o.score.cut_offs > 0 for o in outcomes)
    return {
        "n": len(outcomes),
        "cut": cut,
        "cut_rate": round(cut / len(outcomes), 3) if outcomes else None,
        "early_ends": sum(o.score.cut_offs for o in outcomes),
        "latency_ms": stat_summary(latencies),
        "never_ended": sum(o.score.latency_s is None for o in outcomes),
        "decode_ms": stat_summary(h.decode_ms for o in outcomes for h in o.replay.hints),
        "reasons": dict(Counter(e.reason for o in outcomes for e in o.replay.ends)),
    }


def _hold_bucket(pause_s: float | None) -> str:
    if pause_s is None:
        return "?"
    return "2-3 s" if pause_s <= 3 else "4-6 s" if pause_s <= 6 else "8-10 s"


GROUPINGS: tuple[tuple[str, Callable[[Outcome], str | None]], ...] = (
    ("kind", lambda o: o.kind),
    ("kind/language", lambda o: f"{o.kind}/{o.language}"),
    ("kind/split", lambda o: f"{o.kind}/{o.split}"),
    ("kind/language/split", lambda o: f"{o.kind}/{o.language}/{o.split}"),
    ("kind/source", lambda o: f"{o.kind}/{o.source}"),
    ("paused/pause", lambda o: f"paused/{o.pause_s:g} s" if o.kind == "paused" else None),
    ("paused/filler", lambda o: (f"paused/{'filler' if o.filler else 'no filler'}"
                                 if o.kind == "paused" else None)),
    ("paused/boundary", lambda o: f"paused/{o.boundary}" if o.kind == "paused" else None),
    ("hold/pause", lambda o: f"hold/{_hold_bucket(o.pause_s)}" if o.kind == "hold" else None),
)
"""How the report slices the clips: name -> the group a clip falls in (None: not in it)."""


def summarize(outcomes: Sequence[Outcome]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per grouping, per group: n, cut-offs, latency and decode percentiles (ms)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, key in GROUPINGS:
        groups: dict[str, list[Outcome]] = {}
        for o in outcomes:
            k = key(o)
            if k is not None:
                groups.setdefault(k, []).append(o)
        out[name] = {k: _group_stats(v) for k, v in sorted(groups.items())}
    return out


def _old_ending(text: str) -> str:
    from voice_rp.completeness import looks_complete
    return "complete" if looks_complete(text) else "open"
