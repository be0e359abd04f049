"""Speaker labels a small model writes into its reply: dropped, or the reply ends there."""

from __future__ import annotations

import re

import pytest

from voice_rp.labels import LabelFilter


def spoken(text: str, *, own: tuple[str, ...] = ("Alex Morgan", "Alex")) -> tuple[str, bool]:
    """What is spoken of `text` and whether the reply was ended, checked to be the same for
    one delta, character deltas and word deltas."""
    results = []
    for deltas in ([text], list(text), re.findall(r"\s*\S+|\s+$", text)):
        f = LabelFilter(own=own, user=("Sam",))
        out, ended = [], False
        for delta in deltas:
            out.append(f.push(delta))
            ended = ended or f.ended
        out.append(f.flush())
        results.append(("".join(out), ended))
    assert results[0] == results[1] == results[2], results
    return results[0]


@pytest.mark.parametrize(("reply", "said"), [
    ("Interviewer: Tell me about yourself.", "Tell me about yourself."),
    ("**Alex Morgan:** Hello there, welcome.", "Hello there, welcome."),
    ("Alex: Hi! Thanks for coming.", "Hi! Thanks for coming."),
    ("Good.\nInterviewer: Next question, then.", "Good.\nNext question, then."),
])
def test_the_personas_own_label_is_not_spoken(reply: str, said: str) -> None:
    assert spoken(reply) == (said, False)


@pytest.mark.parametrize(("reply", "said"), [
    ("Great answer. Why that team?\nCandidate: Because I liked them.",
     "Great answer. Why that team?\n"),
    ("Go on.\nSam: I think so.", "Go on.\n"),
    ("Tell me more.\n\n**User:** Sure.", "Tell me more.\n\n"),
])
def test_the_reply_ends_where_the_model_starts_writing_the_users_turn(reply: str, said: str
                                                                      ) -> None:
    assert spoken(reply) == (said, True)


@pytest.mark.parametrize("reply", [
    "I'm glad to hear that.",
    "At 9:30 we start with a short test.",
    "Note: the office opens at nine.",
    "One thing: be on time.",
    "Hi",
    "Well, my answer is: it depends.",
])
def test_everything_else_is_spoken_as_written(reply: str) -> None:
    assert spoken(reply) == (reply, False)


def test_a_line_start_is_held_only_while_it_could_be_a_label() -> None:
    f = LabelFilter()
    assert f.push("I'm glad to") == ""  # three words: "I'm glad to:" is not impossible yet
    assert f.push(" hear") == "I'm glad to hear"
    assert f.push(" that.") == " that."
    assert f.push(" Great,") == " Great,"  # mid-line: never held
    assert f.flush() == ""
    assert f.push("Sure!") == "Sure!"  # a fresh reply after flush; "!" rules a label out
