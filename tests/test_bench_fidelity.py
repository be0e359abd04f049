"""The fidelity benchmark's scoring, on sessions with known good and bad replies."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from bench.fake_llm import reply_for
from bench.fidelity_score import distinct, is_follow_up, score_session, summarize, table
from bench.fidelity_scripts import INTERVIEW, PARTNER, TALK, Turn, script_for

BANK = ["Tell me about a time you missed a deadline. What did you do?",
        "Describe a situation where you had to juggle several priorities at once."]
OPENING = "Hi, I'm Maya. Let's get started. Tell me about a time you missed a deadline?"


def test_a_session_that_plays_its_part_meets_every_target() -> None:
    exchanges = [
        (Turn("We fixed it.", "follow_up", vague=True), "We fixed it.",
         "Thank you. What did you do yourself?"),
        (Turn("good", "question"), "I rebuilt the plan and we shipped on time.",
         "I see. Describe a situation where you had to juggle several priorities at once?"),
        (Turn("done", "close"), "No more questions.", "Thank you, goodbye!"),
    ]
    session = score_session("behavioural-interviewer", "interviewer", "en", OPENING, exchanges,
                            bank=BANK, closed=True)
    summary = summarize([session])
    overall = summary["overall"]
    assert overall["in_role_pct"] == 100.0 and overall["question_when_due_pct"] == 100.0
    assert overall["follow_up_after_vague_pct"] == 100.0
    assert overall["echoes"] == 0 and overall["near_duplicate_pct"] == 0.0
    assert overall["distinct_questions"] == 3
    assert all(summary["met"].values())
    assert "behavioural-interviewer" in table(summary)


def test_the_failure_the_issue_describes_misses_the_targets() -> None:
    glad = ("I'm so glad to hear that. That's a great example of how a team can work together "
            "to achieve a common goal.")
    exchanges = [(turn, turn.text, glad) for turn in INTERVIEW[:4]]
    exchanges.append((INTERVIEW[4], INTERVIEW[4].text, "Interviewer: (smiling) " + glad))
    exchanges.append((INTERVIEW[5], INTERVIEW[5].text, INTERVIEW[5].text))  # an echo
    session = score_session("behavioural-interviewer", "interviewer", "en", OPENING, exchanges,
                            bank=BANK, closed=False)
    summary = summarize([session])
    overall, met = summary["overall"], summary["met"]
    assert overall["question_when_due_pct"] == 0.0
    assert overall["near_duplicate_pct"] > 50
    assert overall["echoes"] == 1 and overall["stage_directions"] == 1
    assert overall["follow_up_after_vague_pct"] == 0.0
    assert not met["question_when_due_pct"] and not met["interviews_close"]
    assert not met["in_role_pct"]


def test_a_follow_up_is_a_question_outside_the_bank() -> None:
    assert is_follow_up("Thanks. And what was the result?", BANK)
    assert not is_follow_up("Okay. Tell me about a time you missed a deadline. What did you do?",
                            BANK)
    assert not is_follow_up("Thank you.", BANK)


def test_distinct_questions_ignore_near_repeats() -> None:
    assert len(distinct(["What did you do?", "What did you do then?", "Why?"])) == 2


def test_every_practice_type_has_a_script() -> None:
    assert script_for("audience", "en") == TALK
    assert script_for("language_partner", "es") == PARTNER["es"]
    assert any(t.vague for t in script_for("interviewer", "en"))
    assert script_for("caller", "en")[-1].expect == "close"


def test_the_fake_capable_endpoint_asks_the_question_it_is_given() -> None:
    messages = [{"role": "system", "content": "You are Maya."},
                {"role": "system", "content": "React, then ask this question in your own words: "
                                              "What did you learn?"},
                {"role": "user", "content": "I shipped it."}]
    assert reply_for(messages).endswith("What did you learn?")
    spanish = [{"role": "system", "content": "Always reply in Spanish."},
               {"role": "system", "content": "Now: Chat."}, {"role": "user", "content": "Hola"}]
    assert "Muy bien" in reply_for(spanish)
