"""The voice's part in judging a pause: a statement's pitch falls at its end, a thought left
open does not (voice_rp.voice_end). Voiced tones with a known pitch contour stand in for
speech; the endpointer acts on it only where the words end a thought."""

from __future__ import annotations

import numpy as np
import pytest

from voice_rp.audio import SAMPLE_RATE
from voice_rp.clock import FakeClock
from voice_rp.endpointer import Endpointer, SpeculativeEnd, TurnEnd, TurnPolicy
from voice_rp.voice_end import falls_at_end


def voiced(contour_hz: np.ndarray) -> np.ndarray:
    """A buzzy voice-like tone following `contour_hz` (one value per sample)."""
    phase = 2 * np.pi * np.cumsum(contour_hz) / SAMPLE_RATE
    tone = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (0.2 * tone / np.max(np.abs(tone))).astype(np.float32)


def pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def contour(end_hz: float, *, seconds: float = 2.5, glide_s: float = 0.3,
            middle_hz: float = 150.0) -> np.ndarray:
    n, g = int(seconds * SAMPLE_RATE), int(glide_s * SAMPLE_RATE)
    hz = np.full(n, middle_hz)
    hz[n - g:] = np.linspace(middle_hz, end_hz, g)
    return hz


@pytest.mark.parametrize(("end_hz", "falls"), [(118.0, True), (150.0, False), (185.0, False)])
def test_the_end_of_the_voice_against_its_middle(end_hz: float, falls: bool) -> None:
    assert falls_at_end(pcm(voiced(contour(end_hz)))) is falls


def test_too_little_voice_says_nothing() -> None:
    assert falls_at_end(bytes(2 * SAMPLE_RATE)) is None
    assert falls_at_end(pcm(voiced(contour(118.0, seconds=0.15, glide_s=0.1)))) is None


def _end_after(samples: np.ndarray, words: str, policy: TurnPolicy) -> TurnEnd:
    ep = Endpointer(policy, clock=FakeClock(),
                    is_speech=lambda f: float(np.abs(np.frombuffer(f, "<i2")).mean()) > 200)
    audio = pcm(np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), samples,
                                np.zeros(3 * SAMPLE_RATE, np.float32)]))
    ends = []
    for at in range(0, len(audio) - 639, 640):
        for event in ep.push(audio[at: at + 640]):
            if isinstance(event, SpeculativeEnd):
                ep.hint(words, speech_end_audio_t=event.speech_end_audio_t)
            elif isinstance(event, TurnEnd):
                ends.append(event)
    [end] = ends
    return end


def test_words_that_end_a_thought_wait_longer_when_the_voice_stays_up() -> None:
    policy = TurnPolicy.patient()
    fell = _end_after(voiced(contour(118.0)), "I worked there for three years.", policy)
    level = _end_after(voiced(contour(160.0)), "I worked there for three years.", policy)
    assert fell.wait_s == pytest.approx(policy.complete_silence_s, abs=0.03)
    assert level.wait_s == pytest.approx(policy.end_silence_s, abs=0.03)
    words_only = _end_after(voiced(contour(160.0)), "I worked there for three years.",
                            TurnPolicy.conversational())
    assert not TurnPolicy.conversational().voice_cue, "interviews: the words alone (measured)"
    assert words_only.wait_s == pytest.approx(TurnPolicy().complete_silence_s, abs=0.03)
