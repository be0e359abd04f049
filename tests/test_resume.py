"""A dropped connection does not end a practice: the session is kept for a grace period and the
client that holds its token continues it on a new connection (server.resume, docs/protocol.md).
Nobody else can: wrong, stale and forged tokens, ended sessions and late resumes get a clear
`resume_failed`, and the session they aimed at goes on untouched."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from server_fakes import FRAMES_PER_TURN, FakeFactory, next_message, start_fake_server
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.app import VoiceServer
from server.limits import ServerLimits
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES
from voice_rp.storage import TranscriptStore

FRAME = b"\x10\x00" * (FRAME_BYTES // 2)


async def _start(server: VoiceServer) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(server.ws_url)
    await ws.send(proto.encode(proto.Start(persona="alice")))
    return ws, await next_message(ws, "ready")


async def _one_turn(ws: ClientConnection) -> dict[str, Any]:
    for _ in range(FRAMES_PER_TURN):
        await ws.send(FRAME)
    return await next_message(ws, "reply_done")


async def _resume(server: VoiceServer, session: str, token: str
                  ) -> tuple[ClientConnection, dict[str, Any]]:
    ws = await connect(server.ws_url)
    await ws.send(proto.encode(proto.Resume(session=session, token=token)))
    return ws, await next_message(ws)


async def test_a_dropped_session_is_resumed_with_what_was_said_and_goes_on(tmp_path: Path):
    factory = FakeFactory()
    server = await start_fake_server(tmp_path, factory=factory)
    try:
        ws, ready = await _start(server)
        assert ready["resume_grace_s"] == 60 and len(ready["resume_token"]) >= 40
        first = await _one_turn(ws)
        ws.transport.abort()  # a reload: no `end`, no normal close
        await asyncio.sleep(0.3)
        conv = factory.opened[0]
        assert not conv.closed.is_set()  # kept, not ended
        ws2, resumed = await _resume(server, ready["session"], ready["resume_token"])
        assert resumed["type"] == "resumed" and resumed["session"] == ready["session"]
        assert resumed["resume_token"] != ready["resume_token"]
        lines = resumed["transcript"]
        assert {"turn": 1, "role": "user", "speaker": "", "text": f"{FRAMES_PER_TURN} frames",
                "interrupted": False} in lines
        assert any(line["role"] == "persona" and line["text"] == first["text"] for line in lines)
        # The same conversation goes on: its frame count carries on from before the drop.
        frames_before = len(conv.frames)
        for _ in range(FRAMES_PER_TURN):
            await ws2.send(FRAME)
        want = f"alice heard {frames_before + FRAMES_PER_TURN} frames."
        replies = []  # the fake answers the silence that ended the last turn as turns too
        while not replies or replies[-1] != want:
            replies.append((await next_message(ws2, "reply_done"))["text"])
        assert len(factory.opened) == 1
        await ws2.send(proto.encode(proto.End()))
        end = await next_message(ws2, "session_end")
        assert end["reason"] == "client_end"
    finally:
        await server.stop()
    [saved] = TranscriptStore(tmp_path).list_sessions()
    assert saved.end_reason == "client_end"


async def test_a_token_works_once_and_a_wrong_one_reveals_nothing(tmp_path: Path):
    server = await start_fake_server(tmp_path)
    try:
        ws, ready = await _start(server)
        sid, token = ready["session"], ready["resume_token"]
        ws.transport.abort()
        await asyncio.sleep(0.2)
        refusals = []
        for session, forged in ((sid, token[:-2] + "xx"), (sid, ""), ("no-such-session", token),
                                (sid, "A" * 200)):
            bad = await connect(server.ws_url)
            await bad.send(f'{{"type":"resume","session":"{session}","token":"{forged}"}}')
            err = await next_message(bad)
            refusals.append(err)
            if err["code"] == "resume_failed":  # fatal: the connection is closed
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(bad.recv(), 5)
            await bad.close()
        assert refusals[1]["code"] == "bad_message"  # an empty token is not a token
        for err in (refusals[0], refusals[2], refusals[3]):
            assert err["type"] == "error" and err["code"] == "resume_failed" and err["fatal"]
            assert "start a new session" in err["message"].lower()
        # Forged and unknown read the same: a stranger learns nothing about the session.
        assert refusals[0]["message"] == refusals[2]["message"] == refusals[3]["message"]
        ws2, resumed = await _resume(server, sid, token)  # still there for its owner
        assert resumed["type"] == "resumed"
        ws2.transport.abort()
        await asyncio.sleep(0.2)
        _, stale = await _resume(server, sid, token)  # the token of before: used up
        assert stale["code"] == "resume_failed"
        ws3, again = await _resume(server, sid, resumed["resume_token"])
        assert again["type"] == "resumed"
        await ws3.close()
    finally:
        await server.stop()


async def test_an_ended_session_is_not_resumed_and_its_owner_is_told_it_ended(tmp_path: Path):
    server = await start_fake_server(tmp_path)
    try:
        ws, ready = await _start(server)
        await ws.send(proto.encode(proto.End()))
        await next_message(ws, "session_end")
        _, err = await _resume(server, ready["session"], ready["resume_token"])
        assert err["code"] == "resume_failed" and "has ended" in err["message"]
        # A closed connection (1000) is a client that left on purpose: its session ends.
        ws, ready = await _start(server)
        await ws.close()
        await asyncio.sleep(0.2)
        _, err = await _resume(server, ready["session"], ready["resume_token"])
        assert err["code"] == "resume_failed" and "has ended" in err["message"]
    finally:
        await server.stop()
    reasons = sorted(s.end_reason or "" for s in TranscriptStore(tmp_path).list_sessions())
    assert reasons == ["client_end", "disconnected"]


async def test_after_the_grace_period_the_session_ends_and_frees_its_place(tmp_path: Path):
    factory = FakeFactory()
    server = await start_fake_server(
        tmp_path, factory=factory, limits=ServerLimits(resume_grace_s=0.5, max_sessions=1))
    try:
        ws, ready = await _start(server)
        await _one_turn(ws)
        ws.transport.abort()
        await asyncio.sleep(0.2)
        busy = await connect(server.ws_url)  # the kept session still holds the only place
        await busy.send(proto.encode(proto.Start(persona="bob")))
        assert (await next_message(busy))["code"] == "server_busy"
        await asyncio.wait_for(factory.opened[0].closed.wait(), 5)
        assert factory.opened[0].closed_with == "disconnected"
        for _ in range(50):  # its end is being saved
            if server.health()["sessions"] == 0:
                break
            await asyncio.sleep(0.1)
        _, err = await _resume(server, ready["session"], ready["resume_token"])
        assert err["code"] == "resume_failed"
        ws2, ready2 = await _start(server)  # its place is free again
        assert ready2["type"] == "ready"
        await ws2.close()
    finally:
        await server.stop()
    saved = {s.id: s for s in TranscriptStore(tmp_path).list_sessions()}
    assert saved[ready["session"]].end_reason == "disconnected"
    kinds = [r["kind"] for r in TranscriptStore(tmp_path).read_session(ready["session"])]
    assert "user" in kinds and "reply" in kinds


async def test_a_second_tab_takes_the_session_over_and_the_first_is_told(tmp_path: Path):
    factory = FakeFactory()
    server = await start_fake_server(tmp_path, factory=factory)
    try:
        first, ready = await _start(server)
        await _one_turn(first)
        second, resumed = await _resume(server, ready["session"], ready["resume_token"])
        assert resumed["type"] == "resumed"
        moved = await next_message(first, "error")
        assert moved["code"] == "session_moved" and moved["fatal"]
        await first.wait_closed()
        assert first.close_code == proto.CLOSE_CODES["moved"]
        reply = await _one_turn(second)  # the session lives on in the second tab
        assert reply["type"] == "reply_done"
        assert not factory.opened[0].closed.is_set() and len(factory.opened) == 1
        await second.send(proto.encode(proto.End()))
        assert (await next_message(second, "session_end"))["reason"] == "client_end"
    finally:
        await server.stop()


async def test_a_kept_session_ends_with_the_server(tmp_path: Path):
    factory = FakeFactory()
    server = await start_fake_server(tmp_path, factory=factory)
    ws, _ = await _start(server)
    ws.transport.abort()
    await asyncio.sleep(0.2)
    await asyncio.wait_for(server.stop(), 15)
    assert factory.opened[0].closed_with == "server_shutdown"
    [saved] = TranscriptStore(tmp_path).list_sessions()
    assert saved.end_reason == "server_shutdown"


async def test_no_grace_means_a_drop_ends_the_session_at_once(tmp_path: Path):
    factory = FakeFactory()
    server = await start_fake_server(tmp_path, factory=factory,
                                     limits=ServerLimits(resume_grace_s=0))
    try:
        ws, ready = await _start(server)
        assert ready["resume_grace_s"] == 0
        ws.transport.abort()
        await asyncio.wait_for(factory.opened[0].closed.wait(), 5)
        assert factory.opened[0].closed_with == "disconnected"
    finally:
        await server.stop()


async def test_the_python_client_continues_its_session_after_a_drop(tmp_path: Path):
    import io

    from client.playback import SimulatedPlayer
    from client.session import ClientError, ClientSession
    from voice_rp.clock import MonotonicClock

    server = await start_fake_server(tmp_path)
    clock = MonotonicClock()
    said = io.StringIO()
    try:
        ws = await connect(server.ws_url)
        session = ClientSession(ws, player=SimulatedPlayer(clock), clock=clock, human_out=said)
        receiving = asyncio.create_task(session.receive())
        ready = await session.start("alice")
        first_token = session.view.resume_token
        assert first_token == ready.resume_token

        async def one_turn() -> None:
            replies = len(session.view.replies)
            for _ in range(FRAMES_PER_TURN):
                await session.ws.send(FRAME)
            assert await session.view.wait_for(lambda: len(session.view.replies) > replies, 5)

        await one_turn()
        ws.transport.abort()
        await receiving
        resumed = await session.resume(await connect(server.ws_url))
        assert resumed.session == ready.session and session.view.resume_token != first_token
        # (The fake hears the silence that ends the turn in progress as more turns.)
        assert [line["role"] for line in resumed.transcript][:2] == ["user", "persona"]
        await one_turn()
        await session.end()
        assert session.view.ended is not None and session.view.ended.reason == "client_end"
        assert f"[continued the session: {len(resumed.transcript)} line(s) so far]" in \
            said.getvalue()
        with pytest.raises(ClientError, match="could not be continued"):
            await session.resume(await connect(server.ws_url))  # it has ended
    finally:
        await server.stop()
