"""Telling a degenerate Whisper decode from speech, on transcripts seen from real recordings."""

from __future__ import annotations

import numpy as np
import pytest

from voice_rp.degenerate import (
    broken_hyphenation,
    check,
    compression_ratio,
    cut_restart,
    cut_second_reading,
    repeated_ngram,
    stutter,
    voiced_seconds,
)

# Heard by the fitted-window decode of two LibriVox sentences, cut by the endpointer.
LOOPS = [
    "He was not an old-s-y-y-y-y-",
    "Unless to be rather cold-hearted and rather selfish is to be old-est-est?",
    "Unless to be rather cold-hearted and rather selfish is to be old-a-s-s-s-s-",
]
SPEECH = [
    "He was not an ill-disposed young man.",
    "My name is Smith, S-M-I-T-H.",
    "My mother-in-law runs a well-known bakery.",
    "Bye-bye, and thanks again.",
    "Please enter your password followed by the pound key.",
    "Yes.",
    "I led the project, we shipped it in March, and sales went up by twelve percent.",
]


@pytest.mark.parametrize("text", LOOPS)
def test_syllable_chains_are_degenerate(text: str) -> None:
    assert broken_hyphenation(text)
    assert check(text).reason == "repeated syllables"


@pytest.mark.parametrize("text", SPEECH)
def test_ordinary_speech_is_not(text: str) -> None:
    assert check(text, voiced_s=len(text.split()) / 2.5).ok


def test_repeated_words_close_together_are_a_loop() -> None:
    assert repeated_ngram("Sorry, can I add something here? Sorry, can I add")
    assert stutter("I was I was I was there")
    assert stutter("the the the team")
    assert not stutter("No, no. I did.")
    # Far apart, a phrase said twice is ordinary speech.
    assert not repeated_ngram("At the end of the day I asked my manager what we would keep and "
                              "what we would drop at the end of the day.")
    assert not check("I think that is what I think about the team.").reason


def test_a_second_reading_is_cut_off() -> None:
    looped = "Sorry, can I add something here? Sorry, can I add"
    assert cut_restart(looped) == "Sorry, can I add something here?"
    assert cut_restart("I liked it. Then we moved. I liked it a lot.") == \
        "I liked it. Then we moved."
    assert cut_restart("I think so. I think that we should go.") is None
    assert cut_restart("No. No. No.") is None  # too short to tell a second reading


def test_a_trailing_second_reading_is_cut_and_nothing_else() -> None:
    assert cut_second_reading("Could you tell me more about the team? Could you tell me") == \
        "Could you tell me more about the team?"
    assert cut_second_reading("After the tone, say your busy message and then press the pound "
                              "key. After the tone, say yo") == \
        "After the tone, say your busy message and then press the pound key."
    # A short clip read three times over ("ten of clubs", a recorded prompt) keeps one reading.
    assert cut_second_reading("10 of clubs 10 of clubs 10 of clubs") == "10 of clubs"
    assert cut_second_reading("Seven of clubs. Seven of clubs. Seven of") == "Seven of clubs."
    assert cut_second_reading("I would like to start. I would like a coffee.") is None
    assert cut_second_reading("No. No. No.") is None
    assert cut_second_reading(SPEECH[-1]) is None


def test_repetitive_text_compresses_too_well() -> None:
    assert compression_ratio("thank you " * 30) > 2.4
    assert compression_ratio(SPEECH[-1]) < 2.4
    assert compression_ratio("") == 0.0
    assert check("thank you " * 30).reason


def test_a_transcript_must_fit_the_voiced_audio() -> None:
    five_words = "I worked there five years."
    assert check(five_words, voiced_s=2.0).ok
    long_text = ("I started in sales and then moved to marketing where I ran our campaigns "
                 "for three years before I led a team of five people")
    assert "longer" in check(long_text, voiced_s=2.0).reason
    assert check(long_text, voiced_s=8.0).ok
    assert "shorter" in check("Thank you.", voiced_s=8.0).reason
    assert check("Thank you.", voiced_s=1.0).ok  # too little audio to judge a rate


def test_voiced_seconds_counts_speech_not_pauses_or_noise() -> None:
    rate = 16_000
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(rate * 3).astype(np.float32) * 10 ** (-62 / 20)
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate).astype(np.float32)
    clip = noise.copy()
    clip[rate // 2: rate // 2 + rate] += tone  # one second of "speech" in three of noise
    assert voiced_seconds(clip) == pytest.approx(1.0, abs=0.07)
    assert voiced_seconds(np.zeros(rate, np.float32)) == 0.0
    assert voiced_seconds(np.zeros(0, np.float32)) == 0.0
