"""Memory the user can rely on: what they say about themselves (name, work, people, places,
numbers) is kept for the session, said back when they ask, and used to address them; what they
never said is answered honestly; questions to the character are not mistaken for recall."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from voice_rp.listening.user_facts import UserFact, facts_in, is_recall_question
from voice_rp.memory import SessionMemory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from eval_user_facts import fact_scores, load, memory_scores, recall_scores


def facts(text: str, language: str = "en") -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in facts_in(text, language=language)}


def heard(*turns: str, language: str = "en") -> SessionMemory:
    memory = SessionMemory(user_label="the candidate", language=language)
    for turn in turns:
        memory.note(turn)
    return memory


# --------------------------------------------------------------------------- the case


def test_the_name_and_workplace_told_two_turns_earlier_are_said_back() -> None:
    memory = heard("My name is Sam and I work at Acme as a data analyst.",
                   "I think the most important thing is clear communication with the team.")
    question = "What was my name again, and where do I work?"
    assert is_recall_question(question)
    assert memory.recall(question) == "You're Sam, and you work at Acme as a data analyst."
    assert memory.address() == "Sam"
    assert "The name of the candidate is Sam." in memory.render()
    assert "They work at Acme as a data analyst." in memory.render()


def test_a_whisper_transcript_without_capitals_or_punctuation_still_counts() -> None:
    assert facts("um so my name is uh priya and i'm a software engineer") == {
        ("name", "Priya"), ("role", "software engineer")}
    assert facts("my name is sam i work at acme i'm a data analyst") == {
        ("name", "Sam"), ("employer", "Acme"), ("role", "data analyst")}
    assert facts("hi i'm sam") == {("name", "Sam")}


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm a data analyst at Acme.", {("role", "data analyst"), ("employer", "Acme")}),
    ("I work for Acme Corp as a project coordinator.",
     {("employer", "Acme Corp"), ("role", "project coordinator")}),
    ("I've been at Contoso for five years.", {("employer", "Contoso"), ("number", "five years")}),
    ("I live in Lyon.", {("place", "Lyon")}),
    ("I'm from Brazil.", {("origin", "Brazil")}),
    ("My manager Tom gave me that project.", {("person", "my manager Tom")}),
    ("I did it with my sister Ana.", {("person", "my sister Ana")}),
    ("I lead our team of eight people.", {("number", "team of eight people")}),
    ("I'm Dr. Patel.", {("name", "Dr. Patel")}),
])
def test_what_people_say_about_themselves_becomes_facts(text: str,
                                                         expected: set[tuple[str, str]]) -> None:
    assert facts(text) == expected


def test_spanish_and_french_introductions() -> None:
    assert facts("me llamo Lucía, trabajo en Telefónica como ingeniera, vivo en Madrid", "es") == {
        ("name", "Lucía"), ("employer", "Telefónica"), ("role", "ingeniera"),
        ("place", "Madrid")}
    assert facts("je m'appelle Paul, je travaille chez Renault, j'habite à Lyon", "fr") == {
        ("name", "Paul"), ("employer", "Renault"), ("place", "Lyon")}


@pytest.mark.parametrize(("text", "language"), [
    ("I'm not sure.", "en"), ("I'm happy to be here.", "en"), ("I'm working on it.", "en"),
    ("I'm going to explain how we did it.", "en"), ("I work hard.", "en"),
    ("I live for music.", "en"), ("I'm a fast learner and a team player.", "en"),
    ("My manager said I was ready for more.", "en"), ("She told me I'm a natural leader.", "en"),
    ("i don't work at acme anymore", "en"), ("I used to live in Paris.", "en"),
    ("i'm sick", "en"), ("In five years I see myself leading a team.", "en"),
    ("No estoy seguro.", "es"), ("Estoy trabajando en eso.", "es"), ("Vivo para la música.", "es"),
    ("Je suis content d'être ici.", "fr"), ("Je travaille dessus.", "fr"),
    ("Je viens de finir mon projet.", "fr"), ("je suis français", "fr"),
])
def test_everyday_phrases_that_look_like_facts_make_none(text: str, language: str) -> None:
    assert facts_in(text, language=language) == []


def test_a_question_states_no_fact() -> None:
    assert facts("What's my name?") == set()
    assert facts("My name is Sam, what's yours?") == {("name", "Sam")}


# --------------------------------------------------------------------------- memory


def test_a_correction_replaces_the_earlier_name_but_people_accumulate() -> None:
    memory = heard("My name is Sam.", "My sister Ana lives here.", "actually my name is Samuel",
                   "And my manager Tom helped a lot.")
    assert memory.address() == "Samuel"
    assert memory.recall("what's my name") == "You're Samuel."
    assert [f.value for f in memory.facts if f.kind == "person"] == ["my sister Ana",
                                                                     "my manager Tom"]


def test_what_was_never_said_is_answered_honestly() -> None:
    memory = heard("My name is Sam.")
    assert memory.recall("Where do I live?") == "You haven't told me where you live yet."
    assert memory.recall("What's my name, and where do I work?") == (
        "You're Sam. You haven't told me where you work yet.")
    assert heard().recall("do you remember my name?") == "You haven't told me your name yet."
    assert heard().address() == ""


@pytest.mark.parametrize("text", [
    "Where do you work?", "What's your name?", "What was the name of the project?",
    "What do you do?", "Do you remember when you started this job?", "Who am I talking to?",
    "I told you I'm nervous.", "Where I work, we use Python a lot.", "What's my role in this?",
])
def test_questions_to_the_character_are_not_recall(text: str) -> None:
    assert not is_recall_question(text)
    assert heard("My name is Sam and I work at Acme.").recall(text) is None


def test_people_and_numbers_are_said_back() -> None:
    memory = heard("I lead our team of eight people.", "My manager Tom is great.")
    assert memory.recall("Who's my boss?") == "Your manager is Tom."
    assert memory.recall("How many people are on my team?") == (
        "You said you lead your team of eight people.")
    assert memory.recall("What did I say about my hobbies?") == (
        "I don't think you've told me about your hobbies yet.")


def test_recall_answers_in_the_personas_language() -> None:
    lucia = heard("me llamo Lucía, trabajo en Telefónica como ingeniera", language="es")
    assert lucia.recall("¿Cómo me llamo?") == "Te llamas Lucía."
    assert lucia.recall("¿Te acuerdas de dónde trabajo?") == (
        "Trabajas en Telefónica como ingeniera.")
    assert lucia.recall("¿Dónde vivo?") == "Todavía no me has dicho dónde vives."
    paul = heard("je m'appelle Paul, je travaille chez Renault", "Je viens du Brésil.",
                 language="fr")
    assert paul.recall("tu te souviens où je travaille ?") == "Tu travailles chez Renault."
    assert paul.recall("Vous vous souvenez de mon nom ?") == "Vous vous appelez Paul."
    assert paul.recall("D'où je viens ?") == "Tu viens du Brésil."


def test_recall_reads_the_turn_classifiers_folded_text() -> None:
    # The turn classifier passes lower-case text without accents or "¿".
    assert is_recall_question("como me llamo?", language="es")
    assert is_recall_question("tu te souviens ou je travaille ?", language="fr-FR")
    assert not is_recall_question("como te llamas?", language="es")


def test_the_prompt_memory_is_compact_and_in_english() -> None:
    text = heard("I'm Sam, a data analyst at Acme.", "I live in Lyon and my manager Tom is great",
                 "I'm originally from Brazil.").render(include_answers=False)
    assert text == ("The name of the candidate is Sam. They work at Acme as a data analyst. "
                    "They live in Lyon. They are from Brazil. They mentioned: their manager Tom.")


def test_a_fact_keeps_the_clause_it_came_from() -> None:
    assert facts_in("I'm happy to be here. I work at Acme.")[0] == UserFact(
        "employer", "Acme", "I work at Acme")


# --------------------------------------------------------------------------- the labelled set

ROWS = load()


def test_the_labelled_set_is_big_and_balanced_enough() -> None:
    fact_rows = [r for r in ROWS if r.set == "facts"]
    recall_rows = [r for r in ROWS if r.set == "recall"]
    assert len(fact_rows) >= 100 and {r.language for r in fact_rows} == {"en", "es", "fr"}
    assert 0.3 <= sum(1 for r in fact_rows if not r.expected) / len(fact_rows) <= 0.45
    assert len(recall_rows) >= 40 and sum(1 for r in recall_rows if not r.expected) >= 20


def test_facts_are_precise_on_the_labelled_set() -> None:
    scores, _ = fact_scores(ROWS)
    for kind, (tp, fp, fn) in scores.items():
        if tp + fn >= 5:
            assert tp / (tp + fp) >= 0.95, kind


def test_english_names_employers_and_roles_are_found() -> None:
    scores, _ = fact_scores([r for r in ROWS if r.language == "en"])
    for kind in ("name", "employer", "role"):
        tp, _, fn = scores[kind]
        assert tp / (tp + fn) >= 0.9, kind


def test_recall_questions_are_told_from_other_turns() -> None:
    right, _, total, _ = recall_scores(ROWS)
    assert right / total >= 0.95


def test_told_facts_are_said_back_when_asked() -> None:
    said, asked, _ = memory_scores(ROWS)
    assert said / asked >= 0.9


def test_what_was_said_without_a_fact_is_found_in_the_answers_or_admitted_forgotten() -> None:
    memory = heard("I usually eat oatmeal with fruit every single morning before work.")
    assert memory.recall("Do you remember what I eat for breakfast?") == (
        "You said you usually eat oatmeal with fruit every single morning before work.")
    assert memory.recall("What did I tell you about my weekend?") == (
        "I don't think you've told me about your weekend yet.")
    assert memory.recall("What was the first thing I told you today?") == (
        "I'm sorry, I don't remember that. Could you tell me again?")
    assert memory.recall("Can you remind me what I should say?") is None
    assert memory.recall("How do you say my name in Spanish?") is None
