#!/usr/bin/env python3
"""How well the session remembers what users say about themselves, on a labelled set.

    .venv/bin/python scripts/eval_user_facts.py [--set tests/data/user_facts.tsv] [--misses]

Reads tests/data/user_facts.tsv (set, language, text, expected) and prints:
- per fact kind, precision and recall of `facts_in` over the "facts" rows (a value counts
  when it matches the label case-insensitively, without a leading article or possessive);
- accuracy of `is_recall_question` over the "recall" rows, and how many recall rows got
  exactly the labelled topics;
- memory: for every labelled name, employer, role, place and origin, whether a SessionMemory
  that heard the row, asked the matching recall question, says the value back.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_rp.listening.fact_words import fold  # noqa: E402
from voice_rp.listening.user_facts import facts_in, recall_topics  # noqa: E402
from voice_rp.memory import SessionMemory  # noqa: E402

DEFAULT_SET = ROOT / "tests" / "data" / "user_facts.tsv"
_LEADING = ("a", "an", "the", "my", "our", "un", "una", "el", "la", "mi", "le", "les", "une",
            "mon", "ma", "notre", "nuestro")
# The question that asks for each kind back, per language.
RECALL_QUESTIONS = {
    "name": {"en": "What was my name again?", "es": "¿Cómo me llamo?",
             "fr": "Comment je m'appelle ?"},
    "employer": {"en": "Where do I work?", "es": "¿Dónde trabajo?",
                 "fr": "Tu te souviens où je travaille ?"},
    "role": {"en": "What do I do for a living?", "es": "¿A qué me dedico?",
             "fr": "Qu'est-ce que je fais dans la vie ?"},
    "place": {"en": "Where do I live?", "es": "¿Dónde vivo?", "fr": "Où j'habite ?"},
    "origin": {"en": "Where am I from?", "es": "¿De dónde soy?", "fr": "D'où je viens ?"},
}


@dataclass(frozen=True)
class Row:
    set: str
    language: str
    text: str
    expected: tuple[tuple[str, str], ...]  # facts: (kind, value); recall: (topic, "")


def norm(value: str) -> str:
    """Case, accents and a leading article or possessive do not count."""
    low = fold(value).strip(" .,")
    for article in _LEADING:
        if low.startswith(article + " "):
            return low[len(article) + 1:]
    return low[2:] if low.startswith(("l'", "d'")) else low


def load(path: Path = DEFAULT_SET) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("set\t"):
            continue
        kind, language, text, expected = line.split("\t")
        pairs: list[tuple[str, str]] = []
        if expected != "none":
            for item in expected.split(";" if kind == "facts" else ","):
                key, _, value = item.partition("=")
                pairs.append((key.strip(), value.strip()))
        rows.append(Row(kind, language, text, tuple(pairs)))
    return rows


def fact_scores(rows: list[Row]) -> tuple[dict[str, tuple[int, int, int]], list[str]]:
    """Per kind: (true positives, false positives, false negatives); and the misses."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses = []
    for row in (r for r in rows if r.set == "facts"):
        got = Counter((f.kind, norm(f.value)) for f in facts_in(row.text, language=row.language))
        want = Counter((k, norm(v)) for k, v in row.expected)
        for key in got | want:
            hit = min(got[key], want[key])
            tp[key[0]] += hit
            fp[key[0]] += got[key] - hit
            fn[key[0]] += want[key] - hit
        if got != want:
            misses.append(f"{row.language}  {row.text!r}\n      got  {sorted(got)}\n"
                          f"      want {sorted(want)}")
    kinds = sorted(set(tp) | set(fp) | set(fn))
    return {k: (tp[k], fp[k], fn[k]) for k in kinds}, misses


def recall_scores(rows: list[Row]) -> tuple[int, int, int, list[str]]:
    """(rows detected right, rows with exactly the labelled topics, rows, misses)."""
    right = exact = total = 0
    misses = []
    for row in (r for r in rows if r.set == "recall"):
        topics = [t.kind for t in recall_topics(row.text, language=row.language)]
        want = [k for k, _ in row.expected]
        total += 1
        right += bool(topics) == bool(want)
        exact += topics == want
        if topics != want:
            misses.append(f"{row.language}  {row.text!r}: got {topics}, want {want}")
    return right, exact, total, misses


def memory_scores(rows: list[Row]) -> tuple[int, int, list[str]]:
    """(facts said back, facts asked for, misses) over the labelled recallable facts."""
    said = asked = 0
    misses = []
    for row in (r for r in rows if r.set == "facts"):
        for kind, value in row.expected:
            if kind not in RECALL_QUESTIONS:
                continue
            memory = SessionMemory(language=row.language)
            memory.note(row.text)
            reply = memory.recall(RECALL_QUESTIONS[kind][row.language]) or ""
            asked += 1
            if norm(value) in fold(reply):
                said += 1
            else:
                misses.append(f"{row.language}  {row.text!r} -> {kind}: {reply!r}")
    return said, asked, misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--misses", action="store_true", help="list every row that differs")
    args = parser.parse_args()
    rows = load(args.set)
    scores, fact_misses = fact_scores(rows)
    facts_rows = [r for r in rows if r.set == "facts"]
    negatives = sum(1 for r in facts_rows if not r.expected)
    print(f"facts: {len(facts_rows)} rows ({negatives} with none)")
    print(f"{'kind':10} {'labelled':>8} {'found':>6} {'precision':>9} {'recall':>7}")
    for kind, (tp, fp, fn) in scores.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{kind:10} {tp + fn:8} {tp + fp:6} {precision:9.2f} {recall:7.2f}")
    right, exact, total, recall_misses = recall_scores(rows)
    print(f"recall questions: {right}/{total} detected right ({right / total:.2f}), "
          f"{exact}/{total} with exactly the labelled topics")
    said, asked, memory_misses = memory_scores(rows)
    print(f"memory: {said}/{asked} told facts said back when asked ({said / asked:.2f})")
    if args.misses:
        for line in fact_misses + recall_misses + memory_misses:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
