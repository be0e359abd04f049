"""Bad input gets an honest report: no answers, one word, a five-minute monologue, recognition
garbage, a language the feedback does not read. Never a traceback, never a made-up verdict."""

from __future__ import annotations

from typing import Any

from voice_rp.feedback.figures import end_summary
from voice_rp.feedback.report import PersonaFacts, build_report
from voice_rp.feedback.report_html import render_html

INTERVIEWER = PersonaFacts("behavioural-interviewer", "Maya", "interviewer")


def session(*answers: str, facts: PersonaFacts = INTERVIEWER,
            question: str = "Tell me about a time you solved a problem?") -> dict[str, Any]:
    records: list[dict[str, Any]] = [{"kind": "session_start", "t": 0.0, "persona": facts.id}]
    t = 1.0
    for turn, text in enumerate(answers, start=1):
        records.append({"kind": "reply", "t": t, "turn": turn - 1, "text": question})
        n = max(1, len(text.split()))
        records.append({"kind": "user", "t": t + 2.0, "turn": turn, "text": text,
                        "audio": {"speech": [[0.2, 0.2 + n * 0.4]]}})
        t += 3.0 + n * 0.4
    records.append({"kind": "session_end", "t": t, "reason": "client_end", "summary": {}})
    report = build_report("s1", records, facts)
    render_html(report)  # renders without error
    return report


def figure(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in report["figures"] if f["key"] == key)


def test_no_answers_means_no_report_and_says_why():
    report = session()
    assert report["empty"] and "did not answer" in report["empty_reason"]
    assert report["work_on"] == [] and "No report for this session" in render_html(report)
    assert end_summary(report)["empty"] is True
    assert not figure(report, "wpm")["measured"]


def test_a_one_word_answer_is_not_judged():
    report = session("Yes.")
    answer = report["answers"][0]
    assert answer["star"] is None  # too short to hold a story
    verdict = answer["verdict"]
    assert verdict is None or "judge" in verdict["label"].lower()
    assert not any("Strong" in str(v) for v in report["work_on"])


def test_a_five_minute_monologue_gets_a_report():
    sentence = ("In my last job I ran the night shift at a warehouse and I changed how we "
                "loaded the trucks so the drivers left on time. ")
    report = session(sentence * 40)  # ~850 words, about five minutes said
    answer = report["answers"][0]
    assert answer["star"]["judged"] and answer["delivery"]["words"] > 800
    assert figure(report, "wpm")["measured"]
    assert len(report["work_on"]) <= 3


def test_recognition_garbage_gets_no_made_up_verdict():
    report = session("[BLANK_AUDIO] ♪ ♪ uh uh ... (inaudible) asdf qwer zxcv", "♪")
    for answer in report["answers"]:
        verdict = answer["verdict"]
        assert verdict is None or verdict["label"] in ("Too short to judge",
                                                        "Not enough to judge"), verdict
        assert not (answer["star"] or {}).get("parts", {}).get("result")


def test_a_language_the_feedback_does_not_read_says_so():
    german = PersonaFacts("bewerbung", "Anna", "interviewer", language="de")
    report = session("Ich habe in meinem letzten Job ein Projekt geleitet und wir haben es "
                     "zwei Wochen früher abgeschlossen, weil ich das Team neu organisiert habe.",
                     facts=german, question="Erzählen Sie von einem Projekt?")
    assert report["answers"][0]["star"] is None  # not read: never a wrong "no result"
    fillers = figure(report, "fillers_per_min")
    assert not fillers["measured"] and "English" in fillers["reason"]
    star = figure(report, "star_complete")
    assert star["measured"] is False and "English" in star["reason"]
