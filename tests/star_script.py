"""A scripted STAR reading for tests of the report's page: which sentences of each answer are
which part, so a page test checks the page, not the sentence classifier (tests/test_star.py
checks that)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

PARTS = ("situation", "task", "action", "result")


class ScriptedStar:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


def scripted_star_answer(answers: Sequence[str], script: dict[int, dict[str, Any]], *,
                         i_count: int) -> Callable[..., ScriptedStar]:
    """A stand-in for content.star_answer: answer k (its index in `answers`) gets the
    sentences `script[k]` names for each part ({"situation": [0], "measurable": [...]})."""
    def star_answer(turn: int, question: str, text: str, *_: Any) -> ScriptedStar:
        said = re.split(r"(?<=[.!?])\s+", text)
        parts = script.get(list(answers).index(text), {})
        out: dict[str, Any] = {k: [said[i] for i in parts.get(k, [])]
                               for k in (*PARTS, "vague_result")}
        out.update(measurable=parts.get("measurable", []), i_count=i_count, we_count=3,
                   suggestion="", judged=True, turn=turn, question=question)
        out["parts"] = {k: bool(out[k]) for k in PARTS}
        return ScriptedStar(out)
    return star_answer
