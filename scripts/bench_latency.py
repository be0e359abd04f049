#!/usr/bin/env python3
"""Response-latency benchmark: talk to a voice-rp server like a person would, and time it.

    .venv/bin/python scripts/bench_latency.py [--json out.json] [--png out.png]
        [--server ws://host:port/ws] [--option turn.end_silence_s=0.5 ...] [--set long]
        [--turns N]

It starts the server on a free loopback port (or uses --server), waits for /healthz to say ready,
then speaks a set of utterances with known text and known end-of-speech times through the
websocket at real-time pace, 20 ms frames on the wall clock, each followed by the silence a
real speaker leaves while listening. It reports per turn and overall (p50, p95, max) the response
latency and its stages, audio gaps, barge-in reaction, premature turn ends, the first words heard
of each reply (and how many distinct openings the replies used) and the server's peak RSS.
README.md ("Latency benchmark") explains every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # voice_rp is used from the checkout, not installed

from bench.cpu import CpuMonitor  # noqa: E402
from bench.machine import cpu_facts  # noqa: E402
from bench.machine import line as machine_line  # noqa: E402
from bench.report import build_summary, draw_png, print_report, turn_row  # noqa: E402
from bench.runner import BenchClient, Script, TurnRecord  # noqa: E402
from bench.tuned_server import split_tuning  # noqa: E402
from bench.utterances import INTERRUPTIONS, SETS, synthesize  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", metavar="URL",
                   help="use this running server (ws://host:port/ws) instead of starting one; "
                        "its RSS is then unknown unless --server-pid is given")
    p.add_argument("--server-pid", type=int, help="PID of the --server process, for its RSS")
    p.add_argument("--token", default=os.environ.get("VOICE_RP_TOKEN"),
                   help="access token for --server (default $VOICE_RP_TOKEN)")
    p.add_argument("--persona", default="behavioural-interviewer")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="start the server with a latency setting changed, e.g. "
                        "conversation.speculative=false, turn.end_silence_s=0.5, "
                        "whisper.chunk_length=10, chunk.first_min_words=2, llm.max_tokens=60 "
                        "(VALUE is JSON; repeatable; see scripts/bench/tuned_server.py)")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the figures as JSON")
    p.add_argument("--png", type=Path, metavar="PATH", help="draw the stages per turn")
    p.add_argument("--noise-dbfs", type=float, default=-60.0,
                   help="microphone noise floor (default -60 dBFS; 'nan' sends digital silence)")
    p.add_argument("--set", dest="utterance_set", choices=sorted(SETS), default="default",
                   help="what the user says: 'default', twelve lines of 1-10 s, or 'long', "
                        "answers of 12-58 s of several sentences with 0.2-0.5 s breaths")
    p.add_argument("--repeat", type=int, default=1, help="play the utterance set this many times")
    p.add_argument("--lines", type=int, default=None,
                   help="play only the first N lines of the set (before --repeat)")
    p.add_argument("--turns", type=int, default=None,
                   help="say only the first N lines in all (after --repeat; interruptions "
                        "aside): a smoke check")
    p.add_argument("--cache", type=Path,
                   default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                   / "voice-rp" / "bench-speech",
                   help="where synthesized utterances are kept between runs")
    p.add_argument("--server-log", type=Path, help="keep the started server's log here")
    p.add_argument("--no-machine", action="store_true",
                   help="skip measuring each model's own speed on this machine first")
    p.add_argument("--nice", type=int, default=0,
                   help="run the started server and this client at this niceness (e.g. -10 as "
                        "root): on a machine shared with other work, measures as if it were idle")
    return p.parse_args(argv)


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """["turn.end_silence_s=0.5", "conversation.speculative=false"] -> {key: JSON value}."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise SystemExit(f"--option needs KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    try:
        split_tuning(out)
    except ValueError as exc:
        raise SystemExit(f"--option: {exc}") from None
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, tuning: dict[str, Any], data_dir: Path, log_path: Path
                 ) -> subprocess.Popen[bytes]:
    """The product's own `python -m server`, or the tuned launcher when settings are changed."""
    module = ["-m", "scripts.bench.tuned_server", "--tuning", json.dumps(tuning)] if tuning \
        else ["-m", "server"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(HF_HUB_OFFLINE="1", VOICE_RP_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, *module, "--host", "127.0.0.1", "--port",
                             str(port), "--data-dir", str(data_dir)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(http_url: str, proc: subprocess.Popen[bytes] | None, within_s: float = 900.0
               ) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{http_url}/healthz", timeout=2) as resp:
                last = json.load(resp)
        except urllib.error.HTTPError as exc:  # 503 while loading
            last = json.load(exc)
        except OSError:
            pass
        if last.get("ready"):
            return last
        if last.get("error"):
            raise SystemExit(f"the server could not load its models: {last['error']}")
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready within {within_s:.0f} s: {last}")


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the most resident memory the process ever had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        return None
    return None


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def describe_machine(*, measure: bool) -> dict[str, Any]:
    """The CPU, and each bundled model's own speed on it, measured in a separate process
    before the server starts (so neither the server nor this client carries the models)."""
    facts = cpu_facts()
    if not measure:
        return facts
    try:
        out = subprocess.run([sys.executable, "-m", "bench.machine"], cwd=ROOT / "scripts",
                             capture_output=True, text=True, timeout=300, check=True)
        return {**facts, **json.loads(out.stdout.strip().splitlines()[-1])}
    except (subprocess.SubprocessError, ValueError, IndexError) as exc:
        print(f"could not measure the models' speeds: {exc}", file=sys.stderr)
        return facts


def progress(rec: TurnRecord) -> None:
    lat = "no reply" if rec.latency_ms is None else f"{rec.latency_ms:6.0f} ms"
    barge = "" if rec.barge_in_ms is None else f", barge-in {rec.barge_in_ms:.0f} ms"
    print(f"  {rec.kind:<12} {rec.utt.line.name:<12} {lat}{barge}  heard: "
          f"{' | '.join(rec.transcripts)!r}; reply began {rec.first_piece!r}",
          file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tuning = parse_options(args.option)
    if args.nice:
        os.nice(args.nice)  # the server started below inherits it
    if args.server and tuning:
        raise SystemExit("--option starts a tuned server; it cannot change a --server")
    machine = describe_machine(measure=not args.no_machine)
    print(machine_line(machine), file=sys.stderr)
    proc: subprocess.Popen[bytes] | None = None
    tmp = tempfile.TemporaryDirectory(prefix="voice-rp-bench-")
    try:
        if args.server:
            url, pid = args.server, args.server_pid
            http_url = url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
            http_url = http_url.rsplit("/ws", 1)[0]
        else:
            port = free_port()
            log = args.server_log or Path(tmp.name) / "server.log"
            proc = start_server(port, tuning, Path(tmp.name) / "data", log)
            url, pid, http_url = f"ws://127.0.0.1:{port}/ws", proc.pid, f"http://127.0.0.1:{port}"
            print(f"started the server (pid {pid}, log {log})", file=sys.stderr)
        print("synthesizing the utterances...", file=sys.stderr)
        said = SETS[args.utterance_set][: args.lines] * max(1, args.repeat)
        lines = synthesize(said[: args.turns], args.cache)
        interruptions = synthesize(INTERRUPTIONS, args.cache)
        wait_ready(http_url, proc)
        load = os.getloadavg()
        print(f"server ready; load average {load[0]:.2f}; talking...", file=sys.stderr)
        noise = None if args.noise_dbfs != args.noise_dbfs else args.noise_dbfs  # nan: none
        monitor = CpuMonitor([os.getpid(), *([pid] if pid else [])])
        client = BenchClient(url, Script(persona=args.persona, noise_dbfs=noise),
                             token=args.token, progress=progress, monitor=monitor)
        started = time.time()
        asyncio.run(client.run(lines, interruptions))
        rss = peak_rss_mb(pid) if pid else None
    finally:
        if proc is not None:
            stop(proc)
        tmp.cleanup()
    rows = [turn_row(i, rec) for i, rec in enumerate(client.records, 1)]
    config = {
        "server": "started" if proc is not None else args.server, "tuning": tuning,
        "persona": args.persona, "set": args.utterance_set, "noise_dbfs": noise,
        "cpus": os.cpu_count(), "nice": args.nice,
        "load_avg_at_start": [round(x, 2) for x in load],
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "duration_s": round(time.time() - started, 1), "late_mic_frames": client.late_frames,
        "other_processes_cores": monitor.others_between(0.0, float("inf")),
        "server_errors": [e.to_dict() for e in client.errors],
        "machine": machine,
    }
    summary = build_summary(rows, rss_mb=rss, config=config)
    print(machine_line(machine))
    print_report(summary, sys.stdout)
    print(f"\nload average at start {config['load_avg_at_start']}, at end "
          f"{config['load_avg_at_end']}; other processes used "
          f"{config['other_processes_cores']} of {os.cpu_count()} cores during the run; "
          f"{len(client.errors)} server error(s); {client.late_frames} late microphone frame(s)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    if args.png:
        draw_png(summary, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
