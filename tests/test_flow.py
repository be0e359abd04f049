"""Scenario flows: schema errors an author sees, and the engine's stage decisions (no I/O)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from voice_rp.errors import PersonaError
from voice_rp.fidelity import words
from voice_rp.flow import FlowEngine, Step
from voice_rp.personas import Persona, builtin_dirs, find_persona, load_persona, persona_files

GOOD = ("In my last job a colleague kept missing deadlines. I talked to him privately, I set up "
        "weekly check-ins and I shared my planning sheet. In the end we delivered the release on "
        "time and he thanked me.")
VAGUE = "We fixed it together."


def flow_persona(flow: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "interviewer",
        "character": {"name": "Ada", "background": "A manager.", "personality": "Fair."},
        "scenario": {"setting": "An office.", "objective": "Interview.",
                     "opening_line": "Hi, I'm Ada."},
        "flow": flow,
    }


def small_flow() -> dict[str, Any]:
    return {
        "questions": ["Q one?", "Q two?", "Q three?"],
        "follow_ups": {"too_short": ["Tell me more?"]},
        "stages": [
            {"id": "ask", "instruction": "Ask.", "ask": "bank", "questions": 2, "next": "end"},
            {"id": "end", "instruction": "Close.", "line": "Bye.", "end": True},
        ],
    }


def load(tmp_path: Path, data: Any) -> Persona:
    path = tmp_path / "ada.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_persona(path)


# --------------------------------------------------------------------------- schema


def _mutate(flow: dict, where: str, value: Any) -> None:
    target: Any = flow
    *path, last = where.split(".")
    for key in path:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is None:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value


@pytest.mark.parametrize(
    ("where", "value", "field", "problem"),
    [
        ("stages", [], "flow.stages", "at least one stage"),
        ("stages", "ask", "flow.stages", "expected a list"),
        ("stages.0.instruction", None, "flow.stages[0].instruction", "missing required field"),
        ("stages.0.ask", "bnak", "flow.stages[0].ask", "did you mean 'bank'?"),
        ("stages.0.questions", 0, "flow.stages[0].questions", "needs how many questions"),
        ("stages.0.questions", 5, "flow.stages[0].questions", "the bank has 3"),
        ("stages.0.next", "ending", "flow.stages[0].next", "no stage is called 'ending'"),
        ("stages.0.nxt", "end", "flow.stages[0].nxt", "did you mean 'next'?"),
        ("stages.1.end", "yes", "flow.stages[1].end", "expected true or false"),
        ("stages.1.line", None, "flow.stages[1].line", "needs the closing line"),
        ("stages.1.id", "ask", "flow.stages[1].id", "two stages are called 'ask'"),
        ("stages.0.transitions", [{"to": "end"}], "flow.stages[0].transitions[0]",
         "exactly one of after_answers"),
        ("stages.0.transitions", [{"to": "end", "after_answers": 2, "after_s": 5}],
         "flow.stages[0].transitions[0]", "exactly one of"),
        ("stages.0.transitions", [{"to": "nowhere", "after_answers": 2}],
         "flow.stages[0].transitions[0].to", "no stage is called 'nowhere'"),
        ("stages.0.transitions", [{"to": "end", "on_phrase": "stop"}],
         "flow.stages[0].transitions[0].on_phrase", "expected a list of text"),
        ("questions", None, "flow.stages[0].ask", "needs flow.questions"),
        ("questions.1", {"text": "Q?", "difficulty": ["hard"]}, "flow.questions[1].difficulty",
         "must be among friendly, neutral, tough"),
        ("questions.1", {"txt": "Q?"}, "flow.questions[1].txt", "did you mean 'text'?"),
        ("follow_ups.vague", ["More?"], "flow.follow_ups.vague", "unknown field"),
        ("talk_questions", ["What about it?"], "flow.talk_questions[0]", "needs {phrase}"),
        ("facts", [{"say": "It's 42."}], "flow.facts[0].when", "missing required field"),
    ],
)
def test_flow_schema_errors_name_the_field(tmp_path: Path, where: str, value: Any, field: str,
                                           problem: str) -> None:
    flow = small_flow()
    _mutate(flow, where, value)
    with pytest.raises(PersonaError) as caught:
        load(tmp_path, flow_persona(flow))
    assert caught.value.field == field
    assert problem in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "ada.yaml"))


def test_a_flow_with_no_end_stage_is_refused(tmp_path: Path) -> None:
    flow = small_flow()
    flow["stages"] = [{"id": "ask", "instruction": "Ask.", "ask": "bank", "questions": 2,
                       "next": "ask"}]
    with pytest.raises(PersonaError, match="never close"):
        load(tmp_path, flow_persona(flow))


def test_a_stage_that_leads_nowhere_is_refused(tmp_path: Path) -> None:
    flow = small_flow()
    flow["stages"][0] = {"id": "ask", "instruction": "Ask."}
    with pytest.raises(PersonaError, match="needs next, transitions or end"):
        load(tmp_path, flow_persona(flow))


@pytest.mark.parametrize("persona_id", sorted(persona_files(builtin_dirs())))
def test_every_builtin_has_a_flow_that_closes(persona_id: str) -> None:
    persona = find_persona(persona_id, builtin_dirs())
    assert persona.flow is not None
    assert any(stage.end for stage in persona.flow.stages)


@pytest.mark.parametrize("persona_id",
                         ["behavioural-interviewer", "technical-screener", "interview-panel"])
def test_interviewers_have_a_bank_of_at_least_eight_questions(persona_id: str) -> None:
    flow = find_persona(persona_id, builtin_dirs()).flow
    assert flow is not None
    assert len({q.text for q in flow.bank}) >= 8


# --------------------------------------------------------------------------- the engine


def engine(persona_id: str, seed: int = 1) -> tuple[FlowEngine, str]:
    persona = find_persona(persona_id, builtin_dirs())
    assert persona.flow is not None
    flow = FlowEngine(persona.flow, difficulty=persona.difficulty, rng=random.Random(seed))
    return flow, flow.opening(persona.scenario.opening_line)


def run(flow: FlowEngine, answers: list[str]) -> list[Step]:
    steps = []
    for n, answer in enumerate(answers):
        steps.append(flow.on_user_turn(answer, float(n)))
        if steps[-1].closing:
            break
    return steps


def test_interview_asks_distinct_questions_then_the_candidates_questions_then_closes() -> None:
    flow, opening = engine("behavioural-interviewer")
    assert opening.startswith("Hi, I'm Maya Chen") and opening.endswith("?")
    steps = run(flow, [GOOD] * 5 + ["What does a normal day on the team look like?",
                                    "No more questions, thank you."])
    kinds = [s.kind for s in steps]
    assert kinds == ["question"] * 4 + ["line", "free", "closing"]
    assert len(set(flow.asked)) == 5  # the opening's question and four more, none repeated
    assert all(s.acknowledge for s in steps[:4])
    assert "What would you like to ask me" in steps[4].say
    assert steps[5].instruction.startswith("Answer the candidate's question")
    assert steps[-1].closing and "Goodbye" in steps[-1].say


def test_two_sessions_draw_different_questions_and_a_seed_repeats_one() -> None:
    first, second, again = engine("technical-screener", 1), engine("technical-screener", 2), \
        engine("technical-screener", 1)
    for flow, _ in (first, second, again):
        run(flow, [GOOD] * 5)
    assert first[0].asked != second[0].asked
    assert first[0].asked == again[0].asked


@pytest.mark.parametrize(("answer", "reason_line"), [
    ("I managed it.", "Could you tell me a bit more"),
    ("We planned the release carefully, we split the work between us and we talked every day "
     "about what was blocking us, and in the end we shipped on time.", "What did you do yourself"),
    ("I sat down with my manager and I listed every task I had that week, then I went through "
     "them one by one with her and I talked to each person involved about the deadlines.",
     "result"),
])
def test_a_vague_answer_gets_the_engines_follow_up(answer: str, reason_line: str) -> None:
    flow, _ = engine("behavioural-interviewer")
    step = flow.on_user_turn(answer, 1.0)
    assert step.kind == "follow_up" and step.expects_question
    lines = {line for lines in (flow.flow.follow_ups or {}).values() for line in lines}
    assert step.say in lines
    assert any(reason_line.lower() in line.lower() for line in
               next(v for v in (flow.flow.follow_ups or {}).values() if step.say in v))


def test_one_follow_up_per_question_then_the_next_question() -> None:
    flow, _ = engine("behavioural-interviewer")
    steps = run(flow, [VAGUE, VAGUE, VAGUE])
    assert [s.kind for s in steps] == ["follow_up", "question", "follow_up"]


def test_the_audience_listens_then_asks_about_the_talks_own_words_then_closes() -> None:
    flow, opening = engine("talk-audience")
    assert "?" not in opening
    talk = ("Today I want to talk about remote teams. Remote teams need written communication. "
            "Daily standups help remote teams stay aligned, and written communication keeps "
            "decisions visible. Thank you for listening.")
    steps = run(flow, [talk, "Mostly by writing things down.", "Tools matter less than habits.",
                       "Thanks for the questions."])
    assert [s.kind for s in steps] == ["question", "question", "question", "closing"]
    assert "remote teams" in steps[0].say
    for step in steps[1:3]:
        phrase_words = set(words(step.say))
        assert phrase_words & {"written", "communication", "daily", "standups", "decisions"}
    assert len({s.say for s in steps}) == 4


def test_the_caller_gives_facts_escalates_when_ignored_calms_when_helped_ends_when_solved(
) -> None:
    flow, _ = engine("customer-caller")
    fact = flow.on_user_turn("Can I have your account number please?", 1.0)
    assert fact.kind == "fact" and "four four two" in fact.say
    ignored = run(flow, ["Did you pay your bill?", "Hmm.", "Please hold."])
    assert ignored[-1].stage == "annoyed"
    helped = flow.on_user_turn("I'm sorry about that, let me send a technician.", 5.0)
    assert helped.stage == "calmer" and "thank you" in helped.say.lower()
    solved = flow.on_user_turn("The technician will be there tomorrow morning.", 6.0)
    assert solved.closing and solved.stage == "solved"


def test_the_caller_gives_up_when_never_helped() -> None:
    flow, _ = engine("customer-caller")
    steps = run(flow, ["Hmm."] * 8)
    assert steps[-1].closing and steps[-1].stage == "gave_up"


def test_the_language_partner_switches_topic_when_the_learner_stalls() -> None:
    flow, opening = engine("spanish-partner")
    first_topic = flow.asked[0]
    going = flow.on_user_turn("Estoy bien, gracias, he desayunado pan con tomate.", 1.0)
    assert going.kind == "topic" and going.say not in [t.text for t in flow.flow.topics]
    stuck = flow.on_user_turn("Eh... no sé.", 2.0)
    assert stuck.say in [t.text for t in flow.flow.topics] and stuck.say != first_topic
    assert opening.endswith(first_topic)


def test_the_language_partner_closes_after_its_topics() -> None:
    flow, _ = engine("english-partner")
    steps = run(flow, ["um"] * 10)
    assert steps[-1].closing
    assert len(steps) == 3  # two more topics after the opening's, then goodbye


def test_the_learner_who_stalls_twice_hears_goodbye_after_the_sixth_answer() -> None:
    """The transcripts of a live session in which tiny.en bent the first "Um... I don't know."
    into "I might don't know.": the partner must still change the topic, and so reach its
    goodbye when the learner stalls again."""
    flow, _ = engine("english-partner")
    topics = [t.text for t in flow.flow.topics]
    steps = run(flow, ["I'm fine, thanks, this morning I went to the market.",
                       "I might don't know.",
                       "I like cooking pasta with tomato sauce for my family",
                       "My grandmother taught me this recipe.",
                       "Yes, you should try a soup from my country",
                       "I don't know."])
    assert steps[1].say in topics
    assert len(steps) == 6 and steps[-1].closing


def test_a_transition_on_time_moves_on(tmp_path: Path) -> None:
    data = small_flow()
    data["stages"][0]["transitions"] = [{"after_s": 60, "to": "end"}]
    persona = load(tmp_path, flow_persona(data))
    assert persona.flow is not None
    flow = FlowEngine(persona.flow, rng=random.Random(0), now=0.0)
    flow.opening("Hi.")
    assert flow.on_user_turn(GOOD, 30.0).kind == "question"
    assert flow.on_user_turn(GOOD, 61.0).closing


def test_after_follow_ups_transition(tmp_path: Path) -> None:
    data = small_flow()
    data["stages"][0]["max_follow_ups"] = 2
    data["stages"][0]["transitions"] = [{"after_follow_ups": 2, "to": "end"}]
    persona = load(tmp_path, flow_persona(data))
    assert persona.flow is not None
    flow = FlowEngine(persona.flow, rng=random.Random(0))
    flow.opening("Hi.")
    assert [flow.on_user_turn(VAGUE, t).kind for t in (1.0, 2.0, 3.0)] == [
        "follow_up", "follow_up", "closing"]


def test_finish_closes_from_any_stage() -> None:
    flow, _ = engine("behavioural-interviewer")
    step = flow.finish()
    assert step.closing and "Goodbye" in step.say
    assert flow.on_user_turn(GOOD, 1.0).closing
