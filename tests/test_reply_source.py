"""ReplyWriter and the prompt read ahead: a reply waits for its session's read-ahead.

Found on a slow 2-core machine: a user who answered while the next prompt was still being read
ahead got a reply from the other engine of the embedded model, which read the whole prompt again
(7 s for ~1,000 tokens). Fake chat model, no I/O.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any

from test_conversation import persona

from voice_rp.conversation_options import ConversationOptions
from voice_rp.llm import ChatMessage, GenerationOptions
from voice_rp.reply_source import ReplyRequest, ReplyWriter


class SlowReader:
    """A chat model whose prompt reading (max_tokens=1) ends only when the test says so."""

    name = "slow-reader"

    def __init__(self) -> None:
        self.read_may_end = asyncio.Event()
        self.calls: list[str] = []

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncIterator[str]:
        kind = "read" if options.max_tokens == 1 else "reply"
        self.calls.append(f"{kind} starts")
        if kind == "read":
            await self.read_may_end.wait()
        self.calls.append(f"{kind} ends")
        yield "Thanks."


def writer(chat: SlowReader) -> ReplyWriter:
    models: Any = type("Models", (), {"chat": chat, "capable_chat": False})()
    return ReplyWriter(models, persona(), ConversationOptions(), random.Random(1))


async def test_a_reply_waits_for_the_read_ahead_of_its_prompt() -> None:
    chat = SlowReader()
    w = writer(chat)
    speaker = persona().speaker_for_turn(0)
    history = (ChatMessage("assistant", "Tell me about yourself."),)
    reading = asyncio.create_task(w.read_ahead_for(ReplyRequest(speaker, history=history)))
    await asyncio.sleep(0.01)
    source = asyncio.create_task(w.source(ReplyRequest(speaker, user_text="I build things.",
                                                       history=history)))
    await asyncio.sleep(0.05)
    assert not source.done()  # the engine reading the prefix is the one to answer
    chat.read_may_end.set()
    await reading
    reply = await asyncio.wait_for(source, 1.0)
    assert chat.calls == ["read starts", "read ends"]
    assert reply is not None


async def test_a_reply_with_nothing_read_ahead_does_not_wait() -> None:
    chat = SlowReader()
    w = writer(chat)
    speaker = persona().speaker_for_turn(0)
    reply = await asyncio.wait_for(w.source(ReplyRequest(speaker, user_text="Hello.")), 1.0)
    assert reply is not None and chat.calls == []


async def test_a_scripted_line_never_waits_for_the_model() -> None:
    chat = SlowReader()
    w = writer(chat)
    speaker = persona().speaker_for_turn(0)
    reading = asyncio.create_task(w.read_ahead_for(ReplyRequest(speaker)))
    await asyncio.sleep(0.01)
    line = await asyncio.wait_for(w.source(ReplyRequest(speaker, scripted="Welcome!")), 1.0)
    assert line is not None
    chat.read_may_end.set()
    await reading
