#!/usr/bin/env python3
"""Load benchmark: N simulated users talking to one server at once, in real time.

    flock /tmp/voice-rp-cpu.lock .venv/bin/python scripts/bench_load.py [--users 1,2,4]
        [--turns 4] [--max-sessions 4] [--json out.json]

For each N it starts the product's server (`python -m server`, embedded models) on a free port,
connects N users a little apart, and has each say `--turns` lines at real-time pace (20 ms frames
on the wall clock, silence between turns, as a person listening). Per N it reports the response
latency (end of speech to the first reply audio at the client, holding line included) p50/p95/max
over all admitted users' turns, holding lines, errors, refusals (`server_busy` at start) and the
server's peak RSS. docs/reliability.md holds the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.cpu import cpu_model  # noqa: E402
from bench.runner import Inbox, Microphone  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.stats import summarize  # noqa: E402
from bench.utterances import UTTERANCES, synthesize  # noqa: E402
from bench_latency import free_port, peak_rss_mb, stop, wait_ready  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from voice_rp import protocol as proto  # noqa: E402


@dataclass
class UserResult:
    refused: bool = False
    latencies_ms: list[float] = field(default_factory=list)
    holding_lines: int = 0
    errors: list[str] = field(default_factory=list)
    no_reply: int = 0


async def one_user(url: str, persona: str, lines: list[Any], turns: int, delay_s: float
                   ) -> UserResult:
    await asyncio.sleep(delay_s)
    result = UserResult()
    clock = time.perf_counter
    async with connect(url, max_size=16 * 2**20, compression=None) as ws:
        inbox = Inbox(clock)
        receiver = asyncio.create_task(inbox.receive(ws))
        await ws.send(proto.encode(proto.Start(persona=persona, options={"opening_line": False})))
        await inbox.wait_for(lambda: inbox.since(0, proto.Ready)
                             or inbox.since(0, proto.ErrorMessage), 600)
        errors = inbox.since(0, proto.ErrorMessage)
        if errors and not inbox.since(0, proto.Ready):
            result.refused = errors[0][1].code == proto.SERVER_BUSY
            result.errors.append(errors[0][1].code)
            receiver.cancel()
            return result
        mic = Microphone(ws, clock, noise_dbfs=-60.0)
        sender = asyncio.create_task(mic.run())
        try:
            for i in range(turns):
                utt = lines[i % len(lines)]
                mark = len(inbox.messages)
                spoken = await mic.say(utt)
                end = spoken.last_speech_at

                def answered(mark: int = mark, end: float = end) -> Any:
                    for t, msg in inbox.since(mark, proto.AudioStart):
                        if t >= end:
                            return (t, msg)
                    return inbox.since(mark, proto.ErrorMessage)

                got = await inbox.wait_for(answered, 60.0)
                if isinstance(got, tuple):
                    t, msg = got
                    result.latencies_ms.append((t - end) * 1000.0)
                    turn = msg.turn
                    await inbox.wait_for(lambda turn=turn: inbox.first(proto.ReplyDone, turn)
                                         or inbox.first(proto.Clear, turn), 120.0)
                    metrics = await inbox.wait_for(
                        lambda turn=turn: inbox.first(proto.Metrics, turn), 5.0)
                    if metrics and "holding_line_ms" in metrics[1].stages:
                        result.holding_lines += 1
                    # Listen to the reply to its end, then pause like a person.
                    chunks = inbox.audio.get(turn, [])
                    if chunks:
                        play_end = chunks[0][0] + sum(d for _, d in chunks)
                        await asyncio.sleep(max(0.0, play_end - clock()))
                elif got:
                    result.errors += [getattr(m, "code", "?") for _, m in got]
                else:
                    result.no_reply += 1
                await asyncio.sleep(0.8)
        finally:
            sender.cancel()
            await ws.send(proto.encode(proto.End()))
            await asyncio.wait([receiver], timeout=10)
            receiver.cancel()
    return result


async def run_level(url: str, persona: str, lines: list[Any], users: int, turns: int
                    ) -> list[UserResult]:
    # Users arrive 1.5 s apart, as people do, not in lock step.
    return list(await asyncio.gather(*(one_user(url, persona, lines, turns, 1.5 * i)
                                       for i in range(users))))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", default="1,2,4", help="comma-separated N values (default 1,2,4)")
    p.add_argument("--turns", type=int, default=4, help="turns per user (default 4)")
    p.add_argument("--max-sessions", type=int, default=None,
                   help="the server's --max-sessions (default: the server's own)")
    p.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for the server, e.g. --server-arg=--latency-target-ms "
                        "--server-arg=1e9 to measure without admission control (repeatable)")
    p.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                   help="environment for the server, e.g. VOICE_RP_LLM_ENGINES=1 (repeatable)")
    p.add_argument("--persona", default="behavioural-interviewer")
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "voice-rp" / "bench-speech")
    args = p.parse_args(argv)
    levels = [int(n) for n in args.users.split(",")]
    print("synthesizing the utterances...", file=sys.stderr)
    lines = synthesize(UTTERANCES[:6], args.cache)
    report: list[dict[str, Any]] = []
    for n in levels:
        with tempfile.TemporaryDirectory(prefix="voice-rp-load-") as tmp:
            port = free_port()
            extra = [] if args.max_sessions is None else ["--max-sessions",
                                                          str(args.max_sessions)]
            env = dict(pair.split("=", 1) for pair in args.server_env)
            proc = start_server(port, Path(tmp) / "data", Path(tmp) / "server.log",
                                args=[*extra, *args.server_arg], env=env)
            try:
                wait_ready(f"http://127.0.0.1:{port}", proc)
                t0 = time.monotonic()
                results = asyncio.run(run_level(f"ws://127.0.0.1:{port}/ws", args.persona,
                                                lines, n, args.turns))
                took = time.monotonic() - t0
                rss = peak_rss_mb(proc.pid)
            finally:
                stop(proc)
                log = (Path(tmp) / "server.log").read_text(errors="replace")
        latencies = [x for r in results for x in r.latencies_ms]
        row = {"users": n, "admitted": sum(not r.refused for r in results),
               "refused": sum(r.refused for r in results),
               "turns": len(latencies), "latency_ms": summarize(latencies),
               "holding_lines": sum(r.holding_lines for r in results),
               "no_reply": sum(r.no_reply for r in results),
               "errors": [e for r in results for e in r.errors],
               "peak_rss_mb": rss, "seconds": round(took, 1),
               "tracebacks_in_log": log.count("Traceback")}
        report.append(row)
        lat = row["latency_ms"]
        print(f"N={n}: admitted {row['admitted']}, refused {row['refused']}, turns {row['turns']}"
              f", latency p50 {lat['p50']} ms p95 {lat['p95']} ms max {lat['max']} ms, holding "
              f"lines {row['holding_lines']}, errors {row['errors']}, no reply "
              f"{row['no_reply']}, peak RSS {rss} MB", file=sys.stderr, flush=True)
    if args.json:
        args.json.write_text(json.dumps({"levels": report, "cpu": cpu_model(),
                                         "server_args": args.server_arg,
                                         "server_env": args.server_env}, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
