"""Whole turns through the conversation engine with the real bundled models and real webrtcvad."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket

import numpy as np
import pytest
from speech import say, wer, with_silence

from voice_rp import events as ev
from voice_rp.audio import SAMPLE_RATE, float_to_pcm16, frames, pcm16_to_float, resample
from voice_rp.clock import MonotonicClock
from voice_rp.conversation import Conversation, ConversationOptions
from voice_rp.llm import Deadlines, OpenAIChatModel
from voice_rp.models import Models
from voice_rp.personas import builtin_dirs, find_persona

pytestmark = pytest.mark.models


@pytest.fixture
def models(transcriber, voices, embedded_llm) -> Models:
    return Models(transcriber=transcriber, voices=voices, chat=embedded_llm,
                  default_voice="en_US-joe-medium", load_multilingual=lambda: transcriber)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def talk(conv: Conversation, samples: np.ndarray, seen: list) -> None:
    """Stream speech into the conversation a little faster than real time."""
    for frame in frames(float_to_pcm16(samples)):
        conv.push_audio(frame)
        await asyncio.sleep(0.004)


async def wait_for(seen: list, pred, within: float = 60.0):
    async with asyncio.timeout(within):
        while True:
            for event in seen:
                if pred(event):
                    return event
            await asyncio.sleep(0.01)


async def run_session(conv: Conversation, seen: list) -> list[asyncio.Task]:
    async def collect() -> None:
        async for event in conv.events():
            seen.append(event)

    return [asyncio.create_task(conv.run()), asyncio.create_task(collect())]


async def stop(conv: Conversation, tasks: list[asyncio.Task]) -> None:
    await conv.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_one_spoken_turn_gets_a_spoken_english_reply(models, transcriber):
    text = "Hello, I am here for the software engineer interview today."
    conv = Conversation(models=models, persona=find_persona("behavioural-interviewer",
                                                            builtin_dirs()),
                        clock=MonotonicClock(), options=ConversationOptions(
                            speak_opening_line=False))
    seen: list = []
    tasks = await run_session(conv, seen)
    await talk(conv, with_silence(say(text), 0.5, 2.0), seen)
    done = await wait_for(seen, lambda e: isinstance(e, ev.ReplyDone))
    heard = [e for e in seen if isinstance(e, ev.UserTranscript)]
    assert len(heard) == 1
    assert wer(text, heard[0].text) <= 0.2, heard[0].text

    chunks = [e for e in seen if isinstance(e, ev.AudioChunk) and e.turn == done.turn]
    assert chunks, "no reply audio"
    rate = chunks[0].sample_rate
    reply = pcm16_to_float(b"".join(c.pcm for c in chunks))
    assert len(reply) / rate > 0.5
    back = transcriber.transcribe(resample(reply, rate, SAMPLE_RATE), language="en").text
    assert re.search(r"[A-Za-z]{2,}", back), f"reply audio transcribed as {back!r}"

    metrics = await wait_for(seen, lambda e: isinstance(e, ev.TurnMetrics))
    assert metrics.stages["stt_ms"] and metrics.stages["response_ms"]
    await stop(conv, tasks)


async def test_dead_llm_endpoint_is_reported_and_the_session_survives(models, embedded_llm):
    models.chat = OpenAIChatModel(f"http://127.0.0.1:{unused_port()}/v1", None, "any",
                                  deadlines=Deadlines(connect_s=3.0))
    # Without its flow: with one, a failed acknowledgement falls back to a fixed one, and the
    # model is only needed for free replies.
    partner = dataclasses.replace(find_persona("english-partner", builtin_dirs()), flow=None)
    conv = Conversation(models=models, persona=partner, clock=MonotonicClock(),
                        options=ConversationOptions(speak_opening_line=False))
    seen: list = []
    tasks = await run_session(conv, seen)
    # An answer, which the model must reply to (a question about the weekend is answered from
    # the persona's facts without the model).
    utterance = with_silence(say("I went hiking with my sister on Saturday."), 0.5, 3.0)
    await talk(conv, utterance, seen)
    err = await wait_for(seen, lambda e: isinstance(e, ev.ErrorEvent))
    assert err.code == "llm_unavailable"
    assert "127.0.0.1" in err.message

    # The endpoint comes back (here: the embedded model): the next turn is answered.
    models.chat = embedded_llm
    await talk(conv, utterance, seen)
    done = await wait_for(seen, lambda e: isinstance(e, ev.ReplyDone))
    assert done.text
    await stop(conv, tasks)

