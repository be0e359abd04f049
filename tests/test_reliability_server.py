"""Defects found by probing the server as an attacker and a flaky network would, each kept fixed.

The real server runs on a free loopback port with a scripted conversation (tests/server_fakes.py):
these are about the wire, the admission of sessions and what reaches the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from server_fakes import FRAMES_PER_TURN, FakeConversation, FakeFactory
from test_protocol_errors import (
    FRAME,
    _start_server,
    assert_serves_next_session,
    next_json,
    started,
)
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from client.__main__ import converse, parse_args
from server.http import AccessPolicy
from server.limits import ServerLimits
from server.session import Opened
from voice_rp import protocol as proto
from voice_rp import protocol_in as proto_in
from voice_rp.storage import TranscriptStore

# --- 1, 2: the parser answers anything with its own error ---------------------------------------


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,
    '{"type": "start", "options": ' + '{"a": ' * 3000 + "1" + "}" * 3000 + "}",
    '{"type": "played", "turn": 0, "ms": ' + "[" * 2000 + "]" * 2000 + "}",
])
def test_deeply_nested_json_is_bad_json_not_a_crash(text: str):
    with pytest.raises(proto.ProtocolError) as caught:
        proto_in.decode_client(text)
    assert caught.value.code in (proto.BAD_JSON, proto.BAD_MESSAGE)


@pytest.mark.parametrize("played", [
    {"turn": 0, "ms": int("9" * 400)},
    {"turn": int("9" * 400), "ms": 1},
    {"turn": 0, "ms": -1},
    {"turn": -3, "ms": 1},
    {"turn": 0, "ms": True},
    {"turn": 0, "ms": 1e300},
    {"turn": 0.5, "ms": 1},
])
def test_out_of_range_played_numbers_are_bad_message(played: dict[str, Any]):
    with pytest.raises(proto.ProtocolError) as caught:
        proto_in.decode_client(json.dumps({"type": "played", **played}))
    assert caught.value.code == proto.BAD_MESSAGE


@pytest.mark.parametrize("text", ['{"type": "played", "turn": 0, "ms": NaN}',
                                  '{"type": "played", "turn": 0, "ms": Infinity}'])
def test_nan_and_infinity_are_not_json(text: str):
    with pytest.raises(proto.ProtocolError) as caught:
        proto_in.decode_client(text)
    assert caught.value.code == proto.BAD_JSON


@pytest.mark.parametrize("start", [
    {"persona": "x" * 10_000},
    {"persona": "alice", "options": {"note": "y" * 5000}},
    {"persona": "alice", "options": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}},
    {"persona": "alice", "options": {"n": 10**30}},
    {"persona": ["alice"]},
])
def test_start_fields_have_limits(start: dict[str, Any]):
    with pytest.raises(proto.ProtocolError) as caught:
        proto_in.decode_client(json.dumps({"type": "start", **start}))
    assert caught.value.code == proto.BAD_MESSAGE


async def test_hostile_messages_get_errors_and_the_session_goes_on(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO)
    factory = FakeFactory()
    server = await _start_server(tmp_path, factory=factory)
    try:
        ws = await started(server)
        for text in ("[" * 20_000 + "]" * 20_000,
                     json.dumps({"type": "played", "turn": 0, "ms": int("9" * 400)}),
                     '{"type": {"nested": 1}}'):
            await ws.send(text)
            err = await next_json(ws, "error")
            assert err["code"] in ("bad_json", "bad_message", "unknown_type")
            assert err["fatal"] is False
        await ws.send(json.dumps({"type": "played", "turn": 1, "ms": 20.0}))
        for _ in range(FRAMES_PER_TURN):
            await ws.send(FRAME)
        assert (await next_json(ws, "transcript"))["text"] == f"{FRAMES_PER_TURN} frames"
        await ws.close()
        assert factory.opened[0].played_reports == [(1, 20.0)]
    finally:
        await server.stop()
    assert "Traceback" not in caplog.text and "internal_error" not in caplog.text


class _BrokenPlayed(FakeConversation):
    def played(self, turn: int, played_ms: float) -> None:
        raise RuntimeError("a bug on the server's side")


class _BrokenFactory(FakeFactory):
    async def open(self, persona: str, options: dict[str, Any]) -> Opened:
        conv = _BrokenPlayed(persona)
        self.opened.append(conv)
        return Opened(conv, {"id": persona, "name": persona})


async def test_a_fatal_server_side_error_closes_with_1011(tmp_path: Path):
    server = await _start_server(tmp_path, factory=_BrokenFactory())
    try:
        ws = await started(server)
        await ws.send(json.dumps({"type": "played", "turn": 0, "ms": 5}))
        err = await next_json(ws, "error")
        assert err["code"] == "internal_error" and err["fatal"] is True
        await ws.wait_closed()
        assert ws.close_code == 1011
        await assert_serves_next_session(server)  # the server itself is fine
    finally:
        await server.stop()


# --- 3: DNS rebinding -----------------------------------------------------------------------------


async def test_a_rebound_host_name_is_refused_without_a_token(tmp_path: Path):
    server = await _start_server(tmp_path)
    try:
        # The browser resolved evil.example to 127.0.0.1: both headers name the attacker's page.
        evil = f"evil.example:{server.port}"
        with pytest.raises(InvalidStatus) as info:
            await connect(f"ws://{evil}/ws", host="127.0.0.1", port=server.port,
                          origin=f"http://{evil}")  # type: ignore[arg-type]
        assert info.value.response.status_code == 403
        assert json.loads(info.value.response.body)["error"]["code"] == "bad_host"
        for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}",
                     f"[::1]:{server.port}"):
            ws = await connect(f"ws://{host}/ws", host="127.0.0.1", port=server.port,
                               origin=f"http://{host}")  # type: ignore[arg-type]
            await ws.close()
        # A second Host header cannot smuggle the other name past the check.
        with pytest.raises(InvalidStatus) as info:
            await connect(server.ws_url, additional_headers={"Host": evil})
        assert info.value.response.status_code == 400
    finally:
        await server.stop()


async def test_allowed_hosts_and_tokens_open_other_names(tmp_path: Path):
    server = await _start_server(tmp_path, access=AccessPolicy(
        allowed_hosts=frozenset({"studio.lan"})))
    try:
        ws = await connect(f"ws://studio.lan:{server.port}/ws", host="127.0.0.1",
                           port=server.port)
        await ws.close()
        with pytest.raises(InvalidStatus):
            await connect(f"ws://other.lan:{server.port}/ws", host="127.0.0.1", port=server.port)
    finally:
        await server.stop()
    server = await _start_server(tmp_path, access=AccessPolicy(token="s3cret"))
    try:
        ws = await connect(f"ws://coach.example.org:{server.port}/ws", host="127.0.0.1",
                           port=server.port, additional_headers={"Authorization": "Bearer s3cret"})
        await ws.close()
    finally:
        await server.stop()


# --- 4: transcripts are the user's alone ----------------------------------------------------------


def test_transcripts_are_readable_by_the_user_only(tmp_path: Path):
    store = TranscriptStore(tmp_path / "data")
    log = store.open_session(persona="alice")
    log.end("client_end")
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    for path in (tmp_path / "data").glob(store.db_path.name + "*"):  # with its -wal and -shm
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # A directory left world-readable by an older version is tightened.
    (tmp_path / "data").chmod(0o755)
    TranscriptStore(tmp_path / "data").open_session(persona="alice").end("client_end")
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


# --- 7, 8: idle and junk connections ---------------------------------------------------------


async def test_connections_that_never_start_hold_no_session_slot(tmp_path: Path):
    server = await _start_server(tmp_path, limits=ServerLimits(max_sessions=2))
    try:
        idle = [await connect(server.ws_url) for _ in range(6)]
        ws = await started(server)  # a real user is served at once
        await ws.close()
        for sock in idle:
            await sock.close()
    finally:
        await server.stop()


async def test_a_full_server_refuses_at_start_with_a_retry_hint(tmp_path: Path):
    server = await _start_server(tmp_path, limits=ServerLimits(max_sessions=1,
                                                               retry_after_s=7.0))
    try:
        first = await started(server)
        second = await connect(server.ws_url)
        await second.send(proto.encode(proto.Start(persona="bob")))
        err = await next_json(second)
        assert err["code"] == "server_busy" and err["fatal"] is True
        assert err["retry_after_s"] == 7.0
        await second.wait_closed()
        assert second.close_code == 1013
        await first.close()
        await asyncio.sleep(0.05)
        await assert_serves_next_session(server)
    finally:
        await server.stop()


async def test_too_many_open_connections_are_refused_at_once(tmp_path: Path):
    server = await _start_server(tmp_path, limits=ServerLimits(max_connections=3))
    try:
        held = [await connect(server.ws_url) for _ in range(3)]
        extra = await connect(server.ws_url)
        assert (await next_json(extra))["code"] == "server_busy"
        await extra.wait_closed()
        assert extra.close_code == 1013
        for ws in held:
            await ws.close()
    finally:
        await server.stop()


async def test_the_start_deadline_is_absolute(tmp_path: Path):
    server = await _start_server(tmp_path, limits=ServerLimits(start_timeout_s=0.6))
    try:
        ws = await connect(server.ws_url)
        t0 = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017 - closed while sending junk
            for _ in range(100):
                await ws.send('{"type": "played", "turn": 0, "ms": 1}')  # not_started, junk
                await asyncio.sleep(0.1)
        await ws.wait_closed()
        assert time.monotonic() - t0 < 5.0  # not kept alive by its junk
        assert ws.close_code == 1000
    finally:
        await server.stop()


# --- 9: a flood is counted in full ----------------------------------------------------------------


async def test_a_frame_flood_reports_every_dropped_frame(tmp_path: Path):
    factory = FakeFactory()
    limits = ServerLimits(audio_burst_ms=200.0, audio_rate=3.0, error_interval_s=0.3)
    server = await _start_server(tmp_path, factory=factory, limits=limits)
    try:
        ws = await started(server)
        for _ in range(2000):
            await ws.send(FRAME)
        reported = 0
        try:
            while True:
                err = await next_json(ws, "error", within_s=1.5)
                assert err["code"] == "frame_rate_exceeded"
                reported += int(err["message"].split("dropped ")[1].split(" ")[0])
        except TimeoutError:
            pass
        await ws.send(json.dumps({"type": "end"}))
        await next_json(ws, "session_end")
        used = len(factory.opened[0].frames)
        assert reported == 2000 - used and reported > 1000
    finally:
        await server.stop()


async def test_a_junk_flood_is_answered_and_logged_a_bounded_number_of_times(tmp_path: Path,
                                                                            caplog):
    caplog.set_level(logging.INFO, logger="voice_rp.server")
    server = await _start_server(tmp_path, limits=ServerLimits(error_burst=5, error_rate=1.0))
    try:
        ws = await started(server)
        for _ in range(500):
            await ws.send("{junk")
        await ws.send(json.dumps({"type": "end"}))
        errors = 0
        while (msg := await next_json(ws))["type"] != "session_end":
            errors += msg["type"] == "error"
        assert 5 <= errors <= 10
    finally:
        await server.stop()
    assert caplog.text.count("bad_json") <= 10


# --- 11: no secrets or conversation text in the log ---------------------------------------------


async def test_debug_logging_shows_no_token_and_no_conversation_text(tmp_path: Path, caplog):
    caplog.set_level(logging.DEBUG)
    factory = FakeFactory(opening=True)
    server = await _start_server(tmp_path, factory=factory,
                                 access=AccessPolicy(token="tok-93f2a7"))
    try:
        ws = await started(server, additional_headers={"Authorization": "Bearer tok-93f2a7"})
        await next_json(ws, "reply_done")
        await ws.close()
        ws = await connect(server.ws_url + "?token=tok-93f2a7")
        await ws.close()
        with pytest.raises(InvalidStatus):
            await connect(server.ws_url + "?token=wrong-55d1")
    finally:
        await server.stop()
    # The test's own websocket client logs its requests too: only the server's lines count.
    server_log = "\n".join(r.getMessage() for r in caplog.records
                           if not r.name.startswith("websockets."))
    assert "connection open" in server_log  # the library's log lines still come through
    assert "tok-93f2a7" not in server_log and "wrong-55d1" not in server_log
    assert "Hello, I am alice" not in server_log


# --- 12: the Python client and a busy server --------------------------------------------------


async def test_the_client_explains_a_busy_server_without_a_traceback(tmp_path: Path, capsys):
    server = await _start_server(tmp_path, limits=ServerLimits(max_sessions=1))
    wav = tmp_path / "hello.wav"
    from test_client import write_wav
    write_wav(wav, 0.5)
    try:
        first = await started(server)
        args = parse_args(["--server", server.ws_url, "--input", str(wav), "--fast",
                           "--persona", "alice"])
        assert await converse(args, None) == 1
        err = capsys.readouterr().err
        assert "server_busy" in err and "try again" in err
        assert "Traceback" not in err
        await first.close()
    finally:
        await server.stop()


async def test_a_storm_of_refused_handshakes_fills_no_log(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO, logger="voice_rp.server")
    server = await _start_server(tmp_path, access=AccessPolicy(token="s3cret"),
                                 limits=ServerLimits(error_burst=5, error_rate=0.5))
    try:
        for _ in range(60):
            with pytest.raises(InvalidStatus):
                await connect(server.ws_url)
    finally:
        await server.stop()
    assert 5 <= caplog.text.count("refused a connection") <= 10
