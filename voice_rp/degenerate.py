"""Telling a degenerate Whisper decode from speech: loops, stutters, hyphen chains, wrong lengths.

Whisper sometimes falls into a loop instead of reading the audio: the same words over and over
("I was, I was, I was"), a syllable repeated ("old-s-y-y-y-y-", "old-est-est?"), or a transcript
far longer or shorter than the speech in the clip allows. Every feedback figure is computed from
the words, so such a decode must be caught and redone, never shown. The checks are plain
functions of the text and the audio, so they are tested without a model.
"""

from __future__ import annotations

import itertools
import re
import zlib
from dataclasses import dataclass

import numpy as np

from .wer import words

COMPRESSION_RATIO_MAX = 2.4
"""faster-whisper's own threshold: repetitive hallucinations compress far better than speech."""
MAX_WORDS_PER_S = 6.5
"""Fast speech is 3-4 words a second of voiced time; past this the decode is inventing words."""
MIN_WORDS_PER_S = 0.6
"""Slow, drawn-out speech still gives a word every 1.5 s of voiced time; fewer means words lost."""
MIN_SPEECH_FOR_RATE_S = 1.5
"""Below this much voiced audio a word count says little (one long "Hmmm" is one word)."""

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_WORD = re.compile(r"[\w']+")
_HYPHEN_CHAIN = re.compile(r"\w+(?:-\w*){2,}|\w+-(?=\s|$|[.,?!])")
_REPEATED_CHARS = re.compile(r"(\w)\1{3,}")  # "yyyy": a letter held four times or more


def compression_ratio(text: str) -> float:
    """How well the text compresses; repetitive hallucinations compress far better than speech."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def repeated_ngram(text: str, *, n: int = 4, within: int = 8) -> bool:
    """The same `n` words again within `within` words: a loop or a second reading of the clip
    ("Sorry, can I add something here? Sorry, can I add"). Far-apart repeats are ordinary speech
    ("followed by the pound key" twice in one long prompt)."""
    said = words(text)
    seen: dict[tuple[str, ...], int] = {}
    for i in range(len(said) - n + 1):
        gram = tuple(said[i: i + n])
        if gram in seen and i - seen[gram] <= within:
            return True
        seen[gram] = i
    return False


def cut_restart(text: str, *, n: int = 3) -> str | None:
    """The text before the first sentence that starts over an earlier one, or None if none does.

    Whisper on a short window sometimes reads the clip twice: "Sorry, can I add something here?
    Sorry, can I add". A sentence whose first `n` words repeat an earlier sentence's start is that
    second reading. (Short sentences like "No. No." are left alone: too short to tell.)
    """
    sentences = _SENTENCE_END.split(text.strip())
    starts: set[tuple[str, ...]] = set()
    for i, sentence in enumerate(sentences):
        start = tuple(words(sentence)[:n])
        if len(start) == n and start in starts:
            return " ".join(sentences[:i])
        starts.add(start)
    return None


def cut_second_reading(text: str, *, n: int = 3) -> str | None:
    """The text without a trailing second reading of the clip, or None if there is none.

    A second reading starts the clip over, from its start or from an earlier sentence's, and
    runs until the window ends, so it is a *prefix* of what was read before: "Could you tell me
    more? Could you tell", "To reset the volume to the default level, to reset the". A person
    starting two sentences alike ("I would like to start. I would like a coffee.") says
    something new after the shared words, and is left alone.
    """
    spans = [(m.start(), w) for m in _WORD.finditer(text) for w in words(m.group())[:1]]
    said = [w for _, w in spans]
    anchors = {0} | {i for i, (start, _) in enumerate(spans)
                     if text[:start].rstrip().endswith((".", "?", "!"))}
    for i in range(n, len(said) - n + 1):
        rest = said[i:]
        # The earlier reading may run into the later one: a short clip read three times over
        # ("10 of clubs 10 of clubs 10 of") is, from its second reading on, a prefix of itself.
        for a in sorted(x for x in anchors if x < i):
            earlier = said[a: a + len(rest)]
            # The window may end inside a word: "say yo" for "say your".
            if rest[:-1] == earlier[:-1] and earlier[-1].startswith(rest[-1]):
                return text[: spans[i][0]].rstrip(" ,;:-")
    return None


def stutter(text: str, *, times: int = 3) -> bool:
    """One or two words said `times` times in a row ("the the the", "I was I was I was")."""
    said = words(text)
    for size in (1, 2):
        for i in range(len(said) - size * times + 1):
            unit = said[i: i + size]
            if all(said[i + k * size: i + (k + 1) * size] == unit for k in range(1, times)):
                return True
    return False


def broken_hyphenation(text: str) -> bool:
    """A syllable chain Whisper writes when it loops inside a word: "old-s-y-y-y-y-", "old-est-est".

    Real hyphenated words ("cold-hearted", "mother-in-law", "S-M-I-T-H" spelt out) have no part
    repeated back to back and do not end on a bare hyphen.
    """
    for match in _HYPHEN_CHAIN.finditer(text):
        chain = match.group(0)
        if chain.endswith("-"):
            return True
        parts = [p.lower() for p in chain.split("-")]
        if any(a == b and a for a, b in itertools.pairwise(parts)):
            return True
    return bool(_REPEATED_CHARS.search(text))


def voiced_seconds(samples: np.ndarray, *, sample_rate: int = 16_000, frame_s: float = 0.03,
                   range_db: float = 35.0, floor_dbfs: float = -55.0) -> float:
    """Seconds of the clip loud enough to be speech: frames within `range_db` of its loudest frame
    and above `floor_dbfs`. Pauses and the noise floor do not count."""
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    size = max(1, round(frame_s * sample_rate))
    usable = len(audio) // size * size
    if not usable:
        return 0.0
    blocks = audio[:usable].reshape(-1, size)
    level = 10 * np.log10(np.mean(blocks.astype(np.float64) ** 2, axis=1) + 1e-12)
    threshold = max(floor_dbfs, float(level.max()) - range_db)
    return float(np.count_nonzero(level > threshold)) * frame_s


@dataclass(frozen=True)
class Verdict:
    """Why a transcript looks degenerate, or `ok`."""

    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def check(text: str, *, voiced_s: float | None = None) -> Verdict:
    """Whether `text` reads like speech rather than a decoding loop, given the voiced seconds."""
    said = words(text)
    if broken_hyphenation(text):
        return Verdict("repeated syllables")
    if repeated_ngram(text) or stutter(text):
        return Verdict("repeated words")
    if compression_ratio(text) > COMPRESSION_RATIO_MAX:
        return Verdict("repetitive text")
    if voiced_s is not None and voiced_s >= MIN_SPEECH_FOR_RATE_S:
        rate = len(said) / voiced_s
        if rate > MAX_WORDS_PER_S:
            return Verdict(f"{rate:.1f} words/s: longer than the speech allows")
        if rate < MIN_WORDS_PER_S:
            return Verdict(f"{rate:.1f} words/s: shorter than the speech allows")
    return Verdict()
