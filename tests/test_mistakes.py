"""The learner's mistakes in the report: found by the partner's recaster and a capable model,
quoted exactly as said, counted when they come back, never invented."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from voice_rp.feedback.mistakes import MAX_MISTAKES, learner_mistakes
from voice_rp.progress import recurring_corrections, session_metrics

DATA = Path(__file__).parent / "data" / "learner_mistakes.tsv"


def pairs(items: list[dict]) -> list[tuple[str, str]]:
    return [(m["said"], m["better"]) for m in items]


def test_english_slips_are_listed_with_the_better_form_and_a_reason():
    found = learner_mistakes([(1, "Yesterday I go to the cinema. My mother like pizza.")], "en")
    assert pairs(found) == [("I go", "I went"), ("My mother like", "My mother likes")]
    assert all(m["why"] and m["count"] == 1 and m["answers"] == [1] for m in found)
    assert {m["source"] for m in found} == {"recast"}


def test_spanish_slips_are_listed():
    found = learner_mistakes([(1, "Ayer yo como pizza. La problema es grande."),
                              (2, "Yo soy 27 años.")], "es")
    assert pairs(found) == [("yo como", "yo comí"), ("La problema", "El problema"),
                            ("Yo soy 27 años", "Yo tengo 27 años")]
    assert found[1]["why"] == "“problema” is masculine."


def test_french_slips_are_listed():
    found = learner_mistakes([(3, "Hier soir je regarde la télé, le maison est vide.")], "fr-CA")
    assert pairs(found) == [("je regarde", "j'ai regardé"), ("le maison", "la maison")]
    assert found[0]["answers"] == [3]


def test_correct_speech_has_no_mistakes():
    turns = [(1, "I went to the cinema yesterday with my friends."),
             (2, "My brother lives in Canada and works as a nurse."),
             (3, "Do you like pizza? He told me \"I go home now\".")]
    assert learner_mistakes(turns, "en") == []
    assert learner_mistakes([(1, "Ayer fuimos al parque. El agua está fría.")], "es") == []
    assert learner_mistakes([(1, "Hier j'ai regardé un film avec ma sœur.")], "fr") == []


def test_the_same_mistake_in_two_answers_counts_twice_and_comes_first():
    turns = [(1, "I am teacher. Last week I go to London."),
             (2, "My sister work in Paris."),
             (3, "Yesterday, um, I go to the park.")]
    found = learner_mistakes(turns, "en")
    assert found[0] == {"said": "I go", "better": "I went", "count": 2, "answers": [1, 3],
                        "source": "recast", "why": found[0]["why"]}
    assert [m["count"] for m in found[1:]] == [1, 1]


def test_said_is_quoted_as_recognised_with_its_filler_and_stutter():
    [found] = learner_mistakes([(1, "uh last weekend I I um visit my grandparents")], "en")
    assert (found["said"], found["better"]) == ("I I um visit", "I visited")


def test_a_model_correction_of_words_never_said_is_dropped():
    model = [{"turn": 1, "said": "I goed to there", "better": "I went there", "why": "made up"},
             {"turn": 1, "said": "I am agree", "better": "I agree", "why": "No 'am' here."},
             {"turn": 1, "said": "agree", "better": "agree", "why": "changes nothing"},
             {"turn": 1, "said": "", "better": "x"}, "not a dict"]
    found = learner_mistakes([(1, "Well, I AM agree with you.")], "en", model)  # type: ignore[arg-type]
    assert pairs(found) == [("I AM agree", "I agree")]
    assert found[0]["source"] == "model" and found[0]["why"] == "No 'am' here."


def test_a_model_correction_is_placed_in_the_answer_that_holds_it():
    model = [{"turn": 7, "said": "depends of", "better": "depends on", "why": ""}]
    found = learner_mistakes([(1, "Hello."), (2, "It depends of the weather.")], "en", model)
    assert found[0]["answers"] == [2]


def test_a_slip_found_by_both_is_listed_once_with_the_model_reason():
    model = [{"turn": 1, "said": "Yesterday I go", "better": "Yesterday I went",
              "why": "Yesterday is over."}]
    found = learner_mistakes([(1, "Yesterday I go to school."), (2, "Last week I go home.")],
                             "en", model)
    assert len(found) == 1
    assert (found[0]["said"], found[0]["count"]) == ("I go", 2)
    assert found[0]["why"] == "Yesterday is over."


def test_when_model_and_recast_disagree_the_model_is_kept():
    model = [{"turn": 1, "said": "I have went", "better": "I went", "why": ""}]
    found = learner_mistakes([(1, "Yesterday I have went to the market")], "en", model)
    assert pairs(found) == [("I have went", "I went")]


def test_at_most_ten_recurring_first():
    turns = [(n, f"My {noun} like it.") for n, noun in enumerate(
        ["mother", "father", "sister", "brother", "friend", "teacher", "boss", "dog", "cat",
         "son", "daughter"], start=1)]
    turns += [(12, "My daughter like it too.")]
    found = learner_mistakes(turns, "en")
    assert len(found) == MAX_MISTAKES
    assert found[0]["said"] == "My daughter like" and found[0]["count"] == 2


@pytest.mark.parametrize("turns", [[], [(1, "")], [(1, "   ")], [(1, "??? ,,, ... …")],
                                   [(1, "asdf qwer zxcv ñññ 123 '' \" «")],
                                   [(1, "the the the and and so so")]])
def test_nothing_or_garbage_gives_no_mistakes(turns):
    assert learner_mistakes(turns, "en") == []
    assert learner_mistakes(turns, "fr", [{"said": "je suis", "better": "j'ai"}]) == []


def test_a_language_the_recaster_does_not_cover_gives_only_model_corrections():
    turns = [(1, "Gestern ich gehe ins Kino.")]
    assert learner_mistakes(turns, "de") == []
    model = [{"turn": 1, "said": "ich gehe", "better": "ging ich", "why": "Verb second."}]
    assert pairs(learner_mistakes(turns, "de", model)) == [("ich gehe", "ging ich")]


def test_labelled_turns_get_no_false_or_made_up_mistakes():
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert len(rows) >= 60 and {r["language"] for r in rows} == {"en", "es", "fr"}
    for row in rows:
        found = learner_mistakes([(1, row["text"])], row["language"])
        assert all(m["said"].lower() in row["text"].lower() for m in found), row["text"]
        if not row["expected_said"]:
            assert found == [], row["text"]


def test_history_counts_a_mistake_once_per_session_from_the_report_list():
    def report(*better: str) -> dict:
        return {"content": {"mistakes": [{"said": "x", "better": b} for b in better],
                            "language": {"corrections": [{"better": "ignored"}]}}}

    points = [session_metrics(report("I went", "I went.")), session_metrics(report("i  went")),
              session_metrics(report("She likes")), session_metrics(report("She likes"))]
    assert recurring_corrections(points) == [("i went", 2), ("she likes", 2)]


def test_history_of_older_reports_reads_the_model_corrections():
    old = {"content": {"language": {"corrections": [{"said": "I have went", "better": "I went"}]}}}
    assert session_metrics(old)["corrections"] == ["I went"]
    assert session_metrics({})["corrections"] == []
