"""The benchmark's arithmetic: percentiles, playback gaps, where a reply's latency went, WER,
how varied the replies' openings were.

Pure functions on numbers and strings, so tests check them without a server or a model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from voice_rp.wer import wer, words  # noqa: F401 - part of this module's interface

STAGES = (
    ("wait", "pause before STT"),
    ("stt", "STT"),
    ("llm", "LLM first token"),
    ("piece", "first piece"),
    ("tts", "TTS first audio"),
    ("held", "held for turn end"),
    ("send", "server send"),
    ("transport", "transport"),
)
"""Segments of the critical path from the end of speech to the first reply audio, in order."""


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between ranks; None if no values."""
    xs = sorted(v for v in values if v is not None and math.isfinite(v))
    if not xs:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0-100, got {q}")
    rank = (len(xs) - 1) * q / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (rank - lo)


def summarize(values: Iterable[float | None]) -> dict[str, float | int | None]:
    """p50, p95 and max of the values that exist, and how many there were."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    return {
        "p50": _round(percentile(xs, 50)),
        "p95": _round(percentile(xs, 95)),
        "max": _round(max(xs)) if xs else None,
        "n": len(xs),
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def playback_gaps(chunks: Sequence[tuple[float, float]], *, stop_at: float | None = None
                  ) -> tuple[float, float]:
    """Simulate a real-time player fed `chunks` of (arrival time, duration), both in seconds.

    Playback starts with the first chunk's arrival and never buffers ahead of it. Returns
    (seconds the player ran dry between the first sample and the reply's end, time playback
    ends). `stop_at`: the reply was cleared (barge-in) then; nothing after it counts.
    """
    if not chunks:
        return 0.0, stop_at or 0.0
    ordered = sorted(chunks)
    play_end = ordered[0][0]
    dry = 0.0
    for arrival, duration in ordered:
        if stop_at is not None and arrival >= stop_at:
            dry += max(0.0, stop_at - play_end)
            return dry, stop_at
        if arrival > play_end:
            dry += arrival - play_end
            play_end = arrival
        play_end += duration
    if stop_at is not None and stop_at < play_end:
        play_end = stop_at
    return dry, play_end


def stage_segments(stages: Mapping[str, float | None], client_ms: float | None
                   ) -> dict[str, float]:
    """Split a turn's response latency into consecutive segments of its critical path (ms).

    `stages` is the server's metrics event (every milestone in ms after the true end of speech);
    `client_ms` the latency the client measured. A milestone that came before the previous one
    (e.g. STT finished before the turn end was confirmed, thanks to speculation) adds nothing;
    missing milestones add nothing. The segments add up to `client_ms` (or the last milestone).
    """

    def get(key: str) -> float | None:
        v = stages.get(key)
        return None if v is None else float(v)

    endpoint, lead = get("endpoint_ms"), get("speculative_lead_ms")
    start = endpoint - lead if endpoint is not None and lead is not None else endpoint
    stt_done = get("stt_done_ms")
    tts_audio = get("tts_first_audio_ms")
    released = None if tts_audio is None and endpoint is None else max(
        x for x in (tts_audio, endpoint) if x is not None)
    milestones = (
        ("wait", start),
        ("stt", stt_done),
        ("llm", get("llm_first_token_ms")),
        ("piece", get("first_piece_ms")),
        ("tts", tts_audio),
        ("held", released),
        ("send", get("response_ms")),
        ("transport", client_ms),
    )
    out: dict[str, float] = {}
    reached = 0.0
    for name, at in milestones:
        step = 0.0 if at is None else max(0.0, at - reached)
        out[name] = round(step, 1)
        reached += step
    return out


def openings(first_pieces: Iterable[str]) -> dict[str, Any]:
    """How varied the replies' first words were: `first_pieces` are the texts of each answered
    turn's first audio piece. A persona that opens most replies with the same cached phrase
    ("That's a great way to start.") sounds canned however fast it is.

    Texts count as one opening when their words match (case and punctuation aside). Returns the
    number of replies, of distinct openings, and the most repeated one (as first heard; the
    earliest among equals) with its count.
    """
    keyed = [(" ".join(words(text)), text) for text in first_pieces]
    counts = Counter(key for key, _ in keyed)
    first_seen: dict[str, str] = {}
    for key, text in keyed:
        first_seen.setdefault(key, text)
    top = max(first_seen, key=lambda k: counts[k], default=None)  # first key wins a tie
    return {
        "replies": len(keyed),
        "distinct": len(counts),
        "most_repeated": None if top is None else first_seen[top],
        "most_repeated_count": 0 if top is None else counts[top],
    }
