#!/usr/bin/env python3
"""How well the language partner's recasts work, on labelled learner sentences.

    .venv/bin/python scripts/eval_recasts.py [--data tests/data/recasts.tsv] [--show]

Prints, per language and per kind of slip, precision (recasts made that were right), recall
(slips recast correctly) and false corrections (recasts made on sentences with nothing to
correct), then the same per language. --show lists every miss and every wrong recast. It exits
non-zero only if it crashes: the figures are for reading, tests/test_recast.py holds the bar.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_rp.listening.recast_score import Outcome, Score, load_rows, run, scores  # noqa: E402


def _line(language: str, kind: str, errors: int, made: int, correct: int, false: int,
          negatives: str) -> str:
    precision = f"{correct / made:.2f}" if made else "-"
    recall = f"{correct / errors:.2f}" if errors else "-"
    return (f"{language:<4} {kind:<16} {errors:>6} {made:>5} {correct:>7} {precision:>9} "
            f"{recall:>6} {false:>5}{negatives}")


def _table(outcomes: list[Outcome], table: list[Score]) -> list[str]:
    lines = [f"{'lang':<4} {'kind':<16} {'errors':>6} {'made':>5} {'correct':>7} "
             f"{'precision':>9} {'recall':>6} {'false':>5}"]
    lines += [_line(s.language, s.kind, s.errors, s.made, s.correct, s.false_corrections, "")
              for s in table]
    lines.append("")
    for language in sorted({o.row.language for o in outcomes}):
        mine = [o for o in outcomes if o.row.language == language]
        negatives = sum(o.row.kind == "none" for o in mine)
        lines.append(_line(
            language, "(all)", sum(o.row.kind != "none" for o in mine),
            sum(o.made is not None for o in mine), sum(o.correct for o in mine),
            sum(o.false_correction for o in mine), f"  of {negatives} negatives"))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "recasts.tsv")
    parser.add_argument("--show", action="store_true", help="list misses and wrong recasts")
    args = parser.parse_args()
    outcomes = run(load_rows(args.data))
    print(f"{len(outcomes)} rows from {args.data.relative_to(ROOT)}")
    print("\n".join(_table(outcomes, scores(outcomes))))
    if args.show:
        for o in outcomes:
            if o.correct or (o.row.kind == "none" and o.made is None):
                continue
            got = f"{o.made.kind}: {o.made.right!r} | {o.made.line}" if o.made else "nothing"
            print(f"[{o.row.language} {o.row.kind} {o.row.right!r}] {o.row.text!r} -> {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
