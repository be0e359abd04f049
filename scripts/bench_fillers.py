#!/usr/bin/env python3
"""How many of the fillers a user says voice-rp hears, and what keeping them would cost the reply.

    scripts/bench_fillers.py [--runs 3]

Speaks sentences with known fillers ("um", "uh", "erm", "you know") and without, in the bundled
Piper voice and in espeak-ng, and decodes each three ways with the bundled tiny.en:
  plain      the live decode as sessions run it by default (Whisper drops most fillers);
  live+kept  the live decode with the filler prompt ("keep um and uh"), which is on the reply's
             critical path;
  timing     the word-timing decode with the filler prompt, made after the reply (what the
             report counts fillers from by default).
Prints per way: fillers said, found, missed, and fillers "found" in sentences that had none;
and the decode's median / p90 time in ms. Run it alone: decode times are CPU-bound.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from speech import say, with_silence  # noqa: E402

from voice_rp.backends.factory import load_models  # noqa: E402
from voice_rp.config import Settings  # noqa: E402
from voice_rp.feedback.stats import count_fillers  # noqa: E402
from voice_rp.stt import FILLER_PROMPT, timed_words  # noqa: E402

SENTENCES = (
    "Um, in my last job I ran the support desk for a small software company.",
    "Uh, we had a backlog of three weeks and, um, I cut it to two days.",
    "I set up a rota and, uh, I wrote templates for the common questions.",
    "So, um, the main thing I learned was to ask for help earlier.",
    "Erm, I think the hardest part was, uh, getting everyone to agree.",
    "You know, the client was not happy at first, but we talked it through.",
    "I, um, I called the supplier and, uh, asked for a new date.",
    "The launch went out on time and the client signed a second contract.",
    "My manager asked me to lead the project while she was away.",
    "We moved the team to a new system in about six weeks.",
    "Um, yes, I enjoy working with people who see things differently.",
    "Honestly, uh, it was a stressful month, but we got through it.",
)
ENGINES = ("espeak", "piper")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="decodes of each clip per way")
    args = ap.parse_args()
    transcriber = load_models(Settings.from_env({})).transcriber_for("en")
    ways = {
        "plain": lambda a: transcriber.transcribe(a).text,
        "live+kept": lambda a: transcriber.transcribe(a, prompt=FILLER_PROMPT).text,
        "timing": lambda a: " ".join(w for w, _, _ in timed_words(
            transcriber, a, prompt=FILLER_PROMPT) or []),
    }
    clips = [(text, with_silence(say(text, engine=engine), 0.3, 0.3))
             for engine in ENGINES for text in SENTENCES]
    for audio in (clips[0][1], clips[1][1]):  # warm up
        for way in ways.values():
            way(audio)
    said_total = sum(sum(count_fillers(t).values()) for t, _ in clips)
    print(f"{len(clips)} clips ({', '.join(ENGINES)}), {said_total} fillers said, "
          f"{args.runs} decode(s) each")
    for name, way in ways.items():
        found = missed = extra = 0
        times: list[float] = []
        for text, audio in clips:
            said = count_fillers(text)
            for _ in range(args.runs):
                t0 = time.perf_counter()
                heard = count_fillers(way(audio))
                times.append(1000 * (time.perf_counter() - t0))
            for filler in set(said) | set(heard):
                hit = min(said.get(filler, 0), heard.get(filler, 0))
                found += hit
                missed += said.get(filler, 0) - hit
                extra += heard.get(filler, 0) - hit
        print(f"  {name:<10} found {found}/{said_total} ({found / said_total:.0%}), missed "
              f"{missed}, not said but counted {extra}; decode median "
              f"{statistics.median(times):.0f} ms, p90 {pct(times, 0.9):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
