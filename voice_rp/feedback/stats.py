"""Session statistics and the honest feedback a user gets at the end: pace, fillers, pauses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from voice_rp.pause_profile import PauseLearning

# Only sounds and phrases that are fillers whatever the context: "like" or "kind of" are
# often real words ("I would like to"), and counting them would make the feedback dishonest.
FILLERS = ("um", "uh", "erm", "er", "ah", "hmm", "mm", "you know")
# Whisper spells one sound many ways ("Um", "Umm", "Uhm", "Ummm"): each spelling counts as its
# filler, so a user's "um" is counted whichever way the model wrote it down.
_FILLER_SPELLINGS = (
    ("um", re.compile(r"u+h*m+")),
    ("uh", re.compile(r"u+h+")),
    ("erm", re.compile(r"e+r+m+")),
    ("er", re.compile(r"e+r+|e+h+r*")),
    ("ah", re.compile(r"a+h+")),
    ("hmm", re.compile(r"h+m+")),
    ("mm", re.compile(r"m{2,}")),
)
_WORD = re.compile(r"[\w']+", re.UNICODE)
LONG_PAUSE_S = 1.0
"""A silence this long inside an answer is a pause, left out of the time pace is measured over."""


def speaking_seconds(speech: Sequence[Sequence[float]]) -> float | None:
    """From the first word to the last, less the long pauses: the time an answer's pace is
    measured over (`speech`: the voiced (start, end) spans, see feedback.audio)."""
    if not speech:
        return None
    length = speech[-1][1] - speech[0][0]
    return length - sum(b[0] - a[1] for a, b in pairwise(speech) if b[0] - a[1] >= LONG_PAUSE_S)


def filler_of(word: str) -> str | None:
    """The filler a single word is a spelling of ("Umm" -> "um"), or None if it is a word."""
    w = word.lower()
    for filler, spelling in _FILLER_SPELLINGS:
        if spelling.fullmatch(w):
            return filler
    return None


def count_fillers(text: str) -> dict[str, int]:
    """Filler words and phrases in `text`, by filler (case-insensitive, whole words, any
    spelling of the same sound counted as one filler)."""
    said = _WORD.findall(text.lower())
    counts: dict[str, int] = {}
    for word in said:
        filler = filler_of(word)
        if filler:
            counts[filler] = counts.get(filler, 0) + 1
    n = len(re.findall(r"(?<!\S)you know(?!\S)", " ".join(said)))
    if n:
        counts["you know"] = n
    return counts


@dataclass
class SessionStats:
    """Running totals for one session; `summary()` turns them into feedback."""

    started_at: float
    user_turns: int = 0
    user_words: int = 0
    speaking_s: float = 0.0
    fillers: dict[str, int] = field(default_factory=dict)
    assistant_turns: int = 0
    questions_asked: int = 0
    interruptions: int = 0
    longest_turn_s: float = 0.0
    pauses: PauseLearning | None = None
    """The user's thinking pauses and the times the partner cut in (from the turn-taking)."""

    @property
    def cut_offs(self) -> int:
        """Turns the partner took too soon: the user talked on over the start of the reply."""
        return len(self.pauses.cut_pauses_s) if self.pauses is not None else 0

    def user_turn(self, text: str, audio_s: float, *, speaking_s: float | None = None) -> None:
        """`audio_s`: the turn as cut; `speaking_s`: its speech less long pauses, when measured
        (the same time the report's pace uses, so the summary and the report agree)."""
        words = _WORD.findall(text)
        if not words:
            return
        self.user_turns += 1
        self.user_words += len(words)
        self.speaking_s += audio_s if speaking_s is None else speaking_s
        self.longest_turn_s = max(self.longest_turn_s, audio_s)
        for filler, n in count_fillers(text).items():
            self.fillers[filler] = self.fillers.get(filler, 0) + n

    def assistant_turn(self, heard: str, *, interrupted: bool) -> None:
        self.assistant_turns += 1
        if "?" in heard:
            self.questions_asked += 1
        if interrupted:
            self.interruptions += 1

    def summary(self, now: float) -> dict:
        """What the session's end record keeps for the engine (the ending rules, what the
        turn-taking learned). The figures a person sees are not here: they come from the saved
        records, once (voice_rp.feedback.figures), so no two views can disagree."""
        return {
            "duration_s": round(now - self.started_at, 1),
            "user_turns": self.user_turns,
            "questions_asked": self.questions_asked,
            "cut_offs": self.cut_offs,
            **({"turn_taking": self.pauses.summary()} if self.pauses is not None else {}),
        }
