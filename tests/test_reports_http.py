"""The feedback API the browser uses, on a real server: sessions, reports, history; and a server
killed mid-session still leaves a session its report can be built from."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from server_fakes import FRAMES_PER_TURN, FakeFactory
from store_backends import StoreMaker
from websockets.asyncio.client import connect

from server.app import ServerConfig, VoiceServer
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES
from voice_rp.feedback.service import Reports
from voice_rp.personas import builtin_dirs
from voice_rp.storage import SessionStore, TranscriptStore

FRAME = b"\x00\x01" * (FRAME_BYTES // 2)
ROOT = Path(__file__).resolve().parents[1]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


async def _one_turn(server: VoiceServer) -> str:
    async with connect(server.ws_url) as ws:
        await ws.send(proto.encode(proto.Start(persona="behavioural-interviewer")))
        session = ""
        for _ in range(FRAMES_PER_TURN):
            await ws.send(FRAME)
        while True:
            data: Any = await asyncio.wait_for(ws.recv(), 5)
            if isinstance(data, bytes):
                continue
            msg = json.loads(data)
            session = msg.get("session", session)
            if msg["type"] == "reply_done":
                break
        await ws.send(json.dumps({"type": "end"}))
        return session


async def test_sessions_report_and_history_over_http(make_store: StoreMaker):
    async def load() -> FakeFactory:
        return FakeFactory()

    server = VoiceServer(ServerConfig(port=0), load=load, store=make_store())
    await server.start()
    try:
        sid = await _one_turn(server)
        base = server.url
        status, kind, body = await asyncio.to_thread(get, f"{base}/api/sessions")
        assert status == 200 and kind.startswith("application/json")
        [listed] = json.loads(body)["sessions"]
        assert listed["id"] == sid and listed["report"] == f"/api/sessions/{sid}/report"
        status, kind, body = await asyncio.to_thread(get, f"{base}/api/sessions/{sid}/report")
        assert status == 200 and kind.startswith("text/html")
        assert b"<svg" in body and b"25 frames" in body
        status, _, body = await asyncio.to_thread(get, f"{base}/api/sessions/{sid}/report.json")
        assert status == 200 and json.loads(body)["answers"][0]["text"] == "25 frames"
        status, _, body = await asyncio.to_thread(get, f"{base}/api/history")
        assert status == 200 and len(json.loads(body)["sessions"]) == 1
        status, _, body = await asyncio.to_thread(get, f"{base}/history.html")
        assert status == 200 and b"history.js" in body
        status, _, _ = await asyncio.to_thread(get, f"{base}/api/sessions/nope-1/report")
        assert status == 404
        status, _, _ = await asyncio.to_thread(get, f"{base}/api/sessions/../x/report")
        assert status == 404
        # A page on another site that rebound its name to 127.0.0.1 reads nothing.
        status, _, body = await asyncio.to_thread(
            get, f"{base}/api/history", {"Host": f"evil.example:{server.port}"})
        assert status == 403 and b"localhost" in body
        status, _, _ = await asyncio.to_thread(
            get, f"{base}/api/history", {"Origin": "https://evil.example"})
        assert status == 403
    finally:
        await server.stop()


def call(method: str, url: str, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_goals_and_deletes_over_http(make_store: StoreMaker):
    async def load() -> FakeFactory:
        return FakeFactory()

    store = make_store()
    server = VoiceServer(ServerConfig(port=0), load=load, store=store)
    await server.start()
    try:
        first, second, third = [await _one_turn(server) for _ in range(3)]
        base = server.url
        own = {"Origin": base}  # what the server's own history page sends
        status, body = await asyncio.to_thread(
            call, "POST", f"{base}/api/goals?text=fillers%20under%203%20per%20minute", own)
        assert status == 200 and body["goal"]["text"] == "fillers under 3 per minute"
        goal = body["goal"]["id"]
        status, body = await asyncio.to_thread(call, "POST", f"{base}/api/goals?text=be%20great",
                                               own)
        assert status == 400 and body["error"]["code"] == "bad_goal"
        assert "pace 130-160" in body["error"]["message"]  # says how to write one
        status, body = await asyncio.to_thread(call, "GET", f"{base}/api/history")
        assert [g["text"] for g in body["goals"]] == ["fillers under 3 per minute"]
        assert body["sessions"][0]["goals"][0]["goal"] == "fillers under 3 per minute"
        # Another page on this machine (any localhost origin may open a conversation) cannot
        # change anything: a form it posts would otherwise delete every session.
        for method, path in (("DELETE", "/api/sessions?confirm=all"),
                             ("DELETE", f"/api/sessions/{first}"),
                             ("POST", "/api/goals?text=pace%20100-200"),
                             ("DELETE", f"/api/goals/{goal}")):
            status, body = await asyncio.to_thread(
                call, method, f"{base}{path}", {"Origin": "http://localhost:3000"})
            assert status == 403, (method, path, body)
        assert len(store.list_sessions()) == 3 and len(store.goals()) == 1
        status, body = await asyncio.to_thread(call, "DELETE", f"{base}/api/sessions/{first}",
                                               own)
        assert status == 200 and [s.id for s in store.list_sessions()] == [second, third]
        status, body = await asyncio.to_thread(call, "DELETE", f"{base}/api/sessions/{first}",
                                               own)
        assert status == 404
        status, body = await asyncio.to_thread(call, "DELETE", f"{base}/api/sessions", own)
        assert status == 400 and body["error"]["code"] == "confirm_needed"
        assert len(store.list_sessions()) == 2
        status, body = await asyncio.to_thread(call, "PUT", f"{base}/api/history", own)
        assert status == 405
        status, body = await asyncio.to_thread(call, "DELETE", f"{base}/api/goals/{goal}")
        assert status == 200 and store.goals() == []  # no Origin: not a browser page
        status, body = await asyncio.to_thread(call, "DELETE", f"{base}/api/goals/{goal}", own)
        assert status == 404
        status, body = await asyncio.to_thread(
            call, "DELETE", f"{base}/api/sessions?confirm=all", own)
        assert status == 200 and body["deleted"] == 2 and store.list_sessions() == []
        # The server goes on: a new session is saved after everything was deleted.
        await _one_turn(server)
        assert len(store.list_sessions()) == 1
    finally:
        await server.stop()


_SERVER = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, sys.argv[2])
    from server.app import ServerConfig, VoiceServer
    from server_fakes import FakeFactory
    from voice_rp.stores import open_store

    async def main():
        async def load():
            return FakeFactory()
        where = sys.argv[1]  # a data dir, or a PostgreSQL URL
        store = open_store(where, where if where.startswith("postgresql:") else None)
        server = VoiceServer(ServerConfig(port=0), load=load, store=store)
        await server.start()
        print(server.port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
""")


async def test_a_killed_server_leaves_a_session_its_report_is_built_from(
        make_store: StoreMaker):
    store = make_store()  # opened first, so the killed server finds its database made
    data = store.data_dir if isinstance(store, TranscriptStore) else store.url
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A real process, so it can really be killed; started once, read from a thread.
    proc = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-c", _SERVER, str(data), str(ROOT / "tests")],
        stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        port = int((await asyncio.to_thread(proc.stdout.readline)).strip())
        async with connect(f"ws://127.0.0.1:{port}/ws") as ws:
            await ws.send(proto.encode(proto.Start(persona="behavioural-interviewer")))
            for _ in range(FRAMES_PER_TURN):
                await ws.send(FRAME)
            while True:
                msg = await asyncio.wait_for(ws.recv(), 5)
                if isinstance(msg, str) and json.loads(msg)["type"] == "reply_done":
                    break
            proc.send_signal(signal.SIGKILL)  # no shutdown, no session_end
            proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    [summary] = store.list_sessions()
    assert not summary.ended
    report = Reports(store, builtin_dirs()).report(summary.id)
    assert report["unfinished"] and report["end_reason"] is None
    assert report["answers"][0]["text"] == "25 frames"
    assert [line["who"] for line in report["transcript"]] == ["you", "behavioural-interviewer"]


def _saved_session(store: SessionStore, text: str | None) -> str:
    log = store.open_session(persona="behavioural-interviewer")
    log.write("reply", turn=0, text="Tell me about a project you led?", interrupted=False,
              speaker="Dana", audio_ms=2000)
    if text is not None:
        log.write("user", turn=1, text=text, audio={"speech": [[0.0, 6.0]]})
    log.end("client_end", {})
    return log.id


async def test_misheard_words_are_corrected_and_undone_over_http(make_store: StoreMaker):
    async def load() -> FakeFactory:
        return FakeFactory()

    store = make_store()
    sid = _saved_session(store, "I moved our servers to cuba nettie's and cut our costs")
    empty = _saved_session(store, None)
    server = VoiceServer(ServerConfig(port=0), load=load, store=store)
    await server.start()
    try:
        base = server.url
        own = {"Origin": base}
        fix = (f"{base}/api/sessions/{sid}/corrections"
               "?answer=1&heard=Cuba%20Nettie%27s&said=Kubernetes")
        # Another page on this machine cannot change what a report says.
        status, body = await asyncio.to_thread(call, "POST", fix,
                                               {"Origin": "http://localhost:3000"})
        assert status == 403 and body["error"]["code"] == "bad_origin"
        status, body = await asyncio.to_thread(call, "POST", fix, own)
        assert status == 200, body
        [answer] = body["report"]["answers"]
        assert answer["text"] == "I moved our servers to Kubernetes and cut our costs"
        assert answer["heard"] == "I moved our servers to cuba nettie's and cut our costs"
        assert body["report"]["corrections"][0]["said"] == "Kubernetes"
        status, _, page = await asyncio.to_thread(get, f"{base}/api/sessions/{sid}/report.json")
        assert json.loads(page)["answers"][0]["text"] == answer["text"]  # kept
        for query, why in (("answer=2&heard=servers&said=boxes", "no answer 2"),
                           ("answer=1&heard=moon&said=sun", "no \"moon\""),
                           ("answer=1&heard=servers", "give the words said"),
                           ("answer=x&heard=servers&said=boxes", "?answer=N")):
            status, body = await asyncio.to_thread(
                call, "POST", f"{base}/api/sessions/{sid}/corrections?{query}", own)
            assert status == 400 and body["error"]["code"] == "bad_correction", query
            assert why in body["error"]["message"], body
        status, body = await asyncio.to_thread(
            call, "POST", f"{base}/api/sessions/nope-1/corrections?answer=1&heard=a&said=b", own)
        assert status == 404
        status, body = await asyncio.to_thread(
            call, "DELETE", f"{base}/api/sessions/{sid}/corrections/3", own)
        assert status == 404 and "no correction 3" in body["error"]["message"]
        status, body = await asyncio.to_thread(
            call, "DELETE", f"{base}/api/sessions/{sid}/corrections/0", own)
        assert status == 200 and body["report"]["corrections"] == []
        assert "cuba nettie's" in body["report"]["answers"][0]["text"]
        # A session in which nothing was said has no report, and says why.
        status, _, page = await asyncio.to_thread(get, f"{base}/api/sessions/{empty}/report.json")
        error = json.loads(page)["error"]
        assert status == 404 and error["code"] == "no_report" and "answer" in error["message"]
        status, kind, page = await asyncio.to_thread(get, f"{base}/api/sessions/{empty}/report")
        assert status == 404 and kind.startswith("text/html") and b"No report" in page
        status, _, page = await asyncio.to_thread(get, f"{base}/api/history")
        assert [p["session"] for p in json.loads(page)["sessions"]] == [sid]
    finally:
        await server.stop()
