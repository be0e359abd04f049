#!/usr/bin/env python3
"""Persona-fidelity benchmark: does each built-in persona play its part, turn after turn?

    .venv/bin/python scripts/bench_fidelity.py [--json out.json] [--persona ID ...]
        [--capable-fake] [--server-root DIR] [--parallel N]

It starts the server (`python -m server` from --server-root, default this checkout) on a free
loopback port, speaks scripted user turns for every built-in persona (Piper or espeak-ng
speech, 20 ms frames at real-time pace, waiting for each reply to finish playing) and scores
every reply with plain checks: in role (no labels, no "as an AI", not written as the user), no
stage directions, asks a question when its stage calls for one, not a near-copy of an earlier
reply, not an echo of the user, speakable length, in the persona's language. Each session is
scored for progression: distinct questions asked, a follow-up after a vague answer, and whether
the scenario closed. --capable-fake runs the server against a fake capable endpoint
(scripts/bench/fake_llm.py) instead of the embedded model. README.md ("Persona-fidelity
benchmark") explains the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fidelity_score import ScoredSession, score_session, summarize, table  # noqa: E402
from bench.fidelity_scripts import Turn, script_for  # noqa: E402
from bench.runner import Inbox, Microphone  # noqa: E402
from bench.stats import playback_gaps  # noqa: E402
from bench.utterances import Line, Utterance, assemble, espeak, synthesize  # noqa: E402
from bench_latency import free_port, stop, wait_ready  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from voice_rp import protocol as proto  # noqa: E402
from voice_rp.audio import SAMPLE_RATE, float_to_pcm16, pcm16_to_float  # noqa: E402
from voice_rp.personas import Persona, list_personas  # noqa: E402

_ESPEAK_VOICES = {"es": "es", "fr": "fr-fr"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--persona", action="append", default=[],
                   help="only this built-in (repeatable; default: all of them)")
    p.add_argument("--json", type=Path, metavar="PATH", help="write every reply and score")
    p.add_argument("--capable-fake", action="store_true",
                   help="serve the chat from a fake capable endpoint, not the embedded model")
    p.add_argument("--server-root", type=Path, default=ROOT,
                   help="run the server from this checkout (e.g. another branch, for a before)")
    p.add_argument("--parallel", type=int, default=3,
                   help="sessions at once (they mostly wait for speech to play; default 3)")
    p.add_argument("--noise-dbfs", type=float, default=-60.0)
    p.add_argument("--cache", type=Path,
                   default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                   / "voice-rp" / "bench-speech",
                   help="where synthesized turns are kept between runs")
    p.add_argument("--server-log", type=Path, help="keep the server's log here")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- speech


def speak_turns(turns: tuple[Turn, ...], language: str, cache: Path) -> list[Utterance]:
    primary = language.split("-")[0]
    if primary == "en":
        # Two voices, alternating, as two different people would sound.
        lines = [Line(f"t{n}", (t.text,), "piper" if n % 2 else "espeak")
                 for n, t in enumerate(turns)]
        return synthesize(lines, cache)
    out = []
    for n, turn in enumerate(turns):
        key = hashlib.sha1(f"espeak-{primary}\n{turn.text}".encode()).hexdigest()[:16]
        cached = cache / f"{key}.pcm"
        if cached.is_file():
            samples = pcm16_to_float(cached.read_bytes())
        else:
            samples = espeak(turn.text, voice=_ESPEAK_VOICES.get(primary, primary),
                             words_per_minute=130)
            cache.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(float_to_pcm16(samples))
            samples = pcm16_to_float(float_to_pcm16(samples))
        out.append(assemble(Line(f"t{n}", (turn.text,), "espeak"), [samples]))
    return out


# --------------------------------------------------------------------------- one session


async def run_session(url: str, persona: Persona, turns: tuple[Turn, ...],
                      speech: list[Utterance], *, noise: float | None) -> ScoredSession:
    clock = time.perf_counter
    inbox = Inbox(clock)
    exchanges: list[tuple[Turn, str, str]] = []
    errors: list[str] = []
    opening = ""
    async with connect(url, max_size=16 * 2**20, compression=None) as ws:
        receiver = asyncio.create_task(inbox.receive(ws))
        await ws.send(proto.encode(proto.Start(persona=persona.id, options={})))
        await inbox.wait_for(lambda: inbox.since(0, proto.Ready)
                             or inbox.since(0, proto.ErrorMessage), 600)
        mic = Microphone(ws, clock, noise_dbfs=noise)
        sender = asyncio.create_task(mic.run())
        try:
            opening = await _listen(inbox, 0, clock)
            for turn, utt in zip(turns, speech, strict=True):
                if inbox.since(0, proto.SessionEnd) or inbox.closed:
                    break
                mark = len(inbox.messages)
                await mic.say(utt)
                reply = await _listen(inbox, mark, clock)
                heard = " ".join(m.text for _, m in inbox.since(mark, proto.Transcript))
                exchanges.append((turn, heard, reply))
            await inbox.wait_for(lambda: inbox.since(0, proto.SessionEnd), 5.0)
        finally:
            sender.cancel()
            errors = [f"{m.code}: {m.message}" for _, m in inbox.since(0, proto.ErrorMessage)]
            with contextlib.suppress(ConnectionClosed):
                await ws.send(proto.encode(proto.End()))
            await asyncio.wait([receiver], timeout=10.0)
            receiver.cancel()
    ended = inbox.since(0, proto.SessionEnd)
    reason = ended[0][1].reason if ended else ""
    bank = [q.text for q in persona.flow.bank] if persona.flow else []
    scored = score_session(persona.id, persona.kind, persona.language, opening, exchanges,
                           bank=bank, closed=reason == "scenario_complete", end_reason=reason)
    scored.errors = errors
    return scored


async def _listen(inbox: Inbox, mark: int, clock: Any, within_s: float = 120.0) -> str:
    """The persona's next reply after message `mark`, heard to its end ("" if none came)."""
    done = await inbox.wait_for(lambda: inbox.since(mark, proto.ReplyDone)
                                or inbox.since(mark, proto.SessionEnd), within_s)
    replies = inbox.since(mark, proto.ReplyDone)
    if not done or not replies:
        return ""
    msg = replies[0][1]
    _, play_end = playback_gaps(inbox.audio.get(msg.turn, []))
    await asyncio.sleep(max(0.0, play_end - clock()) + 0.8)  # then a person's pause
    return msg.text


# --------------------------------------------------------------------------- the run


def start_server(root: Path, port: int, data_dir: Path, log_path: Path,
                 llm_url: str | None, sessions: int) -> subprocess.Popen[bytes]:
    """The server under test; it admits the `sessions` the benchmark runs at once (the fidelity
    of each reply is measured here, not how many sessions this machine can carry)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VOICE_RP_LLM"))}
    env.update(HF_HUB_OFFLINE="1", VOICE_RP_DATA_DIR=str(data_dir), PYTHONPATH=str(root))
    if llm_url:
        env.update(OPENAI_BASE_URL=llm_url, VOICE_RP_LLM_MODEL="fake-capable")
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port",
                             str(port), "--data-dir", str(data_dir),
                             "--max-sessions", str(sessions)],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)


async def run_all(url: str, jobs: list[tuple[Persona, tuple[Turn, ...], list[Utterance]]],
                  *, parallel: int, noise: float | None) -> list[ScoredSession]:
    gate = asyncio.Semaphore(max(1, parallel))

    async def one(persona: Persona, turns: tuple[Turn, ...], speech: list[Utterance]
                  ) -> ScoredSession:
        async with gate:
            print(f"  {persona.id}: talking...", file=sys.stderr, flush=True)
            scored = await run_session(url, persona, turns, speech, noise=noise)
            print(f"  {persona.id}: {len(scored.replies)} replies, closed={scored.closed}",
                  file=sys.stderr, flush=True)
            return scored

    return list(await asyncio.gather(*(one(*job) for job in jobs)))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    personas = [p for p in list_personas([ROOT / "personas"])
                if not args.persona or p.id in args.persona]
    if not personas:
        raise SystemExit(f"no such built-in persona: {', '.join(args.persona)}")
    print("synthesizing the user's turns...", file=sys.stderr)
    jobs = []
    for persona in personas:
        turns = script_for(persona.kind, persona.language)
        jobs.append((persona, turns, speak_turns(turns, persona.language, args.cache)))
    tmp = tempfile.TemporaryDirectory(prefix="voice-rp-fidelity-")
    procs: list[subprocess.Popen[bytes]] = []
    started = time.time()
    try:
        llm_url = None
        if args.capable_fake:
            llm_port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-m", "scripts.bench.fake_llm",
                                           "--port", str(llm_port)], cwd=ROOT,
                                          env={**os.environ, "PYTHONPATH": str(ROOT)}))
            llm_url = f"http://127.0.0.1:{llm_port}/v1"
        port = free_port()
        log = args.server_log or Path(tmp.name) / "server.log"
        server = start_server(args.server_root.resolve(), port, Path(tmp.name) / "data", log,
                              llm_url, args.parallel)
        procs.append(server)
        wait_ready(f"http://127.0.0.1:{port}", server)
        print(f"server ready (root {args.server_root}, log {log}); talking...", file=sys.stderr)
        noise = None if args.noise_dbfs != args.noise_dbfs else args.noise_dbfs
        sessions = asyncio.run(run_all(f"ws://127.0.0.1:{port}/ws", jobs,
                                       parallel=args.parallel, noise=noise))
    finally:
        for proc in reversed(procs):
            stop(proc)
        tmp.cleanup()
    summary = summarize(sessions)
    summary["config"] = {"server_root": str(args.server_root), "capable_fake": args.capable_fake,
                         "parallel": args.parallel, "duration_s": round(time.time() - started, 1),
                         "sample_rate": SAMPLE_RATE}
    print(table(summary))
    for s in sessions:
        if s.errors:
            print(f"{s.persona}: server errors: {s.errors}", file=sys.stderr)
    if args.json:
        summary["sessions"] = [s.as_dict() for s in sessions]
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
