"""Transcribing a turn while it is spoken: later decodes of a turn read only its new audio."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from voice_rp.audio import SAMPLE_RATE, float_to_pcm16
from voice_rp.stt import Transcript
from voice_rp.stt_incremental import IncrementalTranscriber, join, merge


def pcm(seconds: float, value: int = 1) -> bytes:
    return np.full(round(seconds * SAMPLE_RATE), value, np.int16).tobytes()


NAMES = {1: "alpha", 2: "bravo", 3: "charlie", 4: "delta", 5: "echo"}


class FakeDecode:
    """Hears each distinct sample value as a word (1: "alpha", 2: "bravo"...), and records how
    many seconds it was given with which prompt; optionally blocks until released."""

    def __init__(self, *, block: bool = False) -> None:
        self.calls: list[tuple[float, str | None]] = []
        self.gate = threading.Event()
        if not block:
            self.gate.set()

    def __call__(self, samples: np.ndarray, prompt: str | None) -> Transcript:
        self.calls.append((round(len(samples) / SAMPLE_RATE, 2), prompt))
        self.gate.wait(5)
        values = np.round(samples * 32768).astype(int)
        heard = [NAMES[v] for v in dict.fromkeys(values.tolist())]
        return Transcript(" ".join(heard).capitalize() + ".", "en", len(samples) / SAMPLE_RATE)


async def test_a_turn_that_goes_on_decodes_only_its_new_audio():
    decode = FakeDecode()
    stt = IncrementalTranscriber(decode, prompt="Um, uh.")
    first = pcm(4.5)
    assert (await stt.transcribe(first)).text == "Alpha."
    whole = await stt.transcribe(first + pcm(1.5, 2))
    # The new audio, with the last second before it, prompted with what was heard so far:
    # the overlap's word heard again is dropped, and the sentence goes on.
    assert decode.calls == [(4.5, "Um, uh."), (2.5, "Um, uh. Alpha.")]
    assert whole.text == "Alpha bravo."
    assert whole.audio_seconds == pytest.approx(6.0)
    # And again: the longest decoded beginning is used.
    await stt.transcribe(first + pcm(1.5, 2) + pcm(1.0, 3))
    assert decode.calls[-1] == (2.0, "Um, uh. Alpha bravo.")
    assert stt.reused_s == pytest.approx(3.5 + 5.0)


async def test_another_turn_or_a_short_part_is_decoded_whole():
    decode = FakeDecode()
    stt = IncrementalTranscriber(decode)
    await stt.transcribe(pcm(1.5))  # too short a beginning to build on
    await stt.transcribe(pcm(1.5) + pcm(1.0, 2))
    assert decode.calls[-1] == (2.5, None)
    await stt.transcribe(pcm(5.0, 4))  # a new turn: different audio from the start
    assert decode.calls[-1] == (5.0, None)
    await stt.transcribe(pcm(5.0, 4) + pcm(0.1, 5))  # too little new audio to read alone
    assert decode.calls[-1] == (5.1, None)


async def test_a_decode_still_running_is_waited_for_and_kept_when_its_caller_gives_up():
    decode = FakeDecode(block=True)
    stt = IncrementalTranscriber(decode)
    first = pcm(4.0)
    speculative = asyncio.create_task(stt.transcribe(first))
    await asyncio.sleep(0.05)
    speculative.cancel()  # the user went on: the attempt is dropped, the decode runs on
    final = asyncio.create_task(stt.transcribe(first + pcm(1.0, 2)))
    await asyncio.sleep(0.05)
    assert decode.calls == [(4.0, None)]  # not a second decode of the same audio at once
    decode.gate.set()
    assert (await final).text == "Alpha bravo."
    assert decode.calls == [(4.0, None), (2.0, "Alpha.")]
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
        await stt.transcribe(pcm(5.0))
    await stt.transcribe(pcm(6.0))
    assert calls == [5 * SAMPLE_RATE, 6 * SAMPLE_RATE]


def test_words_heard_in_both_parts_are_kept_once():
    assert merge("Everyone is assisting other telemarketers.", "The marketers, please hold.") == (
        "Everyone is assisting other telemarketers please hold.")
    assert merge("I think my greatest strength is", "strength is staying calm.") == (
        "I think my greatest strength is staying calm.")
    assert merge("When a conference is locked.", "Only conference's locked, only admins join.") == (
        "When a conference is locked only admins join.")
    # Whisper went straight on: nothing to drop.
    assert merge("Please stay on the line.", "And your call will be answered.") == (
        "Please stay on the line. And your call will be answered.")
    assert merge("No answer.", "No answer.") == "No answer."


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
