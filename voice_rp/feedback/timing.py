"""When to time an answer's words: after its reply is made, in pieces, yielding to live turns.

The word-timing decode (stt.timed_words) takes about a second per 15 s of speech on tiny.en, and
the Whisper model is shared with the live transcription, whose calls queue behind it. So an
answer is timed only once the reply to it has been fully synthesised (it is then still playing,
which leaves the decode that time), in pieces of at most `PIECE_S` cut at pauses, and no new piece
starts while the user is speaking or waiting for a reply: a live decode waits at most for one
piece. Until its timings arrive, or if they never do (a remote speech service, a session that
ended first), an answer keeps its estimated placements; nothing else waits for them.

`AnswerTimer` only decides; the conversation runs the decodes and emits `AnswerWords`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from voice_rp import events as ev
from voice_rp.audio import SAMPLE_RATE

PIECE_S = 8.0
"""Longest piece decoded at once (~0.5 s of tiny.en on a 2-core laptop): the longest a live
decode of the user's next turn can wait behind one."""
_KEPT = 8
"""Answers waiting for their reply at most (speculative attempts that were dropped age out)."""


@dataclass
class _Answer:
    pcm: bytes
    analysis: dict[str, Any]
    turn: int | None = None


@dataclass(frozen=True)
class TimingJob:
    """One answer to time: its turn, PCM16 audio and where to cut it (s from its start)."""

    turn: int
    pcm: bytes
    pieces: tuple[tuple[float, float], ...]


@dataclass
class AnswerTimer:
    """Decides which answer to time when (see the module's docstring). Not thread-safe: call it
    from the conversation's event loop."""

    _answers: OrderedDict[int, _Answer] = field(default_factory=OrderedDict)
    user_turn_live: bool = False
    """The user is speaking or waiting for the reply to what they said: timing waits."""

    def analysed(self, attempt: int, pcm: bytes, analysis: dict[str, Any] | None) -> None:
        """An attempt's audio was analysed (the analysis then goes out in its UserTranscript)."""
        if analysis is None or not analysis.get("speech"):
            return  # nothing to place words against
        self._answers[attempt] = _Answer(pcm, analysis)
        while len(self._answers) > _KEPT:
            self._answers.popitem(last=False)

    def seen(self, event: ev.Event) -> None:
        """Every event the conversation emits, in order."""
        if isinstance(event, ev.SpeechStarted):
            self.user_turn_live = True
        elif isinstance(event, ev.UserTranscript) and event.audio is not None:
            for answer in self._answers.values():
                # The analysis object itself travels in the event: it names the attempt.
                if answer.analysis is event.audio:
                    answer.turn = event.turn

    def reply_made(self, attempt: int) -> TimingJob | None:
        """The reply of `attempt` has been fully synthesised: time its answer now, if known."""
        self.user_turn_live = False
        answer = self._answers.pop(attempt, None)
        if answer is None or answer.turn is None:
            return None
        seconds = len(answer.pcm) / 2 / SAMPLE_RATE
        return TimingJob(answer.turn, answer.pcm,
                         pieces(answer.analysis.get("speech") or [], seconds))

    def dropped(self, attempt: int) -> None:
        self._answers.pop(attempt, None)


def pieces(speech: Sequence[Sequence[float]], seconds: float, *, longest: float = PIECE_S
           ) -> tuple[tuple[float, float], ...]:
    """Cut [0, seconds] into pieces of at most `longest`, in the middle of a silence between
    speech runs where one is in reach (a word cut in two would be misheard), else hard."""
    out: list[tuple[float, float]] = []
    start = 0.0
    while seconds - start > longest:
        limit = start + longest
        gaps = [(a[1] + b[0]) / 2 for a, b in pairwise(speech)
                if start + 0.25 * longest < (a[1] + b[0]) / 2 <= limit]
        cut = max(gaps) if gaps else limit
        out.append((start, cut))
        start = cut
    out.append((start, seconds))
    return tuple(out)


def shift(words: Sequence[tuple[str, float, float]], offset: float) -> list[list[Any]]:
    """A piece's word timings moved to the answer's clock, as saved ([word, start, end])."""
    return [[w, round(s + offset, 2), round(e + offset, 2)] for w, s, e in words]
