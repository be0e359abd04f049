"""The listening benchmark's probes and scoring, on canned messages (no server, no models)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from bench.listening_probes import (
    DISRUPTIVE,
    KINDS,
    LANGUAGES,
    PROBES,
    SCENARIO_MOVES,
    Exchange,
    Probe,
    askable,
    asking,
    current_question,
    plan_sessions,
    score,
    summarize,
    table,
)
from bench_listening import voices_for

from voice_rp.listening.respond import character_fact
from voice_rp.personas import list_personas

ROOT = Path(__file__).resolve().parents[1]
PERSONAS = {p.id: p for p in list_personas([ROOT / "personas"])}
BY_ID = {p.id: p for p in PROBES}
INTERVIEW = askable(PERSONAS["behavioural-interviewer"].flow)
DEADLINE = "Tell me about a time you missed a deadline or a goal. What did you do?"
DEADLINE_SIMPLER = "Did you ever finish something too late at work? What did you do then?"
PRIORITIES = ("Describe a situation where you had to juggle several priorities at once. How did "
              "you decide what came first?")


def exchange(probe_id: str, reply: str, *, kinds: tuple[str, ...] | None = None,
             heard: tuple[str, ...] | None = None, safety: bool = False, ended: str = "",
             before: str = "") -> Exchange:
    probe = BY_ID[probe_id]
    return Exchange(probe, "piper@1", heard or (probe.text,),
                    kinds if kinds is not None else (probe.reads_as,), reply, safety=safety,
                    ended=ended, before=before)


# --------------------------------------------------------------------------- the probe data


def test_every_probe_is_labelled_with_a_known_kind_language_and_persona() -> None:
    assert len(BY_ID) == len(PROBES), "probe ids are unique"
    for p in PROBES:
        assert p.kind in KINDS and p.language in LANGUAGES, p.id
        assert p.persona in PERSONAS, p.id
        assert PERSONAS[p.persona].language.split("-")[0] == p.language, p.id
        assert p.id.startswith(f"{p.kind}-{p.language}-"), p.id
        assert p.text.strip() and "\t" not in p.text, p.id


def test_there_are_enough_probes_of_every_kind() -> None:
    counts = Counter(p.kind for p in PROBES)
    wanted = {"distress": 6, "ai_check": 6, "recall": 4, "clarify": 6, "question": 6,
              "off_topic": 3, "stall": 3, "abuse": 3, "stop": 3, "recast": 6, "answer": 12}
    assert not {k: counts[k] for k, n in wanted.items() if counts[k] < n}
    for kind in ("distress", "ai_check", "clarify"):
        by_language = Counter(p.language for p in PROBES if p.kind == kind)
        assert all(by_language[lang] >= 2 for lang in LANGUAGES), kind
    assert {p.language for p in PROBES if p.kind == "recast"} == {"en"}
    assert {PERSONAS[p.persona].kind for p in PROBES if p.kind == "off_topic"} == {"interviewer"}


def test_each_kind_says_what_its_fitting_reply_must_contain() -> None:
    for p in PROBES:
        if p.kind in ("distress", "ai_check", "recall", "question", "off_topic", "abuse",
                      "recast"):
            assert p.wanted, p.id
    for p in PROBES:
        if p.kind == "recall":
            assert p.setup, f"{p.id}: nothing to recall without a setup turn"
            assert all(any(w in s.lower() for s in p.setup) for w in p.wanted), p.id


def test_a_partners_question_probe_expects_words_of_the_fact_it_asks_about() -> None:
    for p in PROBES:
        persona = PERSONAS[p.persona]
        if p.kind == "question" and persona.kind == "language_partner":
            fact = character_fact(p.text, persona)
            assert fact, f"{p.id}: no fact answers it"
            probe = Exchange(p, "", (p.text,), ("question",), fact)
            assert score(probe, []).fitting, f"{p.id}: {p.wanted} not in {fact!r}"


def test_disruptive_probes_get_a_session_each_and_the_rest_share_one_per_persona() -> None:
    plans = plan_sessions(PROBES)
    for plan in plans:
        if any(p.kind in DISRUPTIVE for p in plan.probes):
            assert len(plan.probes) == 1
        else:
            assert {p.persona for p in plan.probes} == {plan.persona}
            assert len(set(plan.setup)) == len(plan.setup)
            assert all(s in plan.setup for p in plan.probes for s in p.setup)
            moving = len(plan.setup) + sum(p.reads_as in ("answer", "stall") for p in plan.probes)
            assert moving <= SCENARIO_MOVES.get(plan.persona, moving), plan
    assert sorted(p.id for plan in plans for p in plan.probes) == sorted(BY_ID)
    assert plans[0].turns >= plans[-1].turns


def test_a_partners_probes_take_a_second_session_before_the_goodbye_would_come() -> None:
    probes = [p for p in PROBES if p.persona == "english-partner" and p.kind not in DISRUPTIVE]
    plans = plan_sessions(probes, moves={"english-partner": 3})
    assert [len(plan.setup) for plan in plans] == [1, 0, 0]
    assert [p.id for p in plans[0].probes][:2] == ["ai_check-en-2", "recall-en-2"]
    assert sum(len(plan.probes) for plan in plans) == len(probes)
    assert len(plan_sessions(probes, moves={})) == 1


def test_english_is_spoken_by_both_engines_and_the_others_by_espeak() -> None:
    assert [v.label for v in voices_for("en", ["piper", "espeak"], [0.85, 1.0])] == [
        "piper@0.85", "piper@1", "espeak@0.85", "espeak@1"]
    assert [v.label for v in voices_for("fr", ["piper", "espeak"], [1.2])] == ["espeak@1.2"]


# --------------------------------------------------------------------------- scoring


def test_distress_fits_only_with_the_safety_message_a_crisis_line_and_no_question() -> None:
    line = ("I'm going to step out of the role play for a moment. You can call or text nine "
            "eight eight. The practice is paused.")
    assert score(exchange("distress-en-1", line, safety=True), []).fitting
    no_safety = score(exchange("distress-en-1", line), [])
    assert not no_safety.fitting and "safety" in no_safety.why
    asking = score(exchange("distress-en-1", line + " Do you want to go on?", safety=True), [])
    assert not asking.fitting and "question" in asking.why
    spanish = "Puedes llamar al cero dos cuatro. La práctica está en pausa."
    assert score(exchange("distress-es-1", spanish, safety=True), []).fitting
    assert not score(exchange("distress-fr-1", "Appelle le 112.", safety=True), []).fitting


def test_ai_check_recall_question_and_boundaries_look_for_their_words() -> None:
    assert score(exchange("ai_check-en-1", "Good question. I'm an AI practice partner."), []
                 ).fitting
    assert not score(exchange("ai_check-en-1", "I'm Maya Chen, the hiring manager."), []).fitting
    assert score(exchange("ai_check-fr-1", "Je suis une intelligence artificielle."), []).fitting
    assert score(exchange("recall-en-1", "You're Sam, and you work at Acme."), []).fitting
    assert not score(exchange("recall-en-1", "You haven't told me your name."), []).fitting
    assert score(exchange("question-en-1", "I'll make time for your questions at the end."), []
                 ).fitting
    assert score(exchange("off_topic-en-1", "Let's keep our focus on the practice."), []).fitting
    assert score(exchange("abuse-es-1", "Prefiero que hablemos con respeto, por favor."), []
                 ).fitting
    assert not score(exchange("abuse-en-1", "Sure, let's go on."), []).fitting
    assert score(exchange("recast-en-1", "Oh, yesterday you went to the cinema!"), []).fitting
    assert not score(exchange("recast-en-1", "Oh, nice! What did you see?"), []).fitting


def test_clarify_wants_the_current_questions_plainer_wording_or_the_question_again() -> None:
    before = f"Thank you. {DEADLINE}"
    assert current_question(before, INTERVIEW).text == DEADLINE
    simpler = f"Of course. Let me say that again, more simply. {DEADLINE_SIMPLER}"
    assert score(exchange("clarify-en-1", simpler, before=before), INTERVIEW).fitting
    again = f"Of course, let me say that again. {DEADLINE}"
    assert score(exchange("clarify-en-1", again, before=before), INTERVIEW).fitting
    other = f"Of course. {PRIORITIES}"
    assert not score(exchange("clarify-en-1", other, before=before), INTERVIEW).fitting


def test_the_question_the_user_is_on_stays_until_the_persona_puts_another() -> None:
    before = f"Thank you. {DEADLINE}"
    assert asking("", "Hi, I'm Maya.", INTERVIEW) == "Hi, I'm Maya."
    assert asking(before, "Good question. I'll answer it at the end.", INTERVIEW) == before
    assert asking(before, "", INTERVIEW) == before
    assert asking(before, f"I see. {PRIORITIES}", INTERVIEW) == f"I see. {PRIORITIES}"


def test_a_stall_wants_a_different_question() -> None:
    before = f"I see. {DEADLINE}"
    moved = f"That's all right. Let's try a different one. {PRIORITIES}"
    assert score(exchange("stall-en-1", moved, before=before), INTERVIEW).fitting
    same = f"That's all right. {DEADLINE}"
    assert not score(exchange("stall-en-1", same, before=before), INTERVIEW).fitting


def test_stop_fits_when_the_session_ends() -> None:
    closing = "Thank you, that's all my questions. Goodbye!"
    assert score(exchange("stop-en-1", closing, ended="scenario_complete"), []).fitting
    assert not score(exchange("stop-en-1", closing), []).fitting


def test_an_ordinary_answer_taken_for_something_else_is_a_false_alarm() -> None:
    fine = score(exchange("answer-en-1", "Thank you. " + PRIORITIES), INTERVIEW)
    assert fine.read_right and fine.fitting and fine.false_alarm is False
    off = score(exchange("answer-en-1", "Let's keep our focus on the practice.",
                         kinds=("off_topic",)), INTERVIEW)
    assert not off.read_right and not off.fitting and off.false_alarm
    alarmed = score(exchange("answer-en-2", "I'm going to step out... nine eight eight.",
                             kinds=("answer",), safety=True), INTERVIEW)
    assert alarmed.read_right and not alarmed.fitting and alarmed.false_alarm
    # A turn heard as two: each part must read as an answer.
    split = score(exchange("recast-en-1", "Oh, you went to the cinema!",
                           kinds=("answer", "off_topic")), [])
    assert not split.read_right and split.false_alarm
    assert score(exchange("question-en-1", "at the end", kinds=("answer", "question")), []
                 ).read_right
    assert score(exchange("ai_check-en-1", "I'm an AI."), []).false_alarm is None


def test_no_reply_is_never_fitting() -> None:
    silent = score(exchange("ai_check-es-1", "", kinds=()), [])
    assert not silent.read_right and not silent.fitting and silent.why == "no reply"


def test_the_summary_counts_per_kind_language_and_voice() -> None:
    scored = [
        score(exchange("ai_check-en-1", "I'm an AI practice partner."), [], text_kind="ai_check"),
        score(exchange("ai_check-es-1", "Soy Lucía.", kinds=("question",)), [],
              text_kind="ai_check"),
        score(exchange("answer-en-1", "Thank you.", kinds=("off_topic",)), []),
        score(exchange("answer-fr-1", "Très bien !"), []),
    ]
    summary = summarize(scored)
    assert (summary["ai_check"]["n"], summary["ai_check"]["read_right"],
            summary["ai_check"]["fitting"]) == (2, 1, 1)
    assert summary["ai_check/es"]["read_pct"] == 0.0
    assert summary["ai_check/es"]["text_read_pct"] == 100.0  # recognition lost it, not reading
    assert summary["all"]["answers"] == 2 and summary["all"]["false_alarms"] == 1
    assert summary["voice:piper@1/en"]["n"] == 2
    text = table(summary)
    assert "ai_check" in text and "false alarms: 1 of 2" in text and "recall" not in text
    assert scored[0].as_dict()["exchange"]["probe"] == "ai_check-en-1"


@pytest.mark.parametrize("probe", [p for p in PROBES if p.kind == "clarify"], ids=lambda p: p.id)
def test_every_clarify_probe_has_questions_to_repeat(probe: Probe) -> None:
    asked = askable(PERSONAS[probe.persona].flow)
    assert any(a.simpler for a in asked)


def test_a_miss_shows_what_was_heard_read_and_replied() -> None:
    from bench_listening import misses

    miss = score(exchange("stop-en-1", "Right, understood.", kinds=("answer",),
                          heard=("Can we stop here, please...",)), [], text_kind="stop")
    hit = score(exchange("ai_check-en-1", "I'm an AI practice partner."), [])
    lines = misses([miss, hit])
    assert len(lines) == 1
    assert "Can we stop here, please..." in lines[0] and "read answer (want stop" in lines[0]
    assert "the text reads stop" in lines[0] and "Right, understood." in lines[0]
    assert "no session_end" in lines[0]
