"""On the real server and models: words said just before a connection drops are transcribed,
saved and shown when the session is resumed; and a user's words come back as live captions at
their pauses, before the turn's transcript."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from real_server import build_real_server
from speech import concat_with_pause, say, wer, with_silence
from websockets.asyncio.client import ClientConnection, connect

from server.app import VoiceServer
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES, float_to_pcm16

pytestmark = [pytest.mark.models, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.timeout(600)]

ANSWER = "I led the migration of our billing system to a new database last spring."


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[VoiceServer]:
    srv = build_real_server(tmp_path_factory.mktemp("data"), max_sessions=2)
    await srv.start()
    await srv.wait_ready()
    yield srv
    await srv.stop()


class Inbox(list[dict[str, Any]]):
    """The text messages of one connection, read as they come."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__()
        self._came = asyncio.Condition()
        self.reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws: ClientConnection) -> None:
        async for message in ws:
            if isinstance(message, str):
                async with self._came:
                    self.append(json.loads(message))
                    self._came.notify_all()

    async def first(self, kind: str, within_s: float = 120.0) -> dict[str, Any]:
        async with asyncio.timeout(within_s), self._came:
            await self._came.wait_for(lambda: any(m["type"] == kind for m in self))
            return next(m for m in self if m["type"] == kind)


async def _send_speech(ws: ClientConnection, pcm: bytes) -> None:
    """Frames at twice real time: well within the server's pace limit."""
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        await ws.send(pcm[i:i + FRAME_BYTES])
        await asyncio.sleep(0.01)


async def test_words_said_before_a_drop_are_saved_and_shown_on_resume(live_server: VoiceServer):
    ws = await connect(live_server.ws_url)
    seen = Inbox(ws)
    await ws.send(proto.encode(proto.Start(persona="behavioural-interviewer",
                                           options={"opening_line": False})))
    ready = await seen.first("ready")
    # The user is still talking when the page reloads: no silence after the last word.
    await _send_speech(ws, float_to_pcm16(with_silence(say(ANSWER), 0.3, 0.0)))
    ws.transport.abort()
    await asyncio.gather(seen.reader, return_exceptions=True)
    await asyncio.sleep(1.0)  # the reload

    ws2 = await connect(live_server.ws_url)
    seen2 = Inbox(ws2)
    await ws2.send(proto.encode(proto.Resume(session=ready["session"],
                                             token=ready["resume_token"])))
    resumed = await seen2.first("resumed")
    # The turn was transcribed once the server noticed the drop; it may still be on its way.
    for _ in range(600):
        records = await asyncio.to_thread(live_server.store.read_session, ready["session"])
        if any(r["kind"] == "user" for r in records):
            break
        await asyncio.sleep(0.1)
    said = [r["text"] for r in records if r["kind"] == "user"]
    assert said and wer(ANSWER, said[0]) <= 0.25, said
    shown = [line["text"] for line in resumed["transcript"] if line["role"] == "user"] or \
        [m["text"] for m in seen2 if m["type"] == "transcript"]
    assert shown and wer(ANSWER, shown[0]) <= 0.25, (resumed["transcript"], seen2)
    await ws2.send(proto.encode(proto.End()))
    await seen2.first("session_end")
    await asyncio.gather(seen2.reader, return_exceptions=True)


async def test_live_captions_come_at_the_pauses_and_the_transcript_replaces_them(
        live_server: VoiceServer):
    ws = await connect(live_server.ws_url)
    seen = Inbox(ws)
    await ws.send(proto.encode(proto.Start(persona="behavioural-interviewer",
                                           options={"opening_line": False})))
    await seen.first("ready")
    # A sentence left open ("and"), a thinking pause, then the rest: one turn.
    speech = concat_with_pause([say("In my last job I ran the support team, and"),
                                say("we cut the waiting time in half.")], 1.5)
    pcm = float_to_pcm16(with_silence(speech, 0.3, 2.5))
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):  # at real time, as a person
        await ws.send(pcm[i:i + FRAME_BYTES])
        await asyncio.sleep(0.02)
    transcript = await seen.first("transcript")
    kinds = [m["type"] for m in seen]
    partials = [m for m in seen if m["type"] == "partial"]
    assert partials, kinds
    first = partials[0]
    assert kinds.index("partial") < kinds.index("transcript")
    assert first["turn"] == transcript["turn"]
    assert wer("In my last job I ran the support team, and", first["text"]) <= 0.3, first
    assert wer("In my last job I ran the support team, and we cut the waiting time in half.",
               transcript["text"]) <= 0.25, (transcript, partials)
    await ws.send(proto.encode(proto.End()))
    await seen.first("session_end")
    await asyncio.gather(seen.reader, return_exceptions=True)
