"""The plain checks on answers and replies, on known good and bad examples; acknowledgements
from a fake model; the memory that keeps the prompt within budget."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from voice_rp import fidelity as fid
from voice_rp.errors import LLMError
from voice_rp.flow import Step
from voice_rp.labels import AsideFilter, LabelFilter
from voice_rp.llm import ChatMessage, GenerationOptions
from voice_rp.memory import HistoryWindow, SessionMemory
from voice_rp.personas import builtin_dirs, find_persona
from voice_rp.stage_reply import StageReplies, acceptable_ack

# --------------------------------------------------------------------------- the user's answers


@pytest.mark.parametrize(("answer", "reason"), [
    ("I fixed it.", "too_short"),
    ("We looked at the logs together, we found the slow query, we rewrote it and we added an "
     "index, and in the end the page loaded in one second again.", "we_only"),
    ("I sat down with my manager and I listed every task I had that week, then I went through "
     "them one by one with her and talked to each person involved.", "no_result"),
    ("I noticed the release was slipping, so I split the work into smaller pieces, I asked two "
     "colleagues for help with testing, and as a result we shipped on time.", None),
    ("My manager asked me to cut costs. I compared three suppliers and I renegotiated the "
     "biggest contract myself, which reduced our spending by twelve percent.", None),
])
def test_vague_reason(answer: str, reason: str | None) -> None:
    assert fid.vague_reason(answer) == reason


@pytest.mark.parametrize(("answer", "stuck"), [
    ("Um, uh...", True), ("No sé.", True), ("Je ne sais pas", True), ("I don't know, sorry", True),
    ("I'm I don't know", True),  # as tiny.en heard "Um... I don't know."
    ("I might don't know.", True),  # and so, once
    ("Hmm, I'm really not sure.", True),
    ("I don't know why, but I always cook pasta on Sundays with my kids.", False),
    ("Me gusta la paella.", False), ("I like to cook pasta on Sundays.", False),
])
def test_stalled(answer: str, stuck: bool) -> None:
    assert fid.stalled(answer) is stuck


# --------------------------------------------------------------------------- replies


@pytest.mark.parametrize(("reply", "why"), [
    ("Thanks. Tell me about a time you missed a deadline?", None),
    ("(smiling) Ah, great. What happened next?", "stage_direction"),
    ("*nods* Okay.", "stage_direction"),
    ("Interviewer: Thanks for that answer.", "label"),
    ("As an AI language model, I cannot have opinions.", "as_ai"),
    ("Good.\nCandidate: I worked at a bank.", "written_as_user"),
    ("", "empty"),
])
def test_out_of_role(reply: str, why: str | None) -> None:
    assert fid.out_of_role(reply) == why


def test_echo_and_near_duplicate() -> None:
    user = "I led the migration of our billing system to the cloud last spring"
    assert fid.is_echo("You led the migration of our billing system to the cloud last spring.",
                       user)
    assert not fid.is_echo("Thanks. How did you plan the cut-over?", user)
    earlier = ["I'm so glad to hear that. That's a great example of how a team can work together."]
    assert fid.near_duplicate("I'm so glad to hear that! That's a great example of how teams "
                              "can work together.", earlier)
    assert not fid.near_duplicate("Thank you. What did you learn from it?", earlier)


def test_language_and_length() -> None:
    assert fid.in_language("¡Qué bien! ¿Y qué vas a hacer esta tarde?", "es")
    assert not fid.in_language("That is great, and what do you do in the evening?", "es")
    assert not fid.in_language("C'est très bien, merci pour la question et tu as raison.", "en")
    assert fid.in_language("Okay.", "fr")  # too short to tell: not held against the reply
    # A French topic question shares "y", "un", "de" with Spanish: it is still French.
    assert fid.language_guess("Ah, super! Il y a un bon restaurant près de chez toi?") == "fr"
    assert fid.language_guess("¡Qué bien! ¿Hay un buen restaurante cerca de tu casa?") == "es"
    assert fid.language_guess("Is there a good restaurant near your home?") == "en"
    assert fid.speakable_length("Thanks. What happened next?")
    assert not fid.speakable_length(" ".join(["word"] * 80))
    assert fid.asks_question("¿Cómo estás?")
    assert fid.asks_question("Okay. Tell me about feedback that changed how you work.")
    assert not fid.asks_question("Thanks, I will tell my manager about it.")


def test_check_reply_scores_every_property() -> None:
    good = fid.check_reply("Thank you. What did you do yourself?", user_text="We did it.",
                           earlier=[], language="en")
    assert all(vars(good).values())
    bad = fid.check_reply("(laughs) Maya: We did it.", user_text="We did it.",
                          earlier=["(laughs) Maya: We did it."], language="en")
    assert not bad.in_role or not bad.no_stage_directions
    assert not bad.not_echo and not bad.not_near_duplicate and not bad.asks_question


# --------------------------------------------------------------------------- acknowledgements


class FakeChat:
    """Says the scripted replies in turn; records what it was asked."""

    name = "fake"

    def __init__(self, *replies: str, fail: bool = False) -> None:
        self.replies = list(replies)
        self.fail = fail
        self.requests: list[tuple[list[ChatMessage], GenerationOptions]] = []

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncIterator[str]:
        self.requests.append((messages, options))
        if self.fail:
            raise LLMError("the endpoint is down")
        for word in self.replies.pop(0).split(" "):
            yield word + " "


def plan(persona_id: str, step: Step, chat: FakeChat, *, capable: bool = False,
         user_text: str = "I led the project and it shipped on time."):
    persona = find_persona(persona_id, builtin_dirs())
    replies = StageReplies(persona, capable=capable)
    messages = [ChatMessage("system", "You are Maya."), ChatMessage("user", user_text)]
    return replies, asyncio.run(replies.plan(step, chat, messages, user_text))


QUESTION = Step("question", say="Tell me about a mistake you made.",
                question="Tell me about a mistake you made.", acknowledge=True,
                instruction="Ask questions.")


def test_small_model_acknowledges_and_the_engine_asks_the_question() -> None:
    chat = FakeChat("Thank you, that is a clear example. Now, what else")
    _, result = plan("behavioural-interviewer", QUESTION, chat)
    assert result.scripted == ("Thank you, that is a clear example. "
                               "Tell me about a mistake you made.")
    messages, options = chat.requests[0]
    assert options.max_tokens <= 16
    assert messages[-1].role == "user" and "acknowledgement" in messages[-2].content


@pytest.mark.parametrize("bad", [
    "Maya: Great answer.",
    "What a great answer, what did you learn?",
    "(smiling)",
    "I'm sorry, but I'm unable to provide a response immediately.",  # said by SmolLM2
    "Sure, I can help.",
    "The person here has a lot to share.",
    "I led the project and it shipped on time.",
    "Muy bien, gracias por tu respuesta y tu tiempo.",
])
def test_an_acknowledgement_failing_the_checks_is_replaced(bad: str) -> None:
    persona = find_persona("behavioural-interviewer", builtin_dirs())
    assert persona.flow is not None
    _, result = plan("behavioural-interviewer", QUESTION, FakeChat(bad))
    ack = (result.scripted or "").removesuffix(" Tell me about a mistake you made.")
    assert ack in persona.flow.acknowledgements


def test_an_acknowledgement_loses_its_stage_directions_and_all_but_its_first_sentence() -> None:
    _, result = plan("behavioural-interviewer", QUESTION,
                     FakeChat("(smiling) Ah, great. That's a wonderful example of teamwork and"))
    assert result.scripted == "Ah, great. Tell me about a mistake you made."


def test_a_failing_model_still_gets_the_question_asked() -> None:
    _, result = plan("behavioural-interviewer", QUESTION, FakeChat(fail=True))
    assert (result.scripted or "").endswith("Tell me about a mistake you made.")


def test_the_same_acknowledgement_is_not_used_three_times_running() -> None:
    persona = find_persona("behavioural-interviewer", builtin_dirs())
    replies = StageReplies(persona, capable=False)
    acks = [replies.choose("Thank you, that helps.", "I did it.") for _ in range(3)]
    assert acks[0] == "Thank you, that helps." and acks[1] != acks[0] and acks[2] != acks[0]


def test_acceptable_ack() -> None:
    assert acceptable_ack("Thanks, that helps.", user_text="x", earlier=[], language="en")
    assert not acceptable_ack("Thanks.", user_text="x", earlier=["Thanks."], language="en")


def test_capable_model_phrases_the_question_itself() -> None:
    chat = FakeChat("unused")
    _, result = plan("behavioural-interviewer", QUESTION, chat, capable=True)
    assert result.scripted is None and result.messages is not None
    assert "Tell me about a mistake you made." in result.messages[-2].content
    assert not chat.requests  # the model is asked once, by the conversation, streaming


def test_free_stage_caps_a_small_models_reply() -> None:
    step = Step("free", instruction="Answer the candidate's question.")
    _, result = plan("behavioural-interviewer", step, FakeChat())
    assert result.options is not None and result.options.max_tokens <= 50
    assert result.messages is not None and "Answer the candidate's question" in \
        result.messages[-2].content


def test_lines_and_closings_are_spoken_as_written() -> None:
    step = Step("closing", say="Goodbye!", closing=True)
    _, result = plan("behavioural-interviewer", step, FakeChat())
    assert result.scripted == "Goodbye!"


# --------------------------------------------------------------------------- stage directions


@pytest.mark.parametrize(("deltas", "spoken"), [
    (["(smil", "ing) Ah, ", "great."], "Ah, great."),
    (["Sure *nods* ", "go on."], "Sure go on."),
    (["Okay [laughs]", " then."], "Okay then."),
    (["Well (pause"], "Well "),
])
def test_asides_are_never_spoken(deltas: list[str], spoken: str) -> None:
    f = AsideFilter()
    assert "".join(f.push(d) for d in deltas) + f.flush() == spoken


def test_label_filter_also_drops_asides() -> None:
    f = LabelFilter(own=["Maya"])
    assert "".join(f.push(d) for d in ["Maya: ", "(smiling) ", "Great."]) + f.flush() == "Great."


# --------------------------------------------------------------------------- memory


def test_history_stays_within_budget_and_drops_in_jumps() -> None:
    window = HistoryWindow(budget_tokens=200)
    history: list[ChatMessage] = []
    starts = []
    for n in range(40):
        history.append(ChatMessage("user", f"answer {n} " + "word " * 20))
        history.append(ChatMessage("assistant", f"reply {n} " + "word " * 10))
        kept = window.select(history)
        assert sum(len(m.content) // 4 + 5 for m in kept) <= 200 + 20
        starts.append(window.dropped)
    changes = sum(1 for a, b in itertools.pairwise(starts) if a != b)
    assert 0 < changes < 20  # the prompt's beginning stays put for several turns at a time


def test_memory_keeps_the_name_and_earlier_answers() -> None:
    memory = SessionMemory(user_label="the candidate", role="A project coordinator role.")
    memory.note("Hi, my name is Priya and I'm happy to be here.")
    memory.note("I once led a migration of our billing system and it went live on time.",
                question="Tell me about a project you led.")
    text = memory.render()
    assert "The name of the candidate is Priya." in text
    assert "project coordinator" in text
    assert 'to "Tell me about a project you led." they said "I once led a migration' in text
    for n in range(10):
        memory.note(f"Answer number {n} with some more words in it.")
    assert len(memory.answers) == memory.max_answers
