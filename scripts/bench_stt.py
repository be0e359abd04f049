#!/usr/bin/env python3
"""Speech-recognition benchmark: what each faster-whisper setting costs in time and in words.

    .venv/bin/python scripts/bench_stt.py [--repeat 3] [--json out.json]
        [--variant NAME:FIELD=VALUE,...]

Transcribes the latency benchmark's lines (and a few more, 1-15 s, Piper and espeak-ng) the way
a conversation hands them over: the speech with 0.2 s before and after it, over a -60 dBFS noise
floor. For each variant of `WhisperOptions` it reports the per-clip time (p50, p95, max over every
clip and repeat) next to the word error rate, so no setting is chosen for speed alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # voice_rp is used from the checkout, not installed

import numpy as np  # noqa: E402
from bench.stats import summarize, wer, words  # noqa: E402
from bench.utterances import INTERRUPTIONS, UTTERANCES, Line, noise_floor, synthesize  # noqa: E402

EXTRA: tuple[Line, ...] = (
    Line("no", ("No.",), "espeak"),
    Line("sure", ("Sure, why not.",), "piper"),
    Line("numbers", ("We cut the costs by twelve percent in 2019 and hired four more engineers.",),
         "piper"),
    Line("career", ("I started my career in a small logistics company where I learned how to plan "
                    "routes, negotiate with carriers and keep customers informed when things went "
                    "wrong. After three years I moved to a larger firm and took over a team of six "
                    "people.",), "piper"),
    Line("phases", ("The project had three phases. First we interviewed the users, then we built "
                    "a prototype and tested it with twenty people, and finally we rolled it out to "
                    "every office in the country over six months.",), "espeak"),
)

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "full-window": {"fit_window": False},
    "full-window-beam5": {"fit_window": False, "beam_size": 5},
    "window-10s": {"min_window_s": 10.0},
}
"""The settings compared unless --variant names others ("default" is voice-rp's own)."""


def parse_variant(spec: str) -> tuple[str, dict[str, Any]]:
    """"name:beam_size=5,fit_window=false" -> ("name", {"beam_size": 5, "fit_window": False})."""
    name, _, fields = spec.partition(":")
    out: dict[str, Any] = {}
    for item in filter(None, fields.split(",")):
        key, _, raw = item.partition("=")
        out[key.strip()] = json.loads(raw.strip())
    return name, out


def clips(cache_dir: Path) -> list[tuple[str, np.ndarray]]:
    out = []
    pad = np.zeros(3200, np.float32)  # the endpointer's 0.2 s pre- and post-roll
    for u in synthesize(UTTERANCES + INTERRUPTIONS + EXTRA, cache_dir):
        speech = u.samples[: round(u.speech_end_s * 16_000)]
        clip = np.concatenate([pad, speech, pad])
        clip = clip + noise_floor(len(clip) / 16_000 + 0.1, dbfs=-60)[: len(clip)]
        out.append((u.line.text, clip.astype(np.float32)))
    return out


def measure(transcriber: Any, corpus: list[tuple[str, np.ndarray]], repeat: int
            ) -> dict[str, Any]:
    transcriber.transcribe(corpus[0][1], language="en")  # warm-up
    times: list[float] = []
    errors = total = 0.0
    worst: tuple[float, str, str] = (0.0, "", "")
    for round_ in range(repeat):
        for text, clip in corpus:
            start = time.perf_counter()
            heard = transcriber.transcribe(clip, language="en").text
            times.append((time.perf_counter() - start) * 1000)
            if round_ == 0:
                n = len(words(text))
                errors += wer(text, heard) * n
                total += n
                worst = max(worst, (wer(text, heard), text, heard))
    return {"ms": summarize(times), "wer": round(errors / total, 4),
            "worst": {"wer": round(worst[0], 3), "said": worst[1], "heard": worst[2]}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="tiny.en", help="tiny.en (default), base or a directory")
    p.add_argument("--repeat", type=int, default=3, help="timed passes over the clips (default 3)")
    p.add_argument("--variant", action="append", default=[], metavar="NAME:FIELD=VALUE,...",
                   help="a WhisperOptions variant to compare (repeatable); default: a built-in set")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from voice_rp.config import Settings
    from voice_rp.stt import WhisperOptions, WhisperTranscriber

    variants = dict(parse_variant(v) for v in args.variant) if args.variant else VARIANTS
    corpus = clips(Path.home() / ".cache" / "voice-rp" / "bench-speech")
    lengths = sorted(len(c) / 16_000 for _, c in corpus)
    print(f"{len(corpus)} clips of {lengths[0]:.1f}-{lengths[-1]:.1f} s, model {args.model}, "
          f"{args.repeat} timed pass(es); load average {os.getloadavg()[0]:.2f}")
    cache_dir = Settings.from_env(os.environ).stt_cache_dir
    base = WhisperTranscriber.load(args.model, cache_dir=cache_dir)
    results = {}
    print(f"{'variant':20} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'WER':>6}  worst clip")
    for name, fields in variants.items():
        options = dataclasses.replace(WhisperOptions(), **fields)
        transcriber = WhisperTranscriber.__new__(WhisperTranscriber)
        transcriber.__dict__.update(base.__dict__)  # the same loaded model, other options
        transcriber.options = options
        r = measure(transcriber, corpus, args.repeat)
        results[name] = {"options": fields, **r}
        ms = r["ms"]
        print(f"{name:20} {ms['p50']:7.0f} {ms['p95']:7.0f} {ms['max']:7.0f} {r['wer']:6.3f}  "
              f"{r['worst']['wer']:.2f} {r['worst']['heard']!r}")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "clips": len(corpus),
                                         "variants": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
