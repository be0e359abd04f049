"""Delivery of one answer: pace, fillers, pauses, hedges, repetition, pitch; and across a session.

Anchors (common coaching advice; Microsoft Speaker Coach uses 100-165): 130-160 words a minute is
easy to follow, under 110 drags and over 190 rushes; up to ~5 fillers a minute pass unnoticed,
~12 a minute hurt. Pace is words over the time spent speaking: the answer's span less its pauses
over a second, which are reported on their own, so one thoughtful pause does not read as a slow
pace.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from voice_rp.feedback.stats import LONG_PAUSE_S, count_fillers, filler_of, speaking_seconds
from voice_rp.feedback.words import (
    filler_marks,
    follow_transcript,
    pace_over_time,
    snap_to_speech,
    timed_words_of,
    word_gaps,
    words_before,
)

PACE_BAND = (130.0, 160.0)
PACE_SLOW, PACE_FAST = 110.0, 190.0
FILLERS_OK_PER_MIN = 5.0
HEDGES = ("i think", "maybe", "sort of", "kind of", "i guess", "probably", "i suppose",
          "perhaps", "i feel like", "i believe")
_WORD = re.compile(r"[\w']+", re.UNICODE)
_STOP = frozenset((
    "a", "an", "the", "and", "or", "but", "so", "to", "of", "in", "on", "at", "for", "with", "by",
    "from", "is", "are", "was", "were", "be", "been", "it", "its", "i", "you", "we", "they", "he",
    "she", "that", "this", "there", "as", "if", "then", "than", "my", "our", "your", "me", "us",
    "them", "do", "did", "does", "not", "have", "has", "had", "will", "would", "can", "could",
    "just", "very", "really"))


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Pause:
    at_s: float  # from the start of the answer's speech
    length_s: float
    after: str  # the words before the pause
    placed_by: str = "estimate"  # "words": Whisper's word timings; "estimate": share of speech


@dataclass(frozen=True)
class AnswerDelivery:
    turn: int
    words: int
    length_s: float | None  # first to last word; None without audio analysis
    speaking_s: float | None
    wpm: float | None
    pace: str | None  # "slow" | "in band" | "a little slow" | "a little fast" | "fast"
    fillers: dict[str, int]
    fillers_per_min: float | None
    fillers_per_100_words: float | None
    pauses: list[Pause]
    hedges: dict[str, int]
    repeated_phrases: list[str]
    stutters: list[str]
    onset_s: float | None  # from the end of the persona's reply to the first sound
    pitch_median_hz: float | None = None
    pitch_range_st: float | None = None
    timeline: list[dict[str, Any]] = field(default_factory=list)
    """Speech runs and fillers placed in time (s from the answer's start), for the charts."""
    pace_over_time: list[dict[str, Any]] = field(default_factory=list)
    """Words a minute per stretch of speech ({"start", "end", "words", "wpm"}); needs word
    timings."""
    word_timings: bool = False
    """True if Whisper's word timings placed the pauses and fillers."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def phrase_counts(text: str, phrases: Sequence[str]) -> dict[str, int]:
    """Whole-word occurrences of each phrase, case-insensitive."""
    said = " ".join(words_of(text))
    out = {}
    for phrase in phrases:
        n = len(re.findall(rf"(?<!\S){re.escape(phrase)}(?!\S)", said))
        if n:
            out[phrase] = n
    return out


def pace_label(wpm: float | None) -> str | None:
    if wpm is None:
        return None
    if wpm < PACE_SLOW:
        return "slow"
    if wpm > PACE_FAST:
        return "fast"
    if wpm < PACE_BAND[0]:
        return "a little slow"
    if wpm > PACE_BAND[1]:
        return "a little fast"
    return "in band"


def repetition(said: list[str]) -> tuple[list[str], list[str]]:
    """Phrases of 3+ words said more than once, and words said twice in a row ("I I")."""
    spoken = [w for w in said if not filler_of(w)]  # "we, uh, we" is a restart too
    stutters = sorted({a for a, b in pairwise(spoken) if a == b})
    grams = Counter(tuple(said[i:i + 3]) for i in range(len(said) - 2))
    repeated = [" ".join(g) for g, n in grams.most_common() if n > 1
                and not set(g) <= _STOP and not any(filler_of(w) for w in g)]
    return repeated[:5], stutters


def answer_delivery(turn: int, text: str, audio: dict[str, Any] | None,
                    onset_s: float | None = None) -> AnswerDelivery:
    """Delivery of one answer from its transcript and its audio analysis (see feedback.audio)."""
    said = words_of(text)
    fillers = count_fillers(text)
    speech = [tuple(s) for s in (audio or {}).get("speech") or []]
    timed = timed_words_of(audio)
    if not speech and timed:  # the audio analysis failed but the words were timed
        speech = [(timed[0][1], timed[-1][2])]
        gaps = word_gaps(timed)
        if gaps:
            edges = [timed[0][1], *(t for g in gaps for t in g), timed[-1][2]]
            speech = list(zip(edges[::2], edges[1::2], strict=True))
    length = speaking = wpm = per_min = None
    pauses: list[Pause] = []
    timeline: list[dict[str, Any]] = []
    pace: list[dict[str, Any]] = []
    if speech:
        t0 = speech[0][0]
        length = speech[-1][1] - t0
        gaps = [(a[1], b[0]) for a, b in pairwise(speech)]
        long = [(s, e) for s, e in gaps if e - s >= LONG_PAUSE_S]
        speaking = speaking_seconds(speech) or 0.0
        talk = sum(b - a for a, b in speech)
        timed = follow_transcript(snap_to_speech(timed, speech), said, speech)
        # A filler only the word-timing decode heard counts too (see follow_transcript).
        heard = Counter(f for f in (filler_of(w) for w, _, _ in timed) if f)
        fillers.update({f: n for f, n in heard.items() if n > fillers.get(f, 0)})
        for s, e in long:
            if timed:
                after, how = words_before(timed, s), "words"
            else:
                # Without word timings (a remote speech service, or the timing pass has not
                # run) the place is estimated from the share of speech before the pause.
                before = sum(min(b, s) - a for a, b in speech if a < s)
                k = round(len(said) * before / talk) if talk > 0 else 0
                after, how = " ".join(said[max(0, k - 4):k]), "estimate"
            pauses.append(Pause(round(s - t0, 2), round(e - s, 2), after, how))
        timeline = [{"kind": "speech", "start": round(a - t0, 2), "end": round(b - t0, 2)}
                    for a, b in speech]
        timeline += filler_marks(timed, t0)
        pace = pace_over_time(speech, timed, t0)
        if speaking > 0 and said:
            wpm = 60.0 * len(said) / speaking
            per_min = 60.0 * sum(fillers.values()) / speaking
    repeated, stutters = repetition(said)
    return AnswerDelivery(
        turn=turn, words=len(said),
        length_s=None if length is None else round(length, 2),
        speaking_s=None if speaking is None else round(speaking, 2),
        wpm=None if wpm is None else round(wpm, 1), pace=pace_label(wpm),
        fillers=fillers,
        fillers_per_min=None if per_min is None else round(per_min, 1),
        fillers_per_100_words=round(100.0 * sum(fillers.values()) / len(said), 1) if said else None,
        pauses=pauses, hedges=phrase_counts(text, HEDGES),
        repeated_phrases=repeated, stutters=stutters,
        onset_s=None if onset_s is None else round(onset_s, 2),
        pitch_median_hz=(audio or {}).get("pitch_median_hz"),
        pitch_range_st=(audio or {}).get("pitch_range_st"),
        timeline=timeline, pace_over_time=pace, word_timings=bool(timed),
    )


def session_delivery(answers: Sequence[AnswerDelivery], *, assistant_s: float,
                     fillers_heard: Sequence[bool] | None = None) -> dict[str, Any]:
    """Totals over a session's answers: pace and how it varies, fillers, pauses, talk share.

    `fillers_heard[i]`: answer i was decoded with a prompt that keeps "um" and "uh". Fillers are
    counted over those answers only: the plain decode drops them, and a zero from it would be
    a false "no fillers" (None: every answer counts, as before this was known)."""
    timed = [a for a in answers if a.wpm is not None and a.speaking_s]
    speaking = sum(a.speaking_s or 0.0 for a in timed)
    words = sum(a.words for a in timed)
    heard = list(answers) if fillers_heard is None else [
        a for a, h in zip(answers, fillers_heard, strict=True) if h]
    heard_s = sum(a.speaking_s or 0.0 for a in heard if a.wpm is not None and a.speaking_s)
    fillers: Counter[str] = Counter()
    for a in heard:
        fillers.update(a.fillers)
    hedges: Counter[str] = Counter()
    for a in answers:
        hedges.update(a.hedges)
    n_fill = sum(fillers.values())
    all_words = sum(a.words for a in answers)
    heard_words = sum(a.words for a in heard)
    wpm = 60.0 * words / speaking if speaking > 0 else None
    rates = [a.wpm for a in timed if a.wpm is not None and a.words >= 8]
    spread = (max(rates) - min(rates)) if len(rates) >= 2 else None
    onsets = [a.onset_s for a in answers if a.onset_s is not None]
    pauses = [p for a in answers for p in a.pauses]
    user_s = sum(a.length_s or 0.0 for a in answers)
    ranges = [a.pitch_range_st for a in answers if a.pitch_range_st is not None]
    return {
        "answers": len(answers),
        "words": all_words,
        "speaking_s": round(speaking, 1),
        "wpm": None if wpm is None else round(wpm, 1),
        "pace": pace_label(wpm),
        "wpm_min": min(rates) if rates else None,
        "wpm_max": max(rates) if rates else None,
        "wpm_spread": None if spread is None else round(spread, 1),
        "fillers": dict(fillers.most_common()),
        "fillers_per_min": round(60.0 * n_fill / heard_s, 1) if heard_s > 0 else None,
        "fillers_per_100_words": (round(100.0 * n_fill / heard_words, 1) if heard_words
                                  else None),
        "fillers_heard_in": len(heard),
        "hedges": dict(hedges.most_common()),
        "long_pauses": len(pauses),
        "longest_pause_s": max((p.length_s for p in pauses), default=None),
        "onset_median_s": round(sorted(onsets)[len(onsets) // 2], 2) if onsets else None,
        "talk_share": round(user_s / (user_s + assistant_s), 2) if user_s + assistant_s > 0
        else None,
        "pitch_range_st": round(sorted(ranges)[len(ranges) // 2], 1) if ranges else None,
    }


def delivery_notes(session: dict[str, Any], *, talk: bool) -> list[str]:
    """Plain remarks on what the figures show; nothing is said about what was not measured."""
    notes = []
    wpm, pace = session.get("wpm"), session.get("pace")
    if wpm is not None and session.get("words", 0) >= 20:
        if pace == "in band":
            notes.append(f"Your pace, {wpm:.0f} words a minute, is in the easy-to-follow "
                         "130-160 band.")
        elif pace in ("slow", "a little slow"):
            notes.append(f"Your pace, {wpm:.0f} words a minute, is slower than 130-160: "
                         "shorten pauses between phrases.")
        else:
            notes.append(f"Your pace, {wpm:.0f} words a minute, is faster than 130-160: "
                         "pause at the end of each point.")
    spread = session.get("wpm_spread")
    if spread is not None and spread >= 40:
        notes.append(f"Your pace went from {session['wpm_min']:.0f} to {session['wpm_max']:.0f} "
                     "words a minute between answers: steady it so no answer feels rushed.")
    per_min = session.get("fillers_per_min")
    if per_min is not None and session.get("words", 0) >= 20 and per_min > FILLERS_OK_PER_MIN:
        top = ", ".join(f'"{k}" ×{v}' for k, v in list(session["fillers"].items())[:3])
        notes.append(f"{per_min:.1f} fillers a minute ({top}): above ~5 listeners notice; "
                     "try a short silent pause instead.")
    if session.get("long_pauses"):
        notes.append(f"{session['long_pauses']} pause(s) over a second inside answers, the "
                     f"longest {session['longest_pause_s']:.1f} s.")
    hedges = session.get("hedges") or {}
    if sum(hedges.values()) >= 3:
        top = ", ".join(f'"{k}" ×{v}' for k, v in list(hedges.items())[:3])
        notes.append(f"Hedges ({top}) soften your points; state them plainly.")
    rng = session.get("pitch_range_st")
    if talk and rng is not None and rng < 3.0:
        notes.append(f"Your pitch moved within {rng:.1f} semitones: vary it to stress key "
                     "words.")
    return notes
