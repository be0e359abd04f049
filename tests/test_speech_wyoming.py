"""Remote speech through the real Wyoming servers (wyoming-faster-whisper, wyoming-piper) on the
bundled models, started by the test with `scripts/speech_servers.py`; then one whole
conversation through the real voice-rp server with remote STT and TTS, in which the speech
services go down and come back while the session goes on.

The chat model is `scripts/bench/fake_llm.py`, an OpenAI-compatible endpoint: with every
backend remote, the voice-rp server loads no model at all.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from speech import say, wer, with_silence
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.__main__ import build_server
from server.app import VoiceServer
from voice_rp.audio import FRAME_BYTES, float_to_pcm16, frames, pcm16_to_float, resample
from voice_rp.backends.service import SpeechService
from voice_rp.backends.wyoming import WyomingSynthesizer, WyomingTranscriber
from voice_rp.storage import TranscriptStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import speech_servers
from bench.fake_llm import handle as fake_chat

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.models, pytest.mark.timeout(600)]

SILENCE = b"\x00" * FRAME_BYTES
WAIT_S = 120.0  # generous: the CPU is shared with other work


class SpeechServers:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.stt_port, self.tts_port = speech_servers.free_port(), speech_servers.free_port()
        self.stt = self._start("wyoming-stt")
        self.tts = self._start("wyoming-tts")

    def _start(self, kind: str) -> Any:
        port = self.stt_port if kind == "wyoming-stt" else self.tts_port
        log = (self.tmp / f"{kind}.log").open("ab")
        return speech_servers.start(kind, port, work_dir=self.tmp / kind, stderr=log.fileno())

    def service(self, kind: str, **kw: Any) -> SpeechService:
        port = self.stt_port if kind == "stt" else self.tts_port
        return SpeechService(f"wyoming://127.0.0.1:{port}", **kw)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.tmp.glob("*.log"))

    def stop(self) -> None:
        for process in (self.stt, self.tts):
            speech_servers.stop(process)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpeechServers]:
    running = SpeechServers(tmp_path_factory.mktemp("speech"))
    yield running
    running.stop()
    assert speech_servers.BLOCKED not in running.logs()  # nothing tried to download


def test_wyoming_transcribes_real_speech(servers: SpeechServers) -> None:
    stt = WyomingTranscriber(servers.service("stt"))
    stt.check()  # answers `describe`: what readiness asks
    for text, engine in [("I have five years of experience building payment systems.", "piper"),
                         ("Last year I led a team of four engineers.", "espeak")]:
        heard = stt.transcribe(with_silence(say(text, engine=engine), 0.3, 0.3), language="en")
        assert wer(text, heard.text) <= 0.25, heard.text


def test_wyoming_synthesis_streams_speech_that_transcribes_back(servers: SpeechServers) -> None:
    tts = WyomingSynthesizer(servers.service("tts"))
    stt = WyomingTranscriber(servers.service("stt"))
    text = "Tell me about a time you disagreed with your manager. What did you do next?"
    chunks = list(tts.synthesize(text))
    assert len(chunks) > 2  # streamed in pieces as Piper makes them, not one blob
    audio = b"".join(chunks)
    assert tts.sample_rate == 22050 and 3.0 < len(audio) / 2 / 22050 < 9.0
    back = stt.transcribe(resample(pcm16_to_float(audio), 22050, 16000), language="en")
    assert wer(text, back.text) <= 0.25, back.text
    again = b"".join(tts.synthesize("Thank you."))
    assert again and len(tts._idle) == 1  # one connection, kept and reused


# --- one conversation through the real server -----------------------------------------------


class Talk:
    """A websocket conversation that records every text message."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.audio_bytes = 0
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._receive())

    async def _receive(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in self.ws:
                if isinstance(message, bytes):
                    self.audio_bytes += len(message)
                else:
                    self.messages.append(json.loads(message))
                self._changed.set()
        self._changed.set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    async def until(self, kind: str, count: int, *, talking: bool = False) -> dict[str, Any]:
        """Wait for the `count`th `kind` message; `talking`: keep the microphone open."""
        async with asyncio.timeout(WAIT_S):
            while len(self.of(kind)) < count:
                assert not self._task.done(), f"closed before {kind}: {self.messages}"
                if talking:
                    await self.ws.send(SILENCE)
                    await asyncio.sleep(0.02)
                else:
                    self._changed.clear()
                    await self._changed.wait()
        return self.of(kind)[count - 1]

    async def say(self, text: str, until: str) -> dict[str, Any]:
        count = len(self.of(until)) + 1
        for frame in frames(float_to_pcm16(with_silence(say(text), 0.3, 0.0))):
            await self.ws.send(frame)
        return await self.until(until, count, talking=True)


@pytest_asyncio.fixture
async def chat_url() -> AsyncIterator[str]:
    server = await asyncio.start_server(fake_chat, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"


async def test_conversation_with_remote_speech_survives_services_going_down(
        servers: SpeechServers, chat_url: str, tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "VOICE_RP_STT_URL": servers.service("stt").url,
           "VOICE_RP_TTS_URL": servers.service("tts").url, "VOICE_RP_SPEECH_TIMEOUT_S": "20",
           "OPENAI_BASE_URL": chat_url, "VOICE_RP_LLM_MODEL": "fake-capable"}
    args = argparse.Namespace(host="127.0.0.1", port=0, token=None, allow_origin=[],
                              allow_host=[], max_sessions=2, latency_target_ms=None,
                              data_dir=tmp_path / "data", personas=[])
    server: VoiceServer = build_server(args, env)
    await server.start()
    await server.wait_ready()
    try:
        talk = Talk(await connect(server.ws_url, max_size=2**24))
        await talk.ws.send(json.dumps({"type": "start", "protocol": "voice-rp/1",
                                       "persona": "behavioural-interviewer"}))
        ready = await talk.until("ready", 1)
        opening = await talk.until("audio_start", 1)
        assert opening["sample_rate"] == 22050  # the opening line, spoken by wyoming-piper
        await talk.until("reply_done", 1)

        said = "I have five years of experience building payment systems."
        transcript = await talk.say(said, "transcript")
        assert wer(said, transcript["text"]) <= 0.3, transcript["text"]
        await talk.until("reply_done", 2, talking=True)
        assert talk.audio_bytes > 22050 * 2  # seconds of reply audio reached the client
        metrics = await talk.until("metrics", 2, talking=True)  # after the opening line's
        assert metrics["stages"]["stt_ms"] > 0 and metrics["stages"]["tts_ms"] > 0

        speech_servers.stop(servers.tts)  # synthesis goes down mid-session
        await talk.say("Last year I led a team of four engineers.", "transcript")
        error = await talk.until("error", 1, talking=True)
        assert error["code"] == "tts_unavailable" and not error["fatal"], error

        speech_servers.stop(servers.stt)  # and recognition too
        await talk.say("We shipped the new checkout in three months.", "error")
        assert talk.of("error")[-1]["code"] == "stt_unavailable", talk.of("error")
        assert not talk.of("session_end")

        servers.stt, servers.tts = servers._start("wyoming-stt"), servers._start("wyoming-tts")
        said = "I enjoy mentoring junior developers."
        transcript = await talk.say(said, "transcript")  # both back: the session goes on
        assert wer(said, transcript["text"]) <= 0.3, transcript["text"]
        replies = len(talk.of("reply_done"))
        heard_before = talk.audio_bytes
        await talk.until("reply_done", replies + 1, talking=True)
        assert talk.audio_bytes > heard_before  # spoken again

        await talk.ws.send(json.dumps({"type": "end"}))
        await talk.until("session_end", 1)
        await talk.ws.close()

        def healthz() -> tuple[int, dict[str, Any]]:
            with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
                return r.status, json.loads(r.read())

        status, health = await asyncio.to_thread(healthz)
        assert status == 200 and health["ready"] is True
        records = TranscriptStore(tmp_path / "data").read_session(ready["session"])
        users = [r["text"] for r in records if r["kind"] == "user"]
        assert len(users) == 3  # the turn whose speech was not recognised is not invented
        assert any(r.get("code") == "stt_unavailable" for r in records if r["kind"] == "error")
    finally:
        await server.stop()



def test_launcher_cli_prints_ready_and_stops_its_server_on_sigterm(tmp_path: Path) -> None:
    """The command line a deployment script runs: one line when ready; SIGTERM stops it all."""
    port = speech_servers.free_port()
    launcher = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "speech_servers.py"), "wyoming-tts",
         "--port", str(port), "--work-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
    try:
        assert launcher.stdout is not None
        assert launcher.stdout.readline().strip() == (
            f"wyoming-tts ready on wyoming://127.0.0.1:{port}")
        tts = WyomingSynthesizer(SpeechService(f"wyoming://127.0.0.1:{port}"))
        assert b"".join(tts.synthesize("Ready when you are."))
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(30) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        speech_servers.stop(launcher)
