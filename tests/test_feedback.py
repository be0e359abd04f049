"""End-of-session feedback: pace, fillers, questions and interruptions."""

from voice_rp.feedback import SessionStats, count_fillers


def test_fillers_are_counted_as_whole_words():
    counts = count_fillers("Um, so I, uh, led the team. Umbrella plums are fine, um.")
    assert counts == {"um": 2, "uh": 1}


def test_each_spelling_of_a_filler_counts_as_that_filler():
    # Whisper writes the same sound as "Um", "Umm" or "Uhm" from one clip to the next
    counts = count_fillers("Umm, I think, uhh, we shipped. Uhm. Hmmm, mm. Erm, ahh. Mummy hummed.")
    assert counts == {"um": 2, "uh": 1, "hmm": 1, "mm": 1, "erm": 1, "ah": 1}


def test_words_that_are_only_sometimes_fillers_are_not_counted():
    assert count_fillers("I would like to lead this kind of team, basically.") == {}


def test_multi_word_fillers():
    assert count_fillers("You know, I mean it, you know?") == {"you know": 2}


def test_summary_reports_pace_and_fillers():
    stats = SessionStats(started_at=100.0)
    # 60 words in 20 s of speech: 180 words a minute, fast.
    stats.user_turn(" ".join(["word"] * 57 + ["um", "uh", "um"]), 20.0)
    stats.assistant_turn("What did you do next?", interrupted=False)
    stats.assistant_turn("And then", interrupted=True)
    s = stats.summary(now=160.0)
    assert s["duration_s"] == 60.0
    assert s["user_words"] == 60
    assert s["words_per_minute"] == 180
    assert s["fillers"] == {"um": 2, "uh": 1}
    assert s["fillers_per_100_words"] == 5.0
    assert s["questions_asked"] == 1
    assert s["interruptions"] == 1
    assert any("fast" in note for note in s["notes"])


def test_empty_turns_do_not_count():
    stats = SessionStats(started_at=0.0)
    stats.user_turn("  ", 1.0)
    assert stats.summary(1.0)["user_turns"] == 0
    assert stats.summary(1.0)["words_per_minute"] is None
