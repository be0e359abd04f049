#!/usr/bin/env python3
"""Listening benchmark: is each kind of user turn read right, and answered fittingly, when it
is spoken through the real server?

    .venv/bin/python scripts/bench_listening.py [--quick] [--rates 0.85,1.0,1.2]
        [--engines piper,espeak] [--language en ...] [--kind distress ...] [--parallel N]
        [--show-misses] [--json out.json] [--server-root DIR]

Labelled turns of every kind (scripts/bench/listening_probes.py: distress, ai_check, recall,
clarify, question, off_topic, stall, abuse, stop, recasts of a learner's error, and ordinary
answers that use alarming words) are synthesised (English by Piper's bundled voice and by
espeak-ng; Spanish and French by espeak-ng) at each rate, and spoken to the server
(`python -m server` on a free loopback port, as scripts/bench_fidelity.py starts it) in 20 ms
frames at real-time pace, waiting for each reply to be played. The probes that leave the
scenario standing share one session per persona, after setup turns ("Hi, my name is Sam and I
work at Acme..."); distress, stop and abuse get a session each. A session the scenario ends
early is started again (setup first) for the probes left.

Per kind (and per language and per voice) it prints how many turns were read right (the
`transcript` message's `kind`) and answered fittingly (docs/listening.md: a `safety` message
and a crisis line for distress, "AI" for ai_check, the user's name for recall, the question's
plainer wording for clarify, ...), and the false-alarm rate of ordinary answers.
--show-misses prints what Whisper heard, what kind was read (and what the classifier reads on
the script's own text) and what was replied, for every miss. Synthesised clips are cached
(--cache), so a rerun speaks the same audio. --quick speaks each engine at rate 1.0 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.listening_probes import (  # noqa: E402
    DISRUPTIVE,
    KINDS,
    LANGUAGES,
    PROBES,
    Asked,
    Exchange,
    Probe,
    Scored,
    SessionPlan,
    askable,
    asking,
    current_question,
    plan_sessions,
    score,
    summarize,
    table,
)
from bench.machine import cpu_facts  # noqa: E402
from bench.runner import Inbox, Microphone  # noqa: E402
from bench.utterances import Line, Utterance, assemble, espeak  # noqa: E402
from bench_fidelity import _ESPEAK_VOICES, _listen, start_server  # noqa: E402
from bench_latency import free_port, stop, wait_ready  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

from voice_rp import protocol as proto  # noqa: E402
from voice_rp.audio import (  # noqa: E402
    SAMPLE_RATE,
    float_to_pcm16,
    pcm16_to_float,
    read_wav,
    resample,
    wav_bytes,
)
from voice_rp.listening.turn_kind import read_turn  # noqa: E402
from voice_rp.personas import Persona, list_personas  # noqa: E402

_WPM = {"en": 150, "es": 130, "fr": 130}
"""espeak-ng's words a minute at rate 1.0: the other benchmarks' pace (utterances.espeak,
bench_fidelity's Spanish and French)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rates", default="0.85,1.0,1.2",
                   help="speaking rates, comma-separated (default 0.85,1.0,1.2)")
    p.add_argument("--engines", default="piper,espeak",
                   help="speech engines for English (Spanish and French: espeak only)")
    p.add_argument("--quick", action="store_true", help="rate 1.0 only (one rate per engine)")
    p.add_argument("--language", action="append", choices=LANGUAGES, default=[],
                   help="only these languages (repeatable)")
    p.add_argument("--kind", action="append", choices=KINDS, default=[],
                   help="only probes of these kinds (repeatable)")
    p.add_argument("--parallel", type=int, default=3,
                   help="sessions at once (they mostly wait for speech to play; default 3)")
    p.add_argument("--show-misses", action="store_true",
                   help="print what was heard, read and replied for every miss")
    p.add_argument("--json", type=Path, metavar="PATH", help="write every turn and score")
    p.add_argument("--server-root", type=Path, default=ROOT,
                   help="run the server from this checkout (e.g. another branch, for a before)")
    p.add_argument("--server-log", type=Path, help="keep the server's log here")
    p.add_argument("--noise-dbfs", type=float, default=-60.0)
    p.add_argument("--cache", type=Path,
                   default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                   / "voice-rp" / "bench-speech",
                   help="where synthesized turns are kept between runs")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- speech


@dataclass(frozen=True)
class Voice:
    engine: str  # "piper" or "espeak"
    rate: float

    @property
    def label(self) -> str:
        return f"{self.engine}@{self.rate:g}"


def voices_for(language: str, engines: Sequence[str], rates: Sequence[float]) -> list[Voice]:
    """Piper's bundled voice speaks English only; espeak-ng speaks all three languages."""
    return [Voice(e, r) for e in engines for r in rates if e == "espeak" or language == "en"]


class Speech:
    """Synthesised turns, cached as WAVs keyed by engine, language, rate and text: Piper's
    output differs on every run, so a rerun must send the audio of the first."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self._piper: Callable[[str, float], np.ndarray] | None = None

    def say(self, text: str, language: str, voice: Voice) -> Utterance:
        line = Line(text[:24], (text,), "piper" if voice.engine == "piper" else "espeak")
        key = hashlib.sha1(f"listening\n{voice.engine}\n{language}\n{voice.rate:g}\n{text}"
                           .encode()).hexdigest()[:16]
        cached = self.cache / f"{key}.wav"
        if cached.is_file():
            return assemble(line, [read_wav(str(cached)).samples])
        samples = self._synthesize(text, language, voice)
        pcm = float_to_pcm16(samples)  # quantised like the cached copy
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(wav_bytes(pcm, SAMPLE_RATE))
        return assemble(line, [pcm16_to_float(pcm)])

    def _synthesize(self, text: str, language: str, voice: Voice) -> np.ndarray:
        if voice.engine == "espeak":
            return espeak(text, voice=_ESPEAK_VOICES.get(language, "en-us"),
                          words_per_minute=round(_WPM[language] * voice.rate))
        if self._piper is None:
            from voice_rp.tts import VoiceCatalog

            synth = VoiceCatalog().synthesizer("joe")

            def piper(said: str, rate: float) -> np.ndarray:
                pcm = b"".join(synth.synthesize(said, rate=rate))
                return resample(pcm16_to_float(pcm), synth.sample_rate, SAMPLE_RATE)

            self._piper = piper
        return self._piper(text, voice.rate)


# --------------------------------------------------------------------------- one session


@dataclass(frozen=True)
class Job:
    plan: SessionPlan
    persona: Persona
    voice: Voice
    speech: dict[str, Utterance]
    asked: list[Asked]


class Refused(Exception):
    """The server was busy: try the session again shortly."""


async def run_job(url: str, job: Job, *, noise: float | None) -> list[Scored]:
    """Every probe of the plan, starting the session again when the scenario ends early."""
    pending = list(job.plan.probes)
    out: list[Scored] = []
    sessions = refusals = 0
    while pending and sessions <= len(job.plan.probes):
        try:
            out += await _session(url, job, pending, noise=noise)
            sessions += 1
        except Refused as busy:
            refusals += 1
            if refusals > 60:
                raise RuntimeError(f"the server stayed busy: {busy}") from busy
            await asyncio.sleep(5.0)
    if pending:
        print(f"  {job.persona.id} {job.voice.label}: never said {[p.id for p in pending]}",
              file=sys.stderr)
    return out


async def _session(url: str, job: Job, pending: list[Probe], *, noise: float | None
                   ) -> list[Scored]:
    try:
        async with connect(url, max_size=16 * 2**20, compression=None) as ws:
            return await _talk(ws, job, pending, noise=noise)
    except InvalidStatus as exc:  # 503 before the upgrade: too many connections
        raise Refused(str(exc)) from exc


async def _talk(ws: ClientConnection, job: Job, pending: list[Probe], *, noise: float | None
                ) -> list[Scored]:
    """One session: the opening line, the setup turns, then probes until the session ends."""
    clock = time.perf_counter
    inbox = Inbox(clock)
    out: list[Scored] = []
    receiver = asyncio.create_task(inbox.receive(ws))
    sender: asyncio.Task[None] | None = None
    try:
        await ws.send(proto.encode(proto.Start(persona=job.persona.id, options={})))
        await inbox.wait_for(lambda: inbox.since(0, proto.Ready)
                             or inbox.since(0, proto.ErrorMessage), 600)
        ready = inbox.since(0, proto.Ready)
        if not ready:
            errors = [m for _, m in inbox.since(0, proto.ErrorMessage)]
            if any(m.code == "server_busy" for m in errors):
                raise Refused(errors[0].message)
            raise RuntimeError(f"the server refused the session: {errors or inbox.messages}")
        mic = Microphone(ws, clock, noise_dbfs=noise)
        sender = asyncio.create_task(mic.run())

        def over() -> bool:
            return bool(inbox.since(0, proto.SessionEnd)) or inbox.closed

        before = ""
        if ready[0][1].persona.get("speaks_first", True):
            before = await _listen(inbox, 0, clock)
        setup_heard: list[str] = []
        for text in job.plan.setup:
            if over():
                return out
            mark = len(inbox.messages)
            await mic.say(job.speech[text])
            heard = await _heard(inbox, mark)
            before = asking(before, await _listen(inbox, heard, clock, 60.0), job.asked)
            setup_heard += [m.text for _, m in inbox.since(mark, proto.Transcript)]
        while pending and not over():
            probe = pending.pop(0)
            mark = len(inbox.messages)
            spoken = await mic.say(job.speech[probe.text])
            heard = await _heard(inbox, mark)
            if pending and probe.kind not in DISRUPTIVE:
                reply = await _listen(inbox, heard, clock, 60.0)
            else:  # the session's last word: no need to hear it out
                reply = await _reply(inbox, heard, 60.0)
            if probe.kind == "stop":
                await inbox.wait_for(functools.partial(inbox.since, mark, proto.SessionEnd), 30.0)
            done = inbox.since(heard, proto.ReplyDone)
            reply_done_s = round(done[0][0] - spoken.last_speech_at, 2) if done else None
            out.append(_scored(job, probe, inbox, mark, reply, before, tuple(setup_heard),
                               reply_done_s))
            before = asking(before, reply, job.asked)
        return out
    finally:
        if sender is not None:
            sender.cancel()
        with contextlib.suppress(ConnectionClosed):
            await ws.send(proto.encode(proto.End()))
        await asyncio.wait([receiver], timeout=10.0)
        receiver.cancel()


async def _heard(inbox: Inbox, mark: int, within_s: float = 30.0) -> int:
    """Where the turn's first transcript is in the inbox, once it came (`mark` if none did): a
    reply is looked for after it, so a late reply to the turn before is not taken for it."""

    def found() -> int | None:
        return next((i for i, (_, m) in enumerate(inbox.messages[mark:], mark)
                     if isinstance(m, proto.Transcript)), None)

    at = await inbox.wait_for(found, within_s)
    return mark if at is None else int(at)


async def _reply(inbox: Inbox, mark: int, within_s: float) -> str:
    """The reply's text as soon as it is done (not played out: nothing is said after it)."""
    await inbox.wait_for(lambda: inbox.since(mark, proto.ReplyDone)
                         or inbox.since(mark, proto.SessionEnd), within_s)
    done = inbox.since(mark, proto.ReplyDone)
    return done[0][1].text if done else ""


def _scored(job: Job, probe: Probe, inbox: Inbox, mark: int, reply: str, before: str,
            setup_heard: tuple[str, ...], reply_done_s: float | None) -> Scored:
    transcripts = [m for _, m in inbox.since(mark, proto.Transcript)]
    ended = inbox.since(mark, proto.SessionEnd)
    ex = Exchange(probe, job.voice.label, tuple(m.text for m in transcripts),
                  tuple(m.kind for m in transcripts), reply,
                  safety=bool(inbox.since(mark, proto.Safety)),
                  ended=ended[0][1].reason if ended else "", before=before,
                  setup_heard=setup_heard, reply_done_s=reply_done_s,
                  events=_events(inbox, mark))
    asked = current_question(before, job.asked)
    text_kind = read_turn(probe.text, language=job.persona.language,
                          persona_kind=job.persona.kind,
                          question=asked.text if asked else "").kind.value
    return score(ex, job.asked, text_kind=text_kind)


def _events(inbox: Inbox, mark: int) -> str:
    """The messages that tell a turn's story, in order: "transcript:4 audio_start:4 ..."."""
    shown = (proto.Transcript, proto.Safety, proto.AudioStart, proto.Clear, proto.ReplyDone,
             proto.ErrorMessage, proto.SessionEnd)
    out = []
    for _, m in inbox.messages[mark:]:
        if isinstance(m, shown):
            turn = getattr(m, "turn", None)
            out.append(m.TYPE if turn is None else f"{m.TYPE}:{turn}")
    return " ".join(out)


# --------------------------------------------------------------------------- the run


async def run_all(url: str, jobs: list[Job], *, parallel: int, noise: float | None
                  ) -> list[Scored]:
    gate = asyncio.Semaphore(max(1, parallel))

    async def one(job: Job) -> list[Scored]:
        async with gate:
            name = f"{job.persona.id} {job.voice.label}"
            print(f"  {name}: {len(job.plan.probes)} probe(s)...", file=sys.stderr, flush=True)
            scored = await run_job(url, job, noise=noise)
            right = sum(s.read_right for s in scored)
            fit = sum(s.fitting for s in scored)
            print(f"  {name}: read {right}/{len(scored)}, fitting {fit}/{len(scored)}",
                  file=sys.stderr, flush=True)
            return scored

    results = await asyncio.gather(*(one(job) for job in jobs))
    return [s for scored in results for s in scored]


def rates_of(args: argparse.Namespace) -> list[float]:
    return [1.0] if args.quick else [float(r) for r in args.rates.split(",") if r.strip()]


def make_jobs(args: argparse.Namespace, personas: dict[str, Persona]) -> list[Job]:
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - {"piper", "espeak"}
    if unknown:
        raise SystemExit(f"unknown engine(s): {', '.join(sorted(unknown))}")
    rates = rates_of(args)
    probes = [p for p in PROBES if (not args.language or p.language in args.language)
              and (not args.kind or p.kind in args.kind)]
    speech = Speech(args.cache)
    jobs = []
    for plan in plan_sessions(probes):
        persona = personas[plan.persona]
        for voice in voices_for(plan.language, engines, rates):
            said = {t: speech.say(t, plan.language, voice)
                    for t in (*plan.setup, *(p.text for p in plan.probes))}
            jobs.append(Job(plan, persona, voice, said, askable(persona.flow)))
    # The longest sessions first, so the parallel ones finish about together.
    return sorted(jobs, key=lambda j: -j.plan.turns)


def misses(scored: Sequence[Scored]) -> list[str]:
    lines = []
    for s in scored:
        if s.read_right and s.fitting:
            continue
        ex = s.exchange
        lines.append(f"[{ex.voice}] {ex.probe.id} ({ex.probe.persona}): said {ex.probe.text!r}\n"
                     f"    heard {' | '.join(ex.heard) or '(nothing)'!r}; read "
                     f"{'/'.join(ex.kinds) or '-'} (want {ex.probe.reads_as}; the text reads "
                     f"{s.text_kind}){'; safety' if ex.safety else ''}"
                     f"{'; ended ' + ex.ended if ex.ended else ''}\n"
                     f"    replied {ex.reply!r} (done {ex.reply_done_s} s after the speech); "
                     f"{ex.events}"
                     + (f"\n    setup heard {' | '.join(ex.setup_heard)!r}"
                        if ex.probe.kind == "recall" else "")
                     + (f"\n    not fitting: {s.why}" if not s.fitting else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = cpu_facts()
    print(f"machine: {machine['cpu']} ({machine['cores']} cores, "
          f"{' '.join(machine['vector']) or 'no AVX2'})")
    personas = {p.id: p for p in list_personas([ROOT / "personas"])}
    print("synthesizing the user's turns...", file=sys.stderr)
    jobs = make_jobs(args, personas)
    if not jobs:
        raise SystemExit("no probes match --language/--kind/--engines")
    tmp = tempfile.TemporaryDirectory(prefix="voice-rp-listening-")
    started = time.time()
    server: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        log = args.server_log or Path(tmp.name) / "server.log"
        server = start_server(args.server_root.resolve(), port, Path(tmp.name) / "data", log,
                              None, args.parallel)
        wait_ready(f"http://127.0.0.1:{port}", server)
        print(f"server ready (root {args.server_root}, log {log}); {len(jobs)} sessions...",
              file=sys.stderr)
        noise = None if args.noise_dbfs != args.noise_dbfs else args.noise_dbfs
        scored = asyncio.run(run_all(f"ws://127.0.0.1:{port}/ws", jobs,
                                     parallel=args.parallel, noise=noise))
    finally:
        if server is not None:
            stop(server)
        tmp.cleanup()
    duration = round(time.time() - started, 1)
    summary = summarize(scored)
    print(table(summary))
    voices = sorted({j.voice.label for j in jobs})
    print(f"{len(scored)} turns, voices {', '.join(voices)}, {duration:.0f} s")
    if args.show_misses:
        print("\nmisses:")
        print("\n".join(misses(scored)) or "(none)")
    if args.json:
        out: dict[str, Any] = {
            "machine": machine,
            "config": {"rates": rates_of(args), "engines": args.engines,
                       "parallel": args.parallel, "server_root": str(args.server_root),
                       "duration_s": duration},
            "summary": summary, "turns": [s.as_dict() for s in scored]}
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
