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


def test_end_record_keeps_what_the_engine_needs_and_no_figures_for_people():
    stats = SessionStats(started_at=100.0)
    stats.user_turn(" ".join(["word"] * 57 + ["um", "uh", "um"]), 20.0)
    stats.assistant_turn("What did you do next?", interrupted=False)
    stats.assistant_turn("And then", interrupted=True)
    s = stats.summary(now=160.0)
    assert s["duration_s"] == 60.0
    assert s["user_turns"] == 1
    assert s["questions_asked"] == 1
    # Pace, fillers and notes come from the saved records once (feedback.figures): a second
    # computation here is what made the end screen and the report disagree.
    assert not {"words_per_minute", "fillers", "fillers_per_100_words", "notes",
                "interruptions"} & set(s)
    assert stats.fillers == {"um": 2, "uh": 1} and stats.user_words == 60


def test_empty_turns_do_not_count():
    stats = SessionStats(started_at=0.0)
    stats.user_turn("  ", 1.0)
    assert stats.summary(1.0)["user_turns"] == 0
    assert stats.user_words == 0
