#!/usr/bin/env python3
"""Fault benchmark: what a user hears when the chat endpoint or the network misbehaves.

    flock /tmp/voice-rp-cpu.lock .venv/bin/python scripts/bench_faults.py [--json out.json]

For each fault it starts the product's server (`python -m server`, bundled speech models) with
`OPENAI_BASE_URL` pointing at an endpoint that misbehaves on purpose (scripts/bench/
fault_endpoint.py: down, stall, slow, empty, garbage, html, reset, and ok for reference), says one
line at real-time pace and records when the first sound came (a reply or a holding line) and what
the user was told; then the endpoint recovers and a second line checks that the next turn works.
Two more scenarios: the client vanishes mid-reply, and the server is killed with SIGKILL mid-reply
and restarted; both check that what was said is in the saved transcript and the session is marked
unfinished (kill) or ended as disconnected. docs/reliability.md holds the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench.fault_endpoint import FaultEndpoint  # noqa: E402
from bench.runner import Inbox, Microphone  # noqa: E402
from bench.server_process import start_server  # noqa: E402
from bench.utterances import UTTERANCES, synthesize  # noqa: E402
from bench_latency import free_port, stop, wait_ready  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from voice_rp import protocol as proto  # noqa: E402
from voice_rp.storage import TranscriptStore  # noqa: E402

MODES = ("ok", "down", "stall", "slow", "empty", "html", "garbage", "reset")
LONG_REPLY = tuple(f" word{i}" if i % 8 else f" Sentence {i} ends here." for i in range(1, 80))


async def say_and_listen(ws: Any, inbox: Inbox, mic: Microphone, utt: Any,
                         within_s: float = 60.0) -> dict[str, Any]:
    """One turn: when the first sound came after the end of speech, what it was, what errors."""
    mark = len(inbox.messages)
    spoken = await mic.say(utt)
    end = spoken.last_speech_at

    def settled() -> bool:
        states = inbox.since(mark, proto.State)
        return bool(inbox.since(mark, proto.Transcript)) and any(
            m.state == "listening" and t > end for t, m in states)

    await inbox.wait_for(settled, within_s)
    first = next(((t, m) for t, m in inbox.since(mark, proto.AudioStart) if t >= end), None)
    errors = [(t, m) for t, m in inbox.since(mark, proto.ErrorMessage)]
    done = next(((t, m) for t, m in inbox.since(mark, proto.ReplyDone)), None)
    listening = next((t for t, m in inbox.since(mark, proto.State)
                      if m.state == "listening" and t > end), None)
    return {
        "first_sound_s": None if first is None else round(first[0] - end, 2),
        "first_sound": None if first is None else first[1].text,
        "error_s": round(errors[0][0] - end, 2) if errors else None,
        "error": f"{errors[0][1].code}: {errors[0][1].message}" if errors else None,
        "reply": None if done is None else done[1].text[:80],
        "turn_s": None if listening is None else round(listening - end, 2),
    }


async def open_session(url: str) -> tuple[Any, Inbox, Microphone, list[asyncio.Task[None]]]:
    ws = await connect(url, max_size=16 * 2**20, compression=None)
    inbox = Inbox(time.perf_counter)
    tasks = [asyncio.create_task(inbox.receive(ws))]
    await ws.send(proto.encode(proto.Start(persona="behavioural-interviewer",
                                           options={"opening_line": False})))
    if not await inbox.wait_for(lambda: inbox.since(0, proto.Ready), 300.0):
        raise SystemExit(f"no session: {inbox.messages}")
    mic = Microphone(ws, time.perf_counter, noise_dbfs=-60.0)
    tasks.append(asyncio.create_task(mic.run()))
    return ws, inbox, mic, tasks


async def close_session(ws: Any, tasks: list[asyncio.Task[None]]) -> None:
    tasks[1].cancel()
    try:
        await ws.send(proto.encode(proto.End()))
        await asyncio.wait([tasks[0]], timeout=10)
    except Exception:
        pass
    await ws.close()


class Server:
    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.data = tmp / "data"
        self.log = tmp / "server.log"
        self.env = env
        self.proc = start_server(self.port, self.data, self.log, env=env)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def ready(self) -> None:
        await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{self.port}", self.proc)

    def restart(self) -> None:
        self.proc = start_server(self.port, self.data, self.log, env=self.env)


def endpoint_env(fake: FaultEndpoint) -> dict[str, str]:
    return {"OPENAI_BASE_URL": fake.base_url, "VOICE_RP_LLM_MODEL": "fault"}


async def endpoint_fault(mode: str, utts: list[Any], tmp: Path) -> dict[str, Any]:
    delay = 4.0 if mode == "slow" else 0.05
    async with FaultEndpoint(mode, delay_s=delay) as fake:
        server = Server(tmp, endpoint_env(fake))
        try:
            await server.ready()
            ws, inbox, mic, tasks = await open_session(server.url)
            await asyncio.sleep(1.0)
            first = await say_and_listen(ws, inbox, mic, utts[0])
            fake.mode, fake.delay_s = "ok", 0.05  # the endpoint recovers
            if mode == "down":  # it was never listening: restart the server on a live one
                second = {"note": "endpoint down for the whole session"}
            else:
                await asyncio.sleep(1.0)
                second = await say_and_listen(ws, inbox, mic, utts[1])
            await close_session(ws, tasks)
        finally:
            stop(server.proc)
        log = server.log.read_text(errors="replace")
    return {"fault": mode, "turn": first, "next_turn": second,
            "tracebacks_in_log": log.count("Traceback")}


async def disconnect_mid_reply(utts: list[Any], tmp: Path) -> dict[str, Any]:
    async with FaultEndpoint("ok", words=LONG_REPLY, delay_s=0.15) as fake:
        server = Server(tmp, endpoint_env(fake))
        try:
            await server.ready()
            ws, inbox, mic, tasks = await open_session(server.url)
            await asyncio.sleep(1.0)
            spoken = await mic.say(utts[0])
            await inbox.wait_for(lambda: [m for t, m in inbox.since(0, proto.AudioStart)
                                          if t > spoken.last_speech_at], 30)
            session = inbox.since(0, proto.Ready)[0][1].session
            tasks[1].cancel()
            ws.transport.abort()  # vanish: no close frame, as a dropped network looks
            await asyncio.sleep(3.0)
            store = TranscriptStore(server.data)
            records = store.read_session(session)
            ws2, _, _, tasks2 = await open_session(server.url)  # others still served
            await close_session(ws2, tasks2)
        finally:
            stop(server.proc)
    end = next((r for r in records if r["kind"] == "session_end"), None)
    return {"fault": "client vanishes mid-reply",
            "user_turn_saved": any(r["kind"] == "user" for r in records),
            "reply_saved": next((r["text"][:60] for r in records if r["kind"] == "reply"), None),
            "session_end": None if end is None else end["reason"],
            "server_serves_next_session": True}


async def kill_mid_reply(utts: list[Any], tmp: Path) -> dict[str, Any]:
    async with FaultEndpoint("ok", words=LONG_REPLY, delay_s=0.15) as fake:
        server = Server(tmp, endpoint_env(fake))
        try:
            await server.ready()
            _ws, inbox, mic, tasks = await open_session(server.url)
            await asyncio.sleep(1.0)
            spoken = await mic.say(utts[0])
            await inbox.wait_for(lambda: [m for t, m in inbox.since(0, proto.AudioStart)
                                          if t > spoken.last_speech_at], 30)
            session = inbox.since(0, proto.Ready)[0][1].session
            said = inbox.since(0, proto.Transcript)[0][1].text
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
            tasks[1].cancel()
            t0 = time.monotonic()
            server.restart()
            await server.ready()
            restart_s = time.monotonic() - t0
            summary = next(s for s in TranscriptStore(server.data).list_sessions()
                           if s.id == session)
            records = TranscriptStore(server.data).read_session(session)
            ws2, _, _, tasks2 = await open_session(server.url)
            await close_session(ws2, tasks2)
        finally:
            stop(server.proc)
    return {"fault": "server killed (SIGKILL) mid-reply, restarted",
            "user_turn_saved": any(r["kind"] == "user" and r["text"] == said for r in records),
            "marked_unfinished": not summary.ended,
            "restart_to_ready_s": round(restart_s, 1), "server_serves_next_session": True}


async def run_all(modes: list[str], cache: Path) -> list[dict[str, Any]]:
    utts = synthesize([UTTERANCES[0], UTTERANCES[3]], cache)
    out = []
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix="voice-rp-faults-") as tmp:
            row = await endpoint_fault(mode, utts, Path(tmp))
        print(json.dumps(row), file=sys.stderr, flush=True)
        out.append(row)
    for scenario in (disconnect_mid_reply, kill_mid_reply):
        with tempfile.TemporaryDirectory(prefix="voice-rp-faults-") as tmp:
            row = await scenario(utts, Path(tmp))
        print(json.dumps(row), file=sys.stderr, flush=True)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--modes", default=",".join(MODES),
                   help=f"endpoint faults to try (default all: {','.join(MODES)})")
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "voice-rp" / "bench-speech")
    args = p.parse_args(argv)
    rows = asyncio.run(run_all([m for m in args.modes.split(",") if m], args.cache))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
