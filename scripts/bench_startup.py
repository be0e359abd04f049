#!/usr/bin/env python3
"""How soon is a session server with only remote backends ready to take sessions?

    .venv/bin/python scripts/bench_startup.py [--runs 10] [--json out.json]

A session server behind a load balancer holds no model: its speech and chat are remote
(`VOICE_RP_STT_URL`, `VOICE_RP_TTS_URL`, `OPENAI_BASE_URL`), so starting one more, or restarting
one, should take a moment, not the seconds the embedded models take to load. This starts
`python -m server` `--runs` times with remote settings (the services need not answer: readiness
of the process itself is what /healthz reports) and times from the process start to the first
`/healthz` that says ready. It also checks, in /proc, that no model library was mapped.
Prints p50, p95 and max in seconds (target: under 2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.cpu import cpu_model  # noqa: E402

MODEL_LIBRARIES = ("libllama", "ctranslate2", "onnxruntime", "espeak")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_start(home: Path) -> tuple[float, list[str]]:
    """Seconds from spawning the server to /healthz ready; the model libraries it mapped."""
    port = free_port()
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT),
           "VOICE_RP_STT_URL": f"wyoming://127.0.0.1:{free_port()}",
           "VOICE_RP_TTS_URL": f"http://127.0.0.1:{free_port()}/v1",
           "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "VOICE_RP_LLM_MODEL": "m"}
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port)], env=env,
                              cwd=ROOT, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            if time.monotonic() - started > 60:
                raise RuntimeError("the server was not ready within 60 s")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if json.loads(r.read()).get("ready"):
                        break
            except OSError:
                pass
            time.sleep(0.01)
        ready = time.monotonic() - started
        maps = Path(f"/proc/{server.pid}/maps").read_text()
        return ready, [lib for lib in MODEL_LIBRARIES if lib in maps]
    finally:
        server.terminate()
        server.wait(10)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores")
    times: list[float] = []
    with tempfile.TemporaryDirectory() as home:
        for i in range(args.runs):
            try:
                ready, mapped = one_start(Path(home))
            except RuntimeError as exc:
                print(f"run {i + 1}: {exc}", file=sys.stderr)
                return 1
            times.append(ready)
            print(f"run {i + 1}: ready after {ready:.2f} s"
                  + (f"; model libraries mapped: {', '.join(mapped)}" if mapped else ""))
            if mapped:
                return 1
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    out: dict[str, Any] = {"machine": cpu_model(), "runs": args.runs,
                           "p50_s": round(statistics.median(times), 3), "p95_s": round(p95, 3),
                           "max_s": round(max(times), 3)}
    print(f"remote-only server ready: p50 {out['p50_s']:.2f} s, p95 {out['p95_s']:.2f} s, "
          f"max {out['max_s']:.2f} s over {args.runs} starts")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
