"""One reply, LLM → chunker → TTS, with fakes: what is read from the model, and when."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

from voice_rp.clock import MonotonicClock
from voice_rp.llm import ChatMessage, GenerationOptions
from voice_rp.reply import ReplySource, SpokenPiece, reply_stream


class SlowVoice:
    """A synthesizer that takes 50 ms per piece and says which piece it is voicing."""

    sample_rate = 16_000

    def __init__(self) -> None:
        self.voicing: str | None = None
        self.started = threading.Event()
        self._lock = threading.Lock()

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        with self._lock:
            self.voicing = text
        self.started.set()
        time.sleep(0.05)
        with self._lock:
            self.voicing = None
        yield b"\0\0" * 160 * len(text.split())


class WatchingChat:
    """Streams a word every 5 ms and notes which piece was being voiced as each word was read."""

    name = "watching"

    def __init__(self, text: str, voice: SlowVoice) -> None:
        self.words = text.split(" ")
        self.voice = voice
        self.voicing_at_read: list[str | None] = []

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncIterator[str]:
        for i, word in enumerate(self.words):
            self.voicing_at_read.append(self.voice.voicing)
            yield word if i == 0 else " " + word
            await asyncio.sleep(0.005)


async def _speak(chat: WatchingChat, voice: SlowVoice | None) -> tuple[str, list[SpokenPiece]]:
    stream = reply_stream(ReplySource(chat, [], GenerationOptions()), synthesizer=voice, rate=1.0,
                          clock=MonotonicClock())
    heard = [piece async for piece in stream]
    return " ".join(p.text for p in heard), heard


async def test_the_model_waits_while_the_first_words_are_voiced() -> None:
    voice = SlowVoice()
    reply = "Well, that is good. " + " ".join(f"Then we talk about item {i}." for i in range(20))
    chat = WatchingChat(reply, voice)
    text, heard = await _speak(chat, voice)
    assert text == reply
    first = heard[0].text
    assert first == "Well, that is good."
    # 50 ms of voicing is ten words' time, yet at most the word in flight was read meanwhile.
    assert chat.voicing_at_read.count(first) <= 1, chat.voicing_at_read
    # Later pieces are voiced while the model writes on: no waiting for those.
    assert sum(1 for v in chat.voicing_at_read if v not in (None, first)) >= 10


async def test_a_text_only_reply_says_everything() -> None:
    reply = "Fine. Thanks for asking, really."
    text, heard = await _speak(WatchingChat(reply, SlowVoice()), None)
    assert text == reply
    assert all(p.audio is None and p.duration_ms == 0 for p in heard)
    assert [p.index for p in heard] == list(range(len(heard)))


async def test_a_reply_cancelled_mid_way_frees_the_shared_model_at_once() -> None:
    # The embedded model's one worker waits for its reader; a reply cancelled while its first
    # piece was being voiced (not reading) must let the next session's reply through.
    from test_llm import ScriptedEngine

    from voice_rp.llm_embedded import EmbeddedChatModel

    engine = ScriptedEngine([f" word{i}." for i in range(200)])
    engine.release.set()
    model = EmbeddedChatModel(engine)
    voice = SlowVoice()

    async def speak() -> None:
        stream = reply_stream(ReplySource(model, [], GenerationOptions()), synthesizer=voice,
                              rate=1.0, clock=MonotonicClock())
        async for _ in stream:
            pass

    reply = asyncio.create_task(speak())
    try:
        assert await asyncio.to_thread(voice.started.wait, 5.0)
        reply.cancel()
        await asyncio.gather(reply, return_exceptions=True)
        async def next_reply() -> list[str]:
            return [d async for d in model.stream([], GenerationOptions())]

        assert len(await asyncio.wait_for(next_reply(), 5.0)) == 200
    finally:
        model.close()
