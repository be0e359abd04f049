#!/usr/bin/env python3
"""How well `voice_rp.safety.moderation.check_spoken` tells lines that must not be spoken.

    .venv/bin/python scripts/eval_moderation.py [--file F] [--show-errors]

The labelled lines are in `tests/data/moderation.tsv`: tab-separated, a header line, then
`language label allowed text` a line. `label` is `ok` or the category the line must be blocked
for (`slur`, `sexual`, `self_harm_encouragement`, `violence_threat`, `personal_data`);
`allowed` is known-safe text passed along (the persona's lore), usually empty. No quoting: a
field never holds a tab or a line break.

The `ok` rows are the ones that matter most: ordinary interview and language-practice lines,
grammar ("the sex of the noun"), place and people names ("Scunthorpe", "Dick Van Dyke"),
idioms ("cut yourself some slack"), crisis support ("if you are thinking of hurting yourself,
please call 988") and numbers that are nobody's data. A blocked `ok` line silences the
character for nothing.

Printed: per category precision, recall and count; the false-block rate on `ok` rows; with
--show-errors, every row read wrongly.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_rp.safety.moderation import check_spoken  # noqa: E402

DEFAULT_FILE = ROOT / "tests" / "data" / "moderation.tsv"


@dataclass(frozen=True)
class Row:
    language: str
    label: str
    allowed: str
    text: str


def read_rows(path: Path) -> list[Row]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines[0].split("\t") != ["language", "label", "allowed", "text"]:
        raise SystemExit(f"{path}: unexpected header {lines[0]!r}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 4:
            raise SystemExit(f"{path}:{n}: expected 4 tab-separated fields, got {len(fields)}")
        rows.append(Row(*fields))
    return rows


def predict(row: Row) -> str:
    verdict = check_spoken(row.text, language=row.language,
                           allowed=(row.allowed,) if row.allowed else ())
    return "ok" if verdict.ok else verdict.category


def report(rows: list[Row], predicted: list[str]) -> tuple[str, dict[str, tuple[float, float]]]:
    """The table, and per category (precision, recall)."""
    labels = sorted({r.label for r in rows} | set(predicted), key=lambda x: (x == "ok", x))
    out = [f"{'category':<26} {'precision':>9} {'recall':>7} {'rows':>5}"]
    scores = {}
    for label in labels:
        tp = sum(1 for r, p in zip(rows, predicted, strict=True) if r.label == p == label)
        said = sum(1 for p in predicted if p == label)
        gold = sum(1 for r in rows if r.label == label)
        precision = tp / said if said else 1.0
        recall = tp / gold if gold else 1.0
        scores[label] = (precision, recall)
        out.append(f"{label:<26} {precision:>9.2f} {recall:>7.2f} {gold:>5}")
    ok_rows = [p for r, p in zip(rows, predicted, strict=True) if r.label == "ok"]
    false_blocks = sum(1 for p in ok_rows if p != "ok")
    unsafe = [(r, p) for r, p in zip(rows, predicted, strict=True) if r.label != "ok"]
    missed = sum(1 for _, p in unsafe if p == "ok")
    by_language = Counter(r.language for r in rows)
    out.append("")
    out.append(f"{len(rows)} rows ({', '.join(f'{k} {v}' for k, v in sorted(by_language.items()))})"
               f"; ok lines blocked: {false_blocks} of {len(ok_rows)}; unsafe lines spoken: "
               f"{missed} of {len(unsafe)}")
    return "\n".join(out), scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    rows = read_rows(args.file)
    predicted = [predict(r) for r in rows]
    table, _ = report(rows, predicted)
    print(table)
    if args.show_errors:
        for r, p in zip(rows, predicted, strict=True):
            if r.label != p:
                print(f"  [{r.language}] gold {r.label}, read {p}: {r.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
