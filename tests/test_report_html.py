"""The HTML report as the person who practised reads it: plain words with each term explained,
at most three things to work on, a verdict per answer, the figures exactly as the report
computed them, the misheard-word form, and engineering detail only in a collapsed section.

The STAR classifier is replaced by a scripted one here (the sentences each answer's parts are in):
these tests are about the page, not the classifier.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any

import pytest
from star_script import scripted_star_answer

from voice_rp.feedback import report as report_module
from voice_rp.feedback.language import FeedbackSettings, language_feedback
from voice_rp.feedback.report import PersonaFacts, build_report
from voice_rp.feedback.report_html import REPORT_CSP, goal_phrase, render_html
from voice_rp.feedback.rubric import interview_rubric

QUESTIONS_AND_ANSWERS = [
    ("Tell me about a time you fixed a process?",
     "At my last job the support queue had a backlog of three weeks. My task was to bring it "
     "down. I set up a triage rota and I wrote templates. As a result the backlog dropped from "
     "three weeks to two days."),
    ("Tell me about a time you disagreed with a colleague?",
     "In my last job I coordinated a website launch for a client. Two weeks before the deadline "
     "our designer left. We talked about it as a team and we changed a few things. In the end "
     "it went well."),
    ("Why do you want this job?", "Yes."),
]
STAR_PARTS = {  # the scripted classifier: which sentences of each answer are which part
    0: {"situation": [0], "task": [1], "action": [2], "result": [3],
        "measurable": ["from three weeks to two days"]},
    1: {"situation": [0, 1], "action": [2], "vague_result": [3]},
}


@pytest.fixture
def scripted_star(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_module, "star_answer", scripted_star_answer(
        [a for _, a in QUESTIONS_AND_ANSWERS], STAR_PARTS, i_count=2))


def interview_records(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """A saved interview: each question, the user's speech and answer, timings and metrics."""
    records: list[dict[str, Any]] = [{"kind": "session_start", "t": 0.0,
                                      "persona": "behavioural-interviewer"}]
    t = 0.0
    for turn, (question, text) in enumerate(pairs, start=1):
        t += 3.0
        records += [{"kind": "reply", "t": t, "turn": turn - 1, "text": question,
                     "interrupted": False, "speaker": "Dana", "audio_ms": 2500},
                    {"kind": "metrics", "t": t, "turn": turn - 1,
                     "stages": {"response_ms": 700.0 + 100 * turn}}]
        t += 1.0
        records.append({"kind": "speech_start", "t": t, "turn": turn})
        t += 12.0
        records.append({"kind": "user", "t": t, "turn": turn, "text": text, "audio": {
            "duration_s": 12.5, "speech": [[0.2, 5.0], [6.6, 12.0]], "pitch_range_st": 4.0}})
    records.append({"kind": "session_end", "t": t + 1.0, "reason": "client_end",
                    "summary": {}})
    return records


def interview_report(**extra: Any) -> dict[str, Any]:
    report = build_report("s1", interview_records(QUESTIONS_AND_ANSWERS),
                          PersonaFacts("behavioural-interviewer", "Dana", "interviewer"))
    report.update(extra)
    return report


def main_part(html: str) -> str:
    """The page above its collapsed sections (transcript, technical details)."""
    return html.split("<details class='transcript'>")[0].split("<details class='technical'>")[0]


def test_every_figure_is_shown_as_the_report_computed_it(scripted_star: None):
    report = interview_report()
    html = render_html(report)
    assert report["figures"], "the report computes the figures"
    for f in report["figures"]:
        assert re.search(rf"data-key='{f['key']}'", html), f["key"]
        assert f["label"].replace('"', "&quot;") in html
        assert str(f["text"]).replace('"', "&quot;") in html
    # The raw delivery numbers are not formatted by the page itself.
    assert f"{report['delivery']['wpm']} " not in main_part(html)


def test_what_to_work_on_comes_first_with_the_users_words(scripted_star: None):
    html = render_html(interview_report())
    main = main_part(html)
    work = main.split("id='work-h'")[1].split("</section>")[0]
    assert main.index("What to work on") < main.index("How it went") < main.index("Your answers")
    assert work.count("<li>") <= 3
    assert "Say how it turned out" in work and "In the end it went well." in work
    assert "Try:" in work


def test_each_answer_has_a_verdict_and_its_star_parts_quoted(scripted_star: None):
    html = render_html(interview_report())
    first, second, third = (html.split(f"id='answer-{n}'")[1].split("</article>")[0]
                            for n in (1, 2, 3))
    assert "Strong answer." in first and "As a result the backlog dropped" in first
    assert "A result you can measure: <q>from three weeks to two days</q>" in first
    assert "Needs a clear result." in second and "No result was heard" in second
    assert "too vague to count as a result: <q>In the end it went well.</q>" in second
    assert "Too short to judge." in third
    assert "Interviewers listen for four parts" in html  # STAR explained where it appears


def test_engineering_detail_is_only_in_the_collapsed_technical_details(scripted_star: None):
    report = interview_report()
    report["technical"]["setup_hints"] = [
        "Language corrections need a capable chat model: the embedded SmolLM2-135M is too "
        "small. Set OPENAI_BASE_URL and VOICE_RP_LLM_MODEL."]
    html = render_html(report)
    main = re.sub(r"<[^>]*>", " ", main_part(html).split("<body")[1])  # the words shown
    for jargon in ("latency", "SmolLM2", "OPENAI_BASE_URL", " ms", "wpm", "onset", " st "):
        assert jargon not in main, jargon
    technical = html.split("<details class='technical'>")[1]
    assert technical.startswith("<summary><h2>Technical details</h2>")
    assert "aria-label='reply latency per turn'" in technical and "SmolLM2" in technical
    assert "<details class='technical' open" not in html


def test_goals_read_in_plain_words():
    assert goal_phrase("pace 130-160") == "Pace: between 130 and 160 words a minute"
    assert goal_phrase("onset under 2") == "Time before you start answering: at most 2 seconds"
    assert goal_phrase("star at least 75") == ("Answers with all four STAR parts: at least 75% "
                                               "of them")
    assert goal_phrase("be awesome") == "be awesome"


def test_goals_show_whether_they_were_reached_with_the_figure(scripted_star: None):
    report = interview_report(goals=[
        {"id": 1, "goal": "pace 130-160", "metric": "wpm", "value": 170.0, "met": False},
        {"id": 2, "goal": "onset under 2", "metric": "onset_s", "value": None, "met": None}])
    goals = render_html(report).split("id='goals-h'")[1].split("</section>")[0]
    wpm = next(f for f in report["figures"] if f["key"] == "wpm")
    assert "Pace: between 130 and 160 words a minute — <span class='missed'>not reached yet"\
        in goals and f"This session: {wpm['text']}" in goals
    assert "not measured in this session" in goals
    assert "onset under 2" not in goals


def test_a_misheard_word_can_be_fixed_from_each_answer(scripted_star: None):
    report = interview_report(corrections=[
        {"index": 0, "answer": 1, "heard": "try age", "said": "triage"}])
    report["answers"][0]["heard"] = report["answers"][0]["text"].replace("triage", "try age")
    html = render_html(report)
    first = html.split("id='answer-1'")[1].split("</article>")[0]
    assert "Recognised as: " in first and "set up a try age rota" in first
    assert "data-undo='0'" in first and "Heard “try age”, you said “triage”" in first
    for n in (1, 2, 3):
        assert f"<form class='fix-form' data-answer='{n}'>" in html
        assert f"<label for='heard-{n}'>" in html and f"<label for='said-{n}'>" in html
    assert "python -m client report s1 --fix 1 HEARD SAID" in first
    # The one script is allowed by its hash in the header the server sends with the page.
    script = html.split("<script>")[1].split("</script>")[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in REPORT_CSP and html.count("<script>") == 1


def test_an_empty_session_gets_a_short_page_saying_why():
    report = build_report("s2", [{"kind": "session_start", "t": 0.0},
                                 {"kind": "reply", "t": 1.0, "turn": 0, "text": "Hello?",
                                  "speaker": "Dana"},
                                 {"kind": "session_end", "t": 2.0, "reason": "client_end"}],
                          PersonaFacts("behavioural-interviewer", "Dana", "interviewer"))
    html = render_html(report)
    assert "No report for this session" in html and "What to work on" not in html
    assert "<script>" not in html
    assert render_html({"session": "old", "answers": []}).count("No report") == 2  # title too


def test_a_language_report_lists_the_mistakes_that_came_back():
    records = [{"kind": "session_start", "t": 0.0, "persona": "english-partner"},
               {"kind": "user", "t": 5.0, "turn": 1,
                "text": "Yesterday I have went to the market with my sister."}]
    report = build_report("s3", records, PersonaFacts("english-partner", "Sam",
                                                      "language_partner"),
                          language=lambda turns, lang: language_feedback(
                              turns, lang, FeedbackSettings()))
    report["content"]["mistakes"] = [{"said": "I have went", "better": "I went",
                                      "why": "Past tense.", "count": 2, "answers": [1]}]
    html = render_html(report)
    assert "Mistakes that came back" in html
    assert "You said “I have went” → better “I went” <span class='count'>said 2 times" in html
    del report["content"]["mistakes"]  # an older report: the model's reason, in plain words
    assert "Grammar corrections need a larger language model" in main_part(render_html(report))


def test_a_talk_reads_as_structure_and_the_audiences_questions():
    talk = ("Good morning. Today I want to talk about sleep. First, it helps memory. Second, "
            "it helps mood. We should all sleep more.")
    records = [{"kind": "session_start", "t": 0.0, "persona": "talk-audience"},
               {"kind": "user", "t": 20.0, "turn": 0, "text": talk,
                "audio": {"speech": [[0.0, 12.0]], "pitch_range_st": 2.0}},
               {"kind": "reply", "t": 22.0, "turn": 0, "text": "How much sleep do you need?",
                "interrupted": False, "speaker": "Audience", "audio_ms": 1500},
               {"kind": "user", "t": 30.0, "turn": 1,
                "text": "Most adults need seven to nine hours, and teenagers need more than that."}]
    report = build_report("s4", records, PersonaFacts("talk-audience", "Audience", "audience",
                                                      "monologue", "en", 180.0))
    html = render_html(report)
    assert "How the talk was built" in html and "Your talk" in html
    assert "No closing was heard" in html
    assert "The audience's questions" in html and "Question 1 and your answer" in html
    assert "How much sleep do you need?" in html


def test_setup_hints_go_to_the_log_and_the_user_reads_a_plain_reason(
        caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO, logger="voice_rp.feedback")
    result = language_feedback([(1, "I has a cat.")], "en", FeedbackSettings())
    assert result["reason"] == ("Grammar corrections need a larger language model than the "
                                "one this server runs.")
    assert "OPENAI_BASE_URL" in caplog.text and "SmolLM2" in caplog.text
    rubric = interview_rubric([], FeedbackSettings())
    assert "OPENAI" not in rubric["reason"]
    assert FeedbackSettings().setup_hint("rubric") is not None
    unreachable = FeedbackSettings(base_url="http://127.0.0.1:9/v1", model="gpt-4o-x",
                                   timeout_s=0.5)
    result = language_feedback([(1, "I has a cat.")], "en", unreachable)
    assert "127.0.0.1" not in result["reason"] and "could not be reached" in result["reason"]
