"""The record of turns: turn numbers, history, and barge-in truncation to what was heard."""

import pytest

from voice_rp.llm import ChatMessage
from voice_rp.turns import TurnTracker


def _speak(tracker: TurnTracker, turn: int, user: str | None, pieces: list[tuple[str, float]]):
    tracker.begin_reply(turn, "Alex", user)
    for text, ms in pieces:
        tracker.add_piece(text, ms)


def test_a_finished_reply_enters_the_history():
    t = TurnTracker()
    turn = t.new_turn()
    t.begin_reply(turn, "Alex", "Hello there.")
    t.add_piece("Hi!", 500)
    assert t.reply is not None and t.reply.audio_ms == 500
    heard = t.finish_reply(interrupted=False)
    assert heard == "Hi!" and t.reply is None
    assert t.history == [ChatMessage("user", "Hello there."), ChatMessage("assistant", "Hi!")]


def test_turn_numbers_increase():
    t = TurnTracker()
    assert [t.new_turn() for _ in range(3)] == [0, 1, 2]
    assert t.peek_turn() == 3


def test_barge_in_keeps_only_whole_pieces_played():
    t = TurnTracker()
    _speak(t, 0, "Tell me more.", [("First sentence here.", 1000), ("Second one.", 1000)])
    t.played(0, 1000)
    heard = t.finish_reply(interrupted=True)
    assert heard == "First sentence here."
    assert t.history[-1] == ChatMessage("assistant", "First sentence here.")


def test_barge_in_mid_piece_keeps_the_heard_words():
    t = TurnTracker()
    _speak(t, 0, "Go on.", [("one two three four", 1000), ("five six", 1000)])
    heard = t.finish_reply(interrupted=True, played_ms=1500)
    assert heard == "one two three four five"


def test_interruption_before_any_audio_leaves_no_trace():
    t = TurnTracker()
    t.begin_reply(0, "Alex", "I was saying")
    assert t.finish_reply(interrupted=True) == ""
    assert t.history == []


def test_stale_played_reports_are_ignored_and_capped():
    t = TurnTracker()
    _speak(t, 3, "Hi.", [("Hello you.", 800)])
    t.played(2, 700)  # an older turn's report
    assert t.reply is not None and t.reply.played_ms == 0
    t.played(3, 5000)
    assert t.reply.played_ms == 800


def test_opening_line_has_no_user_message():
    t = TurnTracker()
    _speak(t, 0, None, [("Welcome to the interview.", 1200)])
    t.finish_reply(interrupted=False)
    assert t.history == [ChatMessage("assistant", "Welcome to the interview.")]


def test_no_reply_after_end():
    t = TurnTracker()
    t.end()
    with pytest.raises(RuntimeError):
        t.begin_reply(0, "Alex", "hi")
