#!/usr/bin/env python3
"""Does Smart Turn v3 tell "the user is done" from "the user is thinking" better than the words?

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/eval_end_of_turn.py [--language en ...]
        [--split dev|heldout|all] [--limit N] [--json out.json] [--cache DIR]

At every decision point of the end-of-turn benchmark's clips (scripts/bench/turn_clips.py), the
audio from the turn's start (the endpointer's 0.2 s pre-roll before the speech) up to the point
plus 0.15 s of its silence (the endpointer's first short look) is judged two ways:
- the words: voice_rp.completeness.read_ending on faster-whisper's transcript of that audio
  (tiny.en for English, base for Spanish and French, decoded as the app decodes; no prompt; the
  last 30 s only, as one Whisper window);
- Smart Turn v3 (scripts/bench/smart_turn.py): the probability that the turn is complete.

Decision points, by class:
  end    the true end of every turn: should be judged done;
  pause  each inserted thinking pause of a "paused" clip: should not be;
  hold   the silence after "give me a moment" in a "hold" clip: should not be (HOLD);
  gap    each 0.2-0.5 s gap between the sentences of a long answer: people often go on after
         these, so judging one done is not plainly wrong; reported apart.

It prints, per split and language, the words' readings and Smart Turn's votes per class, then,
for the words alone, Smart Turn alone and combinations, how often each says "done" per class and
its precision ("done" at end / pause / hold points judged done). The combinations' thresholds
are chosen on dev (the most ends done with at most 5% of thinking pauses done; the fewest pauses
done with at least 90% of ends done) and judged on heldout; a table by voice (recorded people,
Piper, espeak-ng) pools both splits. Also Smart Turn's time per call (features + ONNX, one
thread), alone and between Whisper decodes. Transcripts are cached (--cache), so a second run
only re-runs Smart Turn. No model is ever downloaded: Smart Turn is not part of voice-rp (it did
not beat the words and the voice's pitch on these clips: docs/turn_taking.md); to run this, take
its file from the pipecat-ai wheel on PyPI (BSD-2-Clause) into the models directory:

    .venv/bin/pip download pipecat-ai==1.14.0 --no-deps -d /tmp/pc && mkdir -p \
      ~/.cache/voice-rp/models/smart-turn && unzip -j -o /tmp/pc/pipecat_ai-1.14.0-*.whl \
      'pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx' \
      -d ~/.cache/voice-rp/models/smart-turn
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.machine import cpu_facts  # noqa: E402
from bench.smart_turn import SmartTurn, model_path  # noqa: E402
from bench.turn_clips import LANGUAGES, LEAD_S, ClipPlan, TurnClip, build_clips, plan_clips  # noqa: E402
from bench_turn_taking import _CACHE_HOME, CachedSpeech, human_speech  # noqa: E402

from voice_rp.audio import SAMPLE_RATE, float_to_pcm16  # noqa: E402
from voice_rp.completeness import Ending, read_ending  # noqa: E402
from voice_rp.voice_end import falls_at_end  # noqa: E402

PRE_ROLL_S = 0.2
"""The endpointer keeps this much audio before the speech starts (voice_rp.endpointer)."""
LOOK_S = 0.15
"""Silence heard after the point: the first short look (TurnPolicy.speculative_silence_s)."""
STT_WINDOW_S = 30.0
CLASSES = ("end", "pause", "hold", "gap")
NOT_DONE = ("pause", "hold")
MAX_PAUSE_DONE = 0.05
"""A strict combination may say "done" at no more than this share of dev's thinking pauses..."""
MIN_END_DONE = 0.90
"""...and an eager one must say "done" at this share of dev's true ends at least."""
THRESHOLDS = (0.5, 0.7, 0.9)
GRID = (0.0, 0.01, 0.02, *(round(float(x), 2) for x in np.arange(0.05, 1.0, 0.05)), 0.97, 0.99)


@dataclass(frozen=True)
class Point:
    """One decision point and both verdicts on it."""

    clip: str
    language: str
    split: str
    source: str
    kind: str  # the clip's kind (turn_clips.KINDS)
    cls: str  # one of CLASSES
    at_s: float  # where the silence begins, in the clip
    text: str
    ending: str  # Ending.value
    p_complete: float
    st_ms: float
    falls: bool | None = None  # voice_rp.voice_end: the pitch fell at the pause


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=("dev", "heldout", "all"), default="all")
    p.add_argument("--language", action="append", choices=LANGUAGES, default=[])
    p.add_argument("--source", action="append", default=[],
                   help="human, piper, espeak-<wpm> (repeatable; default all): the combinations "
                   "are then chosen on these voices' dev points")
    p.add_argument("--limit", type=int, help="at most this many clips, spread over the set")
    p.add_argument("--json", type=Path, metavar="PATH", help="write every point and the figures")
    p.add_argument("--cache", type=Path, default=_CACHE_HOME / "eval-end-of-turn",
                   help="transcripts of the decision points, kept between runs")
    p.add_argument("--turn-cache", type=Path, default=_CACHE_HOME / "bench-turns",
                   help="the benchmark's synthesised speech (scripts/bench_turn_taking.py)")
    p.add_argument("--model", type=Path, help="the Smart Turn .onnx (default: the cache's)")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- decision points


def gap_times(plan: ClipPlan, speech: CachedSpeech, clip: TurnClip) -> list[float]:
    """Where each between-sentence gap of a long answer begins (clip time), as realise() made
    it: only the sentences that fit in the clip."""
    lengths = [len(speech.audio(p)) / SAMPLE_RATE for p in plan.pieces]
    times, t = [], LEAD_S
    for i, gap in enumerate(plan.gaps_s):
        t += lengths[i]
        if t >= clip.end_s - 1e-3:
            break
        times.append(t)
        t += gap
    return times


def points_of(clip: TurnClip, gaps: Sequence[float]) -> list[tuple[str, float]]:
    out = [("end", clip.end_s)]
    if clip.kind == "paused" and clip.pause_at_s is not None:
        out.append(("pause", clip.pause_at_s))
    if clip.kind == "hold" and clip.pause_at_s is not None:
        out.append(("hold", clip.pause_at_s))
    out += [("gap", t) for t in gaps]
    return out


class Transcripts:
    """faster-whisper as the app decodes, per language, with the texts cached on disk."""

    def __init__(self, cache: Path) -> None:
        from voice_rp.config import Settings

        self.settings = Settings.from_env(os.environ)
        self.path = cache / "transcripts.json"
        self.texts: dict[str, str] = json.loads(self.path.read_text()) if self.path.is_file() \
            else {}
        self._models: dict[str, Any] = {}

    def _model(self, language: str) -> Any:  # a WhisperTranscriber
        from voice_rp.stt import WhisperTranscriber

        name = "tiny.en" if language == "en" else "base"
        if name not in self._models:
            s = self.settings
            self._models[name] = WhisperTranscriber.load(
                name, cache_dir=s.stt_cache_dir, cpu_threads=2,
                options=s.whisper if name == "tiny.en" else s.whisper_multilingual)
        return self._models[name]

    def text(self, key: str, samples: np.ndarray, language: str) -> str:
        if key not in self.texts:
            window = samples[-round(STT_WINDOW_S * SAMPLE_RATE):]
            self.texts[key] = self._model(language).transcribe(window, language=language).text
        return self.texts[key]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.texts, ensure_ascii=False, indent=0))


def judge(clips: Sequence[tuple[TurnClip, list[float]]], smart_turn: SmartTurn,
          transcripts: Transcripts) -> list[Point]:
    points: list[Point] = []
    start = round((LEAD_S - PRE_ROLL_S) * SAMPLE_RATE)
    for i, (clip, gaps) in enumerate(clips, 1):
        for cls, at in points_of(clip, gaps):
            audio = clip.samples[start: round((at + LOOK_S) * SAMPLE_RATE)]
            began = time.perf_counter()
            p = smart_turn.predict(audio)
            st_ms = (time.perf_counter() - began) * 1000
            # Keyed by the audio itself: a changed clip (turn_clips.py) is transcribed anew.
            key = f"{clip.name}|{cls}|{hashlib.sha1(audio.tobytes()).hexdigest()[:16]}"
            text = transcripts.text(key, audio, clip.language)
            points.append(Point(clip.name, clip.language, clip.split, clip.source, clip.kind,
                                cls, round(at, 3), text,
                                read_ending(text, language=clip.language).value, p, st_ms,
                                falls_at_end(float_to_pcm16(audio[:-round(LOOK_S * SAMPLE_RATE)]))))
        if i % 20 == 0:
            transcripts.save()
            print(f"  [{i}/{len(clips)}] {len(points)} points", file=sys.stderr, flush=True)
    transcripts.save()
    return points


# --------------------------------------------------------------------------- rules

C, U, OPEN, HOLD = (e.value for e in (Ending.COMPLETE, Ending.UNSURE, Ending.OPEN, Ending.HOLD))
Rule = Callable[[str, float, bool | None], bool]
"""(the words' reading, Smart Turn's probability, whether the voice fell) -> judged done."""


def fixed_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {"words C": lambda w, p, v: w == C,
                              "words C|U": lambda w, p, v: w in (C, U),
                              # What the endpointer does (voice_rp.voice_end): the words end a
                              # thought and the voice does not say otherwise.
                              "words C & voice not up": lambda w, p, v: w == C and v is not False,
                              "words C & voice falls": lambda w, p, v: w == C and v is True}
    for t in THRESHOLDS:
        rules[f"ST>{t:g}"] = lambda w, p, v, t=t: p > t  # type: ignore[misc]
    return rules


def combination_families() -> dict[str, Callable[..., Rule]]:
    """Combinations of the words and Smart Turn, by their thresholds."""
    return {
        "C & ST>{a}": lambda a: lambda w, p, v: w == C and p > a,
        "C|U & ST>{a}": lambda a: lambda w, p, v: w in (C, U) and p > a,
        "C | U&ST>{a}": lambda a: lambda w, p, v: w == C or (w == U and p > a),
        "C&ST>{a} | U&ST>{b}": lambda a, b: lambda w, p, v: (
            (w == C and p > a) or (w == U and p > b)),
        "not O/H & ST>{a} | O&ST>{b}": lambda a, b: lambda w, p, v: (
            (w in (C, U) and p > a) or (w == OPEN and p > b)),
    }


def done_rates(points: Sequence[Point], rule: Rule) -> dict[str, tuple[int, int]]:
    """Per class: (judged done, points)."""
    out: dict[str, tuple[int, int]] = {}
    for cls in CLASSES:
        mine = [q for q in points if q.cls == cls]
        out[cls] = (sum(rule(q.ending, q.p_complete, q.falls) for q in mine), len(mine))
    return out


def precision(rates: Mapping[str, tuple[int, int]]) -> float | None:
    done = rates["end"][0] + sum(rates[c][0] for c in NOT_DONE)
    return rates["end"][0] / done if done else None


def choose_combinations(dev: Sequence[Point]) -> dict[str, Rule]:
    """Thresholds chosen on dev, two ways: the combination that says "done" at the most ends
    with at most MAX_PAUSE_DONE of pauses done, and the two that say "done" at the fewest
    pauses with at least MIN_END_DONE of ends done (each family's best, then the best
    overall)."""
    strict: list[tuple[float, float, str, Rule]] = []  # (ends, -pauses, ...)
    eager: list[tuple[float, float, str, Rule]] = []  # (-pauses, ends, ...)
    for pattern, family in combination_families().items():
        n_args = pattern.count("{")
        best_strict: tuple[float, float, str, Rule] | None = None
        best_eager: tuple[float, float, str, Rule] | None = None
        pairs = [(a,) for a in GRID] if n_args == 1 else [(a, b) for a in GRID for b in GRID]
        for args in pairs:
            rule = family(*args)
            r = done_rates(dev, rule)
            ends = r["end"][0] / max(1, r["end"][1])
            pauses = r["pause"][0] / max(1, r["pause"][1])
            name = pattern.format(**dict(zip("ab", (f"{x:g}" for x in args), strict=False)))
            if pauses <= MAX_PAUSE_DONE and (best_strict is None
                                             or (ends, -pauses) > best_strict[:2]):
                best_strict = (ends, -pauses, name, rule)
            if ends >= MIN_END_DONE and (best_eager is None or (-pauses, ends) > best_eager[:2]):
                best_eager = (-pauses, ends, name, rule)
        strict += [best_strict] if best_strict else []
        eager += [best_eager] if best_eager else []
    strict.sort(key=lambda b: b[:2], reverse=True)
    eager.sort(key=lambda b: b[:2], reverse=True)
    chosen = {f"[<={MAX_PAUSE_DONE:.0%}p] {name}": rule for _, _, name, rule in strict[:1]}
    chosen.update({f"[>={MIN_END_DONE:.0%}e] {name}": rule for _, _, name, rule in eager[:2]})
    return chosen


# --------------------------------------------------------------------------- report


def _pct(n: int, d: int) -> str:
    return "-" if not d else f"{100 * n / d:.0f}%"


def readings_table(points: Sequence[Point], languages: Iterable[str]) -> list[str]:
    head = (f"{'lang':<5}{'class':<7}{'n':>5} | words:{'C':>5}{'U':>5}{'O':>5}{'H':>5} | "
            + "".join(f"{'ST>' + format(t, 'g'):>7}" for t in THRESHOLDS))
    out = [head, "-" * len(head)]
    for lang in languages:
        for cls in CLASSES:
            mine = [q for q in points if q.language == lang and q.cls == cls]
            if not mine:
                continue
            words = "".join(f"{sum(q.ending == e for q in mine):>5}" for e in (C, U, OPEN, HOLD))
            st = "".join(f"{sum(q.p_complete > t for q in mine):>7}" for t in THRESHOLDS)
            out.append(f"{lang:<5}{cls:<7}{len(mine):>5} |       {words} | {st}")
    return out


def rules_table(points: Sequence[Point], rules: Mapping[str, Rule],
                languages: Sequence[str]) -> list[str]:
    groups = [*languages, "all"] if len(languages) > 1 else list(languages)
    head = f"{'rule':<36}{'lang':<5}{'end':>6}{'pause':>7}{'hold':>6}{'gap':>6}{'prec':>6}"
    out = ["\"done\" per class (end: recall), precision over end/pause/hold", head,
           "-" * len(head)]
    for name, rule in rules.items():
        for lang in groups:
            mine = [q for q in points if lang == "all" or q.language == lang]
            r = done_rates(mine, rule)
            prec = precision(r)
            out.append(f"{name:<36}{lang:<5}" + "".join(
                f"{_pct(*r[c]):>{w}}" for c, w in zip(CLASSES, (6, 7, 6, 6), strict=True))
                + f"{'-' if prec is None else f'{100 * prec:.0f}%':>6}")
    return out


def timing(points: Sequence[Point]) -> dict[str, float]:
    ms = sorted(q.st_ms for q in points)[1:]  # the first call warms the session up
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1)}


def time_alone(smart_turn: SmartTurn, clip: TurnClip, n: int = 40) -> dict[str, float]:
    """Smart Turn's time per call with nothing else running: features and ONNX apart."""
    audio = clip.samples[: round((clip.end_s + LOOK_S) * SAMPLE_RATE)]
    smart_turn.predict(audio)  # warm-up
    features, total = [], []
    for _ in range(n):
        began = time.perf_counter()
        smart_turn.features(audio)
        features.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        smart_turn.predict(audio)
        total.append((time.perf_counter() - began) * 1000)
    total.sort()
    p50 = statistics.median(total)
    return {"n": n, "features_p50_ms": round(statistics.median(features), 1),
            "onnx_p50_ms": round(p50 - statistics.median(features), 1),
            "p50_ms": round(p50, 1), "p95_ms": round(total[int(0.95 * (n - 1))], 1)}


def voice_of(point: Point) -> str:
    return "espeak" if point.source.startswith("espeak") else point.source


def voices_table(points: Sequence[Point], rules: Mapping[str, Rule]) -> list[str]:
    voices = sorted({voice_of(q) for q in points})
    head = f"{'rule':<36}{'voice':<8}{'end':>9}{'pause':>9}{'hold':>8}{'gap':>9}"
    out = [head, "-" * len(head)]
    for name, rule in rules.items():
        for voice in voices:
            r = done_rates([q for q in points if voice_of(q) == voice], rule)
            out.append(f"{name:<36}{voice:<8}" + "".join(
                f"{f'{r[c][0]}/{r[c][1]}':>{w}}" for c, w in zip(CLASSES, (9, 9, 8, 9),
                                                                  strict=True)))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from voice_rp.config import Settings

    model = args.model or model_path(Settings.from_env(os.environ).stt_cache_dir)
    if model is None or not model.is_file():
        raise SystemExit("no Smart Turn model: copy smart-turn-v3.2-cpu.onnx from the pipecat-ai "
                         "wheel to ~/.cache/voice-rp/models/smart-turn/ (or pass --model)")
    machine = cpu_facts()
    clips_version = hashlib.sha1((ROOT / "scripts/bench/turn_clips.py").read_bytes()).hexdigest()
    print(f"{machine['cpu']}, {machine['cores']} cores, {' '.join(machine['vector'])}; "
          f"model {model}; turn_clips.py {clips_version[:12]}")
    languages = args.language or list(LANGUAGES)
    humans = human_speech(languages, cache_dir=_CACHE_HOME / "real-speech")
    plans = plan_clips(languages, humans, sources=args.source, split=args.split,
                       limit=args.limit)
    speech = CachedSpeech(args.turn_cache, human={c.name: c for cs in humans.values() for c in cs},
                          stt_cache_dir=_CACHE_HOME / "models")
    clips = {c.name: c for c in build_clips(plans, speech)}
    with_gaps = [(clips[p.name], gap_times(p, speech, clips[p.name]) if p.kind == "complete_long"
                  else []) for p in plans if p.name in clips]
    smart_turn = SmartTurn(model)
    alone = time_alone(smart_turn, with_gaps[0][0])  # before Whisper's threads exist
    points = judge(with_gaps, smart_turn, Transcripts(args.cache))

    dev = [q for q in points if q.split == "dev"]
    combos = choose_combinations(dev)
    rules = {**fixed_rules(), **combos}
    for split in ("dev", "heldout"):
        mine = [q for q in points if q.split == split]
        if not mine:
            continue
        print(f"\n=== {split}: {len(mine)} points of {len({q.clip for q in mine})} clips")
        print("\n".join(readings_table(mine, languages)))
        print()
        print("\n".join(rules_table(mine, rules, languages)))
    print("\nall splits and languages, by voice")
    print("\n".join(voices_table(points, rules)))
    took = timing(points)
    print(f"\nSmart Turn per call (features + ONNX, 1 thread), alone: features p50 "
          f"{alone['features_p50_ms']} ms, ONNX p50 {alone['onnx_p50_ms']} ms, total p50 "
          f"{alone['p50_ms']} / p95 {alone['p95_ms']} ms ({alone['n']} calls); between Whisper "
          f"decodes: p50 {took['p50_ms']} ms, p95 {took['p95_ms']} ms, max {took['max_ms']} ms "
          f"({took['n']} calls)")
    print(f"combinations chosen on dev ([<=p]: the most ends done with <= {MAX_PAUSE_DONE:.0%} "
          f"of pauses done; [>=e]: the fewest pauses done with >= {MIN_END_DONE:.0%} of ends "
          f"done): {', '.join(combos) or 'none qualifies'}")
    if args.json:
        args.json.write_text(json.dumps(
            {"machine": machine, "model": str(model), "turn_clips_sha1": clips_version,
             "timing": {"alone": alone, "between_decodes": took}, "combinations": list(combos),
             "points": [asdict(q) for q in points]}, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
