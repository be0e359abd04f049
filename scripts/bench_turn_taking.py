#!/usr/bin/env python3
"""End-of-turn benchmark: does voice-rp answer soon when the user is done, and wait while they
are thinking?

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/bench_turn_taking.py [--split dev|heldout|all]
        [--language en ...] [--kind paused ...] [--source espeak-160 ...] [--limit N]
        [--persona ID ...] [--persona-en ID] [--policy end_silence_s=0.5 ...]
        [--by-source] [--show-cuts] [--json out.json] [--cache DIR]

Spoken turns with a known end (scripts/bench/turn_clips.py: complete short and long answers,
sentences with a 0.8-3 s thinking pause, "give me a moment" then 2-10 s of silence, in English,
Spanish and French, by recorded people, Piper and espeak-ng) are replayed through the persona's
real endpointer (scripts/bench/turn_replay.py: hints from real speculative decodes, arriving as
late as they would live). Personas: behavioural-interviewer (en), spanish-partner (es),
french-partner (fr) unless --persona says otherwise; --policy overrides TurnPolicy fields.

It prints, per kind of turn, language, split (dev/heldout: tune on dev, judge on heldout), pause
length, filler and hold length: how many turns were cut off (a turn end before the speech was
over: in a pause, between sentences), the end-of-turn latency (first turn end after the true end
of speech, less it; p50/p95/max ms) and how many never ended within the clip's 4 s tail, and the
speculative decodes' wall-clock time. No model is ever downloaded; synthesised speech and word
alignments are cached (--cache), so every run hears the same turns.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.machine import cpu_facts, line  # noqa: E402
from bench.real_speech import ASTERISK_VOICES, SOUNDS, RealClip, real_clips  # noqa: E402
from bench.turn_clips import (  # noqa: E402
    ESPEAK_VOICES,
    HUMAN_HOLDS,
    KINDS,
    LANGUAGES,
    Piece,
    TurnClip,
    Word,
    build_clips,
    plan_clips,
)
from bench.turn_replay import (  # noqa: E402
    GROUPINGS,
    Outcome,
    ServerRecognition,
    clip_frames,
    replay,
    summarize,
)
from bench.utterances import espeak, piper_speaker, trim_speech  # noqa: E402

from voice_rp.audio import (  # noqa: E402
    SAMPLE_RATE,
    float_to_pcm16,
    pcm16_to_float,
    read_wav,
    wav_bytes,
)
from voice_rp.endpointer import TurnPolicy  # noqa: E402
from voice_rp.models import Models  # noqa: E402
from voice_rp.personas import Persona, find_persona  # noqa: E402
from voice_rp.turn_taking import policy_for  # noqa: E402

DEFAULT_PERSONAS = {"en": "behavioural-interviewer", "es": "spanish-partner",
                    "fr": "french-partner"}
_CACHE_HOME = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "voice-rp"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=("dev", "heldout", "all"), default="dev",
                   help="which clips (default dev: tune there, report heldout)")
    p.add_argument("--language", action="append", choices=LANGUAGES, default=[])
    p.add_argument("--kind", action="append", choices=KINDS, default=[])
    p.add_argument("--source", action="append", default=[],
                   help="human, piper, espeak-<wpm> (repeatable; default all)")
    p.add_argument("--limit", type=int, help="at most this many clips, spread over the set")
    p.add_argument("--persona", action="append", default=[], metavar="ID",
                   help="use this persona for its own language (repeatable)")
    for lang in LANGUAGES:
        p.add_argument(f"--persona-{lang}", metavar="ID",
                       help=f"the persona for {lang} (default {DEFAULT_PERSONAS[lang]})")
    p.add_argument("--policy", action="append", default=[], metavar="KEY=VALUE",
                   help="override a TurnPolicy field for every persona (repeatable)")
    p.add_argument("--by-source", action="store_true", help="also a row per voice")
    p.add_argument("--show-cuts", action="store_true",
                   help="print each cut-off or never-ended clip with its hints")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the figures and every clip")
    p.add_argument("--cache", type=Path, default=_CACHE_HOME / "bench-turns",
                   help="synthesised speech and word alignments, kept between runs")
    p.add_argument("--real-cache", type=Path, default=_CACHE_HOME / "real-speech",
                   help="where the pocketsphinx recordings are kept (scripts/bench/real_speech)")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- speech


def human_speech(languages: Iterable[str], *, cache_dir: Path) -> dict[str, list[RealClip]]:
    """Each language's recorded speech, plus the Asterisk prompt used as its hold phrase."""
    out: dict[str, list[RealClip]] = {}
    for language in languages:
        clips = real_clips(language, cache_dir=cache_dir)
        if language in HUMAN_HOLDS:
            ref, text = HUMAN_HOLDS[language]
            path = SOUNDS / ASTERISK_VOICES[language] / f"{ref}.wav"
            if path.is_file():
                clips.append(RealClip(f"{language}/{ref}", ASTERISK_VOICES[language], language,
                                      text, read_wav(str(path)).samples))
        out[language] = clips
    return out


class CachedSpeech:
    """The clips' speech (trimmed) and word timings, cached in `cache`: Piper differs run to
    run, and aligning takes a model, so both are made once."""

    def __init__(self, cache: Path, *, human: Mapping[str, RealClip], stt_cache_dir: Path
                 ) -> None:
        self.cache, self.human, self.stt_cache_dir = cache, human, stt_cache_dir
        self._piper: Callable[[str], np.ndarray] | None = None
        self._aligners: dict[str, Any] = {}  # model name -> faster_whisper.WhisperModel

    def _path(self, piece: Piece, suffix: str) -> Path:
        key = f"{suffix}\n{piece.source}\n{piece.language}\n{piece.ref}\n{piece.text}"
        return self.cache / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.{suffix}"

    def audio(self, piece: Piece) -> np.ndarray:
        if piece.source == "human":
            return trim_speech(self.human[piece.ref].samples)
        cached = self._path(piece, "wav")
        if cached.is_file():
            return read_wav(str(cached)).samples
        if piece.source == "piper":
            self._piper = self._piper or piper_speaker()
            samples = self._piper(piece.text)
        else:
            samples = espeak(piece.text, voice=ESPEAK_VOICES[piece.language],
                             words_per_minute=int(piece.source.removeprefix("espeak-")))
        pcm = float_to_pcm16(trim_speech(samples))  # quantised like the cached copy
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(wav_bytes(pcm, SAMPLE_RATE))
        return pcm16_to_float(pcm)

    def words(self, piece: Piece) -> list[Word]:
        cached = self._path(piece, "words.json")
        if cached.is_file():
            return [Word(*w) for w in json.loads(cached.read_text())]
        samples = self.audio(piece)
        # Two models' alignments averaged put the cut in the gap more often than either alone
        # (English: the text before a cut was heard ending in the right word 94 times in 123,
        # against 80 for base and 70 for tiny.en alone); tiny.en knows no other language.
        found = [self._align(m, samples, piece.text, piece.language)
                 for m in (("tiny.en", "base") if piece.language == "en" else ("base",))]
        words = found[-1]
        if len(found) == 2 and len(found[0]) == len(found[1]):
            words = [Word(b.text, (a.start + b.start) / 2, (a.end + b.end) / 2)
                     for a, b in zip(found[0], found[1], strict=True)]
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps([[w.text, w.start, w.end] for w in words]))
        return words

    def _align(self, name: str, samples: np.ndarray, text: str, language: str) -> list[Word]:
        """Force-align the known `text` with a bundled Whisper's cross-attention: times of the
        words said, not of what Whisper thinks it heard."""
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        from voice_rp.stt import resolve_whisper_model

        if name not in self._aligners:
            path = resolve_whisper_model(name, cache_dir=self.stt_cache_dir)
            self._aligners[name] = WhisperModel(str(path), device="cpu", compute_type="int8",
                                                cpu_threads=2)
        model = self._aligners[name]
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                              task="transcribe", language=language)
        features = model.feature_extractor(samples[: 30 * SAMPLE_RATE],
                                           padding=30 * SAMPLE_RATE)[:, :3000]
        found = model.find_alignment(tokenizer, [tokenizer.encode(" " + text.strip())],
                                     model.encode(features), min(3000, len(samples) // 160))[0]
        words: list[Word] = []
        for w in found:  # tokens not starting a word (".", "'ai", "-bas") join the one before
            if words and not str(w["word"]).startswith(" "):
                words[-1] = Word(words[-1].text + str(w["word"]), words[-1].start,
                                 float(w["end"]))
            else:
                words.append(Word(str(w["word"]).strip(), float(w["start"]), float(w["end"])))
        return words


# --------------------------------------------------------------------------- set-up


def personas_for(args: argparse.Namespace, languages: Sequence[str]) -> dict[str, Persona]:
    dirs = [ROOT / "personas"]
    chosen = dict(DEFAULT_PERSONAS)
    for name in args.persona:
        persona = find_persona(name, dirs)
        chosen[persona.language.split("-")[0]] = name
    for lang in LANGUAGES:
        if getattr(args, f"persona_{lang}"):
            chosen[lang] = getattr(args, f"persona_{lang}")
    out = {lang: find_persona(chosen[lang], dirs) for lang in languages}
    for lang, persona in out.items():
        if persona.language.split("-")[0] != lang:
            raise SystemExit(f"persona {persona.id} speaks {persona.language}, not {lang}")
    return out


def policy_overrides(pairs: Sequence[str]) -> dict[str, float | int]:
    """--policy KEY=VALUE pairs as TurnPolicy field values (ints for int fields)."""
    fields = {f.name: f for f in dataclasses.fields(TurnPolicy)}
    out: dict[str, float | int] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in fields:
            raise SystemExit(f"--policy {pair!r}: use KEY=VALUE with KEY one of "
                             f"{', '.join(fields)}")
        kind = fields[key.strip()].type
        out[key.strip()] = int(value) if kind in (int, "int") else float(value)
    return out


def policies_for(personas: Mapping[str, Persona], overrides: Mapping[str, Any]
                 ) -> dict[str, TurnPolicy]:
    try:
        return {lang: dataclasses.replace(policy_for(p, talk=True), **overrides)
                for lang, p in personas.items()}
    except ValueError as exc:
        raise SystemExit(f"--policy: {exc}") from exc


def _waits(policy: TurnPolicy) -> str:
    """The policy's waits (whatever silence and hold fields it has), for the header."""
    waits = dataclasses.asdict(policy).items()
    return ", ".join(f"{k.removesuffix('_s')} {v:g} s" for k, v in waits
                     if "silence" in k or k.startswith("hold"))


# --------------------------------------------------------------------------- the run


def run(clips: Sequence[TurnClip], models: Models, personas: Mapping[str, Persona],
        policies: Mapping[str, TurnPolicy | None]) -> list[Outcome]:
    outcomes = []
    for i, clip in enumerate(clips, 1):
        persona = personas[clip.language]
        recognition = ServerRecognition(models, persona)
        try:
            result = replay(clip_frames(clip.samples), persona, recognition,
                            policy=policies.get(clip.language), timer=time.perf_counter)
        finally:
            recognition.close()
        o = Outcome.of(clip, result)
        outcomes.append(o)
        lat = o.score.latency_s
        print(f"  [{i}/{len(clips)}] {clip.name} ({clip.end_s:.1f} s): cut {o.score.cut_offs}, "
              f"latency {'never' if lat is None else f'{lat * 1000:.0f} ms'}",
              file=sys.stderr, flush=True)
    return outcomes


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"


def table(summary: Mapping[str, Mapping[str, Mapping[str, Any]]], groupings: Sequence[str]
          ) -> str:
    head = (f"{'group':<34}{'n':>4}{'cut':>5}{'cut%':>6}{'early':>6}{'lat p50':>9}"
            f"{'p95':>7}{'max':>7}{'never':>6}{'dec p50':>9}{'p95':>7}")
    out = [head, "-" * len(head)]
    for name in groupings:
        for group, s in summary.get(name, {}).items():
            lat, dec = s["latency_ms"], s["decode_ms"]
            rate = "-" if s["cut_rate"] is None else f"{s['cut_rate'] * 100:.0f}%"
            out.append(f"{group:<34}{s['n']:>4}{s['cut']:>5}{rate:>6}{s['early_ends']:>6}"
                       f"{_ms(lat['p50']):>9}{_ms(lat['p95']):>7}{_ms(lat['max']):>7}"
                       f"{s['never_ended']:>6}{_ms(dec['p50']):>9}{_ms(dec['p95']):>7}")
        out.append("")
    return "\n".join(out).rstrip()


def cuts(outcomes: Sequence[Outcome]) -> list[str]:
    lines = []
    for o in outcomes:
        if o.score.cut_offs == 0 and o.score.latency_s is not None:
            continue
        pause = "" if o.pause_at_s is None else f", pause {o.pause_s:g} s at {o.pause_at_s:.2f} s"
        pause += f" after {o.filler!r}" if o.filler else ""
        lines.append(f"{o.name} [{o.split}] end {o.end_s:.2f} s{pause}: {o.text!r}")
        for e in o.replay.ends:
            lines.append(f"    turn end {e.audio_t:.2f} s ({e.reason}, hinted {e.hinted}, "
                         f"speech end {e.speech_end_audio_t:.2f} s)")
        for h in o.replay.hints:
            lines.append(f"    hint {h.asked_t:.2f}->{h.ready_t:.2f} s "
                         f"{'' if h.delivered else '(dropped) '}"
                         f"{h.ending}: {h.text!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from voice_rp.backends.factory import load_models
    from voice_rp.config import Settings

    machine = cpu_facts()
    print(line(machine))
    languages = args.language or list(LANGUAGES)
    personas = personas_for(args, languages)
    overrides = policy_overrides(args.policy)
    policies = policies_for(personas, overrides)
    for lang in languages:
        print(f"{lang}: {personas[lang].id} ({personas[lang].turn_taking}): "
              f"{_waits(policies[lang])}")
    settings = Settings.from_env(os.environ)
    started = time.perf_counter()
    needs_people = not args.source or "human" in args.source
    humans = human_speech(languages, cache_dir=args.real_cache) if needs_people else {}
    plans = plan_clips(languages, humans, kinds=args.kind, sources=args.source,
                       split=args.split, limit=args.limit)
    if not plans:
        raise SystemExit("no clips match --split/--language/--kind/--source")
    print(f"building {len(plans)} clips (cache {args.cache})...", file=sys.stderr, flush=True)
    speech = CachedSpeech(args.cache, human={c.name: c for cs in humans.values() for c in cs},
                          stt_cache_dir=settings.stt_cache_dir)
    clips = build_clips(plans, speech)
    built_s = time.perf_counter() - started
    models = load_models(settings)
    try:
        outcomes = run(clips, models, personas, policies if overrides else {})
    finally:
        models.close()
    summary = summarize(outcomes)
    shown = [g for g, _ in GROUPINGS if g not in ("kind/language/split", "kind/source")
             or (g == "kind/source" and args.by_source)]
    print(table(summary, shown))
    speech_s = sum(c.end_s for c in clips)
    took = time.perf_counter() - started
    print(f"{len(outcomes)} clips ({speech_s / 60:.1f} min of speech), split {args.split}; "
          f"built in {built_s:.0f} s, {took:.0f} s in all")
    if args.show_cuts:
        print("\ncut off or never ended:")
        print("\n".join(cuts(outcomes)) or "(none)")
    if args.json:
        out = {"machine": machine,
               "config": {"split": args.split, "languages": languages, "kinds": args.kind,
                          "sources": args.source, "limit": args.limit,
                          "personas": {k: p.id for k, p in personas.items()},
                          "policies": {k: dataclasses.asdict(p) for k, p in policies.items()},
                          "overrides": overrides},
               "summary": summary, "clips": [o.as_dict() for o in outcomes]}
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
