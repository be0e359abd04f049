"""A voice-rp server whose speech and chat are all remote: it loads no model, is ready at once,
and a session over it survives a speech service that fails (OpenAI-compatible audio API fake,
fake chat endpoint; the user's voice is espeak-ng, so no model runs anywhere)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from openai_audio_fake import FakeAudioAPI
from speech import say, with_silence
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.__main__ import build_server
from voice_rp.audio import FRAME_BYTES, float_to_pcm16, frames

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from bench.fake_llm import handle as fake_chat
from bench_startup import one_start

REPO = Path(__file__).resolve().parents[1]



def test_server_with_only_remote_backends_loads_no_model(tmp_path: Path) -> None:
    ready_s, mapped = one_start(tmp_path)  # the start-up benchmark's own measurement
    # Timing is reported, not asserted (the CPU is shared); docs/deploy.md has the figure.
    print(f"ready {ready_s:.2f} s after start")
    assert mapped == []


@pytest_asyncio.fixture
async def chat_url() -> AsyncIterator[str]:
    server = await asyncio.start_server(fake_chat, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"


async def test_session_goes_on_when_http_speech_fails(chat_url: str, tmp_path: Path) -> None:
    with FakeAudioAPI(transcribe=lambda s: "I have five years of experience.") as api:
        env = {"HOME": str(tmp_path), "VOICE_RP_STT_URL": api.base_url,
               "VOICE_RP_TTS_URL": api.base_url, "VOICE_RP_SPEECH_TIMEOUT_S": "1",
               "OPENAI_BASE_URL": chat_url, "VOICE_RP_LLM_MODEL": "fake-capable"}
        args = argparse.Namespace(host="127.0.0.1", port=0, token=None, allow_origin=[],
                                  allow_host=[], max_sessions=2, latency_target_ms=None,
                                  data_dir=tmp_path / "data", personas=[])
        server = build_server(args, env)
        await server.start()
        await server.wait_ready()
        messages: list[dict[str, Any]] = []
        try:
            async with connect(server.ws_url, max_size=2**24) as ws:
                async def receive() -> None:
                    with contextlib.suppress(ConnectionClosed):
                        async for message in ws:
                            if isinstance(message, str):
                                messages.append(json.loads(message))

                receiver = asyncio.create_task(receive())

                def count(kind: str) -> int:
                    return sum(m["type"] == kind for m in messages)

                def last(kind: str) -> dict[str, Any]:
                    return [m for m in messages if m["type"] == kind][-1]

                async def speak_until(kind: str) -> None:
                    target = count(kind) + 1
                    speech = with_silence(say("I have five years of experience.",
                                              engine="espeak"), 0.3, 0.0)
                    for frame in frames(float_to_pcm16(speech)):
                        await ws.send(frame)
                    async with asyncio.timeout(60):
                        while count(kind) < target:
                            await ws.send(b"\0" * FRAME_BYTES)
                            await asyncio.sleep(0.02)

                await ws.send(json.dumps({"type": "start", "protocol": "voice-rp/1",
                                          "persona": "behavioural-interviewer",
                                          "options": {"opening_line": False}}))
                await speak_until("reply_done")
                assert [m["text"] for m in messages if m["type"] == "transcript"] == [
                    "I have five years of experience."]
                assert any(m["type"] == "audio_start" and m["sample_rate"] == 24000
                           for m in messages)

                api.mode = "slow"  # recognition stalls past its deadline
                await speak_until("error")
                assert last("error")["code"] == "stt_unavailable", last("error")

                api.mode = "garbage"  # recognition answers an HTML page, synthesis JSON
                await speak_until("error")
                assert last("error")["code"] == "stt_unavailable", last("error")

                api.mode, api.speech_mode = "ok", "garbage"  # now only synthesis fails
                api.transcribe = lambda s: "Sorry, you were saying?"
                await speak_until("error")
                assert last("error")["code"] == "tts_unavailable", last("error")
                assert last("transcript")["text"] == "Sorry, you were saying?"
                await ws.send(json.dumps({"type": "end"}))
                async with asyncio.timeout(30):
                    await receiver  # the server closes the connection after session_end
                assert count("session_end") == 1
        finally:
            await server.stop()
