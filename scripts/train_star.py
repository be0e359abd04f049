#!/usr/bin/env python3
"""Train the STAR sentence classifier (voice_rp/feedback/star_model.json) on the labelled
answers in tests/data/star_answers*.jsonl (scripts/eval_star.py TRAIN). Deterministic: the
same data gives the same weights.

    scripts/train_star.py            # writes voice_rp/feedback/star_model.json
    scripts/eval_star.py             # then measure it (cross-validated and held out)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.eval_star import TRAIN, load, train_rows  # noqa: E402
from voice_rp.feedback.encoder import shared_encoder  # noqa: E402

OUT = ROOT / "voice_rp" / "feedback" / "star_model.json"


def main() -> int:
    rows = [r for f in TRAIN for r in load(f)]
    model = train_rows(rows, shared_encoder())
    OUT.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n")
    print(f"trained on {model.trained_on} sentences from {len(rows)} answers: {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
