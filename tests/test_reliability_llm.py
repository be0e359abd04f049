"""A chat endpoint that misbehaves is reported clearly and in time (a real HTTP endpoint that
fails on purpose: scripts/bench/fault_endpoint.py)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from bench.fault_endpoint import FaultEndpoint

from voice_rp.config import Settings
from voice_rp.errors import LLMError
from voice_rp.llm import (
    ChatMessage,
    Deadlines,
    GenerationOptions,
    OpenAIChatModel,
    within_deadlines,
)

ASK = [ChatMessage("system", "You interview."), ChatMessage("user", "Hello.")]
FAST = Deadlines(connect_s=1.0, first_token_s=1.0, idle_s=0.5, total_s=3.0)


async def reply(model: OpenAIChatModel) -> str:
    return "".join([d async for d in model.stream(ASK, GenerationOptions())])


async def test_a_working_endpoint_streams_its_reply():
    async with FaultEndpoint("ok") as fake:
        assert await reply(OpenAIChatModel(fake.base_url, None, "m", deadlines=FAST)) == \
            "Sure, tell me more about that."


@pytest.mark.parametrize("mode", ["empty", "html"])
async def test_an_answer_with_no_text_is_an_error(mode: str):
    async with FaultEndpoint(mode) as fake:
        with pytest.raises(LLMError, match="answered with no text") as caught:
            await reply(OpenAIChatModel(fake.base_url, None, "m", deadlines=FAST))
    assert fake.base_url.removesuffix("/v1") in str(caught.value)


async def test_garbage_is_an_error():
    async with FaultEndpoint("garbage") as fake:
        with pytest.raises(LLMError, match="not a chat reply"):
            await reply(OpenAIChatModel(fake.base_url, None, "m", deadlines=FAST))


async def test_a_stalled_endpoint_fails_at_the_first_token_deadline():
    async with FaultEndpoint("stall") as fake:
        t0 = time.monotonic()
        with pytest.raises(LLMError, match=r"did not start answering within 1 s"):
            await reply(OpenAIChatModel(fake.base_url, None, "m", deadlines=FAST))
        assert time.monotonic() - t0 < 2.5


async def test_a_crawling_endpoint_fails_at_the_pause_deadline():
    async with FaultEndpoint("slow", delay_s=0.8) as fake:
        with pytest.raises(LLMError, match=r"stopped answering for 0\.5 s mid-reply"):
            await reply(OpenAIChatModel(fake.base_url, None, "m", deadlines=FAST))


async def test_a_reply_that_never_ends_fails_at_the_total_deadline():
    async def endless() -> AsyncGenerator[str, None]:
        while True:
            await asyncio.sleep(0.01)
            yield "la "

    got = []
    with pytest.raises(LLMError, match=r"did not finish its reply within 0\.3 s"):
        async for delta in within_deadlines(endless(), Deadlines(total_s=0.3), describe="x"):
            got.append(delta)
    assert got  # what came before the deadline was handed on


async def test_a_reset_mid_reply_is_not_called_unreachable():
    async with FaultEndpoint("reset") as fake:
        with pytest.raises(LLMError) as caught:
            await reply(OpenAIChatModel(fake.base_url, None, "m", deadlines=FAST))
    message = str(caught.value)
    assert "is the server running" not in message and "broke" in message


async def test_an_endpoint_that_is_down_is_unreachable():
    async with FaultEndpoint("down") as fake:
        with pytest.raises(LLMError, match="cannot reach"):
            await reply(OpenAIChatModel(fake.base_url, None, "m", deadlines=FAST))


def test_deadlines_are_set_from_the_environment():
    env = {"HOME": "/home/ada", "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
           "VOICE_RP_LLM_MODEL": "llama3.2", "VOICE_RP_LLM_TIMEOUT_S": "12",
           "VOICE_RP_LLM_FIRST_TOKEN_S": "4.5", "VOICE_RP_LLM_IDLE_S": "2",
           "VOICE_RP_LLM_CONNECT_S": "1"}
    assert Settings.from_env(env).llm_deadlines == Deadlines(
        connect_s=1.0, first_token_s=4.5, idle_s=2.0, total_s=12.0)
    for bad in ("soon", "0", "-1", "nan", "inf"):
        with pytest.raises(LLMError, match="VOICE_RP_LLM_TIMEOUT_S"):
            Settings.from_env({**env, "VOICE_RP_LLM_TIMEOUT_S": bad})


# --- the embedded model shared fairly ------------------------------------------------------------


async def test_a_second_session_does_not_wait_behind_a_whole_reply():
    from test_llm import INTERVIEW, ScriptedEngine

    from voice_rp.llm_embedded import EmbeddedChatModel

    tokens = [f" w{i}" for i in range(40)]
    first, second = ScriptedEngine(tokens), ScriptedEngine(tokens)
    first.release.set()
    second.release.set()
    model = EmbeddedChatModel(first, more_engines=[second])
    try:
        long_reply = model.stream(INTERVIEW, GenerationOptions())
        assert await anext(long_reply) == " w0"  # its reader is now busy voicing it
        other = [ChatMessage("system", "You are a language partner."), ChatMessage("user", "Hi")]
        reply = await asyncio.wait_for(
            collect_all(model.stream(other, GenerationOptions())), 2.0)
        assert reply == tokens
        await long_reply.aclose()
    finally:
        model.close()
    assert len(first.calls) == 1 and len(second.calls) == 1


async def test_a_conversation_goes_back_to_the_engine_that_read_its_prompt():
    from test_llm import INTERVIEW, ScriptedEngine

    from voice_rp.llm_embedded import EmbeddedChatModel

    engines = [ScriptedEngine(["a"]), ScriptedEngine(["b"])]
    for engine in engines:
        engine.release.set()
    model = EmbeddedChatModel(engines[0], more_engines=engines[1:])
    partner = [ChatMessage("system", "You are a language partner."), ChatMessage("user", "Hi")]
    try:
        # Both conversations at once: each takes an engine.
        await asyncio.gather(collect_all(model.stream(INTERVIEW, GenerationOptions())),
                             collect_all(model.stream(partner, GenerationOptions())))
        for _ in range(3):  # later turns, one at a time, extend each prompt
            await collect_all(model.stream([*INTERVIEW, ChatMessage("user", "More.")],
                                           GenerationOptions()))
            await collect_all(model.stream([*partner, ChatMessage("user", "Again.")],
                                           GenerationOptions()))
    finally:
        model.close()
    systems = [{call[0]["content"] for call in engine.calls} for engine in engines]
    assert all(len(s) == 1 for s in systems) and systems[0] != systems[1]


async def collect_all(stream: AsyncGenerator[str, None]) -> list[str]:
    return [d async for d in stream]


def test_engines_and_turn_deadlines_are_set_from_the_environment():
    env = {"HOME": "/home/ada", "VOICE_RP_LLM_ENGINES": "1", "VOICE_RP_HOLD_AFTER_S": "off",
           "VOICE_RP_TURN_LIMIT_S": "20"}
    settings = Settings.from_env(env)
    assert (settings.llm_engines, settings.hold_after_s, settings.turn_limit_s) == (1, None, 20.0)
    assert Settings.from_env({"HOME": "/h", "VOICE_RP_HOLD_AFTER_S": "1.5"}).hold_after_s == 1.5
    for bad in ("0", "two", "-1"):
        with pytest.raises(LLMError, match="VOICE_RP_LLM_ENGINES"):
            Settings.from_env({**env, "VOICE_RP_LLM_ENGINES": bad})
