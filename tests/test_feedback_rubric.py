"""The model rubric for interviews and talks: asked only of a capable model, over a real HTTP
connection to a fake OpenAI-compatible endpoint, and shown only where every quote was said."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from store_backends import StoreMaker
from test_feedback_content import COMPLETE, NO_RESULT
from test_report import ANSWERS, any_store_with_clock, interview

from client.report import report_text
from voice_rp.feedback.language import FeedbackSettings
from voice_rp.feedback.report_html import render_html
from voice_rp.feedback.rubric import InterviewAnswer, interview_rubric, said_in, talk_rubric
from voice_rp.feedback.service import Reports
from voice_rp.personas import builtin_dirs

Reply = Callable[[str], str]


class _Coach(BaseHTTPRequestHandler):
    reply: ClassVar[Reply]
    requests: ClassVar[list[dict[str, Any]]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        content = type(self).reply(body["messages"][-1]["content"])
        data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                           "choices": [{"index": 0, "finish_reason": "stop", "message": {
                               "role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def coach() -> Iterator[tuple[FeedbackSettings, type[_Coach]]]:
    handler = type("Coach", (_Coach,), {"requests": [], "reply": staticmethod(lambda _: "{}")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = FeedbackSettings.from_env({
            "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
            "VOICE_RP_LLM_MODEL": "coach-70b", "VOICE_RP_FEEDBACK_MODELS": "coach-*"})
        yield settings, handler
    finally:
        server.shutdown()
        server.server_close()


def star(present: dict[str, list[str]], suggestion: str = "Put a number on it.") -> dict:
    return {**{p: {"present": bool(present.get(p)), "evidence": present.get(p, [])}
               for p in ("situation", "task", "action", "result")}, "suggestion": suggestion}


GOOD = {"answers": [
    {"answer": 1, **star({"situation": ["at my last job the support queue"],
                          "task": ["My task was to bring it down"],
                          "action": ["I set up a triage rota"],
                          "result": ["the backlog dropped from three weeks to two days"]},
                         "Say what you learnt in one closing sentence.")},
    {"answer": 2, **star({"situation": ["At my last job"], "action": ["I wrote templates"]})},
]}
ANSWERS_2 = [InterviewAnswer(1, "Tell me about a process you fixed?", COMPLETE),
             InterviewAnswer(2, "And another?", NO_RESULT)]


def test_a_good_rubric_is_kept_with_its_evidence(coach):
    settings, handler = coach
    handler.reply = staticmethod(lambda _: json.dumps(GOOD))
    result = interview_rubric(ANSWERS_2, settings)
    assert result["available"] and result["model"] == "coach-70b" and result["dropped"] == []
    first, second = result["answers"]
    assert all(p["present"] for p in first["parts"].values())
    assert first["parts"]["result"]["evidence"] == [
        "the backlog dropped from three weeks to two days"]
    assert second["parts"]["result"] == {"present": False, "evidence": []}
    asked = handler.requests[0]
    assert asked["model"] == "coach-70b" and asked["response_format"] == {"type": "json_object"}
    assert "ANSWER 2: " + NO_RESULT in asked["messages"][-1]["content"]


def test_praise_for_words_not_said_drops_that_answers_verdict(coach):
    settings, handler = coach
    invented = json.loads(json.dumps(GOOD))
    # The second answer has no result; the model claims one with a quote never said.
    invented["answers"][1]["result"] = {"present": True,
                                        "evidence": ["sales went up 40 percent"]}
    handler.reply = staticmethod(lambda _: json.dumps(invented))
    result = interview_rubric(ANSWERS_2, settings)
    assert [a["number"] for a in result["answers"]] == [1]
    [why] = result["dropped"]
    assert why.startswith("answer 2:") and "sales went up 40 percent" in why
    # A part called present with no quote at all is no better.
    bare = json.loads(json.dumps(GOOD))
    bare["answers"][0]["result"] = {"present": True, "evidence": []}
    handler.reply = staticmethod(lambda _: json.dumps(bare))
    assert [a["number"] for a in interview_rubric(ANSWERS_2, settings)["answers"]] == [2]


@pytest.mark.parametrize("raw", [
    "Great answers, well done!",  # prose, no JSON
    '{"answers": "all good"}',
    '{"verdict": []}',
    "[1, 2]",
])
def test_an_answer_that_is_not_the_rubric_asked_for_shows_none(coach, raw):
    settings, handler = coach
    handler.reply = staticmethod(lambda _: raw)
    result = interview_rubric(ANSWERS_2, settings)
    assert result["available"] is False and "garbled" in result["reason"]


def test_a_malformed_verdict_is_dropped_not_guessed(coach):
    settings, handler = coach
    odd = json.loads(json.dumps(GOOD))
    odd["answers"][0]["task"] = {"present": "yes", "evidence": "my task"}
    odd["answers"][1]["suggestion"] = ""
    odd["answers"].append({"answer": 7, **star({})})  # no such answer
    handler.reply = staticmethod(lambda _: json.dumps(odd))
    result = interview_rubric(ANSWERS_2, settings)
    assert result["available"] and result["answers"] == []
    assert len(result["dropped"]) == 2


def test_the_embedded_model_is_never_asked(coach):
    _, handler = coach
    for settings in (FeedbackSettings.from_env({}), FeedbackSettings(
            base_url="http://127.0.0.1:9/v1", model="smollm2-135m")):
        result = interview_rubric(ANSWERS_2, settings)
        assert result["available"] is False and "language model" in result["reason"]
        assert "SmolLM2" not in result["reason"]  # setup advice is for the server's log
    assert "SmolLM2-135M" in (FeedbackSettings().setup_hint("rubric") or "")
    assert handler.requests == []


def test_an_unreachable_model_is_reported():
    settings = FeedbackSettings(base_url="http://127.0.0.1:9/v1", model="coach",
                                capable_models=("coach",), timeout_s=2.0)
    result = interview_rubric(ANSWERS_2, settings)
    assert result["available"] is False and "could not be reached" in result["reason"]


TALK = ("Good morning. Today I want to talk about sleep. First, it helps memory. Second, it "
        "helps mood. Finally, thank you for listening.")
QA = [("Does coffee hurt sleep?", "Yes, coffee after noon can keep you awake at night.")]


def talk_verdict(**change: Any) -> dict[str, Any]:
    verdict = {"structure": {"opening": {"present": True, "evidence": ["today i want to talk"]},
                             "points": {"present": True, "evidence": ["first it helps memory",
                                                                      "second it helps mood"]},
                             "closing": {"present": True,
                                         "evidence": ["thank you for listening"]}},
               "clarity": {"rating": 4, "comment": "Short, plain sentences.",
                           "evidence": ["it helps mood"]},
               "questions": [{"question": 1, "handled": "well", "comment": "Direct answer.",
                              "evidence": ["coffee after noon"]}],
               "suggestion": "Give one example for each point."}
    verdict.update(change)
    return verdict


def test_a_talk_rubric_and_its_checks(coach):
    settings, handler = coach
    handler.reply = staticmethod(lambda _: json.dumps(talk_verdict()))
    result = talk_rubric(TALK, QA, settings)
    assert result["available"] and result["clarity"]["rating"] == 4
    assert result["questions"][0]["evidence"] == ["coffee after noon"]
    # Evidence for a question quoted from the talk, not from that question's answer: refused.
    handler.reply = staticmethod(lambda _: json.dumps(talk_verdict(questions=[
        {"question": 1, "handled": "well", "comment": "Fine.", "evidence": ["helps memory"]}])))
    result = talk_rubric(TALK, QA, settings)
    assert result["available"] is False and "helps memory" in result["reason"]
    handler.reply = staticmethod(lambda _: json.dumps(talk_verdict(clarity={
        "rating": 9, "comment": "x", "evidence": []})))
    assert "garbled" in talk_rubric(TALK, QA, settings)["reason"]


def test_quotes_must_be_said_and_long_enough():
    assert said_in("The BACKLOG, dropped", "as a result the backlog dropped from")
    assert not said_in("backlog", "the backlog dropped")  # one word proves nothing
    assert not said_in("the backlog rose", "the backlog dropped")


def test_the_report_shows_the_rubric_or_why_not(make_store: StoreMaker, coach):
    settings, handler = coach
    store, clock = any_store_with_clock(make_store)
    sid = interview(store, clock)
    first_text = ANSWERS[0][1]
    handler.reply = staticmethod(lambda _: json.dumps({"answers": [
        {"answer": 1, **star({"situation": ["at my last job"], "task": ["my task was"],
                              "action": ["I set up a triage rota"],
                              "result": ["from three weeks to two days"]},
                             "Name the tool you used.")},
        {"answer": 2, **star({"result": ["we doubled revenue"]})}]}))
    reports = Reports(store, builtin_dirs(), settings)
    report = reports.report(sid)
    rubric = report["content"]["rubric"]
    assert rubric["available"] and [a["number"] for a in rubric["answers"]] == [1]
    assert report["answers"][0]["rubric"]["suggestion"] == "Name the tool you used."
    assert "rubric" not in report["answers"][1]
    assert "from three weeks to two days" in first_text
    html = render_html(report)
    assert "Model suggests: Name the tool you used." in html
    assert "we doubled revenue" in html and "Not shown: answer 2" in html
    assert "model STAR [S T A R]" in report_text(report)
    reports.report(sid)
    assert len(handler.requests) == 1  # judged once, then read back
    # History never asks; without a capable model the report says why and keeps the rules' STAR.
    reports.history()
    assert len(handler.requests) == 1
    plain = Reports(store, builtin_dirs()).report(sid)
    assert plain["content"]["rubric"]["available"] is False
    assert plain["answers"][0]["star"]["parts"]["result"] is True
    assert "needs a capable chat model" in render_html(plain)
