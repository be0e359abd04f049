"""One spoken reply: LLM stream → chunker → TTS, piece by piece, paced to playback.

The chunker and the TTS run concurrently: while a piece is being synthesised the LLM keeps
streaming, except for the first piece, whose audio the user is waiting for. Synthesis runs ahead
of (estimated) playback only by `max_ahead_s`, so an interruption wastes little work and memory
stays flat.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass

from voice_rp.chunker import ChunkPolicy, Piece, SentenceChunker
from voice_rp.clock import Clock
from voice_rp.errors import VoiceRPError
from voice_rp.events import TurnMetrics
from voice_rp.labels import LabelFilter
from voice_rp.llm import ChatMessage, ChatModel, GenerationOptions
from voice_rp.tts import Synthesizer

log = logging.getLogger(__name__)

_POLL_S = 0.03  # how often the chunker's time-based release is checked while tokens are slow


class Playback:
    """Estimates the client's playback position from what was sent and when.

    The clock starts with the first audio sent; the client plays in real time from then on.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.started_at: float | None = None
        self.sent_ms = 0.0

    def sent(self, duration_ms: float) -> None:
        if self.started_at is None:
            self.started_at = self._clock.now()
        self.sent_ms += duration_ms

    def position_ms(self) -> float:
        if self.started_at is None:
            return 0.0
        return min(self.sent_ms, (self._clock.now() - self.started_at) * 1000.0)

    def queued_s(self) -> float:
        return (self.sent_ms - self.position_ms()) / 1000.0


@dataclass
class ReplyTimes:
    """Clock times of the reply's milestones (None until reached)."""

    llm_first_token: float | None = None
    first_piece: float | None = None
    first_audio: float | None = None  # first piece's audio synthesised
    tts_first_s: float | None = None  # how long TTS took for the first piece
    holding_line: float | None = None  # a holding line was released: the reply was late


HOLDING_LINES = {
    "en": "Hmm, let me think.", "es": "Mmm, déjame pensar.", "fr": "Hmm, laisse-moi réfléchir.",
    "de": "Hmm, lass mich überlegen.", "it": "Mmm, fammi pensare.", "pt": "Hmm, deixa-me pensar.",
    "nl": "Hmm, even denken.",
}


def holding_line(language: str) -> str:
    """What the persona says when its reply is late, so the user never waits in silence."""
    return HOLDING_LINES.get(language.split("-")[0].lower(), "Hmm...")


SpeakPiece = Callable[[Piece, bytes, int], Awaitable[None]]
"""Called with each piece and its PCM16 audio and sample rate, in order."""


async def speak_reply(
    chat: ChatModel,
    messages: list[ChatMessage],
    options: GenerationOptions,
    *,
    synthesizer: Synthesizer | None,
    rate: float,
    clock: Clock,
    playback: Playback,
    speak: SpeakPiece,
    chunk_policy: ChunkPolicy | None = None,
    max_ahead_s: float = 4.0,
    times: ReplyTimes | None = None,
    labels: LabelFilter | None = None,
    hold_at: float | None = None,
    holding_text: str = "",
) -> str:
    """Stream, chunk, synthesise and hand over one reply. Returns the full text spoken.

    With no `synthesizer` the reply is text only: each piece is handed over with no audio.
    `labels` drops speaker labels from the text and ends the reply where the model starts
    writing the user's turn. If no piece is ready by clock time `hold_at`, `holding_text` is
    said first (the reply's later pieces are numbered after it).

    Raises LLMError if the chat model fails before or while answering.
    """
    times = times if times is not None else ReplyTimes()
    chunker = SentenceChunker(chunk_policy or ChunkPolicy(), clock=clock)
    pieces: asyncio.Queue[Piece | None] = asyncio.Queue()
    # Closed from the first piece until its audio exists: on a laptop's two cores the LLM writing
    # on would slow the synthesis of the words the user is waiting for (the rest of the reply is
    # not needed until they play). A model that streams ahead of its reader (an endpoint's
    # socket) just buffers; the embedded one pauses.
    reading = asyncio.Event()
    reading.set()

    async def produce() -> None:
        deltas: asyncio.Queue[str | None] = asyncio.Queue()

        async def pump(stream: AsyncGenerator[str, None]) -> None:
            try:
                # Closed as soon as the reply stops, even mid-way: the embedded model's worker,
                # shared by all sessions, waits for its reader until then.
                async with contextlib.aclosing(stream):
                    async for delta in stream:
                        if times.llm_first_token is None:
                            times.llm_first_token = clock.now()
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
            if (hold_at is not None and holding_text and not released[0]
                    and clock.now() >= hold_at):
                released[0] = True
                times.holding_line = clock.now()
                shift[0] = 1
                pieces.put_nowait(Piece(0, holding_text, "timeout"))

        pump_task = asyncio.create_task(pump(chat.stream(messages, options)))
        try:
            while True:
                hold_if_late()
                try:
                    delta = await asyncio.wait_for(deltas.get(), timeout=_POLL_S)
                except TimeoutError:
                    release(chunker.poll(queued_audio_s=playback.queued_s()))
                    continue
                if delta is None:
                    break
                text = labels.push(delta) if labels is not None else delta
                release(chunker.push(text, queued_audio_s=playback.queued_s()))
                if labels is not None and labels.ended:
                    await _stop(pump_task)  # the model is writing the user's turn: stop it
                    break
            if not pump_task.cancelled():
                await pump_task  # re-raises the stream's error, if any
            if labels is not None:
                release(chunker.push(labels.flush(), queued_audio_s=playback.queued_s()))
            release(chunker.flush())
        finally:
            await _stop(pump_task)
            pieces.put_nowait(None)

    spoken: list[str] = []
    producer = asyncio.create_task(produce())
    try:
        while (piece := await pieces.get()) is not None:
            if times.first_piece is None:
                times.first_piece = clock.now()
            # Backpressure: don't synthesise further ahead of playback than needed.
            ahead = playback.queued_s() - max_ahead_s
            if ahead > 0:
                await asyncio.sleep(ahead)
            if synthesizer is None:
                spoken.append(piece.text)
                await speak(piece, b"", 0)
                continue
            t0 = clock.now()
            try:
                pcm = await asyncio.to_thread(_synthesize, synthesizer, piece.text, rate)
            finally:
                reading.set()
            if times.first_audio is None:
                times.first_audio = clock.now()
                times.tts_first_s = times.first_audio - t0
            if pcm:
                spoken.append(piece.text)
                await speak(piece, pcm, synthesizer.sample_rate)
        await producer
    finally:
        await _stop(producer)
    return " ".join(spoken)


def _synthesize(synthesizer: Synthesizer, text: str, rate: float) -> bytes:
    return b"".join(synthesizer.synthesize(text, rate=rate))


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a child task and wait for it, without swallowing our own cancellation."""
    if not task.done():
        task.cancel()
        await asyncio.wait([task])


class ScriptedChat:
    """A chat model that says a fixed line: the opening line goes through the same TTS path."""

    name = "scripted"

    def __init__(self, text: str) -> None:
        self._text = text

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncGenerator[str, None]:
        yield self._text


def turn_metrics(turn: int, speech_end: float, marks: dict[str, float], times: ReplyTimes, *,
                 user_turn: bool, interrupted: bool) -> TurnMetrics:
    """The stage times of one turn, in ms after the true end of the user's speech."""

    def since_end(t: float | None) -> float | None:
        return None if t is None else round((t - speech_end) * 1000.0, 1)

    m = marks
    stages: dict[str, float | None] = {
        "endpoint_ms": since_end(m.get("committed")) if user_turn else None,
        "stt_ms": round(m["stt_s"] * 1000.0, 1) if "stt_s" in m else None,
        "stt_done_ms": since_end(m.get("stt_done")),
        "llm_first_token_ms": since_end(times.llm_first_token),
        "first_piece_ms": since_end(times.first_piece),
        "tts_first_audio_ms": since_end(times.first_audio),
        "tts_ms": round(times.tts_first_s * 1000.0, 1) if times.tts_first_s else None,
        "response_ms": since_end(m.get("audio_sent")),
        "speculative_lead_ms": (round((m["committed"] - m["start"]) * 1000.0, 1)
                                if "start" in m and "committed" in m else None),
    }
    if times.holding_line is not None:
        stages["holding_line_ms"] = since_end(times.holding_line)
    if interrupted:
        stages["interrupted"] = 1.0
    return TurnMetrics(turn, speech_end, stages)


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
