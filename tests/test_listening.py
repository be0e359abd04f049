"""The partner listens: each user turn is read for its kind, and the reply fits it.

I/O-free: `read_turn` and `respond` on text, and the turn controller on the fake harness with
the built-in personas' real flows. The labelled sets are measured in test_turn_kind_set.py.
"""

from __future__ import annotations

import random

import pytest
from controller_harness import Harness, persona

from voice_rp import events as ev
from voice_rp import turn_commands as cmd
from voice_rp.flow import FlowEngine
from voice_rp.listening.respond import Listening, character_fact, respond, said_clause
from voice_rp.listening.turn_kind import TurnKind, read_turn
from voice_rp.memory import SessionMemory
from voice_rp.safety import crisis


@pytest.mark.parametrize(("text", "kind"), [
    ("Honestly, after so many rejections I sometimes feel like I want to hurt myself.",
     TurnKind.DISTRESS),
    ("i dont see the point of anything anymore", TurnKind.DISTRESS),
    ("A veces pienso en quitarme la vida.", TurnKind.DISTRESS),
    ("J'ai envie de mourir.", TurnKind.DISTRESS),
    ("My boss said 'I could kill him' when the build broke, and we laughed.", TurnKind.ANSWER),
    ("We killed the project after the pilot, and I moved the team to billing.", TurnKind.ANSWER),
    ("Are you a real person or a computer?", TurnKind.AI_CHECK),
    ("¿Eres una persona o un robot?", TurnKind.AI_CHECK),
    ("Sorry, I don't understand the word you used. Can you say it more simply?",
     TurnKind.CLARIFY),
    ("What do you like to do on weekends?", TurnKind.QUESTION),
    ("Can you tell me more about the team I would join?", TurnKind.QUESTION),
    ("I don't know.", TurnKind.STALL),
    ("Um, uh.", TurnKind.STALL),
    ("You're useless, shut up.", TurnKind.ABUSE),
    ("My colleague called me an idiot in front of the client.", TurnKind.ANSWER),
    ("Can we stop here, please?", TurnKind.STOP),
    ("I quit my last job because the commute was two hours.", TurnKind.ANSWER),
    ("", TurnKind.STALL),
])
def test_turns_are_read_by_kind(text: str, kind: TurnKind) -> None:
    assert read_turn(text, language="en", persona_kind="interviewer").kind is kind


def test_the_agents_questions_to_a_caller_are_the_practice_itself() -> None:
    reading = read_turn("Can you give me your order number please?", persona_kind="caller")
    assert reading.kind is TurnKind.ANSWER


def _interview(name: str = "behavioural-interviewer") -> tuple[FlowEngine, object]:
    who = persona(name, flow=True)
    engine = FlowEngine(who.flow, rng=random.Random(3))
    engine.opening("Hi.")
    return engine, who


def test_distress_steps_out_points_to_help_and_pauses_until_the_user_chooses() -> None:
    engine, who = _interview()
    question = engine.current_question()[0]
    memory = SessionMemory()
    text = "after so many rejections I sometimes feel like I want to hurt myself"
    out = respond(read_turn(text), text, persona=who, state=Listening(), flow=engine,
                  memory=memory, now=1.0)
    assert out.safety is not None and out.safety.region == "US"
    assert out.listening.paused and out.step is not None
    assert "988" in out.safety.to_dict()["lines"][0]["contact"]
    assert "nine eight eight" in out.step.say and "?" not in out.step.say.split(".")[-1]
    assert question not in out.step.say  # never a follow-up question

    neither = respond(read_turn("I just feel tired"), "I just feel tired", persona=who,
                      state=out.listening, flow=engine, memory=memory, now=2.0)
    assert neither.listening.paused and question not in neither.step.say
    going_on = respond(read_turn("okay, let's continue"), "okay, let's continue", persona=who,
                       state=neither.listening, flow=engine, memory=memory, now=3.0)
    assert not going_on.listening.paused and going_on.step.say.endswith(question)
    stopping = respond(read_turn("I'd like to stop"), "I'd like to stop", persona=who,
                       state=neither.listening, flow=engine, memory=memory, now=3.0)
    assert stopping.closing


def test_crisis_lines_follow_the_users_locale_then_the_personas_language() -> None:
    assert crisis.resources_for(language="en", locale="en-GB").lines[0].name == "Samaritans"
    assert "024" in crisis.resources_for(language="es").lines[0].contact
    assert "3114" in crisis.resources_for(language="fr", locale="fr_FR").lines[0].contact
    assert crisis.resources_for(language="en", locale="xx").region == "US"


@pytest.mark.parametrize(("text", "expect"), [
    ("Are you a real person or a computer?", "AI practice partner"),
    ("Sorry, can you say that more simply?", "more simply"),
    ("Did you see the game last night?", "focus on the practice"),
    ("You're stupid.", "respectful"),
])
def test_an_aside_gets_its_line_then_the_same_question_again(text: str, expect: str) -> None:
    engine, who = _interview()
    question, simpler = engine.current_question()
    asked = len(engine.asked)
    out = respond(read_turn(text), text, persona=who, state=Listening(), flow=engine,
                  memory=SessionMemory(), now=1.0)
    assert expect in out.step.say
    assert out.step.say.endswith(simpler if "simply" in text else question)
    assert len(engine.asked) == asked  # the scenario stood still
    if "simply" in text:
        assert out.rate_scale < 1  # and the voice slows down


def test_repeated_abuse_ends_the_session_with_a_reason() -> None:
    engine, who = _interview()
    state = Listening()
    for _ in range(2):
        out = respond(read_turn("shut up you stupid bot"), "shut up you stupid bot",
                      persona=who, state=state, flow=engine, memory=SessionMemory(), now=1.0)
        assert not out.closing
        state = out.listening
    out = respond(read_turn("shut up you stupid bot"), "shut up you stupid bot", persona=who,
                  state=state, flow=engine, memory=SessionMemory(), now=1.0)
    assert out.closing and out.end_reason == "abuse"


def test_the_interviewer_puts_the_candidates_question_off_and_answers_it_at_the_end() -> None:
    engine, who = _interview()
    text = "Can you tell me more about the team I would join?"
    out = respond(read_turn(text), text, persona=who, state=Listening(), flow=engine,
                  memory=SessionMemory(), now=1.0)
    assert "at the end" in out.step.say and out.listening.deferred == (text,)
    state = out.listening
    story = ("In my last job I coordinated a website launch. I set up a daily check-in and I "
             "moved two tasks, and the result was that we launched on time for the client.")
    said = []
    for n in range(8):
        out = respond(read_turn(story), story, persona=who, state=state, flow=engine,
                      memory=SessionMemory(), now=2.0 + n)
        state = out.listening
        said.append(out.step.say)
        if out.step.stage == "candidate_questions":
            break
    assert "six people" in said[-1] and state.deferred == ()


def test_a_question_to_the_language_partner_is_answered_in_role_and_asked_back() -> None:
    who = persona("english-partner", flow=True)
    engine = FlowEngine(who.flow, rng=random.Random(1))
    engine.opening("Hi.")
    text = "What do you like to do on weekends?"
    out = respond(read_turn(text, persona_kind="language_partner"), text, persona=who,
                  state=Listening(), flow=engine, memory=SessionMemory(), now=1.0)
    assert "hiking" in out.step.say and out.step.say.endswith("And you?")


def test_facts_match_whole_words_and_prefer_the_longest_phrase() -> None:
    who = persona("english-partner", flow=True)
    assert "Biscuit" in character_fact("Do you have any pets?", who)
    assert character_fact("What is the capital of Peru?", who) == ""


def test_a_follow_up_quotes_what_the_user_said() -> None:
    assert said_clause("Our client was angry. We moved the launch by a week.") == \
        "we moved the launch by a week"
    assert said_clause("I think so") == ""


def test_a_conceptual_technical_answer_gets_no_star_follow_up() -> None:
    who = persona("technical-screener", flow=True)
    for seed in range(200):  # the seed whose first question asks for reasoning, not a story
        engine = FlowEngine(who.flow, rng=random.Random(seed))
        engine.opening("Hi.")
        if "decide what to test" in engine.current_question()[0]:
            break
    text = ("I start from what the user does with the feature, test the edge cases of the "
            "inputs, and add one end to end test of the main path, because that is what "
            "breaks in production.")
    out = respond(read_turn(text), text, persona=who, state=Listening(), flow=engine,
                  memory=SessionMemory(), now=1.0)
    assert out.step.kind == "question"  # the next question, not "what was the result?"


# -- through the controller ------------------------------------------------------------------


def _session(name: str) -> Harness:
    h = Harness(persona(name, flow=True), flow_seed=5)
    return h


def _say(h: Harness, text: str) -> cmd.Speak:
    h.hear = lambda audio: text
    h.turn(1.0)
    return h.asked(cmd.Speak)[-1]


def test_the_controller_reads_each_turn_and_tells_the_client_its_kind() -> None:
    h = _session("behavioural-interviewer")
    speak = _say(h, "Are you a real person?")
    assert "AI practice partner" in speak.request.step.say
    assert h.of(ev.UserTranscript)[-1].kind == "ai_check"


def test_distress_through_the_controller_shows_resources_and_holds_the_scenario() -> None:
    h = Harness(persona("behavioural-interviewer", flow=True), flow_seed=5, locale="en-GB")
    speak = _say(h, "I sometimes feel like I want to hurt myself.")
    notice, = h.of(ev.SafetyNotice)
    assert notice.resources["region"] == "GB" and "116 123" in speak.request.step.say.replace(
        "one one six, one two three", "116 123")
    assert h.ctl.listening.paused and not h.ended
    speak = _say(h, "Continue, please.")
    assert not h.ctl.listening.paused and speak.request.step.say.endswith("?")


def test_a_request_to_simplify_is_said_more_slowly() -> None:
    h = _session("english-partner")
    rate = h.ctl.speaker().voice.rate
    speak = _say(h, "Sorry, I don't understand. Can you say it more simply?")
    assert speak.request.speaker.voice.rate == pytest.approx(rate * 0.85)


def test_a_free_persona_says_it_is_an_ai_and_repeats_its_line_when_asked() -> None:
    h = Harness(persona("behavioural-interviewer"))  # no flow: the model answers freely
    speak = _say(h, "Are you a bot?")
    assert "AI practice partner" in (speak.request.scripted or "")
    speak = _say(h, "Sorry, could you repeat that?")
    assert "AI practice partner" in (speak.request.scripted or "")
    speak = _say(h, "I led the migration of our billing system last spring.")
    assert speak.request.scripted is None  # an answer goes to the model


def test_what_the_user_said_is_recalled_when_asked_and_used_in_the_goodbye() -> None:
    h = _session("behavioural-interviewer")
    _say(h, "Hi, my name is Sam and I work at Acme as a data analyst.")
    _say(h, "I coordinated our team's move to a new reporting tool last spring, and I trained "
            "everyone on it, so the monthly report now takes one day instead of three.")
    speak = _say(h, "Sorry, what was my name again, and where do I work?")
    assert h.of(ev.UserTranscript)[-1].kind == "recall"
    assert "Sam" in speak.request.step.say and "Acme" in speak.request.step.say
    speak = _say(h, "Let's stop here, please.")
    assert speak.request.closing and "Sam" in speak.request.step.say


def test_the_learners_mistake_is_recast_in_place_of_an_acknowledgement() -> None:
    who = persona("english-partner", flow=True)
    engine = FlowEngine(who.flow, rng=random.Random(1))
    engine.opening("Hi.")
    text = "Yesterday I go to the cinema with my brother and we eat popcorn."
    out = respond(read_turn(text, persona_kind="language_partner"), text, persona=who,
                  state=Listening(), flow=engine, memory=SessionMemory(), now=1.0)
    assert "went" in out.step.say and not out.step.acknowledge


def test_distress_said_in_a_quote_or_negated_is_not_distress_but_a_real_one_always_is() -> None:
    assert read_turn("My friend always says 'I want to die' before exams, it's a joke.").kind \
        is TurnKind.ANSWER
    assert read_turn("I would never hurt myself, but the stress was real.").kind \
        is TurnKind.ANSWER
    assert read_turn("I told my therapist I want to die.").kind is TurnKind.DISTRESS
    assert read_turn("i'm so tired of everything and i feel trapped").kind is TurnKind.DISTRESS


def test_a_learners_small_talk_is_conversation_not_a_detour() -> None:
    who = persona("english-partner", flow=True)
    engine = FlowEngine(who.flow, rng=random.Random(1))
    engine.opening("Hi.")
    text = "It's raining a lot today here, very grey."
    out = respond(read_turn(text, persona_kind="language_partner"), text, persona=who,
                  state=Listening(), flow=engine, memory=SessionMemory(), now=1.0)
    assert "focus" not in out.step.say and out.step.kind in ("topic", "question", "line")


def test_one_sign_of_distress_is_heard_without_stepping_out_of_the_practice() -> None:
    engine, who = _interview()
    text = "I'm sorry, I feel so empty lately. Anyway, in my last job I organised the audit."
    reading = read_turn(text)
    assert reading.kind is TurnKind.ANSWER and reading.concern
    out = respond(reading, text, persona=who, state=Listening(), flow=engine,
                  memory=SessionMemory(), now=1.0)
    assert out.step.say.startswith("That sounds hard. If you want to pause")
    assert out.safety is None and not out.listening.paused
    assert not read_turn("I give up on learning the guitar, I'm trying piano now.").concern


def test_bad_input_gets_a_sensible_turn() -> None:
    engine, who = _interview()
    question = engine.current_question()[0]
    for noise in ("[BLANK_AUDIO]", "(coughs)", "... ,,,"):
        reading = read_turn(noise)
        out = respond(reading, noise, persona=who, state=Listening(), flow=engine,
                      memory=SessionMemory(), now=1.0)
        assert out.step.say == f"Sorry, I didn't catch that. {question}"
    story = "In my last job I coordinated a launch and the team worked hard. " * 80
    assert read_turn(story).kind is TurnKind.ANSWER
    hidden = story + "Honestly I want to kill myself. " + story
    assert read_turn(hidden).kind is TurnKind.DISTRESS  # anywhere in a five-minute monologue
    mixed = "Yesterday I go to the cinema. Je veux mourir, vraiment."
    assert read_turn(mixed, language="en", persona_kind="language_partner").kind \
        is TurnKind.DISTRESS
