"""Chat models: the embedded SmolLM2, any OpenAI-compatible endpoint, and choosing between them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from voice_rp.config import Settings
from voice_rp.errors import LLMError
from voice_rp.llm import ChatMessage, Deadlines, GenerationOptions, OpenAIChatModel
from voice_rp.llm_embedded import EmbeddedChatModel, bundled_gguf_path

INTERVIEW = [
    ChatMessage("system", "You are Sam, a friendly interviewer at a bakery. Answer briefly."),
    ChatMessage("user", "Hello, I am here for the baker job interview."),
]


async def collect(stream: AsyncIterator[str]) -> list[str]:
    return [delta async for delta in stream]


# --- the embedded model, for real --------------------------------------------------------------


@pytest.mark.models
async def test_embedded_model_streams_a_reply(embedded_llm: EmbeddedChatModel) -> None:
    deltas = await collect(embedded_llm.stream(INTERVIEW, GenerationOptions(max_tokens=40)))
    assert len(deltas) > 1
    assert len("".join(deltas).split()) >= 2


class CountingEngine:
    """Wraps the real llama.cpp model and counts the tokens it actually generates."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.generated = 0

    def create_chat_completion(self, messages: Any, **kwargs: Any) -> Iterator[Any]:
        for chunk in self.llama.create_chat_completion(messages, **kwargs):
            self.generated += 1
            yield chunk


@pytest.fixture(scope="module")
def counting_llm() -> Iterator[tuple[EmbeddedChatModel, CountingEngine]]:
    from llama_cpp import Llama

    engine = CountingEngine(
        Llama(model_path=str(bundled_gguf_path()), n_ctx=2048, n_threads=2, verbose=False)
    )
    model = EmbeddedChatModel(engine)
    yield model, engine
    model.close()


@pytest.mark.models
async def test_cancelling_the_listener_stops_generation(
    counting_llm: tuple[EmbeddedChatModel, CountingEngine],
) -> None:
    model, engine = counting_llm
    story = [ChatMessage("user", "Tell me a long story about a dragon and a baker.")]
    options = GenerationOptions(temperature=0.0, max_tokens=300)
    heard: list[str] = []
    three_heard = asyncio.Event()

    async def listen() -> None:
        async for delta in model.stream(story, options):
            heard.append(delta)
            if len(heard) == 3:
                three_heard.set()

    engine.generated = 0
    task = asyncio.create_task(listen())
    await three_heard.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Stopped within a token or two of the cancel, not at max_tokens.
    assert engine.generated <= len(heard) + 3
    stopped_at = engine.generated
    # And the worker is free at once for the next turn.
    assert len(await collect(model.stream(INTERVIEW, GenerationOptions(max_tokens=8)))) > 1
    assert engine.generated > stopped_at


# --- the embedded model's threading, with a scripted engine ------------------------------------


def chunk(text: str) -> dict[str, Any]:
    return {"choices": [{"delta": {"content": text}}]}


@dataclass
class ScriptedEngine:
    """Stands in for llama.cpp: yields scripted tokens and records how it was driven."""

    tokens: list[str]
    release: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    calls: list[list[dict[str, str]]] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)
    active: int = 0
    most_active: int = 0
    fail: Exception | None = None
    yielded: int = 0

    def create_chat_completion(self, messages: Any, **kwargs: Any) -> Iterator[Any]:
        assert kwargs["stream"] is True
        self.calls.append(messages)
        self.started.set()
        self.threads.add(threading.current_thread().name)
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            self.release.wait(5)
            if self.fail:
                raise self.fail
            yield {"choices": [{"delta": {"role": "assistant"}}]}  # llama.cpp's first chunk
            for token in self.tokens:
                time.sleep(0.001)  # give another session's request a chance to overlap
                self.yielded += 1
                yield chunk(token)
        finally:
            self.active -= 1


async def test_sessions_take_turns_on_one_worker_thread() -> None:
    engine = ScriptedEngine(["Hel", "lo", "!"])
    engine.release.set()
    model = EmbeddedChatModel(engine)
    try:
        replies = await asyncio.gather(
            *(collect(model.stream(INTERVIEW, GenerationOptions())) for _ in range(3))
        )
    finally:
        model.close()
    assert replies == [["Hel", "lo", "!"]] * 3
    assert engine.most_active == 1
    assert len(engine.threads) == 1


async def test_generation_pauses_while_the_listener_stops_reading() -> None:
    # The reply's first words are being voiced: the model must leave the CPU to the voice.
    tokens = [f" w{i}" for i in range(50)]
    engine = ScriptedEngine(tokens)
    engine.release.set()
    model = EmbeddedChatModel(engine)
    try:
        stream = model.stream(INTERVIEW, GenerationOptions())
        first = await anext(stream)
        await asyncio.sleep(0.3)  # ample time to generate all 50 tokens
        assert engine.yielded <= 2  # the one read and one ahead of it
        rest = [delta async for delta in stream]
    finally:
        model.close()
    assert [first, *rest] == tokens


async def test_a_stream_dropped_unread_and_unclosed_frees_the_worker_in_the_end(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A reader should close a stream it leaves (aclosing); one that never does must not hold
    # the worker all sessions share forever.
    import voice_rp.llm_embedded as embedded

    monkeypatch.setattr(embedded, "_ABANDONED_S", 0.2)
    engine = ScriptedEngine([" one", " two", " three"])
    engine.release.set()
    model = EmbeddedChatModel(engine)
    try:
        dropped = model.stream(INTERVIEW, GenerationOptions())
        assert await anext(dropped) == " one"  # then left, unclosed, still referenced
        replies = await asyncio.wait_for(collect(model.stream(INTERVIEW, GenerationOptions())), 5)
        assert replies == [" one", " two", " three"]
        assert "abandoned" in caplog.text
        await dropped.aclose()
    finally:
        model.close()


async def test_messages_are_rendered_the_same_way_every_turn() -> None:
    # Identical rendering is what lets llama.cpp reuse the persona + history prefix.
    engine = ScriptedEngine(["Hi"])
    engine.release.set()
    model = EmbeddedChatModel(engine)
    try:
        await collect(model.stream(INTERVIEW, GenerationOptions()))
        next_turn = [*INTERVIEW, ChatMessage("assistant", "Hi"), ChatMessage("user", "Thanks.")]
        await collect(model.stream(next_turn, GenerationOptions()))
    finally:
        model.close()
    first, second = engine.calls
    assert second[: len(first)] == first
    assert first[0] == {"role": "system", "content": INTERVIEW[0].content}


async def test_a_request_cancelled_while_waiting_never_runs() -> None:
    engine = ScriptedEngine(["a", "b"])
    model = EmbeddedChatModel(engine)
    try:
        running = asyncio.create_task(collect(model.stream(INTERVIEW, GenerationOptions())))
        assert await asyncio.to_thread(engine.started.wait, 5)
        waiting = asyncio.create_task(collect(model.stream(INTERVIEW, GenerationOptions())))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert not running.done()  # the cancelled one did not wait for the other session
        engine.release.set()
        assert await running == ["a", "b"]
        assert await collect(model.stream(INTERVIEW, GenerationOptions())) == ["a", "b"]
    finally:
        model.close()
    assert len(engine.calls) == 2  # the cancelled request never reached the model


async def test_a_failing_model_raises_llm_error() -> None:
    engine = ScriptedEngine(["never"], fail=RuntimeError("llama_decode returned -1"))
    engine.release.set()
    model = EmbeddedChatModel(engine)
    try:
        with pytest.raises(LLMError, match="llama_decode returned -1"):
            await collect(model.stream(INTERVIEW, GenerationOptions()))
    finally:
        model.close()


# --- any OpenAI-compatible endpoint, against a fake server on port 0 ---------------------------


@dataclass
class FakeOpenAI:
    """A tiny OpenAI-compatible server: answers POST /v1/chat/completions from a script."""

    deltas: list[str] = field(default_factory=list)
    status: int = 200
    error_body: str = ""
    stall: bool = False
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:] if h)}
        body = json.loads(await reader.readexactly(int(headers["content-length"])))
        self.requests.append((headers, body))
        assert head[0].startswith("POST /v1/chat/completions ")
        if self.stall:
            await asyncio.sleep(30)
        if self.status != 200:
            payload = self.error_body.encode()
            writer.write(
                f"HTTP/1.1 {self.status} Error\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode() + payload
            )
        else:
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
            )
            for i, text in enumerate(self.deltas):
                event = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": text} if i == 0
                            else {"content": text},
                            "finish_reason": None,
                        }
                    ],
                }
                writer.write(f"data: {json.dumps(event)}\n\n".encode())
                await writer.drain()
            writer.write(b"data: [DONE]\n\n")
        await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def serving(fake: FakeOpenAI) -> AsyncIterator[FakeOpenAI]:
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake


async def test_openai_endpoint_streams_the_deltas_in_order() -> None:
    async with serving(FakeOpenAI(deltas=["Nice", " to meet", " you.", " Sit down."])) as fake:
        model = OpenAIChatModel(fake.base_url, "sk-test-123", "llama3.2:3b")
        deltas = await collect(model.stream(INTERVIEW, GenerationOptions(0.3, 50)))
    assert deltas == ["Nice", " to meet", " you.", " Sit down."]
    headers, body = fake.requests[0]
    assert headers["authorization"] == "Bearer sk-test-123"
    assert body["model"] == "llama3.2:3b"
    assert body["stream"] is True
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in INTERVIEW]
    assert (body["temperature"], body["max_tokens"]) == (0.3, 50)


async def test_a_local_server_needs_no_key() -> None:
    async with serving(FakeOpenAI(deltas=["Hi"])) as fake:
        assert await collect(OpenAIChatModel(fake.base_url, None, "m").stream(
            INTERVIEW, GenerationOptions())) == ["Hi"]


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_endpoint_that_is_down_raises_llm_error_naming_it() -> None:
    port = unused_port()
    model = OpenAIChatModel(f"http://user:hunter2@127.0.0.1:{port}/v1", "sk-secret-key", "m")
    with pytest.raises(LLMError) as caught:
        await asyncio.wait_for(collect(model.stream(INTERVIEW, GenerationOptions())), 15)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "hunter2" not in message and "sk-secret-key" not in message
    assert caught.value.code == "llm_unavailable"


async def test_a_rejected_key_is_reported_without_the_key() -> None:
    body = json.dumps({"error": {"message": "Incorrect API key provided: sk-secret-key"}})
    async with serving(FakeOpenAI(status=401, error_body=body)) as fake:
        model = OpenAIChatModel(fake.base_url, "sk-secret-key", "m")
        with pytest.raises(LLMError, match="rejected the API key") as caught:
            await collect(model.stream(INTERVIEW, GenerationOptions()))
    assert "sk-secret-key" not in str(caught.value)


async def test_a_server_error_is_reported_with_its_status() -> None:
    body = json.dumps({"error": {"message": "model is loading, key sk-secret-key"}})
    async with serving(FakeOpenAI(status=503, error_body=body)) as fake:
        model = OpenAIChatModel(fake.base_url, "sk-secret-key", "m")
        with pytest.raises(LLMError, match="HTTP 503") as caught:
            await collect(model.stream(INTERVIEW, GenerationOptions()))
    assert "model is loading" in str(caught.value)
    assert "sk-secret-key" not in str(caught.value)


async def test_a_silent_endpoint_times_out_with_llm_error() -> None:
    async with serving(FakeOpenAI(stall=True)) as fake:
        model = OpenAIChatModel(fake.base_url, None, "m", deadlines=Deadlines(first_token_s=0.3))
        with pytest.raises(LLMError, match=r"did not start answering within 0\.3 s"):
            await collect(model.stream(INTERVIEW, GenerationOptions()))


# --- choosing the model from the environment ---------------------------------------------------

HOME = {"HOME": "/home/ada"}


def test_by_default_everything_is_offline_and_bundled() -> None:
    settings = Settings.from_env(HOME)
    assert settings.embedded_llm and settings.llm_model is None
    assert settings.stt_model == "tiny.en"
    assert settings.voices_dirs == (Path("/home/ada/.local/share/voice-rp/voices"),)
    assert settings.data_dir == Path("/home/ada/.local/share/voice-rp")
    assert settings.stt_cache_dir == Path("/home/ada/.cache/voice-rp/models")


def test_one_setting_switches_to_openai() -> None:
    settings = Settings.from_env(
        {**HOME, "OPENAI_BASE_URL": "https://api.openai.com/v1", "OPENAI_API_KEY": "sk-abc"}
    )
    assert not settings.embedded_llm
    assert (settings.llm_base_url, settings.llm_model) == ("https://api.openai.com/v1",
                                                           "gpt-4o-mini")
    assert settings.llm_api_key == "sk-abc"
    assert "sk-abc" not in repr(settings)


def test_another_endpoint_needs_a_model_name() -> None:
    local = {**HOME, "OPENAI_BASE_URL": "http://localhost:11434/v1"}
    with pytest.raises(LLMError, match="VOICE_RP_LLM_MODEL"):
        Settings.from_env(local)
    assert Settings.from_env({**local, "OPENAI_MODEL": "llama3.2"}).llm_model == "llama3.2"
    both = {**local, "OPENAI_MODEL": "llama3.2", "VOICE_RP_LLM_MODEL": "qwen2.5:7b"}
    assert Settings.from_env(both).llm_model == "qwen2.5:7b"


def test_a_stray_api_key_alone_does_not_leave_the_embedded_model() -> None:
    settings = Settings.from_env({**HOME, "OPENAI_API_KEY": "sk-abc", "OPENAI_BASE_URL": " "})
    assert settings.embedded_llm
    assert settings.llm_api_key is None


def test_paths_and_models_from_the_environment() -> None:
    settings = Settings.from_env({
        **HOME,
        "VOICE_RP_STT_MODEL": "base",
        "VOICE_RP_VOICES": "/opt/voices:/srv/more-voices",
        "VOICE_RP_DATA_DIR": "/data/rp",
        "XDG_CACHE_HOME": "/tmp/xdg-cache",
    })
    assert settings.stt_model == "base"
    assert settings.voices_dirs == (
        Path("/opt/voices"),
        Path("/srv/more-voices"),
        Path("/home/ada/.local/share/voice-rp/voices"),
    )
    assert settings.data_dir == Path("/data/rp")
    assert settings.stt_cache_dir == Path("/tmp/xdg-cache/voice-rp/models")


def test_the_multilingual_decode_is_accurate_unless_asked_to_be_fast() -> None:
    from voice_rp.errors import ModelError
    from voice_rp.stt import FAST_MULTILINGUAL_OPTIONS, MULTILINGUAL_OPTIONS

    accurate = Settings.from_env(HOME).whisper_multilingual
    assert accurate == MULTILINGUAL_OPTIONS
    assert not accurate.fit_window and not accurate.without_timestamps and accurate.beam_size == 5
    fast = Settings.from_env({**HOME, "VOICE_RP_STT_MULTILINGUAL": "fast"}).whisper_multilingual
    assert fast == FAST_MULTILINGUAL_OPTIONS and fast.fit_window
    with pytest.raises(ModelError, match="accurate or fast"):
        Settings.from_env({**HOME, "VOICE_RP_STT_MULTILINGUAL": "quick"})
