"""Scoring a persona's session for the fidelity benchmark: every reply by plain checks, every
session for progression. Pure functions over text, so they are unit-tested on known replies."""

from __future__ import annotations

import difflib
import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from voice_rp import fidelity as fid

from .fidelity_scripts import Turn

TARGETS = {
    "in_role_pct": (">=", 98.0),
    "question_when_due_pct": (">=", 95.0),
    "near_duplicate_pct": ("<=", 3.0),
    "echoes": ("<=", 0),
    "stage_directions": ("<=", 0),
    "follow_up_after_vague_pct": (">=", 90.0),
}


@dataclass
class ScoredReply:
    turn: int
    user: str  # what the server heard
    reply: str
    expect: str
    checks: dict[str, bool]
    question_due: bool
    follow_up: bool | None  # for a vague answer: did the reply follow up on it


@dataclass
class ScoredSession:
    persona: str
    kind: str
    replies: list[ScoredReply] = field(default_factory=list)
    opening: str = ""
    questions: list[str] = field(default_factory=list)  # distinct questions the persona asked
    closed: bool = False
    end_reason: str = ""
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def question_sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^.!?¿¡]*[?]", text) if fid.words(s)]


def distinct(questions: Sequence[str], *, ratio: float = 0.8) -> list[str]:
    out: list[str] = []
    for q in questions:
        if not any(fid.similarity(q, seen) >= ratio for seen in out):
            out.append(q)
    return out


def contains(reply: str, question: str, *, share: float = 0.8) -> bool:
    """`question` is said in `reply`: most of its words in one run."""
    r, q = fid.words(reply), fid.words(question)
    if not q:
        return False
    match = difflib.SequenceMatcher(None, r, q, autojunk=False).find_longest_match(
        0, len(r), 0, len(q))
    return match.size >= share * len(q)


def is_follow_up(reply: str, bank: Sequence[str]) -> bool:
    """A question that is not the next question of the bank: it digs into the last answer."""
    return bool(question_sentences(reply)) and not any(contains(reply, b) for b in bank)


def score_session(persona: str, kind: str, language: str, opening: str,
                  exchanges: Sequence[tuple[Turn, str, str]], *, bank: Sequence[str],
                  closed: bool, end_reason: str = "") -> ScoredSession:
    """`exchanges`: (scripted turn, what the server heard, the persona's reply) in order."""
    session = ScoredSession(persona, kind, opening=opening, closed=closed, end_reason=end_reason)
    earlier = [opening] if opening else []
    asked = question_sentences(opening)
    for n, (turn, heard, reply) in enumerate(exchanges, 1):
        check = fid.check_reply(reply, user_text=heard or turn.text, earlier=earlier,
                                language=language)
        due = turn.expect in ("question", "follow_up")
        session.replies.append(ScoredReply(
            turn=n, user=heard, reply=reply, expect=turn.expect, checks=asdict(check),
            question_due=due,
            follow_up=is_follow_up(reply, bank) if turn.vague else None))
        earlier.append(reply)
        asked += question_sentences(reply)
    session.questions = distinct(asked)
    return session


def summarize(sessions: Sequence[ScoredSession]) -> dict[str, Any]:
    """Per persona and overall: the figures the issue's targets are about."""
    rows = [_row(s.persona, [s]) for s in sessions]
    overall = _row("all", sessions)
    met = {}
    for key, (op, target) in TARGETS.items():
        value = overall[key]
        met[key] = value is None or (value >= target if op == ">=" else value <= target)
    interviews = [s for s in sessions if s.kind == "interviewer"]
    met["interviews_close"] = all(s.closed for s in interviews)
    return {"personas": rows, "overall": overall, "targets": {k: f"{op} {t}" for k, (op, t) in
                                                              TARGETS.items()},
            "met": met}


def _row(name: str, sessions: Sequence[ScoredSession]) -> dict[str, Any]:
    replies = [r for s in sessions for r in s.replies]
    n = len(replies)

    def pct(count: int, of: int) -> float | None:
        return round(100.0 * count / of, 1) if of else None

    due = [r for r in replies if r.question_due]
    vague = [r for r in replies if r.follow_up is not None]
    words = [len(fid.words(r.reply)) for r in replies if r.reply]
    return {
        "persona": name,
        "replies": n,
        "in_role_pct": pct(sum(r.checks["in_role"] for r in replies), n),
        "question_when_due_pct": pct(sum(r.checks["asks_question"] for r in due), len(due)),
        "near_duplicate_pct": pct(sum(not r.checks["not_near_duplicate"] for r in replies), n),
        "echoes": sum(not r.checks["not_echo"] for r in replies),
        "stage_directions": sum(not r.checks["no_stage_directions"] for r in replies),
        "speakable_pct": pct(sum(r.checks["speakable"] for r in replies), n),
        "in_language_pct": pct(sum(r.checks["in_language"] for r in replies), n),
        "follow_up_after_vague_pct": pct(sum(bool(r.follow_up) for r in vague), len(vague)),
        "distinct_questions": sum(len(s.questions) for s in sessions),
        "closed": f"{sum(s.closed for s in sessions)}/{len(sessions)}",
        "median_words": statistics.median(words) if words else None,
    }


COLUMNS = (("persona", "persona", 24), ("replies", "n", 3), ("in_role_pct", "role%", 6),
           ("question_when_due_pct", "ask%", 6), ("near_duplicate_pct", "dup%", 5),
           ("echoes", "echo", 4), ("stage_directions", "dir", 3), ("speakable_pct", "len%", 5),
           ("in_language_pct", "lang%", 6), ("follow_up_after_vague_pct", "fu%", 5),
           ("distinct_questions", "qs", 3), ("closed", "closed", 6), ("median_words", "words", 5))


def table(summary: dict[str, Any]) -> str:
    def cell(value: Any, width: int) -> str:
        text = "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        return text.rjust(width) if width < 20 else text.ljust(width)

    lines = [" ".join(cell(title, w) for _, title, w in COLUMNS)]
    for row in [*summary["personas"], summary["overall"]]:
        lines.append(" ".join(cell(row[key], w) for key, _, w in COLUMNS))
    met = ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in summary["met"].items())
    lines.append(f"targets: {met}")
    return "\n".join(lines)
