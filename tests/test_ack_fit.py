"""The first words of a reply fit what the user said: no praise after "I'm not sure", sympathy
after a hard story, no acknowledgement at all after "Yes.", never the same one twice in a row."""

from __future__ import annotations

import itertools
import random

import pytest
from controller_harness import persona

from voice_rp.listening.ack_fit import Tone, fits, tone_of
from voice_rp.stage_reply import StageReplies


@pytest.mark.parametrize(("text", "tone"), [
    ("Yes, I did.", Tone.SHORT),
    ("Sí, claro.", Tone.SHORT),
    ("I'm not sure, maybe I would ask my manager first.", Tone.UNSURE),
    ("No estoy seguro, tal vez iría al cine.", Tone.UNSURE),
    ("Je ne sais pas, peut-être que je resterais chez moi.", Tone.UNSURE),
    ("I made a big mistake on the launch and I was fired two weeks later.", Tone.HARD),
    ("Perdí mi trabajo el año pasado y fue muy duro para mi familia.", Tone.HARD),
    ("J'ai perdu mon travail l'année dernière, c'était dur.", Tone.HARD),
    ("I made a big mistake on the launch, but I fixed it and learned to test earlier.",
     Tone.FULL),
    ("I led the migration of our billing system to the new platform in three months.",
     Tone.FULL),
])
def test_the_tone_of_an_answer(text: str, tone: Tone) -> None:
    assert tone_of(text) is tone


def test_praise_fits_only_an_ordinary_answer() -> None:
    assert fits("That's a great way to start.", Tone.FULL)
    for tone in (Tone.UNSURE, Tone.HARD, Tone.SHORT):
        assert not fits("That's a great way to start.", tone)
        assert fits("I see.", tone)


def _replies(seed: int = 3) -> StageReplies:
    return StageReplies(persona("behavioural-interviewer", flow=True), capable=False,
                        rng=random.Random(seed))


def test_the_models_praise_after_an_unsure_answer_is_replaced() -> None:
    ack = _replies().choose("That's a great way to start.", "I'm not sure, maybe I'd ask.")
    assert "great" not in ack.lower()


def test_a_hard_story_gets_a_sympathetic_acknowledgement() -> None:
    ack = _replies().choose("", "I made a mistake in the report and I was fired for it.")
    assert any(w in ack.lower() for w in ("tough", "easy", "open"))


@pytest.mark.parametrize("seed", range(10))
def test_no_acknowledgement_twice_in_a_row(seed: int) -> None:
    replies = _replies(seed)
    said = [replies.choose("", "I led the project and we shipped it on time to the client.")
            for _ in range(12)]
    assert all(a != b for a, b in itertools.pairwise(said)), said
    assert len(set(said)) >= 3


async def test_a_few_words_get_the_question_without_an_acknowledgement() -> None:
    from voice_rp.flow import Step

    step = Step("ask", say="What happened next?", question="What happened next?",
                acknowledge=True)
    short = await _replies().plan(step, None, [], "Yes, I did.")  # type: ignore[arg-type]
    assert (short.scripted, short.ack) == ("What happened next?", "")


@pytest.mark.parametrize("judgement", ["Your response is not helpful.", "That doesn't sound right.",
                                       "Your answer is clear."])
def test_an_acknowledgement_never_judges_the_user(judgement: str) -> None:
    ack = _replies().choose(judgement, "I led the billing migration and it shipped on time.")
    assert ack != judgement
