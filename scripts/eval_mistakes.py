#!/usr/bin/env python3
"""How well the report's list of a learner's mistakes matches a teacher's, on labelled turns.

    .venv/bin/python scripts/eval_mistakes.py [--data tests/data/learner_mistakes.tsv] [--show]

Each row of the data is one learner turn: language, recognised text, the mistakes a teacher
marks in it ("said" and "better", several separated by " | ", alternatives of one better form
by "/"), empty for a correct turn. A listed mistake is right when it corrects the turn into the
same sentence as the teacher's, whatever span it quotes. Prints per language: mistakes marked,
listed, right, precision, recall, false mistakes on correct turns, and made-up mistakes (listed
words that are not in the text), first from the recaster alone, then with a simulated capable
model that returns the teacher's corrections plus one invented quote per turn (which tests the
merge and the "never said" filter, not any real model). Exits 1 if anything was made up.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_rp.feedback.mistakes import learner_mistakes  # noqa: E402

_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*'?")


@dataclass(frozen=True)
class Row:
    language: str
    text: str
    expected: tuple[tuple[str, tuple[str, ...]], ...]  # (said, alternatives of better)


@dataclass(frozen=True)
class Outcome:
    row: Row
    listed: int
    right: int
    made_up: list[str]
    wrong: list[tuple[str, str]]


def load(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            said = [s.strip() for s in (rec["expected_said"] or "").split("|") if s.strip()]
            better = [b.strip() for b in (rec["expected_better"] or "").split("|") if b.strip()]
            if len(said) != len(better):
                raise ValueError(f"said and better do not pair up in {rec['text']!r}")
            rows.append(Row(rec["language"], rec["text"], tuple(
                (s, tuple(a.strip() for a in b.split("/"))) for s, b in zip(
                    said, better, strict=True))))
    return rows


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.replace("’", "'").lower()))


def _corrected(text: str, said: str, better: str) -> str | None:
    whole, part = f" {_norm(text)} ", f" {_norm(said)} "
    return whole.replace(part, f" {_norm(better)} ", 1) if part in whole else None


def judge(row: Row, listed: Sequence[dict[str, object]]) -> Outcome:
    """Match each listed mistake with one of the teacher's that corrects the turn the same way."""
    open_ = list(row.expected)
    right, wrong, made_up = 0, [], []
    for item in listed:
        said, better = str(item["said"]), str(item["better"])
        if said.lower() not in row.text.lower():
            made_up.append(said)
        got = _corrected(row.text, said, better)
        hit = next((e for e in open_ if got is not None and any(
            _corrected(row.text, e[0], b) == got for b in e[1])), None)
        if hit is None:
            wrong.append((said, better))
        else:
            open_.remove(hit)
            right += 1
    return Outcome(row, len(listed), right, made_up, wrong)


def _model_items(row: Row) -> list[dict[str, object]]:
    """A capable model that finds every marked mistake and also invents one."""
    items: list[dict[str, object]] = [{"turn": 1, "said": s, "better": b[0], "why": "teacher"}
                                      for s, b in row.expected]
    items.append({"turn": 1, "said": "I goed to there", "better": "I went there", "why": "made"})
    return items


def table(title: str, outcomes: Sequence[Outcome]) -> list[str]:
    lines = [title, f"{'lang':<5}{'turns':>6}{'marked':>7}{'listed':>7}{'right':>6}"
                    f"{'precision':>10}{'recall':>7}{'false':>6}{'made-up':>8}"]
    for language in sorted({o.row.language for o in outcomes}):
        mine = [o for o in outcomes if o.row.language == language]
        marked = sum(len(o.row.expected) for o in mine)
        listed, right = sum(o.listed for o in mine), sum(o.right for o in mine)
        false = sum(o.listed for o in mine if not o.row.expected)
        correct_turns = sum(not o.row.expected for o in mine)
        made_up = sum(len(o.made_up) for o in mine)
        precision = f"{right / listed:.2f}" if listed else "-"
        recall = f"{right / marked:.2f}" if marked else "-"
        lines.append(f"{language:<5}{len(mine):>6}{marked:>7}{listed:>7}{right:>6}"
                     f"{precision:>10}{recall:>7}{false:>3}/{correct_turns:<2}{made_up:>8}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" /
                        "learner_mistakes.tsv")
    parser.add_argument("--show", action="store_true", help="list misses and wrong mistakes")
    args = parser.parse_args()
    rows = load(args.data)
    alone = [judge(r, learner_mistakes([(1, r.text)], r.language)) for r in rows]
    helped = [judge(r, learner_mistakes([(1, r.text)], r.language, _model_items(r)))
              for r in rows]
    print(f"{len(rows)} turns from {args.data}")
    print("\n".join(table("recaster alone (false: mistakes listed / correct turns)", alone)))
    print()
    print("\n".join(table("with a simulated model (teacher's corrections + 1 invented quote)",
                          helped)))
    if args.show:
        for o in alone:
            missed = len(o.row.expected) - o.right
            if o.wrong or missed:
                print(f"- [{o.row.language}] {o.row.text}\n    wrong: {o.wrong}  missed: {missed}"
                      f" of {[e[0] for e in o.row.expected]}")
    made_up = sum(len(o.made_up) for o in [*alone, *helped])
    print(f"\nmade-up mistakes (listed words not in the text): {made_up}")
    return 1 if made_up else 0


if __name__ == "__main__":
    sys.exit(main())
