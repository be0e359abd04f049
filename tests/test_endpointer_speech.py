"""The endpointer with the real webrtcvad on real speech (espeak-ng) with a faint noise floor."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voice_rp.audio import SAMPLE_RATE, float_to_pcm16, frames, read_wav
from voice_rp.clock import FakeClock
from voice_rp.endpointer import Endpointer, SpeculativeEnd, SpeechStart, TurnEnd

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

TOLERANCE_S = 0.3


def say(text: str, tmp_path: Path) -> np.ndarray:
    """`text` spoken by espeak-ng, trimmed to the speech itself, at 16 kHz."""
    wav = tmp_path / "say.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True)
    samples = read_wav(str(wav)).samples
    start, end = speech_bounds(samples)
    return samples[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)]


def speech_bounds(samples: np.ndarray) -> tuple[float, float]:
    """First and last 10 ms window louder than -30 dB below the loudest one, in seconds."""
    win = SAMPLE_RATE // 100
    n = len(samples) // win
    rms = np.sqrt((samples[: n * win].reshape(n, win) ** 2).mean(axis=1))
    loud = np.nonzero(rms > rms.max() * 10 ** (-30 / 20))[0]
    return loud[0] * win / SAMPLE_RATE, (loud[-1] + 1) * win / SAMPLE_RATE


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.float32)


def endpoint(speech: np.ndarray) -> tuple[list[object], float, float]:
    """Stream 0.5 s of silence, the speech, 1.5 s of silence through a default Endpointer.

    Returns the events and the true start and end of the speech (from its amplitude), in seconds.
    """
    signal = np.concatenate([silence(0.5), speech, silence(1.5)])
    # a faint noise floor (about -54 dBFS): a real microphone is never digitally silent
    signal += np.random.default_rng(7).normal(0.0, 0.002, len(signal)).astype(np.float32)
    true_start, true_end = speech_bounds(np.concatenate([silence(0.5), speech]))
    ep = Endpointer(clock=FakeClock())
    events = [event for frame in frames(float_to_pcm16(signal)) for event in ep.push(frame)]
    return events, true_start, true_end


def test_one_sentence_gives_one_turn_ending_at_the_true_end_of_speech(tmp_path):
    speech = say("He was not an ill disposed young man.", tmp_path)
    events, true_start, true_end = endpoint(speech)

    turns = [e for e in events if isinstance(e, TurnEnd)]
    assert len(turns) == 1
    [turn] = turns
    assert abs(turn.speech_end_audio_t - true_end) <= TOLERANCE_S
    assert abs(turn.speech_start_audio_t - true_start) <= TOLERANCE_S
    # the turn's audio holds the whole sentence for the STT
    assert len(turn.audio) / 2 / SAMPLE_RATE >= len(speech) / SAMPLE_RATE
    assert len([e for e in events if isinstance(e, SpeechStart)]) == 1


def test_two_phrases_400ms_apart_are_one_turn(tmp_path):
    first = say("I worked there for three years", tmp_path)
    second = say("and then I moved to Berlin.", tmp_path)
    events, true_start, true_end = endpoint(np.concatenate([first, silence(0.4), second]))

    turns = [e for e in events if isinstance(e, TurnEnd)]
    assert len(turns) == 1
    assert abs(turns[0].speech_start_audio_t - true_start) <= TOLERANCE_S
    assert abs(turns[0].speech_end_audio_t - true_end) <= TOLERANCE_S


def test_the_same_phrases_with_a_long_silence_between_are_two_turns(tmp_path):
    first = say("I worked there for three years.", tmp_path)
    second = say("Then I moved to Berlin.", tmp_path)
    events, _, true_end = endpoint(np.concatenate([first, silence(1.5), second]))

    turns = [e for e in events if isinstance(e, TurnEnd)]
    assert len(turns) == 2
    assert abs(turns[0].speech_end_audio_t - (0.5 + len(first) / SAMPLE_RATE)) <= TOLERANCE_S
    assert abs(turns[1].speech_end_audio_t - true_end) <= TOLERANCE_S


@pytest.mark.parametrize("text", ["Yes, I did.", "Can you tell me more about the team?"])
def test_the_vad_over_hang_is_not_counted_as_speech(tmp_path, text):
    # webrtcvad says "speech" for ~100 ms after espeak's voice stops; every ms of it used to
    # delay the speculative start and the turn end.
    events, _, true_end = endpoint(say(text, tmp_path))
    [spec] = [e for e in events if isinstance(e, SpeculativeEnd)]
    [turn] = [e for e in events if isinstance(e, TurnEnd)]
    assert abs(turn.speech_end_audio_t - true_end) <= 0.04
    assert spec.audio_t - true_end <= 0.15 + 0.04
    assert turn.audio == spec.audio  # one audio for both: the speculative transcript stands
