"""Transcribing a turn while it is spoken: later decodes of a turn read only its new audio."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from voice_rp.audio import SAMPLE_RATE, float_to_pcm16
from voice_rp.stt import Transcript
from voice_rp.stt_incremental import IncrementalTranscriber, join


def pcm(seconds: float, value: int = 1) -> bytes:
    return np.full(round(seconds * SAMPLE_RATE), value, np.int16).tobytes()


class FakeDecode:
    """Says how many seconds it heard and with which prompt; optionally blocks until released."""

    def __init__(self, *, block: bool = False) -> None:
        self.calls: list[tuple[float, str | None]] = []
        self.gate = threading.Event()
        if not block:
            self.gate.set()

    def __call__(self, samples: np.ndarray, prompt: str | None) -> Transcript:
        self.calls.append((round(len(samples) / SAMPLE_RATE, 2), prompt))
        self.gate.wait(5)
        return Transcript(f"Part of {len(samples) / SAMPLE_RATE:.1f} s.", "en",
                          len(samples) / SAMPLE_RATE)


async def test_a_turn_that_goes_on_decodes_only_its_new_audio():
    decode = FakeDecode()
    stt = IncrementalTranscriber(decode, prompt="Um, uh.")
    first = pcm(2.0)
    assert (await stt.transcribe(first)).text == "Part of 2.0 s."
    whole = await stt.transcribe(first + pcm(1.5, 2))
    assert decode.calls == [(2.0, "Um, uh."), (1.5, "Um, uh. Part of 2.0 s.")]
    assert whole.text == "Part of 2.0 s. Part of 1.5 s."
    assert whole.audio_seconds == pytest.approx(3.5)
    # And again: the longest decoded beginning is used.
    await stt.transcribe(first + pcm(1.5, 2) + pcm(1.0, 3))
    assert decode.calls[-1] == (1.0, "Um, uh. Part of 2.0 s. Part of 1.5 s.")


async def test_another_turn_or_a_short_part_is_decoded_whole():
    decode = FakeDecode()
    stt = IncrementalTranscriber(decode)
    await stt.transcribe(pcm(0.5))  # too short a beginning to build on
    await stt.transcribe(pcm(0.5) + pcm(1.0, 2))
    assert decode.calls[-1] == (1.5, None)
    await stt.transcribe(pcm(2.0, 4))  # a new turn: different audio from the start
    assert decode.calls[-1] == (2.0, None)
    await stt.transcribe(pcm(2.0, 4) + pcm(0.1, 5))  # too little new audio to read alone
    assert decode.calls[-1] == (2.1, None)


async def test_a_decode_still_running_is_waited_for_and_kept_when_its_caller_gives_up():
    decode = FakeDecode(block=True)
    stt = IncrementalTranscriber(decode)
    first = pcm(2.0)
    speculative = asyncio.create_task(stt.transcribe(first))
    await asyncio.sleep(0.05)
    speculative.cancel()  # the user went on: the attempt is dropped, the decode runs on
    final = asyncio.create_task(stt.transcribe(first + pcm(1.0, 2)))
    await asyncio.sleep(0.05)
    assert decode.calls == [(2.0, None)]  # not a second decode of the same audio at once
    decode.gate.set()
    assert (await final).text == "Part of 2.0 s. Part of 1.0 s."
    assert decode.calls == [(2.0, None), (1.0, "Part of 2.0 s.")]
    with pytest.raises(asyncio.CancelledError):
        await speculative


async def test_a_failed_decode_is_not_reused():
    calls = []

    def decode(samples: np.ndarray, prompt: str | None) -> Transcript:
        calls.append(len(samples))
        if len(calls) == 1:
            raise RuntimeError("boom")
        return Transcript("words", "en", 1.0)

    stt = IncrementalTranscriber(decode)
    with pytest.raises(RuntimeError):
        await stt.transcribe(pcm(2.0))
    await stt.transcribe(pcm(3.0))
    assert calls == [2 * SAMPLE_RATE, 3 * SAMPLE_RATE]


def test_parts_of_one_sentence_join_without_the_period_whisper_put_between_them():
    assert join("In my last job I worked with the team.", "to launch a product.") == (
        "In my last job I worked with the team to launch a product.")
    assert join("That is my answer.", "Next, the team.") == "That is my answer. Next, the team."
    assert join("Well...", "maybe.") == "Well... maybe."
    assert join("", "Hello.") == "Hello." and join("Hello.", " ") == "Hello."


@pytest.mark.models
async def test_real_speech_with_pauses_reads_as_well_incrementally(transcriber):
    from speech import say, silence, wer

    parts = ["Last year our biggest client threatened to leave because deliveries were late.",
             "I met their manager and set up a weekly call with the team.",
             "Within two months every delivery was on time again."]
    audio = [say(parts[0]), silence(0.5), say(parts[1]), silence(0.5), say(parts[2])]
    truth = " ".join(parts)
    decoded: list[float] = []

    def decode(samples: np.ndarray, prompt: str | None) -> Transcript:
        decoded.append(len(samples) / SAMPLE_RATE)
        return transcriber.transcribe(samples, language="en", prompt=prompt)

    stt = IncrementalTranscriber(decode)
    # What the endpointer hands over at each pause, then at the end: the turn so far.
    for n in (1, 3, 5):
        text = (await stt.transcribe(float_to_pcm16(np.concatenate(audio[:n])))).text
    whole = transcriber.transcribe(np.concatenate(audio), language="en").text
    print(f"incremental: {text!r} (WER {wer(truth, text):.3f}); whole: {whole!r} "
          f"(WER {wer(truth, whole):.3f}); decoded at the end: {decoded[-1]:.1f} s "
          f"of {sum(len(a) for a in audio) / SAMPLE_RATE:.1f} s")
    assert wer(truth, text) <= wer(truth, whole) + 0.05
    assert decoded[-1] < 0.5 * sum(len(a) for a in audio) / SAMPLE_RATE
