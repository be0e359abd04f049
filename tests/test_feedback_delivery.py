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
from voice_rp.feedback.words import follow_transcript


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


# -- Whisper's word timings ---------------------------------------------------------------------

TIMED_TEXT = "I ran the team for two years. Um, the queue was long. So I fixed it."
TIMED_WORDS = [["I", 0.0, 0.2], ["ran", 0.2, 0.4], ["the", 0.4, 0.5], ["team", 0.5, 0.8],
               ["for", 0.8, 1.0], ["two", 1.0, 1.2], ["years.", 1.2, 2.6],  # its end runs on
               ["Um,", 3.2, 3.5],  # said at 2.8-3.1: Whisper lags into the silence after it
               ["the", 3.6, 3.7], ["queue", 3.7, 4.0], ["was", 4.0, 4.2], ["long.", 4.2, 4.5],
               ["So", 6.0, 6.2], ["I", 6.2, 6.3], ["fixed", 6.3, 6.6], ["it.", 6.6, 6.9]]
TIMED_SPEECH = [[0.1, 1.5], [2.8, 3.1], [3.5, 4.5], [6.0, 6.9]]


def test_word_timings_say_after_which_words_a_pause_fell_and_where_fillers_were():
    audio = {"speech": TIMED_SPEECH, "words": TIMED_WORDS}
    d = answer_delivery(1, TIMED_TEXT, audio)
    assert d.word_timings
    assert [(p.at_s, p.length_s, p.after, p.placed_by) for p in d.pauses] == [
        (1.4, 1.3, "team for two years", "words"), (4.4, 1.5, "the queue was long", "words")]
    [um] = [m for m in d.timeline if m["kind"] == "filler"]
    assert um == {"kind": "filler", "word": "um", "start": 2.7, "end": 3.4}  # from 0.1
    # Three stretches between the pauses; the first: 7 words over 1.4 s.
    assert [p["words"] for p in d.pace_over_time] == [7, 5, 4]
    assert d.pace_over_time[0]["wpm"] == pytest.approx(60 * 7 / 1.4, abs=0.1)
    # Without timings the same answer's pauses are placed by estimate, and said to be.
    plain = answer_delivery(1, TIMED_TEXT, {"speech": TIMED_SPEECH})
    assert not plain.word_timings and plain.pace_over_time == []
    assert all(p.placed_by == "estimate" for p in plain.pauses)
    assert not [m for m in plain.timeline if m["kind"] == "filler"]


def test_word_timings_alone_still_give_pauses_and_bad_ones_are_ignored():
    # The audio analysis failed (None) but the words were timed: pauses from the words' gaps.
    d = answer_delivery(1, TIMED_TEXT, {"words": TIMED_WORDS})
    assert [p.after for p in d.pauses] == ["the queue was long"]  # years' end ran on: no pause
    assert d.wpm is not None
    broken = {"speech": TIMED_SPEECH, "words": [["x", "a", 1], ["y", 2.0, 1.0], "z", None]}
    assert not answer_delivery(1, TIMED_TEXT, broken).word_timings


# A decode seen on the test machine: the word-timing decode skipped "rota and we cleared the
# backlog in one", stretched "up" over 2 s, and lost no "uh"; the transcript has every word.
SKIPPED_TEXT = ("At my last job I ran the support team for two years. The queue was long, uh, "
                "customers waited for days. So I set up a rota and we cleared the backlog in one "
                "month.")
SKIPPED_WORDS = [
    ["At", 0.0, 0.68], ["my", 0.68, 0.88], ["last", 0.88, 1.24], ["job,", 1.24, 1.56],
    ["I", 1.7, 1.78], ["ran", 1.78, 1.98], ["the", 1.98, 2.3], ["support", 2.3, 2.48],
    ["team", 2.48, 2.94], ["for", 2.94, 3.16], ["two", 3.16, 3.42], ["years.", 3.42, 4.4],
    ["Um,", 5.82, 5.92], ["the", 6.46, 6.54], ["queue", 6.54, 6.74], ["was", 6.74, 6.98],
    ["long,", 6.98, 8.18], ["uh,", 8.22, 8.76], ["customers", 9.28, 9.42],
    ["waited", 9.42, 9.86], ["for", 9.86, 10.24], ["days.", 10.24, 10.82], ["So", 12.18, 12.52],
    ["I", 12.52, 12.72], ["set", 12.72, 12.88], ["up", 12.88, 15.06], ["a", 15.06, 15.34],
    ["month.", 15.34, 15.72]]
SKIPPED_SPEECH = [[0.46, 3.8], [5.5, 5.72], [6.28, 7.52], [8.16, 8.34], [8.88, 10.64],
                  [12.28, 15.6]]


def test_words_the_timing_decode_skipped_are_counted_where_the_transcript_has_them():
    d = answer_delivery(1, SKIPPED_TEXT, {"speech": SKIPPED_SPEECH, "words": SKIPPED_WORDS})
    # Every word of the transcript is on the timeline, in order and inside the speech.
    assert [p["words"] for p in d.pace_over_time] == [12, 10, 14]  # the timed words: 12, 10, 6
    last = d.pace_over_time[-1]
    assert last["wpm"] == pytest.approx(60 * 14 / (15.6 - 12.28), abs=0.5)  # not 108 wpm
    assert [p.after for p in d.pauses] == ["team for two years", "customers waited for days"]
    # The "um" only the timing decode heard is placed and counted, the "uh" once, not twice.
    marks = [(m["word"], m["start"]) for m in d.timeline if m["kind"] == "filler"]
    assert marks == [("um", round(5.5 - 0.46, 2)), ("uh", round(8.22 - 0.46, 2))]
    assert d.fillers == {"uh": 1, "um": 1}


def test_following_the_transcript_places_unheard_words_in_speech_not_in_pauses():
    speech = [(0.0, 1.0), (3.0, 4.0)]
    timed = [("one", 0.0, 0.3), ("four", 3.6, 4.0)]
    words = follow_transcript(timed, ["one", "two", "three", "four"], speech)
    assert [w for w, _, _ in words] == ["one", "two", "three", "four"]
    starts = [s for _, s, _ in words]
    assert starts == sorted(starts)
    assert all(any(a <= s <= b for a, b in speech) for s in starts)
    # A phrase only the timing decode heard, where the transcript has nothing, was said and
    # stays; words it heard differently from the transcript ("base" for "four") go.
    timed = [("one", 0.0, 0.2), ("two", 0.2, 0.4), ("three", 0.4, 0.6), ("base", 0.6, 0.9),
             ("five", 3.0, 3.3)]
    assert [w for w, _, _ in follow_transcript(timed, ["one", "five"], speech)] == [
        "one", "two", "three", "base", "five"]
    assert [w for w, _, _ in follow_transcript(timed, ["one", "four", "five"], speech)] == [
        "one", "four", "five"]
    timed = [("one", 0.0, 0.3), ("four", 3.6, 4.0)]
    # Nothing to follow: the timed words as they are; nothing timed: no timings at all.
    assert follow_transcript(timed, [], speech) == timed
    assert follow_transcript([], ["one"], speech) == []


def test_a_long_stretch_is_paced_in_windows():
    words = [[f"w{i}", i * 0.4, i * 0.4 + 0.3] for i in range(80)]  # 150 wpm for 32 s
    words[40:] = [[w, s * 1.5 - 8, e * 1.5 - 8] for w, s, e in words[40:]]  # then slower
    end = words[-1][2]
    d = answer_delivery(1, " ".join(w for w, _, _ in words), {"speech": [[0.0, end]],
                                                              "words": words})
    rates = [p["wpm"] for p in d.pace_over_time]
    assert len(rates) == round(end / 10) and rates[0] == pytest.approx(150, rel=0.1)
    assert rates[-1] == pytest.approx(100, rel=0.1)
