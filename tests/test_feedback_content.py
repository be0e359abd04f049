"""Content feedback: STAR per interview answer, talk structure, and language corrections that
come only from a capable model and only for words really said."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from voice_rp.feedback.content import star_answer, talk_structure, vocabulary
from voice_rp.feedback.language import FeedbackSettings, language_feedback, validate

COMPLETE = ("At my last job the support queue had a backlog of three weeks. My task was to bring "
            "it down before the product launch. I set up a triage rota and I wrote templates for "
            "the ten most common questions. As a result the backlog dropped from three weeks to "
            "two days, and satisfaction went up 15 percent.")
NO_RESULT = ("At my last job the support queue had a long backlog. My task was to bring it down. "
             "I set up a triage rota and I wrote templates for the common questions and I talked "
             "to the team every morning about the queue.")
ALL_WE = ("At my last job our team had a long backlog. We needed to bring it down. We set up a "
          "triage rota and we wrote templates, and we talked every morning. In the end we "
          "reduced the backlog by half.")


def test_a_complete_star_answer_shows_each_part_with_its_words():
    a = star_answer(1, "Tell me about a time you improved a process?", COMPLETE)
    assert a.parts == {"situation": True, "task": True, "action": True, "result": True}
    # Each part quotes the whole sentence the user said that carries it.
    assert a.situation == ["At my last job the support queue had a backlog of three weeks."]
    assert a.task == ["My task was to bring it down before the product launch."]
    assert a.action[0].startswith("I set up a triage rota")
    assert a.result[0].startswith("As a result the backlog dropped")
    # The measure is in the result; the backlog's "three weeks" in the situation is context.
    assert a.measurable == ["from three weeks to two days"]
    assert a.i_count > a.we_count


def test_a_missing_result_is_reported_and_is_the_suggestion():
    a = star_answer(1, "q?", NO_RESULT)
    assert a.parts["result"] is False and a.result == []
    assert a.parts["action"] and a.parts["situation"] and a.parts["task"]
    assert a.suggestion.startswith("End with the result")
    assert not a.measurable


def test_an_all_we_answer_is_told_to_say_i():
    a = star_answer(1, "q?", ALL_WE)
    assert a.i_count == 1 and a.we_count >= 5  # "my" in "at my last job"
    assert "\"we\"" in a.suggestion and "\"I\"" in a.suggestion


def test_talk_structure_and_time_limit():
    talk = ("Good morning. Today I want to talk about sleep. First, sleep helps memory. Second, it "
            "helps mood. Finally, it keeps you healthy. " + "More words here. " * 20 +
            "So remember to sleep. Thank you for listening.")
    s = talk_structure(talk, 200.0, 180.0, ["Yes.", "Because it matters a lot for your health."])
    assert "good morning" in s.opening and "today" in s.opening
    assert {"first", "second", "finally"} <= set(s.points)
    assert "thank you" in s.closing
    assert any("over the 180 s limit" in n for n in s.notes)
    assert any("very short answer" in n for n in s.notes)
    bare = talk_structure("sleep is good " * 30, 100.0, 180.0, [])
    assert bare.opening == [] and bare.closing == []
    assert any("No clear opening" in n for n in bare.notes)


def test_vocabulary_range():
    assert vocabulary(["the cat sat on the mat"])["distinct"] == 5
    varied = vocabulary([" ".join(f"w{i}" for i in range(120))])
    repeated = vocabulary(["go " * 120])
    assert varied["ratio"] == 1.0 and repeated["ratio"] < 0.1


# -- language corrections -------------------------------------------------------------------------

LEARNER = [(1, "Yesterday I have went to the market with my sister"),
           (2, "We buyed some apples and it was very nice")]


class _Teacher(BaseHTTPRequestHandler):
    """A fake capable model: corrects the mistakes it finds in the learner's turns, and (when
    told to) also invents one the learner never made."""

    invent = False
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        said = body["messages"][-1]["content"]
        corrections = []
        if "have went" in said:
            corrections.append({"turn": 1, "said": "I have went", "better": "I went",
                                "why": "Use the simple past with 'yesterday'."})
        if "buyed" in said:
            corrections.append({"turn": 2, "said": "We buyed", "better": "We bought",
                                "why": "'Buy' is irregular."})
        if self.invent:
            corrections.append({"turn": 2, "said": "I goes home", "better": "I go home",
                                "why": "invented"})
        content = json.dumps({"level": "A2", "corrections": corrections})
        reply = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                "role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def teacher() -> Iterator[tuple[str, type[_Teacher]]]:
    handler = type("Teacher", (_Teacher,), {"requests": [], "invent": False})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_capable_model_corrects_the_known_mistake(teacher):
    url, handler = teacher
    settings = FeedbackSettings.from_env({"OPENAI_BASE_URL": url, "VOICE_RP_LLM_MODEL": "tutor-70b",
                                          "VOICE_RP_FEEDBACK_MODELS": "tutor-*"})
    result = language_feedback(LEARNER, "English", settings)
    assert result["available"] and result["level"] == "A2"
    pairs = {(c["said"], c["better"]) for c in result["corrections"]}
    assert pairs == {("I have went", "I went"), ("We buyed", "We bought")}
    assert "have went" in handler.requests[0]["messages"][-1]["content"]


def test_an_invented_correction_is_dropped(teacher):
    url, handler = teacher
    handler.invent = True
    settings = FeedbackSettings(base_url=url, model="tutor", capable_models=("tutor",))
    result = language_feedback(LEARNER, "English", settings)
    assert all(c["said"] != "I goes home" for c in result["corrections"])
    assert result["rejected"] == 1 and len(result["corrections"]) == 2


def test_the_embedded_model_is_never_asked_and_the_report_says_why():
    result = language_feedback(LEARNER, "English", FeedbackSettings.from_env({}))
    assert result["available"] is False and result["corrections"] == []
    assert "larger language model" in result["reason"] and "SmolLM2" not in result["reason"]
    assert "SmolLM2-135M" in (FeedbackSettings.from_env({}).setup_hint() or "")
    named = FeedbackSettings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                                       "VOICE_RP_LLM_MODEL": "smollm2-135m"})
    assert "not listed as capable" in (named.unavailable_reason() or "")


def test_malformed_model_output_shows_nothing():
    assert validate("I think you did well!", dict(LEARNER))[0] is None
    kept, level, rejected = validate('{"level": "Z9", "corrections": [{"said": "went", '
                                     '"better": "went", "why": "same"}, 5]}', dict(LEARNER))
    assert kept == [] and level is None and rejected == 2
