"""Delivery figures from an answer's audio and words: pauses, pace, pitch, fillers, hedges."""

from __future__ import annotations

import numpy as np
import pytest

from voice_rp.audio import SAMPLE_RATE
from voice_rp.feedback.audio import answer_audio, pitch_track
from voice_rp.feedback.delivery import (
    answer_delivery,
    delivery_notes,
    pace_label,
    repetition,
    session_delivery,
)


def voiced(seconds: float, f0: float | tuple[float, float] = 140.0, *, seed: int = 0
           ) -> np.ndarray:
    """A buzzy voice-like tone (harmonics + a little noise), f0 fixed or gliding."""
    n = round(seconds * SAMPLE_RATE)
    lo, hi = (f0, f0) if isinstance(f0, float) else f0
    freq = np.linspace(lo, hi, n)
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    sig = sum(np.sin(k * phase) / k for k in range(1, 8))
    rng = np.random.default_rng(seed)
    return (0.2 * sig / 2.6 + 0.003 * rng.standard_normal(n)).astype(np.float32)


def gap(seconds: float, noise: float = 0.001) -> np.ndarray:
    rng = np.random.default_rng(1)
    return (noise * rng.standard_normal(round(seconds * SAMPLE_RATE))).astype(np.float32)


def test_pauses_over_a_second_are_found_where_they_are():
    audio = np.concatenate([gap(0.3), voiced(2.0), gap(1.5), voiced(1.0), gap(0.4), voiced(1.2),
                            gap(0.5)])
    result = answer_audio(audio)
    d = answer_delivery(1, "one two three four five six seven eight nine ten eleven twelve",
                        result.to_dict())
    assert len(d.pauses) == 1
    [pause] = d.pauses
    assert pause.at_s == pytest.approx(2.0, abs=0.1)  # from the first sound of the answer
    assert pause.length_s == pytest.approx(1.5, abs=0.1)
    # the 0.4 s gap is a breath between phrases, not a pause worth a remark
    assert d.length_s == pytest.approx(6.1, abs=0.1)
    assert d.speaking_s == pytest.approx(6.1 - 1.5, abs=0.15)
    assert d.wpm == pytest.approx(12 * 60 / 4.6, rel=0.05)
    assert d.pauses[0].after  # the words said before it, estimated


def test_pitch_range_of_a_gliding_voice_and_a_monotone_one():
    track = pitch_track(voiced(1.0, 150.0))
    assert np.nanmedian(track) == pytest.approx(150.0, rel=0.02)
    flat = answer_audio(voiced(3.0, 150.0))
    glide = answer_audio(voiced(3.0, (110.0, 220.0)))  # one octave: 12 semitones
    assert flat.pitch_range_st is not None and flat.pitch_range_st < 1.0
    assert glide.pitch_range_st == pytest.approx(12 * 0.8, abs=1.5)  # p10-p90 of a linear glide


def test_silence_and_empty_audio_give_no_figures():
    assert answer_audio(np.zeros(0, dtype=np.float32)).speech == ()
    silent = answer_audio(np.zeros(SAMPLE_RATE, dtype=np.float32))
    assert silent.speech == () and silent.pitch_range_st is None
    d = answer_delivery(1, "hello there", silent.to_dict())
    assert d.wpm is None and d.pauses == []


def test_fillers_hedges_and_repetition_are_counted_from_the_words():
    text = ("Um, I think we, uh, we sort of built the the thing. I think we built the thing "
            "because, um, maybe it was needed.")
    d = answer_delivery(2, text, {"speech": [[0.0, 10.0]]})
    assert d.fillers == {"um": 2, "uh": 1}
    assert d.fillers_per_min == pytest.approx(18.0)
    assert d.hedges == {"i think": 2, "maybe": 1, "sort of": 1}
    assert d.repeated_phrases == ["i think we"]
    assert d.stutters == ["the", "we"]
    assert repetition(["um", "um"]) == ([], [])  # "um um" is fillers, not a stutter


def test_pace_bands():
    assert [pace_label(v) for v in (100, 120, 145, 175, 200)] == [
        "slow", "a little slow", "in band", "a little fast", "fast"]


def test_session_totals_weight_answers_by_their_speaking_time():
    a = answer_delivery(1, "word " * 30, {"speech": [[0.0, 10.0]]}, onset_s=0.8)
    b = answer_delivery(2, "word " * 60, {"speech": [[0.0, 30.0]]}, onset_s=2.0)
    s = session_delivery([a, b], assistant_s=20.0)
    assert s["wpm"] == pytest.approx(90 * 60 / 40)
    assert s["wpm_spread"] == pytest.approx(180 - 120)
    assert s["talk_share"] == pytest.approx(40 / 60, abs=0.01)
    assert s["onset_median_s"] == 2.0
    assert any("from 120 to 180 words a minute" in n for n in delivery_notes(s, talk=False))
