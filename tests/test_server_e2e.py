"""End to end: the real server, the real Conversation and the bundled models, over real websockets.

One server (models loaded once) serves every test in this module on a free loopback port. The
user is Piper speech with known text, sent as 20 ms frames like a microphone would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from real_server import build_real_server, server_process
from speech import say, wer, with_silence
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from client.__main__ import converse, parse_args
from server.app import VoiceServer
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES, float_to_pcm16, frames, read_wav, wav_bytes
from voice_rp.storage import TranscriptStore

pytestmark = [pytest.mark.models, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.timeout(600)]

SILENCE = b"\x00" * FRAME_BYTES
ANSWER_TIMEOUT_S = 180.0  # generous: the CPU is shared with other work


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[VoiceServer]:
    data = tmp_path_factory.mktemp("data")
    srv = build_real_server(data)
    await srv.start()
    await srv.wait_ready()
    yield srv
    await srv.stop()


def speech_pcm(text: str) -> bytes:
    return float_to_pcm16(with_silence(say(text), 0.3, 0.0))


class Talk:
    """A connection that records every message, with audio kept next to its audio_start."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.audio: list[tuple[dict[str, Any], bytes]] = []
        self._task = asyncio.create_task(self._receive())
        self._changed = asyncio.Event()

    async def _receive(self) -> None:
        piece: dict[str, Any] | None = None
        with contextlib.suppress(ConnectionClosed):
            async for message in self.ws:
                if isinstance(message, bytes):
                    assert piece is not None, "audio arrived before any audio_start"
                    self.audio.append((piece, message))
                else:
                    msg = json.loads(message)
                    self.messages.append(msg)
                    if msg["type"] == "audio_start":
                        piece = msg
                self._changed.set()
        self._changed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    async def wait(self, kind: str, count: int = 1, within_s: float = 30.0) -> dict[str, Any]:
        async with asyncio.timeout(within_s):
            while len(self.of(kind)) < count:
                if self._task.done():
                    raise AssertionError(f"connection closed before {kind}: {self.messages}")
                self._changed.clear()
                await self._changed.wait()
        return self.of(kind)[count - 1]

    async def start(self, persona: str, **options: Any) -> dict[str, Any]:
        await self.ws.send(proto.encode(proto.Start(persona=persona, options=options)))
        return await self.wait("ready")

    async def say(self, pcm: bytes, until: str = "metrics"
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Send speech at once (within the server's burst allowance), then silence at real-time
        pace, as a microphone would, until the server sends an `until` message (by default the
        metrics that follow a finished reply). Returns the transcript and that message."""
        n = len(self.of(until))
        for frame in frames(pcm):
            await self.ws.send(frame)
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            while len(self.of(until)) <= n:
                await self.ws.send(SILENCE)
                await asyncio.sleep(0.02)
        return self.of("transcript")[-1], self.of(until)[-1]

    async def close(self) -> None:
        await self.ws.close()
        await self._task


async def open_talk(server: VoiceServer) -> Talk:
    return Talk(await connect(server.ws_url, max_size=2**24))


async def test_healthz_reports_ready(server: VoiceServer):
    def get() -> tuple[int, dict[str, Any]]:
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
            return r.status, json.loads(r.read())

    status, body = await asyncio.to_thread(get)
    assert status == 200 and body["ready"] is True and body["protocol"] == "voice-rp/1"


async def test_spoken_turn_gets_transcript_reply_audio_and_metrics(server: VoiceServer):
    talk = await open_talk(server)
    ready = await talk.start("behavioural-interviewer", opening_line=False)
    assert "AI" in ready["notice"] and ready["persona"]["speaks_first"] is False
    # Bad input mid-session is answered and costs the session nothing.
    await talk.ws.send("{oops")
    await talk.ws.send(b"\x00" * 1000)
    assert (await talk.wait("error", 1))["code"] == "bad_json"
    assert (await talk.wait("error", 2))["code"] == "bad_audio"

    said = "I have five years of experience building payment systems."
    transcript, metrics = await talk.say(speech_pcm(said))
    assert wer(said, transcript["text"]) <= 0.3, transcript["text"]
    reply = talk.of("reply_done")[-1]
    assert reply["turn"] == transcript["turn"] and reply["text"].strip()
    assert reply["speaker"] == ready["persona"]["name"]
    pieces = [p for p, _ in talk.audio if p["turn"] == transcript["turn"]]
    assert pieces and all(p["sample_rate"] == 22_050 for p in pieces)
    pcm = b"".join(a for p, a in talk.audio if p["turn"] == transcript["turn"])
    assert len(pcm) / 2 / 22_050 > 0.3
    assert np.abs(np.frombuffer(pcm, "<i2")).max() > 1000  # speech, not silence
    stages = metrics["stages"]
    assert metrics["turn"] == transcript["turn"]
    assert stages["stt_ms"] > 0 and stages["response_ms"] > stages["stt_ms"]
    await talk.ws.send(json.dumps({"type": "end"}))
    end = await talk.wait("session_end")
    assert end["reason"] == "client_end"
    # The end screen's figures are the saved report's: one answer, its pace measured.
    figures = {f["key"]: f for f in end["summary"]["figures"]}
    assert figures["answers"]["value"] == 1 and figures["wpm"]["measured"], figures
    await talk.close()
    assert talk.ws.close_code == 1000


async def test_two_sessions_at_once_stay_separate(server: VoiceServer):
    a, b = await open_talk(server), await open_talk(server)
    ready_a = await a.start("behavioural-interviewer", opening_line=False)
    ready_b = await b.start("technical-screener", opening_line=False)
    assert ready_a["session"] != ready_b["session"]
    said_a = "I moved from Spain to Canada last year."
    # Plain words: this test is about sessions staying apart, not about hearing brand names
    # ("Postgres" came back as "Post-Purse" once).
    said_b = "I like to cook dinner for my family on Sundays."
    # Each user hears the start of their own persona's answer (no need to wait for the end).
    (ta, audio_a), (tb, audio_b) = await asyncio.gather(
        a.say(speech_pcm(said_a), until="audio_start"),
        b.say(speech_pcm(said_b), until="audio_start"))
    assert wer(said_a, ta["text"]) <= 0.3 and wer(said_b, tb["text"]) <= 0.3
    assert "postgres" not in ta["text"].lower() and "spain" not in tb["text"].lower()
    assert audio_a["speaker"] == ready_a["persona"]["name"]
    assert audio_b["speaker"] == ready_b["persona"]["name"]
    assert ready_a["persona"]["name"] != ready_b["persona"]["name"]
    await a.close()
    await b.close()
    store = server.store
    records_a = store.read_session(ready_a["session"])
    users_a = [r["text"] for r in records_a if r["kind"] == "user"]
    assert users_a == [ta["text"]]


async def test_unknown_persona_and_file_paths_are_refused(server: VoiceServer):
    talk = await open_talk(server)
    await talk.ws.send(proto.encode(proto.Start(persona="interviewr")))
    err = await talk.wait("error")
    assert err["code"] == "persona_unknown" and "interviewer" in err["message"]
    await talk.ws.send(proto.encode(proto.Start(persona="../../pyproject")))
    err = await talk.wait("error", 2)
    assert err["code"] == "persona_unknown" and "name" in err["message"]
    await talk.ws.send(proto.encode(proto.Start(persona="english-partner",
                                                     options={"difficulty": "impossible"})))
    err = await talk.wait("error", 3)
    assert err["code"] == "persona_invalid" and "difficulty" in err["message"]
    ready = await talk.start("english-partner", opening_line=False)
    assert ready["persona"]["id"] == "english-partner"
    await talk.close()


async def test_abrupt_disconnect_keeps_the_transcript_and_the_server_serves_on(
        server: VoiceServer):
    talk = await open_talk(server)
    ready = await talk.start("behavioural-interviewer", opening_line=False)
    said = "The project shipped two weeks early."
    transcript, _ = await talk.say(speech_pcm(said), until="audio_start")
    talk.ws.transport.abort()  # mid-reply, no close handshake: a crashed client
    await talk._task
    store: TranscriptStore = server.store
    async with asyncio.timeout(30):
        # The server notices the drop on its own time and keeps the session for a resume
        # (tests/test_resume.py); the reply it was making is saved as far as it went.
        while not any(r["kind"] == "reply" for r in  # noqa: ASYNC110
                      store.read_session(ready["session"])):
            await asyncio.sleep(0.05)
    records = store.read_session(ready["session"])
    assert [r["text"] for r in records if r["kind"] == "user"] == [transcript["text"]]
    assert records[-1]["kind"] != "session_end"  # kept, not ended
    nxt = await open_talk(server)
    await nxt.start("behavioural-interviewer", opening_line=False)
    await nxt.close()


async def test_client_file_mode_writes_what_the_persona_said(
        server: VoiceServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    wav = tmp_path / "me.wav"
    wav.write_bytes(wav_bytes(speech_pcm("Hello, I am ready for the interview."), 16_000))
    out = tmp_path / "persona.wav"
    args = parse_args(["--server", server.ws_url, "--persona", "behavioural-interviewer",
                       "--input", str(wav), "--fast", "--no-opening-line", "--output", str(out),
                       "--timeout", str(ANSWER_TIMEOUT_S)])
    assert await converse(args, None) == 0
    shown = capsys.readouterr().out
    assert "you: " in shown and "AI" in shown
    recorded = read_wav(str(out), to_rate=None)
    assert recorded.sample_rate == 22_050 and recorded.duration > 0.3
    assert np.abs(recorded.samples).max() > 0.03


async def test_sigterm_ends_sessions_cleanly(tmp_path: Path):
    """The real `python -m server` process: SIGTERM -> session_end to clients, transcript closed."""
    async with server_process(tmp_path) as (proc, ws_url):
        talk = Talk(await connect(ws_url))
        ready = await talk.start("talk-audience", opening_line=False)  # waits for the models
        proc.send_signal(signal.SIGTERM)
        end = await talk.wait("session_end", within_s=30)
        assert end["reason"] == "server_shutdown"
        await talk.close()
        assert talk.ws.close_code == 1001
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    records = TranscriptStore(tmp_path).read_session(ready["session"])
    assert records[-1]["kind"] == "session_end"
    assert records[-1]["reason"] == "server_shutdown"
