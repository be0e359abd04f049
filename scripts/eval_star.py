#!/usr/bin/env python3
"""How well voice-rp finds STAR parts in interview answers, per part, on labelled answers.

    scripts/eval_star.py                    # the training sets, cross-validated
    scripts/eval_star.py --file tests/data/star_heldout.jsonl   # answers written apart

Per answer and part: the part is present if any labelled sentence has it; found if any sentence
of the answer's text (joined, then split as a transcript would be) is put in it. Prints
agreement, precision and recall per part, "measurable result" the same way, and sentence-level
accuracy per class. On the set the model is trained on, each fold is scored by a model trained on
the other folds, so no answer is judged by weights that saw it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_rp.feedback.encoder import shared_encoder  # noqa: E402
from voice_rp.feedback.star import (  # noqa: E402
    CLASSES,
    PARTS,
    StarModel,
    bundled_model,
    features,
    label_sentences,
    split_sentences,
)

DATA = ROOT / "tests" / "data"
DEV = DATA / "star_answers.jsonl"
TRAIN = (DEV, DATA / "star_answers2.jsonl", DATA / "star_answers3.jsonl",
         DATA / "star_answers4.jsonl")
"""The answers the bundled model is trained on (written by four people, apart)."""


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def gold(row: dict) -> dict[str, bool]:
    parts = {p: any(s["part"] == p for s in row["sentences"]) for p in PARTS}
    parts["measurable"] = any(s["part"] == "result" and s.get("measurable")
                              for s in row["sentences"])
    return parts


def text_of(row: dict) -> str:
    return " ".join(s["text"] for s in row["sentences"])


def train_rows(rows: list[dict], encoder) -> StarModel:
    xs, ys = [], []
    for row in rows:
        sentences = [s["text"] for s in row["sentences"]]
        xs.append(features(encoder, sentences))
        ys += [s["part"] for s in row["sentences"]]
    return StarModel.train(np.concatenate(xs), ys)


def found_by_model(row: dict, encoder, model: StarModel) -> tuple[dict[str, bool], list[str]]:
    labelled = label_sentences(split_sentences(text_of(row)), encoder, model)
    found = {p: any(s.part == p for s in labelled) for p in PARTS}
    found["measurable"] = any(s.part == "result" and s.measurable for s in labelled)
    # Sentence level, on the labelled sentences as given.
    given = label_sentences([s["text"] for s in row["sentences"]], encoder, model)
    return found, [s.part for s in given]


def report(rows: list[dict], found: list[dict[str, bool]], sentence_pred: list[list[str]] | None,
           title: str) -> dict[str, float]:
    print(f"{title}: {len(rows)} answers, {sum(len(r['sentences']) for r in rows)} sentences")
    scores = {}
    for part in (*PARTS, "measurable"):
        g = np.array([gold(r)[part] for r in rows])
        f = np.array([x[part] for x in found])
        tp, fp, fn = int((g & f).sum()), int((~g & f).sum()), int((g & ~f).sum())
        agree = float((g == f).mean())
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / (tp + fn) if tp + fn else float("nan")
        scores[part] = agree
        label = "measurable result" if part == "measurable" else part
        print(f"  {label:<18} agreement {agree:.3f}  precision {prec:.3f}  recall {rec:.3f}"
              f"  (present in {int(g.sum())}, found in {int(f.sum())})")
    if sentence_pred is not None:
        truth = [s["part"] for r in rows for s in r["sentences"]]
        pred = [p for ps in sentence_pred for p in ps]
        right = sum(a == b for a, b in zip(truth, pred, strict=True))
        print(f"  sentences: accuracy {right / len(truth):.3f} ({right}/{len(truth)})")
        for c in CLASSES:
            n = sum(t == c for t in truth)
            tp = sum(t == c and p == c for t, p in zip(truth, pred, strict=True))
            npred = sum(p == c for p in pred)
            print(f"    {c:<10} recall {tp / n if n else float('nan'):.2f} ({tp}/{n})  "
                  f"precision {tp / npred if npred else float('nan'):.2f}")
    return scores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=None,
                    help="a labelled set (default: the training sets, cross-validated)")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    files = [args.file] if args.file else list(TRAIN)
    rows = [r for f in files for r in load(f)]
    name = " + ".join(f.name for f in files)
    encoder = shared_encoder()
    found: list[dict[str, bool]] = [{} for _ in rows]
    sentences: list[list[str]] = [[] for _ in rows]
    if args.file is None or args.file.resolve() in {f.resolve() for f in TRAIN}:
        for k in range(args.folds):
            test = [i for i in range(len(rows)) if i % args.folds == k]
            model = train_rows([r for i, r in enumerate(rows) if i % args.folds != k], encoder)
            for i in test:
                found[i], sentences[i] = found_by_model(rows[i], encoder, model)
        title = f"model, {args.folds}-fold cross-validated on {name}"
    else:
        model = bundled_model()
        for i, r in enumerate(rows):
            found[i], sentences[i] = found_by_model(r, encoder, model)
        title = f"bundled model on {name}"
    report(rows, found, sentences, title)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
