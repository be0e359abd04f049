#!/usr/bin/env python3
"""Speech-recognition benchmark: what each faster-whisper setting costs in time and in words.

    .venv/bin/python scripts/bench_stt.py [--model tiny.en|base] [--set synthetic|real|both]
        [--repeat 3] [--json out.json] [--variant NAME:FIELD=VALUE,...]

Two sets of clips, reported apart:
- synthetic: the latency benchmark's lines (and a few more, 1-15 s, Piper and espeak-ng);
- real: recorded human speech with reference transcripts (scripts/bench/real_speech.py):
  Asterisk's prompts (Debian packages) and LibriVox sentences from pocketsphinx's sources; for
  the multilingual model also the Spanish and French prompts, each decoded with its language.
Each clip is handed over the way a conversation hands it: the speech with 0.2 s before and after
it. For each variant of `WhisperOptions`, and for faster-whisper's own standard decode of the same
loaded model (`faster-whisper`: 30 s window, beam 5, timestamps, its fallbacks), it reports the
per-clip time (p50, p95, max over every clip and repeat), the word error rate and the share of
degenerate transcripts (voice_rp.degenerate: loops, stutters, syllable chains, a length the
voiced audio cannot hold), so no setting is chosen for speed alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # voice_rp is used from the checkout, not installed

import numpy as np  # noqa: E402
from bench.cpu import cpu_model  # noqa: E402
from bench.real_speech import pipeline_cut, real_clips  # noqa: E402
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

INCREMENTAL = "incremental"
"""The default decoding, handed the turn as a conversation does (voice_rp.stt_incremental): each
pause the speaker talked through is decoded as it comes, and the turn's end decodes only what
they did not cover. Its time is that last decode's: what the user waits for."""

REFERENCE = "faster-whisper"
"""The model run directly with faster-whisper's defaults: what a user of the bare model gets."""

VARIANTS: dict[str, dict[str, Any]] = {
    REFERENCE: {},
    "default": {},
    "greedy": {"beam_size": 1, "min_window_s": 5.0},
    "full-window": {"fit_window": False, "beam_size": 1},
    "full-window-beam5": {"fit_window": False, "beam_size": 5},
    "window-10s": {"min_window_s": 10.0},
    INCREMENTAL: {},
}
"""The settings compared unless --variant names others: changes to voice-rp's own decoding for
the model ("default": beam 1 and a 5 s window for tiny.en, beam 5 and 10 s for the multilingual
base)."""


def parse_variant(spec: str) -> tuple[str, dict[str, Any]]:
    """"name:beam_size=5,fit_window=false" -> ("name", {"beam_size": 5, "fit_window": False})."""
    name, _, fields = spec.partition(":")
    out: dict[str, Any] = {}
    for item in filter(None, fields.split(",")):
        key, _, raw = item.partition("=")
        out[key.strip()] = json.loads(raw.strip())
    return name, out


@dataclass(frozen=True)
class Clip:
    text: str
    language: str
    recording: np.ndarray
    """What the speaker said, as recorded (faster-whisper's reference decode reads this)."""
    turn: np.ndarray
    """The same speech as a conversation hands it to voice-rp's recogniser."""
    speculative: tuple[np.ndarray, ...] = ()
    """Audio decoded at pauses the speaker talked through (the turn's speculative decodes)."""


_PAD = np.zeros(3200, np.float32)  # the endpointer's 0.2 s pre- and post-roll


def synthetic_clips(cache_dir: Path) -> list[Clip]:
    out = []
    for u in synthesize(UTTERANCES + INTERRUPTIONS + EXTRA, cache_dir):
        speech = u.samples[: round(u.speech_end_s * 16_000)]
        clip = np.concatenate([_PAD, speech, _PAD])
        clip = (clip + noise_floor(len(clip) / 16_000 + 0.1, dbfs=-60)[: len(clip)])
        clip = clip.astype(np.float32)
        cut = pipeline_cut(speech)  # as a conversation hands it over, pauses included
        out.append(Clip(u.line.text, "en", clip, cut.turn, cut.speculative))
    return out


def recorded_clips(languages: list[str], cache_dir: Path) -> list[Clip]:
    out = []
    for language in languages:
        for c in real_clips(language, cache_dir=cache_dir, limit=60 if language == "en" else 30):
            cut = pipeline_cut(c.samples)
            out.append(Clip(c.text, c.language, c.samples, cut.turn, cut.speculative))
    return out


def transcribe_as_reference(transcriber: Any, clip: np.ndarray, language: str) -> str:
    """faster-whisper's standard decode, as a user of the bare model would call it."""
    segments, _ = transcriber._model.transcribe(clip, language=language)
    return "".join(s.text for s in segments).strip()


def agrees(speculative: str, final: str) -> bool:
    """A decode at a pause agrees with the turn's final one when its words, less the last (cut
    off by the pause), begin the final transcript."""
    said = words(speculative)[:-1]
    return not said or wer(" ".join(said), " ".join(words(final)[: len(said)])) <= 0.25


def incrementally(transcriber: Any, clip: Clip) -> tuple[str, float]:
    """Decode `clip` as a conversation does: at each pause talked through, then at its end
    (timed). The pauses' audio begins the turn's, as the endpointer hands it over."""
    import asyncio

    from voice_rp.stt_incremental import IncrementalTranscriber

    def float_to_pcm16(x: np.ndarray) -> bytes:
        # The exact inverse of pcm16_to_float: every variant decodes the very same samples.
        return np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").tobytes()

    def decode(samples: np.ndarray, prompt: str | None) -> Any:
        return transcriber.transcribe(samples, language=clip.language, prompt=prompt)

    turn = float_to_pcm16(clip.turn)
    heads = [float_to_pcm16(a) for a in clip.speculative]

    async def talk() -> tuple[str, float]:
        stt = IncrementalTranscriber(decode)
        for head in heads:
            if turn.startswith(head):
                await stt.transcribe(head)
        start = time.perf_counter()
        heard = (await stt.transcribe(turn)).text
        return heard, (time.perf_counter() - start) * 1000

    return asyncio.run(talk())


def measure(transcriber: Any, corpus: list[Clip], repeat: int, *, reference: bool = False,
            incremental: bool = False) -> dict[str, Any]:
    from voice_rp.degenerate import check, voiced_seconds

    def run(clip: Clip) -> tuple[str, float]:
        """The transcript and the ms the user waits for it at the turn's end."""
        if incremental:
            return incrementally(transcriber, clip)
        start = time.perf_counter()
        if reference:
            heard = transcribe_as_reference(transcriber, clip.recording, clip.language)
        else:
            heard = str(transcriber.transcribe(clip.turn, language=clip.language).text)
        return heard, (time.perf_counter() - start) * 1000

    run(corpus[0])  # warm-up
    times: list[float] = []
    errors = total = 0.0
    degenerate: list[dict[str, str]] = []
    worst: tuple[float, str, str] = (0.0, "", "")
    agreed = compared = 0
    heard_by_clip: list[dict[str, Any]] = []
    for round_ in range(repeat):
        for clip in corpus:
            heard, ms = run(clip)
            times.append(ms)
            if round_:
                continue
            n = len(words(clip.text))
            errors += wer(clip.text, heard) * n
            total += n
            worst = max(worst, (wer(clip.text, heard), clip.text, heard))
            heard_by_clip.append({"said": clip.text, "heard": heard,
                                  "wer": round(wer(clip.text, heard), 3)})
            verdict = check(heard, voiced_s=voiced_seconds(clip.turn))
            if not verdict.ok:
                degenerate.append({"said": clip.text, "heard": heard, "why": verdict.reason})
            if not reference:
                for audio in clip.speculative:
                    partial = transcriber.transcribe(audio, language=clip.language).text
                    compared += 1
                    agreed += agrees(partial, heard)
    return {"ms": summarize(times), "wer": round(errors / total, 4),
            "degenerate": round(len(degenerate) / len(corpus), 4),
            "degenerate_clips": degenerate,
            "speculative_agree": round(agreed / compared, 4) if compared else None,
            "speculative_compared": compared, "clips": heard_by_clip,
            "worst": {"wer": round(worst[0], 3), "said": worst[1], "heard": worst[2]}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="tiny.en", help="tiny.en (default), base or a directory")
    p.add_argument("--set", choices=("synthetic", "real", "both"), default="both",
                   help="which clips: synthetic speech, recorded human speech, or both (default)")
    p.add_argument("--repeat", type=int, default=3, help="timed passes over the clips (default 3)")
    p.add_argument("--variant", action="append", default=[], metavar="NAME:FIELD=VALUE,...",
                   help="a WhisperOptions variant to compare (repeatable); default: a built-in set")
    p.add_argument("--json", type=Path, help="write the figures here")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from voice_rp.config import Settings
    from voice_rp.stt import MULTILINGUAL_OPTIONS, WhisperOptions, WhisperTranscriber

    variants = dict(parse_variant(v) for v in args.variant) if args.variant else VARIANTS
    cache = Path.home() / ".cache" / "voice-rp"
    sets: dict[str, list[Clip]] = {}
    if args.set in ("synthetic", "both"):
        sets["synthetic"] = synthetic_clips(cache / "bench-speech")
    if args.set in ("real", "both"):
        languages = ["en"] if args.model.endswith(".en") else ["en", "es", "fr"]
        sets["real"] = recorded_clips(languages, cache / "real-speech")
    cache_dir = Settings.from_env(os.environ).stt_cache_dir
    base = WhisperTranscriber.load(args.model, cache_dir=cache_dir)
    # A variant changes fields of voice-rp's own decoding for this kind of model (config.py).
    defaults = MULTILINGUAL_OPTIONS if base.multilingual else WhisperOptions()
    print(f"model {args.model}, {args.repeat} timed pass(es); CPU {cpu_model()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    results: dict[str, dict[str, Any]] = {}
    for set_name, corpus in sets.items():
        lengths = sorted(len(c.recording) / 16_000 for c in corpus)
        languages = sorted({c.language for c in corpus})
        print(f"\n{set_name}: {len(corpus)} clips of {lengths[0]:.1f}-{lengths[-1]:.1f} s "
              f"({', '.join(languages)})")
        print(f"{'variant':20} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'WER':>6} "
              f"{'degen':>6} {'agree':>6}  worst clip")
        for name, fields in variants.items():
            options = dataclasses.replace(defaults, **fields)
            transcriber = WhisperTranscriber.__new__(WhisperTranscriber)
            transcriber.__dict__.update(base.__dict__)  # the same loaded model, other options
            transcriber.options = options
            r = measure(transcriber, corpus, args.repeat, reference=name == REFERENCE,
                        incremental=name.startswith(INCREMENTAL))
            results.setdefault(set_name, {})[name] = {"options": fields, **r}
            ms = r["ms"]
            agree = r["speculative_agree"]
            agree_text = "-" if agree is None else f"{agree:.0%}"
            print(f"{name:20} {ms['p50']:7.0f} {ms['p95']:7.0f} {ms['max']:7.0f} "
                  f"{r['wer']:6.3f} {r['degenerate']:6.1%} {agree_text:>6}  "
                  f"{r['worst']['wer']:.2f} {r['worst']['heard'][:70]!r}")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "cpu": cpu_model(),
                                         "sets": {k: len(v) for k, v in sets.items()},
                                         "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
