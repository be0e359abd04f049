"""A conversation over a real websocket server while its PostgreSQL restarts: the conversation goes
on, the user is told once that saving is delayed, and every record is saved when it is back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from server_fakes import FRAMES_PER_TURN, FakeFactory
from store_backends import LocalPostgres
from websockets.asyncio.client import ClientConnection, connect

from server.app import ServerConfig, VoiceServer
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES
from voice_rp.storage_pg import PostgresStore

FRAME = b"\x00\x01" * (FRAME_BYTES // 2)


async def one_turn(ws: ClientConnection) -> list[dict[str, Any]]:
    """Speak one turn; the messages up to its reply_done."""
    for _ in range(FRAMES_PER_TURN):
        await ws.send(FRAME)
    got = []
    while True:
        data = await asyncio.wait_for(ws.recv(), 10)
        if isinstance(data, bytes):
            continue
        got.append(json.loads(data))
        if got[-1]["type"] == "reply_done":
            return got


async def test_a_database_restart_mid_session_loses_nothing_and_the_user_is_told(
        postgres_server: Callable[[], LocalPostgres]):
    pg = postgres_server()
    store = PostgresStore.connect(pg.new_database(), write_wait_s=0.5)

    async def load() -> FakeFactory:
        return FakeFactory()

    server = VoiceServer(ServerConfig(port=0), load=load, store=store)
    await server.start()
    try:
        async with connect(server.ws_url) as ws:
            await ws.send(proto.encode(proto.Start(persona="behavioural-interviewer")))
            ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ready["type"] == "ready"
            sid = ready["session"]
            assert not [m for m in await one_turn(ws) if m["type"] == "error"]
            await asyncio.to_thread(pg.stop)
            try:
                during = await one_turn(ws)  # the conversation goes on
                second = await one_turn(ws)
            finally:
                await asyncio.to_thread(pg.start)
            errors = [m for m in during + second if m["type"] == "error"]
            assert len(errors) == 1, errors  # once per outage, not once per record
            assert errors[0]["code"] == "save_delayed"
            assert "saving this session is delayed" in errors[0]["message"]
            assert not errors[0]["fatal"]
            assert [m["text"] for m in during + second if m["type"] == "transcript"] == [
                "50 frames", "75 frames"]
            await one_turn(ws)  # the database is back
            await ws.send(json.dumps({"type": "end"}))
            async for data in ws:
                if isinstance(data, str) and json.loads(data)["type"] == "session_ended":
                    break
    finally:
        await server.stop()
    records = await asyncio.to_thread(store.read_session, sid)
    users = [r["text"] for r in records if r["kind"] == "user"]
    assert users == ["25 frames", "50 frames", "75 frames", "100 frames"]
    assert len([r for r in records if r["kind"] == "reply"]) == 4
    assert records[-1]["kind"] == "session_end"
    [summary] = await asyncio.to_thread(store.list_sessions)
    assert summary.ended and summary.user_turns == 4
    await asyncio.to_thread(store.close)
