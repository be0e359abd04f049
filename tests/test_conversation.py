"""The conversation engine with fake models: turns, speculation, barge-in, failures, endings.

Fakes stand in for the models here so the engine's decisions are tested quickly; the real bundled
models go through the same engine in test_conversation_models.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from voice_rp import events as ev
from voice_rp.audio import FRAME_BYTES, SAMPLE_RATE
from voice_rp.clock import MonotonicClock
from voice_rp.conversation import Conversation, ConversationOptions
from voice_rp.errors import LLMError
from voice_rp.llm import ChatMessage, GenerationOptions
from voice_rp.models import Models
from voice_rp.personas import builtin_dirs, find_persona
from voice_rp.stt import Transcript

SPEECH = (np.full(FRAME_BYTES // 2, 3000, dtype="<i2")).tobytes()
SILENCE = bytes(FRAME_BYTES)


def is_speech(frame: bytes) -> bool:
    return any(frame)


class FakeTranscriber:
    """Says how much speech it heard: lets tests see which audio a transcript covers."""

    def __init__(self) -> None:
        self.calls = 0
        self.script: list[str] = []

    def transcribe(self, samples: np.ndarray, *, language=None, prompt=None) -> Transcript:
        self.calls += 1
        speech_ms = int(round(np.count_nonzero(samples) / SAMPLE_RATE * 1000 / 20) * 20)
        text = self.script.pop(0) if self.script else f"I spoke for {speech_ms} milliseconds."
        return Transcript(text=text, language="en", audio_seconds=len(samples) / SAMPLE_RATE)


class FakeChat:
    name = "fake"

    def __init__(self, reply: str = "Thanks. Tell me about your last project?") -> None:
        self.reply = reply
        self.fail_with: Exception | None = None
        self.seen: list[list[ChatMessage]] = []

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncIterator[str]:
        self.seen.append(list(messages))
        if self.fail_with is not None:
            raise self.fail_with
        for word in self.reply.split(" "):
            await asyncio.sleep(0)
            yield word + " "


class FakeVoice:
    sample_rate = 16_000

    def __init__(self, ms_per_word: float) -> None:
        self.ms_per_word = ms_per_word

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        n = int(len(text.split()) * self.ms_per_word / 1000 * self.sample_rate)
        yield bytes(2 * n)


class FakeVoices:
    def __init__(self, ms_per_word: float = 30.0) -> None:
        self.voice = FakeVoice(ms_per_word)

    def synthesizer(self, name: str) -> FakeVoice:
        return self.voice


def make_models(chat: FakeChat, ms_per_word: float = 30.0) -> Models:
    stt = FakeTranscriber()
    return Models(transcriber=stt, voices=FakeVoices(ms_per_word), chat=chat,  # type: ignore[arg-type]
                  default_voice="fake", load_multilingual=lambda: stt, multilingual=True)


class Session:
    """Drives a Conversation like a client would and records its events."""

    def __init__(self, conv: Conversation) -> None:
        self.conv = conv
        self.events: list[ev.Event] = []
        self._tasks = [asyncio.create_task(conv.run()), asyncio.create_task(self._collect())]

    async def _collect(self) -> None:
        async for event in self.conv.events():
            self.events.append(event)

    async def push(self, frame: bytes, seconds: float) -> None:
        for _ in range(round(seconds * 50)):
            self.conv.push_audio(frame)
            await asyncio.sleep(0.001)

    async def wait_for(self, pred: Callable[[ev.Event], bool], within: float = 10.0) -> ev.Event:
        async def poll() -> ev.Event:
            while True:
                for event in self.events:
                    if pred(event):
                        return event
                await asyncio.sleep(0.005)
        return await asyncio.wait_for(poll(), within)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    async def close(self) -> None:
        await self.conv.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def persona(name: str = "behavioural-interviewer", *, flow: bool = False):
    """A built-in; without its scenario flow unless asked, so the model's reply is spoken as
    written (the pipeline is what these tests are about; flows: test_conversation_flow.py)."""
    found = find_persona(name, builtin_dirs())
    return found if flow else dataclasses.replace(found, flow=None)


async def start(chat: FakeChat, *, name: str = "behavioural-interviewer", ms_per_word=30.0,
                opening: bool = False, **options) -> Session:
    conv = Conversation(models=make_models(chat, ms_per_word), persona=persona(name),
                        clock=MonotonicClock(),
                        options=ConversationOptions(is_speech=is_speech,
                                                    speak_opening_line=opening, **options))
    return Session(conv)


async def test_one_turn_gives_transcript_reply_audio_and_metrics():
    s = await start(FakeChat())
    await s.push(SPEECH, 1.0)
    await s.push(SILENCE, 1.5)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert s.of(ev.UserTranscript)[0].text == "I spoke for 1000 milliseconds."
    assert done.text == "Thanks. Tell me about your last project?"
    assert not done.interrupted
    assert sum(len(c.pcm) for c in s.of(ev.AudioChunk)) > 0
    metrics = await s.wait_for(lambda e: isinstance(e, ev.TurnMetrics))
    for stage in ("endpoint_ms", "stt_ms", "llm_first_token_ms", "first_piece_ms",
                  "tts_first_audio_ms", "response_ms"):
        assert metrics.stages[stage] is not None, stage
    assert s.conv.tracker.history == [
        ChatMessage("user", "I spoke for 1000 milliseconds."),
        ChatMessage("assistant", "Thanks. Tell me about your last project?"),
    ]
    await s.close()


async def test_speaker_labels_are_not_spoken_and_the_model_never_answers_for_the_user():
    # Small models open their reply with the persona's name, and may
    # go on to write the candidate's next answer themselves.
    name = persona().character.name
    s = await start(FakeChat(f"{name}: Thanks. Why that team?\nCandidate: Because I liked it."))
    await s.push(SPEECH, 1.0)
    await s.push(SILENCE, 1.5)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert done.text == "Thanks. Why that team?"
    assert [e.text for e in s.of(ev.AudioStart)] == ["Thanks.", "Why that team?"]
    assert s.conv.tracker.history[-1] == ChatMessage("assistant", "Thanks. Why that team?")
    await s.close()


async def test_reply_audio_comes_in_order_start_chunk_end():
    s = await start(FakeChat("First part, then more. Second sentence here."))
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.5)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    kinds = [type(e).__name__ for e in s.events
             if isinstance(e, ev.AudioStart | ev.AudioChunk | ev.AudioEnd)]
    assert kinds[:3] == ["AudioStart", "AudioChunk", "AudioEnd"]
    assert len(kinds) % 3 == 0 and len(kinds) >= 6
    await s.close()


async def test_user_going_on_after_a_pause_is_one_turn():
    s = await start(FakeChat())
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 0.25)  # a short pause: speculative work starts, then is dropped
    await s.push(SPEECH, 0.4)
    await s.push(SILENCE, 1.5)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    transcripts = s.of(ev.UserTranscript)
    assert [t.text for t in transcripts] == ["I spoke for 1000 milliseconds."]
    assert s.conv.models.transcriber.calls >= 2  # the speculative attempt really ran
    await s.close()


async def test_barge_in_clears_audio_and_keeps_only_what_was_heard():
    reply = "One two three four five six seven eight. Nine ten eleven twelve thirteen fourteen."
    s = await start(FakeChat(reply), ms_per_word=250)  # 2 s per sentence
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.0)
    await s.wait_for(lambda e: isinstance(e, ev.AudioStart))
    await asyncio.sleep(0.6)
    turn = s.of(ev.AudioStart)[0].turn
    s.conv.played(turn, 1000.0)  # the client heard one second: four words
    await s.push(SPEECH, 0.5)
    clear = await s.wait_for(lambda e: isinstance(e, ev.Clear))
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert clear.turn == turn and done.interrupted
    assert done.text == "One two three four"
    assert s.conv.tracker.history[-1] == ChatMessage("assistant", "One two three four")
    await s.close()


async def test_speech_while_thinking_continues_the_same_turn():
    chat = FakeChat()
    s = await start(chat, ms_per_word=30)
    original = chat.stream

    async def slow_stream(messages, options):
        await asyncio.sleep(1.0)  # the model is slow to answer...
        async for d in original(messages, options):
            yield d

    chat.stream = slow_stream  # type: ignore[method-assign]
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 0.8)  # the turn ends...
    await s.push(SPEECH, 0.6)  # ...but the user goes on before hearing anything
    chat.stream = original  # type: ignore[method-assign]
    await s.push(SILENCE, 1.5)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and not e.interrupted)
    assert not s.of(ev.Clear)
    heard = [t.text for t in s.of(ev.UserTranscript)]
    # The second transcript covers both parts of what the user said.
    assert heard[-1] == "I spoke for 1200 milliseconds."
    assert done.text
    await s.close()


async def test_llm_failure_is_reported_and_the_next_turn_works():
    chat = FakeChat()
    chat.fail_with = LLMError("cannot reach the chat model at http://127.0.0.1:9/v1")
    s = await start(chat)
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.5)
    err = await s.wait_for(lambda e: isinstance(e, ev.ErrorEvent))
    assert err.code == "llm_unavailable" and "127.0.0.1:9" in err.message
    await s.wait_for(lambda e: isinstance(e, ev.StateChanged) and e.state == "listening"
                     and s.of(ev.ErrorEvent))
    chat.fail_with = None
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.5)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert done.text == chat.reply
    await s.close()


async def test_opening_line_is_spoken_first():
    s = await start(FakeChat(), opening=True)
    first = await s.wait_for(lambda e: isinstance(e, ev.AudioStart))
    opening = persona().scenario.opening_line
    assert first.text.split()[0] == opening.split()[0]
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert done.text.split() == opening.split()
    await s.close()


async def test_end_phrase_closes_the_scenario_with_a_summary():
    p = persona()
    assert p.scenario.ending.phrases, "the interviewer should have an ending phrase"
    chat = FakeChat()
    s = await start(chat)
    s.conv.models.transcriber.script = [f"I think {p.scenario.ending.phrases[0]}."] * 3
    await s.push(SPEECH, 0.8)
    await s.push(SILENCE, 1.5)
    end = await s.wait_for(lambda e: isinstance(e, ev.SessionEnded))
    assert end.reason == "scenario_complete"
    assert end.summary["user_turns"] == 1
    closing = [e for e in s.of(ev.ReplyDone)][-1]
    if p.scenario.ending.closing_line:
        assert closing.text.split()[0] in p.scenario.ending.closing_line
    await s.close()


async def test_bad_frame_size_is_a_clear_error():
    s = await start(FakeChat())
    with pytest.raises(ValueError, match="640 bytes"):
        s.conv.push_audio(b"\x00" * 100)
    await s.close()


def test_builtin_personas_directory_exists():
    assert any(Path(d).is_dir() for d in builtin_dirs())


async def test_turn_numbers_have_no_holes_after_dropped_speculation():
    s = await start(FakeChat())
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 0.4)
    await s.push(SPEECH, 0.4)
    await s.push(SILENCE, 1.5)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    started = s.of(ev.SpeechStarted)[0]
    assert s.of(ev.UserTranscript)[0].turn == started.turn == 0
    await s.close()


async def test_closing_mid_reply_records_what_was_heard():
    reply = "One two three four five six seven eight. Nine ten eleven twelve thirteen fourteen."
    s = await start(FakeChat(reply), ms_per_word=250)
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.0)
    start_ev = await s.wait_for(lambda e: isinstance(e, ev.AudioStart))
    s.conv.played(start_ev.turn, 500.0)
    await s.conv.close()
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert done.interrupted and done.text == "One two"
    await s.close()
