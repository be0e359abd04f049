#!/usr/bin/env python3
"""Load benchmark: N simulated users talking to one server at once, in real time.

    flock /tmp/voice-rp-cpu.lock .venv/bin/python scripts/bench_load.py [--users 1,2,4]
        [--turns 4] [--max-sessions 4] [--json out.json]
    flock /tmp/voice-rp-cpu.lock .venv/bin/python scripts/bench_load.py --write-capacity

For each N it starts the product's server (`python -m server`, embedded models) on a free port
(or, with `--url`, talks to a running endpoint such as scripts/cluster's nginx), connects N users
a little apart, and has each say `--turns` lines at real-time pace (20 ms frames
on the wall clock, silence between turns, as a person listening). Per N it reports the response
latency (end of speech to the first reply audio at the client, holding line included) p50/p95/max
over all admitted users' turns, holding lines, errors, refusals (`server_busy` at start) and the
server's peak RSS, how each session ended for the client, the CPU seconds each process used
(with `--cluster-dir`: every process of the cluster) and whether every turn the client was shown
was saved. `--kill-after` and `--restart-postgres-after` inject faults into a cluster run.
`--write-capacity` measures how many sessions this machine serves within twice the single-user
p95 and writes it where the server reads it at start-up (server/capacity.py).
docs/reliability.md and docs/deploy.md hold the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402

from server import capacity  # noqa: E402
from voice_rp import protocol as proto  # noqa: E402
from voice_rp.config import Settings  # noqa: E402


@dataclass
class UserResult:
    refused: bool = False
    latencies_ms: list[float] = field(default_factory=list)
    holding_lines: int = 0
    errors: list[str] = field(default_factory=list)
    no_reply: int = 0
    sessions: dict[str, list[str]] = field(default_factory=dict)
    """Session id -> the user turns the client was shown (transcripts), to check they were saved."""
    endings: list[str] = field(default_factory=list)
    """How each session ended for the client: session_end:<reason>, error:<code> or
    closed:<websocket close code> (a server that died cannot say more)."""
    reconnects: int = 0


async def one_user(url: str, persona: str, lines: list[Any], turns: int, delay_s: float
                   ) -> UserResult:
    """A person: says `turns` lines, each after the previous reply has played. If the session
    is cut (a server dies), they reconnect, as a person reloading the page would, at most 3
    times, and go on with the lines left."""
    await asyncio.sleep(delay_s)
    result = UserResult()
    done = 0
    while done < turns and result.reconnects <= 3:
        said = await one_session(url, persona, lines, turns, done, result)
        if said is None:  # refused at start
            break
        done += said
        if done < turns:
            result.reconnects += 1
            await asyncio.sleep(1.0)
    return result


async def one_session(url: str, persona: str, lines: list[Any], turns: int, done: int,
                      result: UserResult) -> int | None:
    """One connection; returns the turns it got through (None: refused at start)."""
    clock = time.perf_counter
    try:
        ws = await connect(url, max_size=16 * 2**20, compression=None, open_timeout=20)
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        result.errors.append(f"connect: {type(exc).__name__}")
        return None
    said = 0
    async with ws:
        inbox = Inbox(clock)
        receiver = asyncio.create_task(inbox.receive(ws))
        await ws.send(proto.encode(proto.Start(persona=persona, options={"opening_line": False})))
        await inbox.wait_for(lambda: inbox.since(0, proto.Ready)
                             or inbox.since(0, proto.ErrorMessage), 600)
        errors = [m for _, m in inbox.since(0, proto.ErrorMessage)
                  if isinstance(m, proto.ErrorMessage)]
        ready = [m for _, m in inbox.since(0, proto.Ready) if isinstance(m, proto.Ready)]
        if not ready:
            result.refused = bool(errors) and errors[0].code == proto.SERVER_BUSY
            result.errors.append(errors[0].code if errors else "no ready")
            receiver.cancel()
            return None
        session = ready[0].session
        result.sessions[session] = []
        mic = Microphone(ws, clock, noise_dbfs=-60.0)
        sender = asyncio.create_task(mic.run())
        try:
            for i in range(done, turns):
                utt = lines[i % len(lines)]
                mark = len(inbox.messages)
                try:
                    spoken = await asyncio.wait_for(mic.say(utt), 60.0)
                except TimeoutError:
                    break  # the connection is gone: the microphone stopped
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
                elif not inbox.closed:
                    result.no_reply += 1
                result.sessions[session] = heard(inbox)
                if inbox.closed:
                    break
                said += 1
                await asyncio.sleep(0.8)
        finally:
            sender.cancel()
            with contextlib.suppress(ConnectionClosed):
                await ws.send(proto.encode(proto.End()))
            await asyncio.wait([receiver], timeout=10)
            receiver.cancel()
        result.sessions[session] = heard(inbox)
        result.endings.append(ending(inbox, ws))
    return said


def heard(inbox: Inbox) -> list[str]:
    """What the server said it heard, turn by turn."""
    return [m.text for _, m in inbox.since(0, proto.Transcript) if isinstance(m, proto.Transcript)]


def ending(inbox: Inbox, ws: Any) -> str:
    ends = [m for _, m in inbox.since(0, proto.SessionEnd) if isinstance(m, proto.SessionEnd)]
    if ends:
        return f"session_end:{ends[-1].reason}"
    fatal = [m for _, m in inbox.since(0, proto.ErrorMessage)
             if isinstance(m, proto.ErrorMessage) and m.fatal]
    if fatal:
        return f"error:{fatal[-1].code}"
    return f"closed:{ws.close_code}"


async def run_level(url: str, persona: str, lines: list[Any], users: int, turns: int
                    ) -> list[UserResult]:
    # Users arrive 1.5 s apart, as people do, not in lock step.
    return list(await asyncio.gather(*(one_user(url, persona, lines, turns, 1.5 * i)
                                       for i in range(users))))


def level_row(n: int, results: list[UserResult], saved: dict[str, list[str]], took: float
              ) -> dict[str, Any]:
    latencies = [x for r in results for x in r.latencies_ms]
    shown = {sid: texts for r in results for sid, texts in r.sessions.items()}
    # A turn the client was shown but the store does not have is a lost turn.
    lost = sum(1 for sid, texts in shown.items() for text in texts
               if text not in saved.get(sid, []))
    endings: dict[str, int] = {}
    for r in results:
        for e in r.endings:
            endings[e] = endings.get(e, 0) + 1
    return {"users": n, "admitted": sum(bool(r.sessions) for r in results),
            "refused": sum(r.refused and not r.sessions for r in results),
            "turns": len(latencies), "latency_ms": summarize(latencies),
            "holding_lines": sum(r.holding_lines for r in results),
            "no_reply": sum(r.no_reply for r in results),
            "errors": [e for r in results for e in r.errors],
            "endings": endings, "reconnects": sum(r.reconnects for r in results),
            "turns_shown": sum(len(t) for t in shown.values()), "turns_lost": lost,
            "seconds": round(took, 1)}


async def run_with_faults(args: argparse.Namespace, url: str, lines: list[Any], n: int,
                          info: Any) -> tuple[list[UserResult], list[dict[str, Any]]]:
    from bench.cluster_faults import FaultLog, kill_busiest_server, restart_postgres
    log = FaultLog()
    faults = []
    if args.kill_after is not None:
        faults.append(asyncio.create_task(kill_busiest_server(info, args.kill_after, log)))
    if args.restart_postgres_after is not None:
        faults.append(asyncio.create_task(restart_postgres(
            info, args.restart_postgres_after, args.postgres_down_s, log)))
    results = await run_level(url, args.persona, lines, n, args.turns)
    for task in faults:
        await task
    return results, log.events


def run_against_cluster(args: argparse.Namespace, lines: list[Any], levels: list[int]
                        ) -> list[dict[str, Any]]:
    """Every level through the running cluster's nginx (`--url`), with its CPU per process."""
    from bench.cluster_faults import ClusterInfo, cpu_by_process, saved_user_turns
    info = ClusterInfo.read(args.cluster_dir) if args.cluster_dir else None
    report = []
    for n in levels:
        before = cpu_by_process(info) if info else {}
        t0 = time.monotonic()
        results, faults = asyncio.run(run_with_faults(args, args.url, lines, n, info))
        took = time.monotonic() - t0
        after = cpu_by_process(info) if info else {}
        saved: dict[str, list[str]] = {}
        if info is not None:
            db = None
            if info.postgres_dir is not None:
                db = pg_url(info.postgres_dir)
            sids = [sid for r in results for sid in r.sessions]
            saved = saved_user_turns(sids, data_dir=info.run_dir / "data", database_url=db)
        row = level_row(n, results, saved, took)
        # A process killed during the level has no total left to read: None, not a negative.
        row["cpu_s"] = {k: round(after[k] - v, 2) if after.get(k, 0.0) >= v else None
                        for k, v in before.items()}
        row["faults"] = faults
        report.append(row)
        show(row)
    return report


def pg_url(directory: Path) -> str:
    port = (directory / "port").read_text().strip()
    password = (directory / "password").read_text().strip()
    return f"postgresql://voicerp:{password}@127.0.0.1:{port}/voicerp"


def run_embedded(args: argparse.Namespace, lines: list[Any], levels: list[int]
                 ) -> list[dict[str, Any]]:
    """Every level against a fresh `python -m server` with the embedded models."""
    from bench.cluster_faults import cpu_seconds, saved_user_turns
    report = []
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
                cpu0 = cpu_seconds(proc.pid)
                t0 = time.monotonic()
                results = asyncio.run(run_level(f"ws://127.0.0.1:{port}/ws", args.persona,
                                                lines, n, args.turns))
                took = time.monotonic() - t0
                cpu = cpu_seconds(proc.pid) - cpu0
                rss = peak_rss_mb(proc.pid)
            finally:
                stop(proc)
                log = (Path(tmp) / "server.log").read_text(errors="replace")
            saved = saved_user_turns([sid for r in results for sid in r.sessions],
                                     data_dir=Path(tmp) / "data", database_url=None)
        row = level_row(n, results, saved, took)
        row.update(peak_rss_mb=rss, cpu_s={"server": round(cpu, 2)},
                   tracebacks_in_log=log.count("Traceback"))
        report.append(row)
        show(row)
    return report


def write_capacity(args: argparse.Namespace, report: list[dict[str, Any]]) -> None:
    """The most users this machine serves within the target, where the server reads it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(pair.split("=", 1) for pair in args.server_env)
    levels = [capacity.Level(users=row["users"], admitted=row["admitted"], turns=row["turns"],
                             p50_ms=row["latency_ms"]["p50"] or 0.0,
                             p95_ms=row["latency_ms"]["p95"] or 0.0,
                             failed=len(row["errors"]) + row["no_reply"])
              for row in report]
    try:
        measured = capacity.from_levels(
            levels, machine=capacity.machine(), slowdown=args.slowdown,
            chat="embedded" if Settings.from_env(env).embedded_llm else "remote",
            measured_at=time.strftime("%Y-%m-%d"))
    except ValueError as exc:
        sys.exit(f"bench_load.py: no capacity written: {exc}")
    measured.write(args.write_capacity)
    print(f"capacity: {measured.describe()}\nwritten to {args.write_capacity}; the server reads "
          "it when it starts without --max-sessions", file=sys.stderr)


def show(row: dict[str, Any]) -> None:
    lat = row["latency_ms"]
    print(f"N={row['users']}: admitted {row['admitted']}, refused {row['refused']}, turns "
          f"{row['turns']}, latency p50 {lat['p50']} ms p95 {lat['p95']} ms max {lat['max']} ms,"
          f" holding lines {row['holding_lines']}, errors {row['errors']}, endings "
          f"{row['endings']}, turns lost {row['turns_lost']} of {row['turns_shown']}, CPU s "
          f"{row.get('cpu_s')}", file=sys.stderr, flush=True)


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
    p.add_argument("--url", default=None,
                   help="talk to this running endpoint (e.g. the cluster's nginx, "
                        "ws://127.0.0.1:8080/ws) instead of starting a server per level")
    p.add_argument("--cluster-dir", type=Path, default=None,
                   help="with --url: the cluster's run dir, for CPU per process, the saved "
                        "sessions and faults")
    p.add_argument("--kill-after", type=float, default=None, metavar="S",
                   help="SIGKILL the session server with the most sessions S seconds in")
    p.add_argument("--restart-postgres-after", type=float, default=None, metavar="S",
                   help="stop PostgreSQL S seconds in, start it again --postgres-down-s later")
    p.add_argument("--postgres-down-s", type=float, default=5.0)
    p.add_argument("--persona", default="behavioural-interviewer")
    p.add_argument("--write-capacity", nargs="?", type=Path, const="",
                   default=None, metavar="PATH",
                   help="measure what this machine serves (admission off, levels from --users, "
                        "default 1,2,3,4) and write it where the server reads it (default "
                        "$VOICE_RP_CAPACITY_FILE or DATA_DIR/capacity.json)")
    p.add_argument("--slowdown", type=float, default=2.0,
                   help="with --write-capacity: the most users whose p95 stays within this "
                        "many times the single-user p95 (default 2)")
    p.add_argument("--json", type=Path, help="write the figures here")
    p.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "voice-rp" / "bench-speech")
    args = p.parse_args(argv)
    if (args.kill_after is not None or args.restart_postgres_after is not None) and not (
            args.url and args.cluster_dir):
        p.error("faults need a cluster: --url and --cluster-dir")
    if args.write_capacity is not None:
        if args.url or args.max_sessions is not None or args.server_arg:
            p.error("--write-capacity measures this machine's own server with its defaults: "
                    "not with --url, --max-sessions or --server-arg")
        if args.users == p.get_default("users"):
            args.users = "1,2,3,4"
        if args.write_capacity == "":  # the flag alone: where the server looks by default
            args.write_capacity = capacity.capacity_file(
                os.environ, Settings.from_env(os.environ).data_dir)
    levels = [int(n) for n in args.users.split(",")]
    if args.write_capacity is not None:
        if 1 not in levels:
            p.error("--write-capacity needs the single-user level (--users 1,...)")
        # Every level's users admitted, whatever the server would decide: that is the question.
        args.server_arg = ["--max-sessions", str(max(levels)), "--latency-target-ms", "1e9"]
    print("synthesizing the utterances...", file=sys.stderr)
    lines = synthesize(UTTERANCES[:6], args.cache)
    report = (run_against_cluster(args, lines, levels) if args.url
              else run_embedded(args, lines, levels))
    if args.write_capacity is not None:
        write_capacity(args, report)
    if args.json:
        args.json.write_text(json.dumps({"levels": report, "cpu": cpu_model(),
                                         "url": args.url, "server_args": args.server_arg,
                                         "server_env": args.server_env}, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
