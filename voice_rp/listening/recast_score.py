"""Scoring the recaster against labelled learner sentences (tests and scripts/eval_recasts.py).

A row is a transcript with the slip a teacher would recast (its kind and the corrected words) or
"none". A recast is correct only if its kind and its corrected words match the label; any recast
on a "none" row is a false correction, the error that matters most.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .recast import recast
from .recast_text import Recast


@dataclass(frozen=True)
class Row:
    """One labelled transcript."""

    language: str
    text: str
    kind: str
    """The expected kind of recast, or "none"."""
    right: str
    """The expected corrected words ("" for "none")."""


@dataclass(frozen=True)
class Outcome:
    """What the recaster made of one row."""

    row: Row
    made: Recast | None

    @property
    def correct(self) -> bool:
        return (self.made is not None and self.row.kind == self.made.kind
                and self.row.right == self.made.right)

    @property
    def false_correction(self) -> bool:
        return self.row.kind == "none" and self.made is not None


@dataclass(frozen=True)
class Score:
    """Precision, recall and false corrections for one language and kind."""

    language: str
    kind: str
    errors: int
    """Rows labelled with this kind."""
    made: int
    """Recasts of this kind made, on any row."""
    correct: int
    false_corrections: int
    """Recasts of this kind made on "none" rows."""

    @property
    def precision(self) -> float:
        return self.correct / self.made if self.made else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.errors if self.errors else 1.0


def load_rows(path: Path) -> list[Row]:
    """The rows of a labelled TSV (language, text, expected_kind, expected_right)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Row(r["language"], r["text"], r["expected_kind"], r["expected_right"] or "")
                for r in reader]


def run(rows: Iterable[Row]) -> list[Outcome]:
    return [Outcome(row, recast(row.text, language=row.language)) for row in rows]


def scores(outcomes: list[Outcome]) -> list[Score]:
    """One score per (language, kind) seen in labels or in recasts, sorted."""
    keys = {(o.row.language, o.row.kind) for o in outcomes if o.row.kind != "none"}
    keys |= {(o.row.language, o.made.kind) for o in outcomes if o.made is not None}
    out = []
    for language, kind in sorted(keys):
        mine = [o for o in outcomes if o.row.language == language]
        made = [o for o in mine if o.made is not None and o.made.kind == kind]
        out.append(Score(
            language, kind,
            errors=sum(o.row.kind == kind for o in mine),
            made=len(made),
            correct=sum(o.correct for o in made),
            false_corrections=sum(o.false_correction for o in made),
        ))
    return out
