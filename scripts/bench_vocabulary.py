#!/usr/bin/env python3
"""Hearing the words of the practice: recognition with and without a persona's vocabulary.

    .venv/bin/python scripts/bench_vocabulary.py [--json out.json] [--no-base] [--no-real]

The technical screener heard "I mostly write Python and some Rust" as "I mostly write, iPhone
and some rest". A persona's `vocabulary` is given to Whisper as a prompt
(`voice_rp.stt.hint_list`, `recognition_prompt`); this measures what that buys and what it
costs, and so which languages get it (`voice_rp.stt.HINTED_LANGUAGES`):

- domain sentences: sentences that use each built-in persona's terms (English for the
  interviewers, the caller, the audience and the English partner; Spanish and French for those
  partners), spoken by the bundled Piper voice (English only) and espeak-ng at rates 0.85, 1.0
  and 1.2, decoded as a conversation decodes a turn. Reported: the share of the persona's
  terms in them heard exactly (case and accents aside; "Wi-Fi" = "wi fi"), the word error rate
  and the time per decode, without hints and with them; also with the filler prompt
  (`keep_fillers`), alone and after the hints, and the hints after a "Glossary:" label.
- hotwords: faster-whisper's own `hotwords` against the same words as `initial_prompt`, both on
  its standard decode (the rate-1.0 clips; voice-rp's fitted decode has no `hotwords`).
- recorded human speech (scripts/bench/real_speech.py, cut by the endpointer as in
  scripts/bench_stt.py): ordinary sentences, decoded without hints and with each persona's
  hints in its language, so a vocabulary that costs ordinary speech shows.
- noise: clips of the noise floor alone must stay empty with the hints (a prompt can make
  Whisper write its prompt when it hears nothing).

tiny.en decodes the English, the multilingual base (pinned to the language) Spanish and French.
Synthetic clips are cached in ~/.cache/voice-rp/bench-vocabulary (Piper differs on every run,
so a rerun decodes the very same audio); espeak-ng and the noise (seeded) are deterministic.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # voice_rp is used from the checkout, not installed

import numpy as np  # noqa: E402
from bench.cpu import cpu_model  # noqa: E402
from bench.real_speech import pipeline_cut, real_clips  # noqa: E402
from bench.stats import summarize, wer, words  # noqa: E402
from bench.utterances import espeak, noise_floor, trim_speech  # noqa: E402

RATES = (0.85, 1.0, 1.2)
ESPEAK_VOICES = {"en": "en-us", "es": "es", "fr": "fr"}

SENTENCES: dict[str, tuple[str, ...]] = {
    "technical-screener": (
        "I mostly write Python and some Rust.",
        "Our services run on Kubernetes and we package everything with Docker.",
        "We moved the reporting database from MySQL to PostgreSQL last year.",
        "I used Redis as a cache in front of the main database.",
        "The events go through Kafka before they reach the warehouse.",
        "Most of our infrastructure is on AWS.",
        "On the front end we switched from JavaScript to TypeScript.",
        "I wrote the new endpoint in GraphQL instead of a REST API.",
        "We split the old monolith into microservices over two years.",
        "Every change needs unit tests, and we run them with pytest.",
        "I open a pull request and ask for a code review before I merge.",
        "I learned Git properly when I started contributing to other projects.",
        "Our build servers run Linux, so I debug there most of the time.",
        "Before that I wrote Java for a bank, and a little Go for command line tools.",
        "The Rust service replaced an old Python script that kept crashing.",
        "I found the memory leak by watching each Kubernetes pod one by one.",
        "I spoke with Sam Okafor about the backend job at Northwind.",
    ),
    "behavioural-interviewer": (
        "At Northwind I would like to grow as a project coordinator.",
        "I kept the stakeholders informed with a short update every Friday.",
        "We tracked every task in Jira and talked in Slack during the day.",
        "We moved our plans from Asana to a shared roadmap.",
        "We wrote the plan in Confluence and tracked the tasks on a Trello board.",
        "Our main KPI was the number of tickets closed in each sprint.",
        "In the retrospective we agreed to plan smaller pieces of work.",
        "The team followed Scrum, and the client wanted an Agile contract.",
        "I put the onboarding of the new hires before the monthly report in Excel.",
        "Let me answer with the STAR method, Maya Chen.",
    ),
    "interview-panel": (
        "I built a dashboard in Tableau that the sales team opened every day.",
        "Churn was highest in the first month, so I looked at each cohort separately.",
        "I wrote the queries in SQL and the models in Python.",
        "Before Tableau we used Power BI, and later Looker.",
        "Nice to meet you, Priya Nair, and you too, Tom Becker.",
        "As a product analyst I talk to stakeholders every week.",
        "My Excel model showed that retention mattered more than new users.",
        "We agreed on one KPI for the whole product team.",
    ),
    "customer-caller": (
        "Thank you for calling Brightline Internet, how can I help you today?",
        "Can you tell me your account number, please?",
        "Please unplug the router and the modem for thirty seconds.",
        "There is an outage in your area since yesterday afternoon.",
        "I can send a technician tomorrow morning.",
        "Is your laptop on Wi-Fi, or plugged in with an Ethernet cable?",
        "I will add a refund for the lost day and a discount on next month's bill.",
        "Let's try a reboot first, and then I will check your broadband line.",
        "I am sorry, Dana Miller, Brightline should have told you sooner.",
    ),
    "english-partner": (
        "Last summer I went hiking near Mount Rainier.",
        "I visited Pike Place Market and the Space Needle in Seattle.",
        "My neighbour took me on a boat trip on Puget Sound.",
        "Nice to meet you, Joe, I moved to Seattle in March.",
        "On Sunday we took the ferry to Bainbridge Island and had lunch in Ballard.",
    ),
    "talk-audience": (
        "In this demo I will show you our open source tool on GitHub.",
        "The benchmark shows that the latency drops by half.",
        "These slides explain the machine learning model behind the API.",
        "Thanks to Alex Rivera for hosting this meetup.",
    ),
    "spanish-partner": (
        "Me encanta la paella de Valencia.",
        "En verano bebo horchata muy fría.",
        "Las Fallas son en marzo y hay mucho ruido.",
        "Los sábados como tapas con mis amigos en Madrid.",
        "Fui a la Albufera en bicicleta.",
        "Hola Lucía, vivo en Barcelona desde hace dos años.",
        "Para desayunar me gustan los churros con chocolate.",
        "Juego al fútbol los domingos con mi hermano.",
    ),
    "french-partner": (
        "Je vais à la boulangerie tous les matins pour acheter une baguette.",
        "Bonjour Camille, j'habite à Lyon depuis un an.",
        "Le dimanche je monte à Fourvière avec mes amis.",
        "On se retrouve place Bellecour à midi.",
        "J'aime me promener dans le Vieux Lyon.",
        "Le matin je prends un croissant et un café.",
        "Le Rhône et la Saône se rejoignent à Lyon.",
        "Je vais au cinéma à Paris ce week-end.",
    ),
}
"""What a user of each built-in persona might say, using the persona's own words."""


def terms_in(sentence: str, vocabulary: Sequence[str]) -> list[str]:
    """The vocabulary's terms said in `sentence`, written as in the vocabulary ("Go" the
    language, not "go through"), the longer of two overlapping ones only."""
    found = [t for t in vocabulary if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", sentence)]
    return [t for t in found
            if not any(t != o and len(o) > len(t) and heard_term(t, o) for o in found)]


def heard_term(term: str, text: str) -> bool:
    """Whether `text` holds `term` as whole words: case, accents and hyphens aside, and the
    term's words may be written together ("Wi-Fi", "WiFi", "wi fi")."""
    want = words(term)
    got = words(text)
    if not want:
        return False
    joined = "".join(want)
    for i in range(len(got)):
        if got[i: i + len(want)] == want:
            return True
        run = ""
        for w in got[i:]:
            run += w
            if run == joined:
                return True
            if not joined.startswith(run):
                break
    return False


@dataclass(frozen=True)
class Clip:
    persona: str
    language: str
    text: str  # what was said
    engine: str  # piper, espeak or recorded
    rate: float
    samples: np.ndarray  # as the conversation hands the turn over
    terms: tuple[str, ...] = ()


def _piper() -> Callable[[str, float], np.ndarray]:
    from voice_rp.audio import SAMPLE_RATE, pcm16_to_float, resample
    from voice_rp.tts import VoiceCatalog

    synth = VoiceCatalog().synthesizer("joe")

    def say(text: str, rate: float) -> np.ndarray:
        pcm = b"".join(synth.synthesize(text, rate=rate))
        return resample(pcm16_to_float(pcm), synth.sample_rate, SAMPLE_RATE)

    return say


def synthetic_clips(cache: Path, vocabularies: dict[str, tuple[str, ...]],
                    languages: dict[str, str], *, rates: Sequence[float] = RATES) -> list[Clip]:
    """Every sentence by every engine at every rate, cached as WAVs keyed by engine, rate, text."""
    from voice_rp.audio import SAMPLE_RATE, float_to_pcm16, pcm16_to_float, read_wav, wav_bytes

    piper: Callable[[str, float], np.ndarray] | None = None
    pad = np.zeros(SAMPLE_RATE // 5, np.float32)  # the endpointer's 0.2 s pre- and post-roll
    out = []
    for persona, sentences in SENTENCES.items():
        language = languages[persona]
        engines = ("piper", "espeak") if language == "en" else ("espeak",)
        for text in sentences:
            for engine in engines:
                for rate in rates:
                    key = hashlib.sha1(f"{engine}\n{language}\n{rate}\n{text}".encode())
                    wav = cache / f"{key.hexdigest()[:16]}.wav"
                    if wav.is_file():
                        speech = read_wav(str(wav)).samples
                    else:
                        if engine == "piper":
                            piper = piper or _piper()
                            raw = piper(text, rate)
                        else:
                            raw = espeak(text, voice=ESPEAK_VOICES[language],
                                         words_per_minute=round(150 * rate))
                        speech = pcm16_to_float(float_to_pcm16(trim_speech(raw)))
                        cache.mkdir(parents=True, exist_ok=True)
                        wav.write_bytes(wav_bytes(float_to_pcm16(speech), SAMPLE_RATE))
                    clip = np.concatenate([pad, speech, pad])
                    clip = clip + noise_floor(len(clip) / SAMPLE_RATE, dbfs=-60)[: len(clip)]
                    out.append(Clip(persona, language, text, engine, rate,
                                    clip.astype(np.float32),
                                    tuple(terms_in(text, vocabularies[persona]))))
    return out


def recorded_clips(language: str, cache: Path, limit: int | None) -> list[Clip]:
    return [Clip("", language, c.text, "recorded", 1.0, pipeline_cut(c.samples).turn)
            for c in real_clips(language, cache_dir=cache, limit=limit)]


Decode = Callable[[np.ndarray, str], str]


@dataclass(frozen=True)
class Heard:
    clip: Clip
    text: str
    ms: float


def decode_all(clips: Sequence[Clip], decode: Decode) -> list[Heard]:
    out = []
    for clip in clips:
        start = time.perf_counter()
        text = decode(clip.samples, clip.language)
        out.append(Heard(clip, text, (time.perf_counter() - start) * 1000))
    return out


def score(heard: Sequence[Heard]) -> dict[str, Any]:
    """Term accuracy, WER and ms per decode over these decodes."""
    hit = n_terms = 0
    errors = n_words = 0.0
    missed: list[dict[str, str]] = []
    for h in heard:
        n = len(words(h.clip.text))
        errors += wer(h.clip.text, h.text) * n
        n_words += n
        for term in h.clip.terms:
            n_terms += 1
            if heard_term(term, h.text):
                hit += 1
            elif len(missed) < 12:
                missed.append({"term": term, "said": h.clip.text, "heard": h.text,
                               "by": f"{h.clip.engine} {h.clip.rate}"})
    return {"terms": round(hit / n_terms, 4) if n_terms else None, "terms_n": n_terms,
            "terms_hit": hit, "wer": round(errors / n_words, 4) if n_words else None,
            "clips": len(heard), "ms": summarize(h.ms for h in heard), "missed": missed}


def ours(transcriber: Any, prompt: str | None) -> Decode:
    """voice-rp's own decode of a turn, with this prompt."""
    def decode(samples: np.ndarray, language: str) -> str:
        return str(transcriber.transcribe(samples, language=language, prompt=prompt).text)
    return decode


def standard(transcriber: Any, *, initial_prompt: str | None = None,
             hotwords: str | None = None) -> Decode:
    """faster-whisper's standard decode (30 s window, greedy, no timestamps)."""
    def decode(samples: np.ndarray, language: str) -> str:
        segments, _ = transcriber._model.transcribe(
            samples, language=language, beam_size=1, without_timestamps=True,
            condition_on_previous_text=False, initial_prompt=initial_prompt, hotwords=hotwords)
        return "".join(s.text for s in segments).strip()
    return decode


def _row(name: str, r: dict[str, Any]) -> str:
    terms = "-" if r["terms"] is None else f"{r['terms']:.1%} of {r['terms_n']}"
    return (f"  {name:36} {terms:>13} {r['wer']:7.3f} {r['ms']['p50']:7.0f} "
            f"{r['ms']['p95']:7.0f}")


def _header(title: str) -> None:
    print(f"\n{title}\n  {'decode':36} {'terms heard':>13} {'WER':>7} {'p50 ms':>7} {'p95 ms':>7}")


def run_model(model: str, personas: Sequence[str], synthetic: list[Clip],
              recorded: dict[str, list[Clip]], vocabularies: dict[str, tuple[str, ...]],
              languages: dict[str, str]) -> dict[str, Any]:
    """Every variant of `model` on its clips; prints the tables, returns the figures."""
    from voice_rp.config import Settings
    from voice_rp.stt import FILLER_PROMPT, WhisperTranscriber, hint_list

    settings = Settings.from_env(os.environ)  # the app's own decoding for the model's kind
    transcriber = WhisperTranscriber.load(model, cache_dir=settings.stt_cache_dir,
                                          options=settings.whisper)
    if transcriber.multilingual:
        transcriber.options = settings.whisper_multilingual
    transcriber.transcribe(noise_floor(1.0, dbfs=-60), language=synthetic[0].language)  # warm
    out: dict[str, Any] = {}
    heard_all: dict[str, list[Heard]] = {}
    for persona in personas:
        clips = [c for c in synthetic if c.persona == persona]
        hints = hint_list(vocabularies[persona])
        variants: dict[str, tuple[Decode, list[Clip]]] = {
            "no hints": (ours(transcriber, None), clips),
            "hints": (ours(transcriber, hints), clips),
        }
        if model == "tiny.en":
            rate_1 = [c for c in clips if c.rate == 1.0]
            variants |= {
                "hints after 'Glossary:'": (ours(transcriber, f"Glossary: {hints}"), clips),
                "fillers": (ours(transcriber, FILLER_PROMPT), clips),
                "hints + fillers": (ours(transcriber, f"{hints} {FILLER_PROMPT}"), clips),
                "standard, rate 1.0, no hints": (standard(transcriber), rate_1),
                "standard, rate 1.0, initial_prompt": (
                    standard(transcriber, initial_prompt=hints), rate_1),
                "standard, rate 1.0, hotwords": (standard(transcriber, hotwords=hints), rate_1),
            }
        _header(f"{model}, {persona}: {len(clips)} clips")
        mine = out.setdefault(persona, {})
        for name, (decode, subset) in variants.items():
            heard = decode_all(subset, decode)
            heard_all.setdefault(name, []).extend(heard)
            mine[name] = score(heard)
            print(_row(name, mine[name]))
        for voice in sorted({(c.engine, c.rate) for c in clips}):
            b, a = (score([h for h in heard_all[name] if h.clip.persona == persona
                           and (h.clip.engine, h.clip.rate) == voice])
                    for name in ("no hints", "hints"))
            mine.setdefault("by_voice", {})[f"{voice[0]} {voice[1]}"] = {"no hints": b,
                                                                        "hints": a}
            print(f"    {voice[0]:6} {voice[1]:4}: terms {b['terms']:.0%} -> {a['terms']:.0%}, "
                  f"WER {b['wer']:.3f} -> {a['wer']:.3f}")
        for miss in mine["hints"]["missed"][:4]:
            print(f"    still missed: {miss['term']!r} in {miss['heard']!r} ({miss['by']})")
    _header(f"{model}, all {len(personas)} personas' sentences")
    out["all"] = {name: score(heard) for name, heard in heard_all.items()}
    for name, r in out["all"].items():
        print(_row(name, r))
    for voice in sorted({(c.engine, c.rate) for c in synthetic}):
        b, a = (score([h for h in heard_all[name] if (h.clip.engine, h.clip.rate) == voice])
                for name in ("no hints", "hints"))
        out["all"].setdefault("by_voice", {})[f"{voice[0]} {voice[1]}"] = {"no hints": b,
                                                                          "hints": a}
        print(f"    {voice[0]:6} {voice[1]:4}: terms {b['terms']:.1%} -> {a['terms']:.1%}, "
              f"WER {b['wer']:.3f} -> {a['wer']:.3f}")
    for language, clips in recorded.items():
        _header(f"{model}, recorded human speech ({language}): {len(clips)} clips")
        rec = out.setdefault(f"recorded-{language}", {})
        rec["no hints"] = score(decode_all(clips, ours(transcriber, None)))
        print(_row("no hints", rec["no hints"]))
        for persona in personas:
            if languages[persona] == language:
                hints = hint_list(vocabularies[persona])
                rec[f"hints: {persona}"] = score(decode_all(clips, ours(transcriber, hints)))
                print(_row(f"hints: {persona}", rec[f"hints: {persona}"]))
    silent = [noise_floor(s, dbfs=db, seed=k) for k, (s, db) in enumerate(
        [(0.5, -60), (1.0, -50), (2.0, -45), (4.0, -40), (1.0, -35), (3.0, -60)])]
    noise = {p: [ours(transcriber, hint_list(vocabularies[p]))(a, languages[p])
                 for a in silent] for p in personas}
    out["noise"] = noise
    texts = [t for ts in noise.values() for t in ts if t.strip(" .")]
    print(f"\n  noise alone, {len(silent)} clips x {len(personas)} personas' hints: "
          f"{len(texts)} not empty {texts[:3]}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--no-base", action="store_true", help="skip Spanish and French (base)")
    p.add_argument("--no-real", action="store_true", help="skip recorded human speech")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from voice_rp.personas import builtin_dirs, find_persona

    personas = {pid: find_persona(pid, builtin_dirs()) for pid in SENTENCES}
    vocabularies = {pid: persona.vocabulary for pid, persona in personas.items()}
    languages = {pid: persona.language for pid, persona in personas.items()}
    cache = Path.home() / ".cache" / "voice-rp"
    began = time.perf_counter()
    synthetic = synthetic_clips(cache / "bench-vocabulary", vocabularies, languages)
    print(f"CPU {cpu_model()}; load average {os.getloadavg()[0]:.2f}; "
          f"{len(synthetic)} synthetic clips in {time.perf_counter() - began:.0f} s")
    results: dict[str, Any] = {}
    english = [pid for pid in SENTENCES if languages[pid] == "en"]
    # Every English recording (187 Asterisk prompts, LibriVox, read commands); 60 a language
    # for the multilingual base, whose decodes take a second or more each.
    recorded = {} if args.no_real else {"en": recorded_clips("en", cache / "real-speech", None)}
    results["tiny.en"] = run_model("tiny.en", english,
                                   [c for c in synthetic if c.language == "en"], recorded,
                                   vocabularies, languages)
    if not args.no_base:
        others = [pid for pid in SENTENCES if languages[pid] != "en"]
        recorded = {} if args.no_real else {
            lang: recorded_clips(lang, cache / "real-speech", 60) for lang in ("es", "fr")}
        results["base"] = run_model("base", others,
                                    [c for c in synthetic if c.language != "en"], recorded,
                                    vocabularies, languages)
    print(f"\n{time.perf_counter() - began:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_model(), "results": results}, indent=2,
                                        ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
