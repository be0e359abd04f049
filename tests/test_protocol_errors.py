"""The server answers bad input with clear errors and keeps serving (a scripted conversation).

These run the real server over real websockets on a free loopback port; only the conversation is
a fake (tests/server_fakes.py), so they are about the protocol and the server's limits.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from server_fakes import FRAMES_PER_TURN, REPLY_PCM, FakeFactory
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.app import InsecureBind, ServerConfig, VoiceServer
from server.http import AccessPolicy
from server.limits import ServerLimits
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES
from voice_rp.clock import FakeClock
from voice_rp.storage import TranscriptStore

FRAME = b"\x00\x01" * (FRAME_BYTES // 2)


async def _start_server(tmp_path: Path, *, factory: FakeFactory | None = None,
                        limits: ServerLimits | None = None, access: AccessPolicy | None = None,
                        clock: Any = None, load_gate: asyncio.Event | None = None) -> VoiceServer:
    factory = factory or FakeFactory()

    async def load() -> FakeFactory:
        if load_gate is not None:
            await load_gate.wait()
        return factory

    server = VoiceServer(
        ServerConfig(host="127.0.0.1", port=0, limits=limits or ServerLimits(),
                     access=access or AccessPolicy()),
        load=load, store=TranscriptStore(tmp_path), clock=clock)
    await server.start()
    return server


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[VoiceServer]:
    srv = await _start_server(tmp_path)
    yield srv
    await srv.stop()


async def next_json(ws: ClientConnection, kind: str | None = None, *,
                    within_s: float = 5.0) -> dict[str, Any]:
    """The next text message (of type `kind`, skipping others and audio)."""
    async with asyncio.timeout(within_s):
        while True:
            message = await ws.recv()
            if isinstance(message, bytes):
                continue
            data = json.loads(message)
            if kind is None or data["type"] == kind:
                return data


async def started(server: VoiceServer, persona: str = "alice", **kw: Any) -> ClientConnection:
    ws = await connect(server.ws_url, **kw)
    await ws.send(proto.encode(proto.Start(persona=persona)))
    ready = await next_json(ws, "ready")
    assert ready["protocol"] == proto.PROTOCOL
    return ws


async def assert_serves_next_session(server: VoiceServer) -> None:
    ws = await started(server, "next")
    for _ in range(FRAMES_PER_TURN):
        await ws.send(FRAME)
    assert (await next_json(ws, "transcript"))["text"] == f"{FRAMES_PER_TURN} frames"
    await ws.close()


def http_get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


async def test_ready_tells_the_user_it_is_an_ai_and_a_turn_gets_an_answer(server: VoiceServer):
    ws = await connect(server.ws_url)
    await ws.send(proto.encode(proto.Start(persona="alice")))
    ready = await next_json(ws, "ready")
    assert "AI" in ready["notice"]
    assert ready["audio"] == {"format": "pcm16", "sample_rate": 16000, "channels": 1,
                              "frame_ms": 20}
    for _ in range(FRAMES_PER_TURN):
        await ws.send(FRAME)
    assert (await next_json(ws, "transcript"))["text"] == f"{FRAMES_PER_TURN} frames"
    start = await next_json(ws)
    assert start["type"] == "state"
    start = await next_json(ws, "audio_start")
    assert start["sample_rate"] == 24_000
    assert await ws.recv() == REPLY_PCM  # the audio follows its audio_start
    assert (await next_json(ws, "reply_done"))["text"] == f"alice heard {FRAMES_PER_TURN} frames."
    assert (await next_json(ws, "metrics"))["stages"] == {"response_ms": 12.5}
    await ws.send(json.dumps({"type": "end"}))
    end = await next_json(ws, "session_end")
    assert end["reason"] == "client_end"
    await ws.wait_closed()
    assert ws.close_code == 1000


async def test_malformed_json_gets_bad_json_and_the_session_goes_on(server: VoiceServer):
    ws = await started(server)
    await ws.send("{not json")
    err = await next_json(ws, "error")
    assert err["code"] == "bad_json" and err["fatal"] is False
    await ws.send("[1, 2]")
    assert (await next_json(ws, "error"))["code"] == "bad_json"
    for _ in range(FRAMES_PER_TURN):
        await ws.send(FRAME)
    assert (await next_json(ws, "transcript"))["text"] == f"{FRAMES_PER_TURN} frames"
    await ws.close()


async def test_unknown_message_type_is_named_in_the_error(server: VoiceServer):
    ws = await started(server)
    await ws.send(json.dumps({"type": "dance"}))
    err = await next_json(ws, "error")
    assert err["code"] == "unknown_type" and "dance" in err["message"]
    await ws.close()
    await assert_serves_next_session(server)


async def test_audio_and_played_before_start_get_not_started(server: VoiceServer):
    ws = await connect(server.ws_url)
    await ws.send(FRAME)
    assert (await next_json(ws, "error"))["code"] == "not_started"
    await ws.send(json.dumps({"type": "played", "turn": 1, "ms": 10}))
    assert (await next_json(ws, "error"))["code"] == "not_started"
    # The connection is still usable: start now.
    await ws.send(proto.encode(proto.Start(persona="alice")))
    assert (await next_json(ws, "ready"))["persona"]["name"] == "alice"
    await ws.close()


@pytest.mark.parametrize(("size", "hint"), [
    (FRAME_BYTES + 1, "odd length"),
    (1920, "48000 Hz mono"),
    (1280, "16000 Hz stereo"),
    (FRAME_BYTES * 5, "5 frames"),
    (100, ""),
])
async def test_wrong_frame_size_is_bad_audio_and_never_reaches_the_conversation(
        tmp_path: Path, size: int, hint: str):
    factory = FakeFactory()
    server = await _start_server(tmp_path, factory=factory)
    try:
        ws = await started(server)
        await ws.send(b"\x00" * size)
        err = await next_json(ws, "error")
        assert err["code"] == "bad_audio" and "640" in err["message"] and hint in err["message"]
        await ws.send(FRAME)
        await ws.send(json.dumps({"type": "end"}))
        await next_json(ws, "session_end")
        assert factory.opened[0].frames == [FRAME]
    finally:
        await server.stop()


async def test_start_declaring_a_wrong_sample_rate_is_refused(server: VoiceServer):
    ws = await connect(server.ws_url)
    start = proto.Start(persona="alice").to_dict()
    start["audio"]["sample_rate"] = 48_000
    await ws.send(json.dumps(start))
    err = await next_json(ws, "error")
    assert err["code"] == "bad_audio" and "16000" in err["message"]
    await ws.send(proto.encode(proto.Start(persona="alice")))
    await next_json(ws, "ready")
    await ws.close()


async def test_oversized_messages(server: VoiceServer):
    ws = await started(server)
    limit = ServerLimits().max_message_bytes
    await ws.send(b"\x00" * (limit + 2))
    err = await next_json(ws, "error")
    assert err["code"] == "message_too_large" and str(limit) in err["message"]
    await ws.send(json.dumps({"type": "played", "turn": 0, "ms": 0, "pad": "x" * limit}))
    assert (await next_json(ws, "error"))["code"] == "message_too_large"
    # Far beyond the limit the websocket layer closes the connection (1009) unread.
    await ws.send(b"\x00" * (ServerLimits().hard_max_message_bytes + 1))
    with pytest.raises(ConnectionClosed):
        await next_json(ws)
    assert ws.close_code == 1009
    await assert_serves_next_session(server)


async def test_unknown_persona_and_broken_persona_then_a_good_one(server: VoiceServer):
    ws = await connect(server.ws_url)
    await ws.send(proto.encode(proto.Start(persona="nobody")))
    err = await next_json(ws, "error")
    assert err["code"] == "persona_unknown" and "nobody" in err["message"]
    await ws.send(proto.encode(proto.Start(persona="broken")))
    err = await next_json(ws, "error")
    assert err["code"] == "persona_invalid" and "broken.yaml" in err["message"]
    await ws.send(proto.encode(proto.Start(persona="alice")))
    await next_json(ws, "ready")
    await ws.close()


async def test_other_protocol_version_is_refused_and_closed(server: VoiceServer):
    ws = await connect(server.ws_url)
    await ws.send(json.dumps({**proto.Start(persona="alice").to_dict(), "protocol": "voice-rp/9"}))
    err = await next_json(ws, "error")
    assert err["code"] == "protocol_version" and err["fatal"] is True
    await ws.wait_closed()
    await assert_serves_next_session(server)


async def test_second_start_and_bad_played(server: VoiceServer):
    ws = await started(server)
    await ws.send(proto.encode(proto.Start(persona="bob")))
    assert (await next_json(ws, "error"))["code"] == "already_started"
    await ws.send(json.dumps({"type": "played", "turn": "one", "ms": -1}))
    assert (await next_json(ws, "error"))["code"] == "bad_message"
    await ws.close()


async def test_played_reports_reach_the_conversation(tmp_path: Path):
    factory = FakeFactory()
    server = await _start_server(tmp_path, factory=factory)
    try:
        ws = await started(server)
        await ws.send(json.dumps({"type": "played", "turn": 3, "ms": 1234.5}))
        await ws.send(json.dumps({"type": "end"}))
        await next_json(ws, "session_end")
        assert factory.opened[0].played_reports == [(3, 1234.5)]
    finally:
        await server.stop()


async def test_audio_faster_than_the_limit_is_dropped_with_one_error(tmp_path: Path):
    clock = FakeClock(100.0)  # never advances: every frame arrives "at once"
    factory = FakeFactory()
    limits = ServerLimits(audio_burst_ms=200.0, audio_rate=3.0)
    server = await _start_server(tmp_path, factory=factory, limits=limits, clock=clock)
    try:
        ws = await started(server)
        for _ in range(30):
            await ws.send(FRAME)
        err = await next_json(ws, "error")
        assert err["code"] == "frame_rate_exceeded" and err["fatal"] is False
        assert "dropped" in err["message"]
        clock.advance(10.0)  # later, the client is within its budget again
        for _ in range(5):
            await ws.send(FRAME)
        await ws.send(json.dumps({"type": "end"}))
        await next_json(ws, "session_end")
        # 10 frames of burst, then the 5 paced ones; the 20 excess frames were dropped.
        assert len(factory.opened[0].frames) == 15
    finally:
        await server.stop()


async def test_a_crashing_conversation_does_not_disturb_another_session(server: VoiceServer):
    healthy = await started(server, "alice")
    crashing = await connect(server.ws_url)
    await crashing.send(proto.encode(proto.Start(persona="crash")))
    await next_json(crashing, "ready")
    err = await next_json(crashing, "error")
    assert err["code"] == "internal_error" and err["fatal"] is True
    await crashing.wait_closed()
    for _ in range(FRAMES_PER_TURN):
        await healthy.send(FRAME)
    assert (await next_json(healthy, "reply_done"))["text"].startswith("alice heard")
    await healthy.close()


async def test_abrupt_disconnect_keeps_the_transcript_and_the_server(tmp_path: Path):
    factory = FakeFactory()
    # The session is kept for a resume, then ends (server.resume).
    server = await _start_server(tmp_path, factory=factory,
                                 limits=ServerLimits(resume_grace_s=0.5))
    try:
        ws = await started(server)
        for _ in range(FRAMES_PER_TURN):
            await ws.send(FRAME)
        await next_json(ws, "reply_done")
        ws.transport.abort()  # no close frame: a crashed client or a pulled cable
        await asyncio.sleep(0.2)
        assert not factory.opened[0].closed.is_set()  # kept for a resume
        await asyncio.wait_for(factory.opened[0].closed.wait(), 5)
        assert factory.opened[0].closed_with == "disconnected"
        await assert_serves_next_session(server)
        store = TranscriptStore(tmp_path)
        first = store.list_sessions()[0]
        kinds = [r["kind"] for r in store.read_session(first.id)]
        assert kinds[0] == "session_start" and "user" in kinds and "reply" in kinds
        assert first.ended and first.end_reason == "disconnected"
    finally:
        await server.stop()


async def test_shutdown_ends_sessions_with_session_end(tmp_path: Path):
    server = await _start_server(tmp_path)
    ws = await started(server)
    await server.stop()
    end = await next_json(ws, "session_end")
    assert end["reason"] == "server_shutdown"
    await ws.wait_closed()
    assert ws.close_code == 1001
    [summary] = TranscriptStore(tmp_path).list_sessions()
    assert summary.end_reason == "server_shutdown"


async def test_healthz_is_503_until_models_are_loaded(tmp_path: Path):
    gate = asyncio.Event()
    server = await _start_server(tmp_path, load_gate=gate)
    try:
        status, body, kind = await asyncio.to_thread(http_get, server.url + "/healthz")
        assert status == 503 and kind == "application/json"
        assert json.loads(body)["ready"] is False
        gate.set()
        await server.wait_ready()
        status, body, _ = await asyncio.to_thread(http_get, server.url + "/healthz")
        assert status == 200 and json.loads(body)["ready"] is True
    finally:
        await server.stop()


async def test_a_start_during_model_loading_waits_for_the_models(tmp_path: Path):
    gate = asyncio.Event()
    server = await _start_server(tmp_path, load_gate=gate)
    try:
        ws = await connect(server.ws_url)
        await ws.send(proto.encode(proto.Start(persona="alice")))
        with pytest.raises(TimeoutError):
            await next_json(ws, within_s=0.2)
        gate.set()
        assert (await next_json(ws))["type"] == "ready"
        await ws.close()
    finally:
        await server.stop()


async def test_browser_client_is_served_and_nothing_else(server: VoiceServer):
    status, body, kind = await asyncio.to_thread(http_get, server.url + "/")
    assert status == 200 and kind.startswith("text/html") and b'src="app.js"' in body
    status, body, kind = await asyncio.to_thread(http_get, server.url + "/app.js")
    assert status == 200 and "javascript" in kind and b"VOICE_RP.protocol" in body
    status, body, kind = await asyncio.to_thread(http_get, server.url + "/protocol.js")
    assert status == 200 and "javascript" in kind and proto.PROTOCOL.encode() in body
    for path in ("/../server/app.py", "/.hidden", "/nope.js", "/%2e%2e/pyproject.toml"):
        status, _, _ = await asyncio.to_thread(http_get, server.url + path)
        assert status == 404, path


def test_a_public_address_needs_a_token(tmp_path: Path):
    with pytest.raises(InsecureBind, match="token"):
        VoiceServer(ServerConfig(host="0.0.0.0"), load=FakeFactory, store=TranscriptStore(tmp_path))
    VoiceServer(ServerConfig(host="0.0.0.0", access=AccessPolicy(token="s3cret")),
                load=FakeFactory, store=TranscriptStore(tmp_path))


async def test_token_is_checked_from_header_or_query(tmp_path: Path):
    server = await _start_server(tmp_path, access=AccessPolicy(token="s3cret"))
    try:
        for bad in ({}, {"additional_headers": {"Authorization": "Bearer wrong"}}):
            with pytest.raises(InvalidStatus) as info:
                await connect(server.ws_url, **bad)
            assert info.value.response.status_code == 401
            assert json.loads(info.value.response.body)["error"]["code"] == "unauthorized"
        ws = await started(server, additional_headers={"Authorization": "Bearer s3cret"})
        await ws.close()
        ws = await connect(server.ws_url + "?token=s3cret")
        await ws.close()
    finally:
        await server.stop()


async def test_origin_check(tmp_path: Path):
    server = await _start_server(
        tmp_path, access=AccessPolicy(allowed_origins=frozenset({"https://coach.example"})))
    try:
        with pytest.raises(InvalidStatus) as info:
            await connect(server.ws_url, origin="https://evil.example")
        assert info.value.response.status_code == 403
        assert json.loads(info.value.response.body)["error"]["code"] == "bad_origin"
        for origin in ("https://coach.example", "http://localhost:3000", server.url):
            ws = await connect(server.ws_url, origin=origin)
            await ws.close()
    finally:
        await server.stop()


class _FailingLog:
    """Wraps a SessionLog whose disk fails after the session started."""

    def __init__(self, log: Any) -> None:
        self._log = log
        self.closed = False
        self.id = log.id

    def write(self, kind: str, **data: Any) -> None:
        raise OSError(28, "No space left on device")

    def record_event(self, event: Any) -> bool:
        raise OSError(28, "No space left on device")

    def end(self, reason: str, summary: Any = None) -> None:
        raise OSError(28, "No space left on device")


class _FullDiskStore(TranscriptStore):
    def open_session(self, **kw: Any) -> Any:  # type: ignore[override]
        return _FailingLog(super().open_session(**kw))


async def test_a_full_disk_is_reported_and_the_conversation_goes_on(tmp_path: Path):
    async def load() -> FakeFactory:
        return FakeFactory()

    server = VoiceServer(ServerConfig(port=0), load=load, store=_FullDiskStore(tmp_path))
    await server.start()
    try:
        ws = await started(server)
        for _ in range(FRAMES_PER_TURN):
            await ws.send(FRAME)
        err = await next_json(ws, "error")
        assert err["code"] == "save_failed" and "No space left" in err["message"]
        assert err["fatal"] is False
        await next_json(ws, "reply_done")
        for _ in range(FRAMES_PER_TURN):
            await ws.send(FRAME)
        await next_json(ws, "reply_done")
        await ws.send(json.dumps({"type": "end"}))
        assert (await next_json(ws, "session_end"))["reason"] == "client_end"
    finally:
        await server.stop()


def test_server_refuses_a_public_address_without_a_token():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "server", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=120, check=False,
        cwd=Path(__file__).resolve().parents[1],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2
    assert "token" in result.stderr and "VOICE_RP_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
