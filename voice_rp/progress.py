"""Progress across sessions: how a user's pace and fillers change from one practice to the next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voice_rp.storage import SessionSummary


@dataclass(frozen=True)
class ProgressPoint:
    session: str
    started: float
    persona: str
    words_per_minute: float | None
    fillers_per_100_words: float | None
    user_words: int


def progress_points(sessions: Sequence[SessionSummary], persona: str | None = None
                    ) -> list[ProgressPoint]:
    """Sessions with feedback (the user said something), oldest first."""
    points = []
    for s in sorted(sessions, key=lambda s: s.started):
        fb = s.feedback or {}
        if persona is not None and s.persona != persona:
            continue
        if not fb.get("user_words"):
            continue
        points.append(ProgressPoint(s.id, s.started, s.persona, fb.get("words_per_minute"),
                                    fb.get("fillers_per_100_words"), int(fb["user_words"])))
    return points


def trend(points: Sequence[ProgressPoint]) -> list[str]:
    """Plain-language change from the first to the latest session."""
    if len(points) < 2:
        return ["Practise at least twice to see your progress."]
    first, last = points[0], points[-1]
    lines = []
    if first.words_per_minute and last.words_per_minute:
        lines.append(f"Pace: {first.words_per_minute:.0f} → {last.words_per_minute:.0f} words "
                     f"a minute (130-160 is easy to follow).")
    if first.fillers_per_100_words is not None and last.fillers_per_100_words is not None:
        change = last.fillers_per_100_words - first.fillers_per_100_words
        verdict = "fewer" if change < 0 else "more" if change > 0 else "the same number of"
        lines.append(f"Fillers: {first.fillers_per_100_words:.1f} → "
                     f"{last.fillers_per_100_words:.1f} per 100 words ({verdict} than at first).")
    return lines
