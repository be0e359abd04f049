"""Progress across sessions: per-session figures, trends in plain sentences, the user's goals.

The figures come from each session's report (voice_rp.feedback.report), so history and report
always agree. A trend compares the first and the latest session that measured a figure, and says
over how many sessions ("fillers 6.1 → 2.3 per minute over 5 sessions").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Skill:
    key: str
    label: str
    unit: str
    lower_is_better: bool | None  # None: a band, judged against 130-160
    digits: int = 1


SKILLS = (
    Skill("wpm", "Pace", "words a minute", None, 0),
    Skill("fillers_per_min", "Fillers", "per minute", True),
    Skill("long_pauses", "Pauses over 1 s", "per session", True, 0),
    Skill("hedges_per_100_words", "Hedges", "per 100 words", True),
    Skill("onset_s", "Time to start answering", "s", True),
    Skill("star_complete", "Answers with all four STAR parts", "%", False, 0),
    Skill("vocabulary", "Vocabulary variety", "", False, 2),
    Skill("pitch_range_st", "Pitch range", "semitones", False),
)


def session_metrics(report: dict[str, Any]) -> dict[str, Any]:
    """The figures of one report that history tracks (None where not measured)."""
    d = report.get("delivery") or {}
    words = d.get("words") or 0
    hedges = sum((d.get("hedges") or {}).values())
    stars = [a["star"] for a in report.get("answers") or [] if a.get("star")]
    return {
        "session": report.get("session"), "started": report.get("started"),
        "persona": (report.get("persona") or {}).get("id"),
        "persona_name": (report.get("persona") or {}).get("name"),
        "practice": report.get("practice"),
        "words": words, "wpm": d.get("wpm"), "fillers_per_min": d.get("fillers_per_min"),
        "fillers_per_100_words": d.get("fillers_per_100_words"),
        "long_pauses": d.get("long_pauses") if words else None,
        "hedges_per_100_words": round(100.0 * hedges / words, 1) if words else None,
        "onset_s": d.get("onset_median_s"),
        "star_complete": round(100.0 * sum(all(s["parts"].values()) for s in stars) / len(stars))
        if stars else None,
        "vocabulary": ((report.get("content") or {}).get("vocabulary") or {}).get("ratio"),
        "pitch_range_st": d.get("pitch_range_st") if report.get("practice") == "talk" else None,
        "talk_s": ((report.get("content") or {}).get("talk") or {}).get("length_s"),
        "corrections": _corrected_forms(report.get("content") or {}),
    }


def _corrected_forms(content: dict[str, Any]) -> list[str]:
    """The better forms of the learner's mistakes in one report: from its list of mistakes
    (recasts and model corrections, each quoting words really said), or for a report made
    before that list existed, from the model's corrections."""
    mistakes = content.get("mistakes")
    if mistakes is None:
        mistakes = (content.get("language") or {}).get("corrections") or []
    return [str(m["better"]) for m in mistakes if isinstance(m, dict) and m.get("better")]


def trends(points: Sequence[dict[str, Any]]) -> list[str]:
    """Plain sentences on how each skill changed from the first to the latest session."""
    points = [p for p in points if p.get("words")]
    if len(points) < 2:
        return ["Practise at least twice to see your progress."]
    out = []
    for skill in SKILLS:
        series = [p[skill.key] for p in points if p.get(skill.key) is not None]
        if len(series) < 2:
            continue
        first, last = series[0], series[-1]
        out.append(f"{skill.label}: {first:.{skill.digits}f} → {last:.{skill.digits}f} "
                   f"{skill.unit} over {len(series)} sessions{_verdict(skill, first, last)}."
                   .replace("  ", " "))
    return out or ["Not enough measured in these sessions to show a trend."]


def _verdict(skill: Skill, first: float, last: float) -> str:
    if abs(last - first) < 1e-9:
        return " (no change)"
    if skill.lower_is_better is None:
        before, after = abs(first - 145.0), abs(last - 145.0)
        return " (closer to 130-160)" if after < before else " (further from 130-160)"
    better = (last < first) == skill.lower_is_better
    return " (better)" if better else " (worse)"


def recurring_corrections(points: Sequence[dict[str, Any]], *, at_least: int = 2
                          ) -> list[tuple[str, int]]:
    """Corrected forms that came back in `at_least` different sessions, most sessions first:
    the mistakes that recur. Each session's "corrections" (see `session_metrics`) counts once."""
    seen: dict[str, int] = {}
    for p in points:
        for better in {_plain(b) for b in p.get("corrections") or []} - {""}:
            seen[better] = seen.get(better, 0) + 1
    return sorted(((k, n) for k, n in seen.items() if n >= at_least),
                  key=lambda kv: (-kv[1], kv[0]))


def _plain(better: Any) -> str:
    """ "I went." and "i  went" are one correction."""
    return " ".join(str(better).lower().replace("’", "'").split()).strip(" .,!?;:¡¿")


# -- goals ----------------------------------------------------------------------------------------

_METRICS = {
    "pace": "wpm", "wpm": "wpm", "words per minute": "wpm",
    "fillers": "fillers_per_min", "filler": "fillers_per_min",
    "pauses": "long_pauses", "long pauses": "long_pauses",
    "hedges": "hedges_per_100_words", "onset": "onset_s", "start": "onset_s",
    "star": "star_complete", "vocabulary": "vocabulary", "pitch range": "pitch_range_st",
    "pitch": "pitch_range_st", "talk": "talk_s", "talk length": "talk_s",
}
_GOAL = re.compile(
    r"^\s*(?P<metric>[a-z ]+?)\s+(?:(?P<lo>\d+(?:\.\d+)?)\s*(?:-|to|–)\s*(?P<hi>\d+(?:\.\d+)?)|"
    r"(?P<op>under|below|less than|at most|<=?|over|above|more than|at least|>=?)\s*"
    r"(?P<value>\d+(?:\.\d+)?))(?P<unit>[\w %/]*)$")


@dataclass(frozen=True)
class GoalRule:
    text: str
    metric: str
    low: float | None
    high: float | None

    def check(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """{"goal", "value", "met"}; met is None when the session did not measure it."""
        value = metrics.get(self.metric)
        met = None if value is None else (
            (self.low is None or value >= self.low) and (self.high is None or value <= self.high))
        return {"goal": self.text, "metric": self.metric, "value": value, "met": met}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_goal(text: str) -> GoalRule:
    """"pace 130-160", "fillers under 3 per minute", "pauses at most 2", "star at least 75"."""
    m = _GOAL.match(text.lower())
    metric = _METRICS.get(m.group("metric").strip()) if m else None
    if m is None or metric is None:
        raise ValueError(
            f"cannot read the goal {text!r}; write e.g. 'pace 130-160', 'fillers under 3', "
            "'pauses at most 2', 'onset under 2', 'star at least 75' (percent of answers "
            f"with all four parts); known measures: {', '.join(sorted(set(_METRICS)))}")
    if m.group("lo"):
        low, high = float(m.group("lo")), float(m.group("hi"))
        if low > high:
            low, high = high, low
        return GoalRule(text.strip(), metric, low, high)
    value, op = float(m.group("value")), m.group("op")
    if op in ("under", "below", "less than", "at most", "<", "<="):
        return GoalRule(text.strip(), metric, None, value)
    return GoalRule(text.strip(), metric, value, None)
