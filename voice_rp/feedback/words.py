"""Whisper's word timings put to use: after which words a pause fell, where each filler was said,
and how the pace moved within an answer.

The timings come from a second, slower decode with `word_timestamps=True` (stt.timed_words), made
after the reply so it never delays one; they are saved with the answer as `words`:
[[word, start, end], ...] in seconds from the start of the turn audio, the same clock as the
speech runs. Whisper's word *ends* run on into a following silence (by up to a second), its word
starts are close: so the pauses' times come from the audio and the words only say where in the
answer they fell. Without timings (remote speech services give none) the caller estimates.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from difflib import SequenceMatcher
from itertools import accumulate, pairwise
from typing import Any

from voice_rp.feedback.stats import LONG_PAUSE_S, filler_of

TimedWord = tuple[str, float, float]
_WORD = re.compile(r"[\w']+", re.UNICODE)  # as delivery.words_of (which imports this module)
PACE_WINDOW_S = 10.0
"""A stretch of speech longer than 1.5x this is split into windows of about this length."""
_MIN_PACE_WORDS = 4
"""Fewer words than this make no pace figure: two words in a second read as 120 wpm."""


def timed_words_of(audio: dict[str, Any] | None) -> list[TimedWord]:
    """The valid word timings saved in an answer's audio analysis (empty if there are none)."""
    out: list[TimedWord] = []
    for item in (audio or {}).get("words") or []:
        if (isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str)
                and all(isinstance(v, (int, float)) for v in item[1:]) and item[2] >= item[1]):
            out.append((item[0], float(item[1]), float(item[2])))
    return out


def snap_to_speech(words: Sequence[TimedWord], speech: Sequence[Sequence[float]]
                   ) -> list[TimedWord]:
    """Word starts moved out of silence. Whisper's timings lag the voice, most around pauses:
    a word the audio shows in a short run of its own ("um" between two breaks) is often timed
    to start in the silence after that run. A word starting in silence moves back to the start
    of the run before, if no other word started in it, else on to the next run if the word
    reaches it. On speech with known filler times this took tiny.en's filler placement from
    0.3-1 s off to within 0.1 s in 9 of 12 cases (tests/test_feedback_words.py)."""
    runs = [(float(a), float(b)) for a, b in speech]
    if not runs:
        return list(words)
    out: list[TimedWord] = []
    for word, start, end in words:
        if not any(a <= start < b for a, b in runs):
            before = [(a, b) for a, b in runs if b <= start]
            taken = before and any(before[-1][0] <= s < before[-1][1] for _, s, _ in out)
            later = [a for a, _ in runs if start < a <= end]
            if before and not taken:
                start = before[-1][0]
            elif later:
                start = later[0]
        out.append((word, start, end))
    return out


_DROPPED_RUN = 3
"""This many words in a row heard only by the word-timing decode, where the transcript has
nothing, were said, not misheard."""


def follow_transcript(words: Sequence[TimedWord], said: Sequence[str],
                      speech: Sequence[Sequence[float]]) -> list[TimedWord]:
    """The transcript's words (`said`, as delivery.words_of writes them), each with a time.

    The timings come from a second decode, and tiny.en's second decode sometimes skips words the
    transcript has: "So I set up a rota and we cleared the backlog in one month." came back as
    "So I set up a month.", its "up" stretched over 2 s, and that stretch's pace read 107 wpm
    for about 250. So the transcript's words are matched to the timed ones (difflib, in order,
    "Umm" matching "Um"); a matched word takes its timing, and the words in between are spread
    over the speech from the end of the timed word before them to the start of the one after
    (by speaking time, so none lands in a pause). Of the words only the second decode heard,
    the fillers stay (Whisper drops fillers more often than it invents them, so one heard by
    either decode was most likely said), and so does a run of _DROPPED_RUN words or more
    where the transcript has nothing (its decode can skip a phrase too); other words go, as
    mishearings of the transcript's words there. Without a transcript the timed words stay as
    they are."""
    tokens: list[TimedWord] = []
    for word, start, end in words:
        parts = _WORD.findall(word.lower())
        step = (end - start) / max(1, len(parts))  # "long-end" was one timed word
        tokens += [(w, start + i * step, start + (i + 1) * step) for i, w in enumerate(parts)]
    if not said:
        return list(words)
    if not tokens:
        return []
    runs = [(float(a), float(b)) for a, b in speech] or [(tokens[0][1], tokens[-1][2])]
    before = [0.0, *accumulate(b - a for a, b in runs)]  # speaking time before each run

    def spoken(t: float) -> float:  # seconds of speech said before time t
        i = bisect_right([a for a, _ in runs], t)
        return before[i - 1] + min(t, runs[i - 1][1]) - runs[i - 1][0] if i else 0.0

    def at(x: float) -> float:  # the time by which x seconds of speech were said
        i = max(0, min(len(runs) - 1, bisect_right(before, x) - 1))
        return runs[i][0] + min(x - before[i], runs[i][1] - runs[i][0])

    def key(w: str) -> str:
        return filler_of(w) or w

    out: list[TimedWord] = []
    blocks = SequenceMatcher(None, [key(w) for w in said], [key(w) for w, _, _ in tokens],
                             autojunk=False)
    for op, i1, i2, j1, j2 in blocks.get_opcodes():
        if op == "equal":
            out += [(said[i1 + k], tokens[j1 + k][1], tokens[j1 + k][2]) for k in range(i2 - i1)]
            continue
        heard = tokens[j1:j2]
        if op == "insert" and len(heard) >= _DROPPED_RUN:
            out += heard  # a phrase the transcript lacks
        else:
            out += [w for w in heard if filler_of(w[0])]
        if i2 > i1:  # the transcript's words here, between the timed words around them
            hi = spoken(tokens[j2][1]) if j2 < len(tokens) else before[-1]
            lo = 0.0  # after the word before them ended, or started if its end runs on past hi
            if j1:
                end, start = spoken(tokens[j1 - 1][2]), spoken(tokens[j1 - 1][1])
                lo = end if end < hi else min(start, hi)
            width = (hi - lo) / (i2 - i1 + 1)
            out += [(said[m], t, t) for m in range(i1, i2)
                    for t in (at(lo + (m - i1 + 1) * width),)]
    return sorted(out, key=lambda w: w[1])


def words_before(words: Sequence[TimedWord], at: float, n: int = 4) -> str:
    """The last `n` words that started before `at` (s), written as the estimate writes them
    (lower case, no punctuation)."""
    before = [w for word, start, _ in words if start < at
              for w in _WORD.findall(word.lower())]
    return " ".join(before[-n:])


def word_gaps(words: Sequence[TimedWord]) -> list[tuple[float, float]]:
    """Silences of LONG_PAUSE_S or more between timed words, for answers without speech runs.
    Word ends run long, so these are shorter than the real pauses, never invented ones."""
    return [(a[2], b[1]) for a, b in pairwise(words) if b[1] - a[2] >= LONG_PAUSE_S]


def filler_marks(words: Sequence[TimedWord], t0: float) -> list[dict[str, Any]]:
    """Each filler said, placed on the answer's timeline (s from `t0`)."""
    marks = []
    for word, start, end in words:
        filler = filler_of(word.strip(".,!?;:…\"'()"))
        if filler:
            marks.append({"kind": "filler", "word": filler, "start": round(start - t0, 2),
                          "end": round(end - t0, 2)})
    return marks


def stretches(speech: Sequence[Sequence[float]], words: Sequence[TimedWord]
              ) -> list[tuple[float, float]]:
    """Spans of continuous speech: speech runs joined across gaps under LONG_PAUSE_S (or the
    words' own span when there are no runs), long ones cut into ~PACE_WINDOW_S windows."""
    spans: list[list[float]] = []
    if speech:
        for a, b in speech:
            if spans and a - spans[-1][1] < LONG_PAUSE_S:
                spans[-1][1] = b
            else:
                spans.append([a, b])
    elif words:
        spans.append([words[0][1], words[-1][2]])
        for gap_start, gap_end in word_gaps(words):
            spans[-1][1] = gap_start
            spans.append([gap_end, words[-1][2]])
    out: list[tuple[float, float]] = []
    for a, b in spans:
        pieces = max(1, round((b - a) / PACE_WINDOW_S)) if b - a > 1.5 * PACE_WINDOW_S else 1
        step = (b - a) / pieces
        out += [(a + i * step, a + (i + 1) * step) for i in range(pieces)]
    return out


def pace_over_time(speech: Sequence[Sequence[float]], words: Sequence[TimedWord], t0: float
                   ) -> list[dict[str, Any]]:
    """Words a minute in each stretch of speech (see `stretches`), by where each word started."""
    spans = stretches(speech, words)
    counts = [0] * len(spans)
    for _, start, _ in words:
        # The stretch the word started in, or the nearest one: Whisper puts a clip's first word
        # at 0.0 s, before the speech run that holds it.
        if spans:
            counts[min(range(len(spans)), key=lambda i: max(spans[i][0] - start,
                                                            start - spans[i][1], 0.0))] += 1
    out = []
    for (a, b), n in zip(spans, counts, strict=True):
        # All words count, fillers too: the answer's overall pace counts them the same way.
        if n >= _MIN_PACE_WORDS and b - a > 0:
            out.append({"start": round(a - t0, 2), "end": round(b - t0, 2), "words": n,
                        "wpm": round(60.0 * n / (b - a), 1)})
    return out
