"""One spoken reply as a stream: LLM → chunker → TTS, yielding pieces ready to play.

The chunker and the TTS run concurrently: while a piece is being synthesised the LLM keeps
streaming, except for the first piece, whose audio the user is waiting for. The stream is pulled:
its consumer asks for the next piece only once it wants it (the conversation keeps synthesis
only a few seconds ahead of playback), so an interruption wastes little work and memory stays flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from voice_rp.chunker import ChunkPolicy, Piece, SentenceChunker
from voice_rp.clock import Clock
from voice_rp.errors import VoiceRPError
from voice_rp.labels import LabelFilter
from voice_rp.line_cache import scripted_pieces
from voice_rp.llm import ChatMessage, ChatModel, GenerationOptions
from voice_rp.safety.moderation import PASS, Moderator, Verdict
from voice_rp.timeline import PieceTiming
from voice_rp.tts import Synthesizer

log = logging.getLogger(__name__)

_POLL_S = 0.03  # how often the chunker's time-based release is checked while tokens are slow


HOLDING_LINES = {
    "en": "Hmm, let me think.", "es": "Mmm, déjame pensar.", "fr": "Hmm, laisse-moi réfléchir.",
    "de": "Hmm, lass mich überlegen.", "it": "Mmm, fammi pensare.", "pt": "Hmm, deixa-me pensar.",
    "nl": "Hmm, even denken.",
}


def holding_line(language: str) -> str:
    """What the persona says when its reply is late, so the user never waits in silence."""
    return HOLDING_LINES.get(language.split("-")[0].lower(), "Hmm...")


@dataclass(frozen=True)
class ReplySource:
    """Who writes one reply, with what prompt, and how its text is read."""

    chat: ChatModel
    messages: list[ChatMessage]
    options: GenerationOptions
    labels: LabelFilter | None = None  # drops speaker labels; ends where the user's turn begins
    hold_at: float | None = None  # no piece ready by this clock time: say `holding_text` first
    holding_text: str = ""
    model_failed: VoiceRPError | None = None  # a fixed line stands in for the model's words
    # Checks each piece before it is spoken (None: the words are trusted, e.g. scripted lines).
    # A piece that fails is replaced by a neutral line and the rest of the reply is dropped.
    moderation: Moderator | None = None


@dataclass(frozen=True)
class SpokenPiece:
    """One piece of a reply, ready to play: its text, its audio and when it was made."""

    index: int  # in the reply, counting a holding line
    text: str
    audio: bytes | None  # PCM16; None: a text-only reply; b"": the voice made no sound of it
    sample_rate: int  # 0 for a text-only reply
    timing: PieceTiming

    @property
    def duration_ms(self) -> float:
        return len(self.audio) / 2 / self.sample_rate * 1000.0 if self.audio else 0.0


async def reply_stream(
    source: ReplySource,
    *,
    synthesizer: Synthesizer | None,
    rate: float,
    clock: Clock,
    queued_s: Callable[[], float] = lambda: 0.0,
    chunk_policy: ChunkPolicy | None = None,
) -> AsyncGenerator[SpokenPiece, None]:
    """Stream, chunk and synthesise one reply, yielding its pieces in order.

    With no `synthesizer` the reply is text only: pieces carry no audio. `queued_s` says how much
    reply audio the client has yet to play; the chunker sizes pieces by it. The consumer paces
    the reply: the next piece is synthesised only when it asks for it.

    Raises LLMError if the chat model fails before or while answering.
    """
    chunker = SentenceChunker(chunk_policy or ChunkPolicy(), clock=clock)
    pieces: asyncio.Queue[Piece | None] = asyncio.Queue()
    first_token: list[float] = []
    held_at: list[float] = []
    # Closed from the first piece until its audio exists: on a laptop's two cores the LLM writing
    # on would slow the synthesis of the words the user is waiting for (the rest of the reply is
    # not needed until they play). A model that streams ahead of its reader (an endpoint's
    # socket) just buffers; the embedded one pauses.
    reading = asyncio.Event()
    reading.set()

    async def produce() -> None:
        deltas: asyncio.Queue[str | None] = asyncio.Queue()
        labels = source.labels

        async def pump(stream: AsyncGenerator[str, None]) -> None:
            try:
                # Closed as soon as the reply stops, even mid-way: the embedded model's worker,
                # shared by all sessions, waits for its reader until then.
                async with contextlib.aclosing(stream):
                    async for delta in stream:
                        if not first_token:
                            first_token.append(clock.now())
                        deltas.put_nowait(delta)
                        await reading.wait()
            finally:
                deltas.put_nowait(None)

        shift = [0]  # 1 once a holding line took piece 0
        released = [False]

        def release(new: list[Piece]) -> None:
            for piece in new:
                released[0] = True
                if piece.index == 0 and synthesizer is not None:
                    reading.clear()
                pieces.put_nowait(dataclasses.replace(piece, index=piece.index + shift[0]))

        def hold_if_late() -> None:
            if (source.hold_at is not None and source.holding_text and not released[0]
                    and clock.now() >= source.hold_at):
                released[0] = True
                held_at.append(clock.now())
                shift[0] = 1
                pieces.put_nowait(Piece(0, source.holding_text, "timeout"))

        if isinstance(source.chat, ScriptedChat):  # known words: cut as they were made ahead
            for i, text in enumerate(scripted_pieces(source.chat.parts, chunker.policy)):
                release([Piece(i, text, "sentence")])
            pieces.put_nowait(None)
            return
        pump_task = asyncio.create_task(pump(source.chat.stream(source.messages, source.options)))
        try:
            while True:
                hold_if_late()
                try:
                    delta = await asyncio.wait_for(deltas.get(), timeout=_POLL_S)
                except TimeoutError:
                    release(chunker.poll(queued_audio_s=queued_s()))
                    continue
                if delta is None:
                    break
                text = labels.push(delta) if labels is not None else delta
                release(chunker.push(text, queued_audio_s=queued_s()))
                if labels is not None and labels.ended:
                    await _stop(pump_task)  # the model is writing the user's turn: stop it
                    break
            if not pump_task.cancelled():
                await pump_task  # re-raises the stream's error, if any
            if labels is not None:
                release(chunker.push(labels.flush(), queued_audio_s=queued_s()))
            release(chunker.flush())
        finally:
            await _stop(pump_task)
            pieces.put_nowait(None)

    producer = asyncio.create_task(produce())
    try:
        while (piece := await pieces.get()) is not None:
            received = clock.now()
            holding = held_at[0] if held_at and piece.index == 0 else None
            text = piece.text
            t0 = clock.now()
            try:
                verdict, pcm = await _checked_voice(source.moderation, text, synthesizer, rate)
                if not verdict.ok and source.moderation is not None:
                    # Only the category is logged: the words themselves may be personal data.
                    log.warning("a reply piece failed the %s check: a neutral line is said "
                                "instead and the rest of the reply is dropped", verdict.category)
                    text = source.moderation.neutral_line
                    pcm = await _voice(synthesizer, text, rate)
            finally:
                reading.set()
            if synthesizer is None:
                yield SpokenPiece(piece.index, text, None, 0, PieceTiming(
                    received, llm_first_token=_first(first_token), holding_line=holding))
            else:
                yield SpokenPiece(piece.index, text, pcm, synthesizer.sample_rate, PieceTiming(
                    received, synth_started=t0, synth_done=clock.now(),
                    llm_first_token=_first(first_token), holding_line=holding))
            if not verdict.ok:
                return  # the model went off the rails: stop its reply (the producer is stopped)
        await producer
    finally:
        await _stop(producer)


def _first(times: list[float]) -> float | None:
    return times[0] if times else None


def _synthesize(synthesizer: Synthesizer, text: str, rate: float) -> bytes:
    return b"".join(synthesizer.synthesize(text, rate=rate))


async def _voice(synthesizer: Synthesizer | None, text: str, rate: float) -> bytes | None:
    if synthesizer is None:
        return None
    return await asyncio.to_thread(_synthesize, synthesizer, text, rate)


async def _checked_voice(moderation: Moderator | None, text: str,
                         synthesizer: Synthesizer | None, rate: float
                         ) -> tuple[Verdict, bytes | None]:
    """A piece's verdict and audio. The local check comes first (microseconds); the remote
    one, if configured, runs while the audio is made, so it costs the user only the time it
    takes beyond the synthesis."""
    if moderation is None:
        return PASS, await _voice(synthesizer, text, rate)
    verdict = moderation.check_local(text)
    if not verdict.ok:
        return verdict, None
    if moderation.endpoint is None:
        return verdict, await _voice(synthesizer, text, rate)
    remote = asyncio.create_task(moderation.check_remote(text))
    try:
        pcm = await _voice(synthesizer, text, rate)
        return await remote, pcm
    finally:
        await _stop(remote)


async def _stop(task: asyncio.Task[Any]) -> None:
    """Cancel a child task and wait for it, without swallowing our own cancellation."""
    if not task.done():
        task.cancel()
        await asyncio.wait([task])


class ScriptedChat:
    """A chat model that says a fixed line: the opening line goes through the same TTS path.

    A line of several `parts` (an acknowledgement, then the scenario's question) is spoken
    part by part, each cut into pieces on its own (voice_rp.line_cache.scripted_pieces), so the
    pieces are the same whichever acknowledgement comes first and can be made ahead."""

    name = "scripted"

    def __init__(self, *parts: str) -> None:
        self.parts = tuple(p.strip() for p in parts if p.strip())

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncGenerator[str, None]:
        yield " ".join(self.parts)


async def read_prompt_ahead(chat: ChatModel, messages: list[ChatMessage],
                            options: GenerationOptions) -> None:
    """Have the model read `messages` now, so a later prompt with this prefix starts fast.

    llama.cpp reuses the longest prefix it has cached: the user's first turn then pays only for
    their own words instead of ~0.9 s for the whole persona prompt.
    """
    try:
        stream = chat.stream(messages, dataclasses.replace(options, max_tokens=1))
        async with contextlib.aclosing(stream):
            async for _ in stream:
                pass
    except VoiceRPError as exc:
        log.info("reading the prompt ahead failed: %s", exc)
