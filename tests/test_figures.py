"""The figures a person sees, computed once from a session's records: what counts as measured,
what is said when it was not, and what counts as an interruption."""

from __future__ import annotations

from typing import Any

from voice_rp.feedback.figures import end_summary
from voice_rp.feedback.report import PersonaFacts, build_report

FACTS = PersonaFacts("behavioural-interviewer", "Maya", "interviewer")


def records(*, options: dict[str, Any] | None = None,
            timed: dict[int, bool] | None = None) -> list[dict[str, Any]]:
    """Two answers, each with an "um"; `timed`: turn -> whether its word-timing decode kept
    fillers (no entry: its words were never timed)."""
    out: list[dict[str, Any]] = [{"kind": "session_start", "t": 0.0, "persona": FACTS.id,
                                  "options": options or {}}]
    for turn, at in ((1, 1.0), (2, 20.0)):
        out.append({"kind": "reply", "t": at, "turn": turn - 1, "text": "Tell me more?"})
        out.append({"kind": "user", "t": at + 8.0, "turn": turn,
                    "text": "Um, I led the team and we shipped the new billing system early.",
                    "audio": {"speech": [[0.2, 5.0]]}})
        if timed and turn in timed:
            out.append({"kind": "words", "t": at + 9.0, "turn": turn, "fillers_kept": timed[turn],
                        "words": [["Um,", 0.2, 0.5], ["I", 0.6, 0.7], ["led", 0.7, 1.0]]})
    out.append({"kind": "session_end", "t": 40.0, "reason": "client_end", "summary": {}})
    return out


def figure(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in report["figures"] if f["key"] == key)


def test_fillers_not_listened_for_are_not_measured_never_zero():
    report = build_report("s", records(), FACTS)
    fillers = figure(report, "fillers_per_min")
    assert fillers == {**fillers, "measured": False, "value": None, "text": "not measured"}
    assert "not listening" in fillers["reason"]
    assert all(a["delivery"]["fillers"] == {} for a in report["answers"])


def test_fillers_count_over_the_answers_that_were_listened_to():
    report = build_report("s", records(timed={1: True, 2: False}), FACTS)
    fillers = figure(report, "fillers_per_min")
    assert fillers["measured"] and "listened for in 1 of 2 answers" in fillers["text"]
    assert report["delivery"]["fillers"] == {"um": 1}
    assert fillers["value"] == round(60.0 / report["answers"][0]["delivery"]["speaking_s"], 1)
    kept = build_report("s", records(options={"keep_fillers": True}), FACTS)
    assert kept["delivery"]["fillers"] == {"um": 2} and figure(kept, "fillers_per_min")[
        "measured"]


def test_a_learners_fillers_are_not_claimed_in_a_language_not_listened_to():
    spanish = PersonaFacts("spanish-partner", "Lucía", "language_partner", language="es")
    report = build_report("s", records(options={"keep_fillers": True}, timed={1: True}),
                          spanish)
    assert "English" in figure(report, "fillers_per_min")["reason"]


def test_ending_the_session_over_a_reply_is_not_an_interruption():
    base = records()
    cut = {"kind": "reply", "t": 30.0, "turn": 2, "text": "Thanks. And what", "interrupted": True}
    ended = [*base[:-1], cut, base[-1]]
    assert figure(build_report("s", ended, FACTS), "interruptions")["value"] == 0
    spoke = [*base[:-1], cut, {"kind": "speech_start", "t": 30.5, "turn": 3}, base[-1]]
    assert figure(build_report("s", spoke, FACTS), "interruptions")["value"] == 1


def test_the_end_screen_carries_the_reports_own_figures():
    report = build_report("s", records(timed={1: True, 2: True}), FACTS)
    summary = end_summary(report)
    assert summary["figures"] is report["figures"] and summary["empty"] is False
    assert [f["key"] for f in summary["figures"]][:3] == ["answers", "speaking_s", "wpm"]
    for f in summary["figures"]:
        assert f["text"] and f["explain"] and (f["measured"] or f["reason"]), f


def test_turns_about_the_conversation_are_kept_but_never_judged_as_answers():
    base = records()
    extra = [
        {"kind": "reply", "t": 30.0, "turn": 2, "text": "What was the hardest part?"},
        {"kind": "user", "t": 33.0, "turn": 3, "text": "Sorry, can you say that again?",
         "turn_kind": "clarify", "audio": {"speech": [[0.1, 1.5]]}},
        {"kind": "reply", "t": 34.0, "turn": 3, "text": "Of course. What was the hardest part?"},
        {"kind": "user", "t": 36.0, "turn": 4, "text": "I can't do this, I feel hopeless.",
         "turn_kind": "distress", "audio": {"speech": [[0.1, 2.0]]}},
    ]
    report = build_report("s", [*base[:-1], *extra, base[-1]], FACTS)
    assert [a["turn"] for a in report["answers"]] == [1, 2]
    assert [(t["turn"], t["kind"]) for t in report["not_judged"]] == [(3, "clarify"),
                                                                    (4, "distress")]
    assert "hopeless" in " ".join(line["text"] for line in report["transcript"])
    shown = figure(report, "answers")
    assert shown["value"] == 2 and "Not counted, and not judged: 2 turn(s)" in shown["explain"]
    said = str(report["work_on"]) + str(report["notes"])
    assert "hopeless" not in said and "again" not in said
    only_distress = build_report("s", [base[0], extra[3], base[-1]], FACTS)
    assert only_distress["empty"] and "about the conversation itself" in \
        only_distress["empty_reason"]
