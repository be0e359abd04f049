#!/usr/bin/env python3
"""How well `voice_rp.listening.turn_kind.read_turn` tells what kind of turn the user took.

    .venv/bin/python scripts/eval_turn_kinds.py [--file F] [--show-errors]

The labelled turns are written by hand, independently of the classifier, in
`tests/data/turn_kinds.tsv` (and a held-out file, `tests/data/turn_kinds_heldout.tsv`, whose rows
its author never sees: only its score, so it measures the rules rather than the rows they were
tuned on; never use `--show-errors` on it). Format: tab-separated, a header line, then one turn
a line: `language persona_kind question text label`. No quoting: a field never holds a tab or a
line break, and quotes inside a text are plain characters.

What the labels mean where it is not obvious (the yardstick's rules, applied to every row):
- `answer` is any ordinary contribution to the practice, however long, whatever words it uses:
  a story that quotes a question ("I asked my manager, what should we do?"), an insult or a cry
  someone else said ("my boss said 'I could kill him'"), "kill", "die", "stop", "quit", "real"
  or "bot" in their ordinary senses, a rhetorical question inside a talk, and every turn of the
  support agent in the caller practice, including the agent's questions to the customer.
- `question` is a question to the character; `clarify` asks about the character's own words
  (repeat, slower, simpler, what a word means, what the question was); `recall` asks the
  character to remember what the *user* said.
- `distress` wins over every other reading of the same turn; `abuse` is aimed at the character
  (a threat to the character is abuse, a wish to die is distress).

Printed: per label (and per language) precision, recall and count; the confusion pairs; the
false-alarm rate (gold `answer` rows read as distress, abuse or off_topic: each one would step
out of the practice for nothing); and a one-line summary.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # voice_rp is used from the checkout, not installed

DATA = ROOT / "tests" / "data"
MAIN_FILE = DATA / "turn_kinds.tsv"
HELDOUT_FILE = DATA / "turn_kinds_heldout.tsv"

COLUMNS = ("language", "persona_kind", "question", "text", "label")
LABELS = ("answer", "question", "clarify", "stall", "off_topic", "ai_check", "distress", "abuse",
          "stop", "recall", "hold")
LANGUAGES = ("en", "es", "fr")
PERSONA_KINDS = ("interviewer", "audience", "language_partner", "caller", "character")
FALSE_ALARM_KINDS = frozenset({"distress", "abuse", "off_topic"})
"""What an ordinary answer must never be taken for: each steps out of the practice."""

MODULE = "voice_rp.listening.turn_kind"


@dataclass(frozen=True)
class Row:
    """One labelled user turn, with the context the classifier is given."""

    line: int
    language: str
    persona_kind: str
    question: str
    text: str
    label: str


@dataclass(frozen=True)
class Scored:
    """A row and what the classifier read it as (`<error: ...>` when it raised, and why)."""

    row: Row
    predicted: str
    error: str = ""

    @property
    def correct(self) -> bool:
        return self.predicted == self.row.label


@dataclass(frozen=True)
class LabelScore:
    """Precision and recall of one label over a set of scored rows."""

    label: str
    count: int
    predicted: int
    hits: int

    @property
    def recall(self) -> float | None:
        return self.hits / self.count if self.count else None

    @property
    def precision(self) -> float | None:
        return self.hits / self.predicted if self.predicted else None


class ClassifierMissing(RuntimeError):
    """`read_turn` cannot be imported yet."""


def load_rows(path: Path) -> list[Row]:
    """Every row of a labelled file; a line with the wrong number of fields raises ValueError."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or tuple(header) != COLUMNS:
            raise ValueError(f"{path.name}: header must be {' '.join(COLUMNS)}, got {header}")
        for fields in reader:
            if len(fields) != len(COLUMNS):
                raise ValueError(f"{path.name}:{reader.line_num}: {len(fields)} fields, "
                                 f"expected {len(COLUMNS)}")
            language, persona_kind, question, text, label = fields
            rows.append(Row(reader.line_num, language, persona_kind, question, text, label))
    return rows


def normalized(text: str) -> str:
    """A text as a duplicate check compares it: case and spacing do not make a new row."""
    return " ".join(text.lower().split())


def problems(rows: Sequence[Row]) -> list[str]:
    """What is wrong with a file's rows: unknown values, empty or padded texts, duplicates."""
    found = []
    seen: dict[str, int] = {}
    for row in rows:
        where = f"line {row.line}"
        if row.language not in LANGUAGES:
            found.append(f"{where}: unknown language {row.language!r}")
        if row.persona_kind not in PERSONA_KINDS:
            found.append(f"{where}: unknown persona_kind {row.persona_kind!r}")
        if row.label not in LABELS:
            found.append(f"{where}: unknown label {row.label!r}")
        if not row.text.strip() or row.text != row.text.strip():
            found.append(f"{where}: empty text or text with surrounding spaces")
        key = normalized(row.text)
        if key in seen:
            found.append(f"{where}: same text as line {seen[key]}")
        seen.setdefault(key, row.line)
    return found


def load_classifier() -> Callable[..., Any]:
    """`read_turn`, or ClassifierMissing saying what is missing."""
    try:
        from voice_rp.listening.turn_kind import read_turn
    except Exception as exc:  # a module half-way through an edit fails in any way
        raise ClassifierMissing(f"{MODULE}.read_turn cannot be imported yet "
                                f"({type(exc).__name__}: {exc}); nothing to evaluate") from exc
    return read_turn


def kind_name(kind: object) -> str:
    """A TurnKind (a StrEnum) or a plain string, as the label it stands for."""
    return str(getattr(kind, "value", kind))


def score(rows: Iterable[Row], read_turn: Callable[..., Any]) -> list[Scored]:
    """The classifier's reading of every row; an exception counts as a wrong reading."""
    scored = []
    for row in rows:
        try:
            reading = read_turn(row.text, language=row.language, persona_kind=row.persona_kind,
                                question=row.question)
        except Exception as exc:
            scored.append(Scored(row, f"<error: {type(exc).__name__}>",
                                 f"{type(exc).__name__}: {exc}"))
        else:
            scored.append(Scored(row, kind_name(reading.kind)))
    return scored


def label_scores(scored: Sequence[Scored]) -> dict[str, LabelScore]:
    """Precision and recall for every known label, in LABELS order."""
    gold = Counter(s.row.label for s in scored)
    predicted = Counter(s.predicted for s in scored)
    hits = Counter(s.row.label for s in scored if s.correct)
    return {label: LabelScore(label, gold[label], predicted[label], hits[label])
            for label in LABELS}


def accuracy(scored: Sequence[Scored]) -> float:
    return sum(s.correct for s in scored) / len(scored) if scored else 0.0


def false_alarms(scored: Sequence[Scored]) -> tuple[int, int]:
    """(gold answers read as distress, abuse or off_topic; gold answers)."""
    answers = [s for s in scored if s.row.label == "answer"]
    return sum(s.predicted in FALSE_ALARM_KINDS for s in answers), len(answers)


def false_alarm_rate(scored: Sequence[Scored]) -> float:
    alarms, answers = false_alarms(scored)
    return alarms / answers if answers else 0.0


def confusions(scored: Sequence[Scored]) -> list[tuple[str, str, int]]:
    """(gold, predicted, count) for every wrong pair, the most frequent first."""
    pairs = Counter((s.row.label, s.predicted) for s in scored if not s.correct)
    return [(gold, pred, n) for (gold, pred), n in sorted(pairs.items(),
                                                          key=lambda item: (-item[1], item[0]))]


def _figure(value: float | None) -> str:
    return "  -  " if value is None else f"{value:5.2f}"


def report(scored: Sequence[Scored], name: str) -> str:
    """The per-label and per-language table, confusions, false alarms and a summary line."""
    languages = [lang for lang in LANGUAGES if any(s.row.language == lang for s in scored)]
    per_language = {lang: label_scores([s for s in scored if s.row.language == lang])
                    for lang in languages}
    overall = label_scores(scored)
    counts = ", ".join(f"{lang} {sum(s.row.language == lang for s in scored)}"
                       for lang in languages)
    lines = [f"{name}: {len(scored)} rows ({counts})", ""]
    head = f"{'label':<10} {'n':>4}  {'prec':>5} {'recall':>6}"
    for lang in languages:
        head += f"   {lang + ' n':>5} {'prec':>5} {'rec':>5}"
    lines.append(head)
    for label in LABELS:
        total = overall[label]
        line = (f"{label:<10} {total.count:>4}  {_figure(total.precision)} "
                f"{_figure(total.recall):>6}")
        for lang in languages:
            part = per_language[lang][label]
            line += f"   {part.count:>5} {_figure(part.precision)} {_figure(part.recall)}"
        lines.append(line)
    lines.append("")
    pairs = confusions(scored)
    lines.append("confusions (gold -> predicted):" + ("" if pairs else " none"))
    lines.extend(f"  {gold:>9} -> {pred:<10} {n:>3}" for gold, pred, n in pairs)
    raised = Counter(s.error for s in scored if s.error)
    for message, n in raised.most_common(3):
        lines.append(f"the classifier raised on {n} rows: {message}")
    alarms, answers = false_alarms(scored)
    lines.append(f"false alarms: {alarms}/{answers} answers read as distress, abuse or off_topic "
                 f"({false_alarm_rate(scored):.1%})")
    lines.append(summary(scored, name))
    return "\n".join(lines)


def summary(scored: Sequence[Scored], name: str) -> str:
    """One line: accuracy, the recalls the product depends on, the false-alarm rate."""
    scores = label_scores(scored)
    right = sum(s.correct for s in scored)
    key = " ".join(f"{label} {_figure(scores[label].recall).strip()}"
                   for label in ("distress", "ai_check", "recall", "clarify", "question"))
    return (f"summary {name}: accuracy {accuracy(scored):.3f} ({right}/{len(scored)}); "
            f"recall {key}; false alarms {false_alarm_rate(scored):.1%}")


def errors(scored: Sequence[Scored]) -> str:
    """Every misread row, grouped by gold label, with its line number and context."""
    out = []
    for s in sorted((s for s in scored if not s.correct),
                    key=lambda s: (LABELS.index(s.row.label), s.row.line)):
        row = s.row
        out.append(f"{row.label:>9} -> {s.predicted:<10} line {row.line:<4} "
                   f"[{row.language} {row.persona_kind}] {row.text}")
        if row.question:
            out.append(f"{'':>33}(after: {row.question})")
    return "\n".join(out) if out else "no errors"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--file", type=Path, default=MAIN_FILE,
                        help="labelled TSV (default: tests/data/turn_kinds.tsv)")
    parser.add_argument("--show-errors", action="store_true",
                        help="list every misread row (never on the held-out file)")
    args = parser.parse_args(argv)
    try:
        rows = load_rows(args.file)
    except (OSError, ValueError) as exc:
        print(f"cannot read the labelled turns: {exc}", file=sys.stderr)
        return 2
    for problem in problems(rows):
        print(f"warning: {args.file.name}: {problem}", file=sys.stderr)
    try:
        read_turn = load_classifier()
    except ClassifierMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    scored = score(rows, read_turn)
    print(report(scored, args.file.name))
    if args.show_errors:
        print()
        print(errors(scored))
    return 0


if __name__ == "__main__":
    sys.exit(main())
