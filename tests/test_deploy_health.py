"""Liveness, readiness, metrics and draining of one server (scripted conversations, no models).

The process-level checks (SIGTERM on `python -m server`, nginx in front of two servers) are in
tests/test_deploy_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from server_fakes import FRAMES_PER_TURN, FakeConversation, FakeFactory
from test_protocol_errors import FRAME, next_json, started
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server.app import ServerConfig, VoiceServer
from server.limits import ServerLimits
from server.readiness import Readiness, WyomingProbe, probe_for, probes_from_env
from server.session import Opened
from voice_rp import events as ev
from voice_rp import protocol as proto
from voice_rp.storage import TranscriptStore


class TimedConversation(FakeConversation):
    """Each user turn reports the stage times a real one does."""

    def _reply(self, text: str) -> None:
        super()._reply(text)
        if self._turn:
            self._queue.put_nowait(ev.TurnMetrics(self._turn, 0.0, {
                "stt_ms": 310.0, "llm_first_token_ms": 420.0, "tts_first_audio_ms": 600.0,
                "response_ms": 640.0}))


class TimedFactory(FakeFactory):
    async def open(self, persona: str, options: dict[str, Any]) -> Opened:
        conv = TimedConversation(persona)
        self.opened.append(conv)
        return Opened(conv, {"id": persona, "name": persona})


async def start_server(tmp_path: Path, *, readiness: Readiness | None = None,
                       limits: ServerLimits | None = None) -> VoiceServer:
    factory = TimedFactory()

    async def load() -> FakeFactory:
        return factory

    server = VoiceServer(ServerConfig(host="127.0.0.1", port=0, limits=limits or ServerLimits()),
                         load=load, store=TranscriptStore(tmp_path), readiness=readiness)
    await server.start()
    await server.wait_ready()
    return server


async def get(url: str) -> tuple[int, str]:
    def fetch() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
    return await asyncio.to_thread(fetch)


async def fake_wyoming(answer: bytes) -> tuple[asyncio.Server, int]:
    """A service that answers `describe` with `answer` (a Wyoming `info` line, or garbage)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(answer)
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    return srv, int(srv.sockets[0].getsockname()[1])


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_live_and_ready_with_embedded_models(tmp_path: Path):
    server = await start_server(tmp_path)
    try:
        assert await get(server.url + "/livez") == (200, '{"live": true}')
        status, body = await get(server.url + "/readyz")
        assert status == 200 and json.loads(body)["ready"] is True
        assert (await get(server.url + "/healthz"))[0] == 200  # as before, for existing users
    finally:
        await server.stop()


async def test_not_ready_while_a_remote_backend_is_down_and_ready_once_it_answers(tmp_path: Path):
    wyoming, port = await fake_wyoming(b'{"type": "info", "data_length": 0}\n')
    dead = free_port()
    readiness = Readiness([WyomingProbe("stt", "127.0.0.1", port),
                           WyomingProbe("tts", "127.0.0.1", dead, timeout_s=1.0)], cache_s=0.0)
    server = await start_server(tmp_path, readiness=readiness)
    try:
        status, body = await get(server.url + "/readyz")
        problems = json.loads(body)["problems"]
        assert status == 503 and set(problems) == {"tts"}
        assert f"127.0.0.1:{dead} does not answer" in problems["tts"]
        assert (await get(server.url + "/livez"))[0] == 200  # alive: a restart would not help
        assert (await get(server.url + "/healthz"))[0] == 200
        tts, _ = await fake_wyoming(b'{"type": "info"}\n')
        readiness.probes = [readiness.probes[0],
                            WyomingProbe("tts", "127.0.0.1", int(tts.sockets[0].getsockname()[1]))]
        assert (await get(server.url + "/readyz"))[0] == 200
        tts.close()
    finally:
        await server.stop()
        wyoming.close()


async def test_a_service_that_is_not_wyoming_is_not_ready():
    garbage, port = await fake_wyoming(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    try:
        why = await WyomingProbe("stt", "127.0.0.1", port).check()
        assert why == f"127.0.0.1:{port} is not a Wyoming service"
    finally:
        garbage.close()


async def fake_http(status: int) -> tuple[asyncio.Server, int, list[str]]:
    """An HTTP server answering every request with `status`; records the request lines."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readline()).decode().strip())
        while (await reader.readline()).strip():
            pass
        writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    return srv, int(srv.sockets[0].getsockname()[1]), seen


@pytest.mark.parametrize(("status", "ready"), [(200, True), (401, True), (502, False)])
async def test_an_http_backend_is_probed_at_its_models_list(status: int, ready: bool):
    srv, port, seen = await fake_http(status)
    try:
        probe = probe_for("llm", f"http://127.0.0.1:{port}/v1")
        assert probe is not None
        why = await probe.check()
        assert (why is None) == ready
        assert seen == ["GET /v1/models HTTP/1.1"]
    finally:
        srv.close()


def test_probes_come_from_the_backend_settings():
    probes = probes_from_env({"OPENAI_BASE_URL": "http://gpu:8000/v1",
                              "VOICE_RP_STT_URL": "wyoming://stt.local:10300",
                              "VOICE_RP_TTS_URL": "https://tts.example/v1",
                              "VOICE_RP_DATABASE_URL": "postgresql://u:p@db:6543/voice"})
    assert [(p.name, type(p).__name__) for p in probes] == [
        ("llm", "HttpProbe"), ("stt", "WyomingProbe"), ("tts", "HttpProbe"),
        ("database", "TcpProbe")]
    assert probes_from_env({}) == []


async def test_metrics_count_sessions_turns_errors_refusals_and_stage_latency(tmp_path: Path):
    server = await start_server(tmp_path, limits=ServerLimits(max_sessions=1))
    try:
        ws = await started(server)
        for _ in range(FRAMES_PER_TURN * 2):
            await ws.send(FRAME)
        await next_json(ws, "reply_done")
        await next_json(ws, "reply_done")
        await ws.send(b"\x00")  # a bad frame: an error event
        assert (await next_json(ws, "error"))["code"] == proto.BAD_AUDIO
        busy = await connect(server.ws_url)
        await busy.send(proto.encode(proto.Start(persona="bob")))
        assert (await next_json(busy, "error"))["code"] == proto.SERVER_BUSY
        await busy.close()
        await asyncio.sleep(0.1)
        status, text = await get(server.url + "/metrics")
        assert status == 200
        values = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                  for line in text.splitlines() if line and not line.startswith("#")}
        assert values["voice_rp_sessions_total"] == 1
        assert values["voice_rp_sessions_active"] == 1
        assert values['voice_rp_sessions_refused_total{reason="capacity"}'] == 1
        assert values["voice_rp_turns_total"] == 2
        assert values['voice_rp_errors_total{code="bad_audio"}'] == 1
        assert values['voice_rp_errors_total{code="server_busy"}'] == 1
        for stage, seconds in (("stt", 0.31), ("llm_first_token", 0.42), ("first_audio", 0.6),
                               ("response", 0.64)):
            assert values[f'voice_rp_stage_seconds_count{{stage="{stage}"}}'] == 2
            assert values[f'voice_rp_stage_seconds_sum{{stage="{stage}"}}'] == pytest.approx(
                2 * seconds)
        await ws.close()
    finally:
        await server.stop()


async def test_draining_refuses_new_sessions_and_lets_running_ones_finish(tmp_path: Path):
    server = await start_server(tmp_path)
    try:
        staying = await started(server, "staying")
        leaving = await started(server, "leaving")
        idle = await connect(server.ws_url)  # connected, not started
        drain = asyncio.create_task(server.drain(timeout_s=1.5))
        await asyncio.sleep(0.1)
        status, body = await get(server.url + "/readyz")
        assert status == 503 and json.loads(body)["problems"] == {"server": "draining"}
        assert (await get(server.url + "/livez"))[0] == 200
        # A new connection is refused before the upgrade (a balancer passes it on) ...
        with pytest.raises(InvalidStatus) as refused:
            await connect(server.ws_url)
        assert refused.value.response.status_code == 503
        error = json.loads(refused.value.response.body)["error"]
        assert error["code"] == proto.SERVER_BUSY and error["retry_after_s"] > 0
        assert refused.value.response.headers["Retry-After"]
        # ... and so is a start on a connection opened before.
        await idle.send(proto.encode(proto.Start(persona="late")))
        assert (await next_json(idle, "error"))["code"] == proto.SERVER_BUSY
        # Running sessions go on: a turn is answered, a user may finish on their own.
        for _ in range(FRAMES_PER_TURN):
            await staying.send(FRAME)
        assert (await next_json(staying, "reply_done"))["text"].startswith("staying heard")
        await leaving.send(json.dumps({"type": "end"}))
        assert (await next_json(leaving, "session_end"))["reason"] == "client_end"
        assert not drain.done()
        # At the limit the rest end with server_shutdown, saved.
        end = await next_json(staying, "session_end", within_s=10)
        assert end["reason"] == "server_shutdown"
        await asyncio.wait_for(drain, 10)
        store = TranscriptStore(tmp_path)
        ends = sorted(store.read_session(s.id)[-1]["reason"] for s in store.list_sessions())
        assert ends == ["client_end", "server_shutdown"]
    finally:
        await server.stop()


async def test_draining_ends_as_soon_as_the_last_session_leaves(tmp_path: Path):
    server = await start_server(tmp_path)
    try:
        ws = await started(server)
        drain = asyncio.create_task(server.drain(timeout_s=300))
        await asyncio.sleep(0.1)
        await ws.send(json.dumps({"type": "end"}))
        await asyncio.wait_for(drain, 10)  # not 300 s
    finally:
        await server.stop()
