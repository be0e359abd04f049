"""Recasts for language learners: the partner says a learner's slip back correctly, and never
"corrects" what was right (a false correction teaches a mistake)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_rp.listening.recast import Recast, recast
from voice_rp.listening.recast_score import load_rows, run, scores

DATA = Path(__file__).parent / "data" / "recasts.tsv"


def said(text: str, language: str = "en") -> Recast:
    made = recast(text, language=language)
    assert made is not None, text
    return made


@pytest.mark.parametrize(("text", "wrong", "right"), [
    ("Yesterday I go to the cinema with my brother.", "I go", "I went"),
    ("um last week we eat pizza and we watch a movie", "we eat", "we ate"),
    ("I buy a new phone two years ago", "I buy", "I bought"),
    ("When I was a child I play football every day.", "I play", "I played"),
    ("Last month we are in Spain.", "we are", "we were"),
    ("Yesterday I don't have time", "I don't", "I didn't"),
    ("Yesterday I goed to the park", "I goed", "I went"),
    ("I didn't went to school", "I didn't went", "I didn't go"),
])
def test_a_present_verb_after_a_past_time_marker_is_put_in_the_past(
        text: str, wrong: str, right: str) -> None:
    made = said(text)
    assert (made.kind, made.wrong, made.right) == ("past_tense", wrong, right)


def test_the_partner_says_the_clause_back_in_the_second_person() -> None:
    made = said("Yesterday I go to the cinema with my brother.")
    assert made.line == "Oh, yesterday you went to the cinema with your brother!"
    assert said("When I was a child I play football.").line == (
        "Oh, when you were a child you played football!")


@pytest.mark.parametrize("text", [
    "Yesterday I was tired.", "I usually go to the gym.", "Last week I've been busy.",
    "I read a book yesterday.", "I put it there yesterday.", "I used to go there.",
    "I have lived here since last year.", "It is better than last year.",
    "Last year I moved to London and I live in Camden.",  # may still live there
    "Yesterday I learned that I like sushi.", "I like the film my sister recommended last week.",
    "Next week I go to London.", "Did you go yesterday?",
])
def test_the_past_is_left_alone_when_it_is_right_or_unsure(text: str) -> None:
    assert recast(text) is None


@pytest.mark.parametrize(("text", "right"), [
    ("My mother like cooking.", "My mother likes"),
    ("She don't like coffee.", "She doesn't"),
    ("He doesn't likes vegetables.", "He doesn't like"),
    ("She study medicine.", "She studies"),
    ("He have two cats.", "He has"),
    ("I think she live near the station.", "she lives"),
    ("Usually my brother wake up early.", "my brother wakes"),
])
def test_a_third_person_verb_gets_its_s(text: str, right: str) -> None:
    made = said(text)
    assert (made.kind, made.right) == ("third_person_s", right)


@pytest.mark.parametrize("text", [
    "He can swim.", "They like pizza.", "Did he go?", "I suggest that he go.",
    "I made my brother cry.", "Let it go.", "He and his wife like hiking.",
    "My family live in Madrid.", "I saw her leave.", "My parents live here.",
    "She said she go home.",  # told of the past: "goes" might be wrong
])
def test_third_person_is_left_alone_where_the_base_form_is_right(text: str) -> None:
    assert recast(text) is None


@pytest.mark.parametrize(("text", "right"), [
    ("I am teacher.", "I am a teacher"),
    ("I'm engineer.", "I'm an engineer"),
    ("My father is police officer.", "is a police officer"),
    ("It is good idea.", "It is a good idea"),
    ("There's problem with my computer.", "There's a problem"),
    ("I have car.", "have a car"),
    ("We went to cinema yesterday.", "went to the cinema"),
])
def test_a_missing_article_is_put_in(text: str, right: str) -> None:
    made = said(text)
    assert (made.kind, made.right) == ("article", right)


@pytest.mark.parametrize("text", [
    "I go to school by bus.", "She is in hospital.", "I have time.", "I have cold hands.",
    "He is doctor Smith's assistant.", "He was manager of the team.", "It is good news.",
    "There is school tomorrow.", "I have cat and dog allergies.",
])
def test_no_article_is_added_where_english_has_none(text: str) -> None:
    assert recast(text) is None


@pytest.mark.parametrize(("text", "right"), [
    ("I like very much pizza.", "like pizza very much"),
    ("I speak very well English.", "speak English very well"),
    ("I have a car red.", "a red car"),
    ("I don't know where is the station.", "where the station is"),
    ("I love very much my family and my friends", "love my family and my friends very much"),
])
def test_words_out_of_place_are_put_in_order(text: str, right: str) -> None:
    made = said(text)
    assert (made.kind, made.right) == ("word_order", right)


@pytest.mark.parametrize("text", [
    "I like pizza very much.", "I speak a little English.", "I painted the wall white.",
    "I would like very much to visit Japan.", "I know what is important.",
    "I like a lot people here.",  # may mean "a lot of people"
])
def test_word_order_is_left_alone_when_it_is_right_or_unsure(text: str) -> None:
    assert recast(text) is None


def test_quotations_and_questions_are_never_corrected() -> None:
    assert recast('My boss said "I go home now".') is None
    assert recast("My friend told me, 'he like pizza'.") is None
    assert recast("Where he go yesterday?") is None
    assert recast("does she like it") is None


def test_the_partner_never_gets_a_line_about_the_partner() -> None:
    """"you" in the learner's clause is the partner: the word list cannot turn it round."""
    assert recast("Yesterday you go to the shop.") is None
    assert said("I wonder how is your mother.").line == "Oh, you wonder how my mother is!"


@pytest.mark.parametrize(("text", "kind", "right", "line"), [
    ("Ayer voy al cine con mi hermano.", "past_tense", "fui",
     "Ah, ayer fuiste al cine con tu hermano."),
    ("La semana pasada mi madre compra un coche", "past_tense", "mi madre compró",
     "Ah, la semana pasada tu madre compró un coche."),
    ("Yo soy 25 años.", "age", "Yo tengo 25 años", "Ah, tienes 25 años."),
    ("Yo gusto mucho los perros.", "gustar", "Me gustan", "Ah, te gustan mucho los perros."),
    ("Tengo una problema con mi jefe.", "gender", "un problema", "Ah, un problema con tu jefe."),
    ("Fue el mejor momento de la día.", "gender", "del día", "Ah, el día."),
])
def test_spanish(text: str, kind: str, right: str, line: str) -> None:
    made = said(text, "es")
    assert (made.kind, made.right, made.line) == (kind, right, line)


@pytest.mark.parametrize("text", [
    "Ayer fui al cine.", "Vivo aquí desde hace dos años.", "Hace dos años que vivo aquí.",
    "Como siempre, ayer fui al gimnasio.", "Ayer como no tenía dinero, no salí.",
    "Mi hermano es 5 años mayor que yo.", "Mi contrato es 2 años.", "Ella la programa.",
    "Ayer estaba cansado.",  # "estar" after "ayer": imperfect or preterite, not sure
])
def test_spanish_left_alone(text: str) -> None:
    assert recast(text, language="es") is None


@pytest.mark.parametrize(("text", "kind", "right", "line"), [
    ("Hier je mange une pizza avec mon frère.", "past_tense", "j'ai mangé",
     "Ah, hier tu as mangé une pizza avec ton frère."),
    ("Hier je ne mange pas.", "past_tense", "je n'ai pas mangé", "Ah, hier tu n'as pas mangé."),
    ("La semaine dernière nous visitons Paris.", "past_tense", "nous avons visité",
     "Ah, la semaine dernière vous avez visité Paris."),
    ("Je suis 25 ans.", "age", "J'ai 25 ans", "Ah, tu as 25 ans."),
    ("Je vais au plage.", "gender", "à la plage", "Ah, la plage."),
    ("Le voiture est petit.", "gender", "La voiture", "Ah, la voiture."),
])
def test_french(text: str, kind: str, right: str, line: str) -> None:
    made = said(text, "fr")
    assert (made.kind, made.right, made.line) == (kind, right, line)


@pytest.mark.parametrize("text", [
    "Hier je vais au cinéma.",  # "allé" or "allée": the speaker's gender is unknown
    "Hier j'ai mangé une pizza.", "Il y a deux ans que je travaille ici.", "Hier il fait beau.",
    "Je le porte.", "J'ai 25 ans.", "Il y a un problème.",
])
def test_french_left_alone(text: str) -> None:
    assert recast(text, language="fr") is None


def test_the_language_code_picks_the_rules() -> None:
    assert said("I am teacher", "en-US").right == "I am a teacher"
    assert said("Yo soy 25 años", "es_MX").kind == "age"
    assert recast("I am teacher", language="es") is None
    assert recast("Ich bin Lehrer", language="de") is None


def test_the_labelled_set() -> None:
    """Issue 22's bar: no false corrections, every recast right, >= 70% of slips recast."""
    rows = load_rows(DATA)
    outcomes = run(rows)
    assert len(rows) >= 150
    false = [o.row.text for o in outcomes if o.false_correction]
    assert false == []
    wrong = [(o.row.text, o.made) for o in outcomes
             if o.made is not None and o.row.right and not o.correct]
    assert wrong == []
    english = [o for o in outcomes if o.row.language == "en" and o.row.kind != "none"]
    assert sum(o.correct for o in english) / len(english) >= 0.7
    assert {s.kind for s in scores(outcomes) if s.language == "en"} == {
        "past_tense", "third_person_s", "article", "word_order"}


def test_every_line_is_a_statement_in_the_partners_voice() -> None:
    for outcome in run(load_rows(DATA)):
        if outcome.made is None:
            continue
        line = outcome.made.line
        assert line.endswith(("!", ".")) and "?" not in line, line
        if outcome.row.language == "en":
            words = set(line.rstrip("!").split())
            assert not {"I", "me", "we", "our"} & words, line
            assert "my" not in words or "your" in outcome.row.text, line  # the partner's own


_WORDS = ["I", "you", "he", "she", "my", "mother", "go", "went", "yesterday", "last", "week",
          "ago", "two", "years", "am", "is", "teacher", "a", "the", "very", "much", "like",
          "pizza", "to", "cinema", "have", "car", "red", "where", "know", "and", "um", ",", ".",
          "?", '"', "don't", "when", "was", "child", "ayer", "voy", "la", "problema", "hier",
          "je", "mange", "suis", "25", "ans", "años", "soy", "j'ai", "yo", "gusto"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=25), st.sampled_from(["en", "es", "fr"]))
def test_any_transcript_gets_none_or_a_statement(words: list[str], language: str) -> None:
    made = recast(" ".join(words), language=language)
    if made is not None:
        assert made.line.endswith(("!", ".")) and "?" not in made.line
        assert made.wrong and made.right and made.wrong != made.right
