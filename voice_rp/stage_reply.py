"""Model-sized prompting: turning a flow `Step` into what is spoken.

With a small model (the embedded SmolLM2) the engine speaks the scripted question itself and
asks the model only for a short acknowledgement of the user's words, which must pass plain
checks (short, no question, no label or stage direction, in the persona's language, not an
echo, not a repeat) or is replaced by a fixed one. With a capable endpoint the model may react
freely and put the question in its own words.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import re
from dataclasses import dataclass

from voice_rp import fidelity
from voice_rp.errors import VoiceRPError
from voice_rp.flow import Step
from voice_rp.listening.ack_fit import all_fixed, fits, fixed_choices, opens_without_ack, tone_of
from voice_rp.llm import ChatMessage, ChatModel, GenerationOptions
from voice_rp.personas import Persona
from voice_rp.safety.moderation import check_spoken

_ACK_TOKENS = 16  # a few words; SmolLM2 writes ~95 tokens/s, so this costs ~0.15 s
_ACK_MAX_WORDS = 10
_FREE_TOKENS_SMALL = 50  # a small model drifts the longer it writes
_DEFAULT_ACKS = {
    "en": ("Thank you.", "I see.", "Okay, thanks.", "Right.", "Got it.", "Thanks for that."),
    "es": ("Muy bien.", "Vale, gracias.", "Entiendo.", "¡Qué bien!", "Ah, claro."),
    "fr": ("Très bien.", "D'accord, merci.", "Je vois.", "Ah, super.", "Ah, d'accord."),
}
# An acknowledgement must sound like one: SmolLM2 also writes "I'm sorry, but I'm unable to
# provide a response" or "Sure, I can help", which pass every other check.
_ACK_WORDS = {
    "en": {"thank", "thanks", "great", "good", "nice", "interesting", "see", "understand",
           "understood", "right", "okay", "ok", "clear", "appreciate", "helpful", "glad", "got",
           "wonderful", "excellent", "sounds", "cool", "fair", "makes", "sense", "alright"},
    "es": {"gracias", "bien", "claro", "interesante", "vale", "entiendo", "genial", "bueno",
           "perfecto", "qué", "ah", "estupendo"},
    "fr": {"merci", "bien", "super", "intéressant", "d'accord", "vois", "compris", "génial",
           "parfait", "ah", "top", "chouette"},
}
_NOT_ACK = re.compile(r"\b(sorry|unable|cannot|can't|not|never|isn't|wasn't|don't|doesn't|"
                      r"no|confus\w*|misunderstand\w*|help|your (response|answer)|"
                      r"lo siento|perdón|désolé\w*|pardon)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"\w[^.!?]*[.!?](\s|$)")
_USER_LABEL = {"interviewer": "the candidate", "audience": "the speaker",
               "language_partner": "the learner", "caller": "the agent"}


@dataclass(frozen=True)
class ReplyPlan:
    """Either a scripted line to speak, or messages for the model to answer."""

    scripted: str | None = None
    ack: str = ""
    """The acknowledgement that begins `scripted`, spoken as its own part."""
    messages: list[ChatMessage] | None = None
    options: GenerationOptions | None = None
    model_failed: VoiceRPError | None = None
    """The model could not write the acknowledgement; a fixed one stands in, and the user is told
    (a dead endpoint must not hide behind a scenario that goes on)."""


class StageReplies:
    """Plans replies for one session; remembers its acknowledgements so they vary."""

    def __init__(self, persona: Persona, *, capable: bool, rng: random.Random | None = None
                 ) -> None:
        self.persona = persona
        self.capable = capable
        self._rng = rng or random.Random()
        self._acks: list[str] = []
        flow = persona.flow
        primary = persona.language.split("-")[0].lower()
        self._fallbacks = tuple(flow.acknowledgements if flow and flow.acknowledgements
                                else _DEFAULT_ACKS.get(primary, _DEFAULT_ACKS["en"]))

    @property
    def acknowledges(self) -> bool:
        """Whether the model is asked for acknowledgements (a scenario, a small model)."""
        return self.persona.flow is not None and not self.capable

    @property
    def ack_instruction(self) -> str:
        return (f"Reply to {self.user_label} with a short acknowledgement of at most "
                "eight words, like \"Thank you, that is helpful.\" Do not ask a question.")

    def ack_prompt(self, messages: list[ChatMessage]) -> list[ChatMessage]:
        """The prompt asking for an acknowledgement: the instruction before the user's words."""
        return _with_instruction(messages, self.ack_instruction)

    @property
    def fixed_acks(self) -> tuple[str, ...]:
        """The acknowledgements said when the model's own is unfit or late (made ahead)."""
        return all_fixed(self._fallbacks, self.persona.language)

    @property
    def user_label(self) -> str:
        return user_label(self.persona)

    async def plan(self, step: Step, chat: ChatModel, messages: list[ChatMessage],
                   user_text: str, *, ack_within_s: float | None = None) -> ReplyPlan:
        """`messages` is the ordinary prompt for this turn (ending with the user's words).
        `ack_within_s`: how long the model may take over an acknowledgement before a fixed
        one (its audio made ahead) is said instead, so the reply is ready at the turn end."""
        if step.kind == "free":
            options = self.persona.llm
            if not self.capable:
                options = dataclasses.replace(
                    options, max_tokens=min(options.max_tokens, _FREE_TOKENS_SMALL))
            return ReplyPlan(messages=_with_instruction(messages, self._free(step)),
                             options=options)
        if self.capable and step.question and step.acknowledge:
            text = (f"{step.instruction} In one short sentence react to what {self.user_label} "
                    f"just said, then ask this question in your own words: {step.question}")
            return ReplyPlan(messages=_with_instruction(messages, text), options=self.persona.llm)
        if not step.acknowledge or opens_without_ack(tone_of(user_text)):
            return ReplyPlan(scripted=step.say)
        ack, failed = await self._acknowledgement(chat, messages, user_text, ack_within_s)
        return ReplyPlan(scripted=f"{ack} {step.say}".strip(), ack=ack, model_failed=failed)

    def _free(self, step: Step) -> str:
        return (f"Now: {step.instruction} Answer in one or two short sentences, as "
                f"{self.persona.name}, in plain speech.")

    async def acknowledgement(self, chat: ChatModel, messages: list[ChatMessage],
                              user_text: str) -> str:
        """A few in-character words from the model, or a fixed acknowledgement."""
        return (await self._acknowledgement(chat, messages, user_text))[0]

    async def _acknowledgement(self, chat: ChatModel, messages: list[ChatMessage],
                               user_text: str, within_s: float | None = None
                               ) -> tuple[str, VoiceRPError | None]:
        instruction = self.ack_instruction
        options = dataclasses.replace(self.persona.llm, max_tokens=_ACK_TOKENS)
        parts: list[str] = []
        failed: VoiceRPError | None = None
        try:
            async with asyncio.timeout(within_s):
                stream = chat.stream(_with_instruction(messages, instruction), options)
                async with contextlib.aclosing(stream):
                    async for delta in stream:
                        parts.append(delta)
                        if _SENTENCE_END.search("".join(parts)):
                            break  # only the first sentence is used: the user is waiting
        except VoiceRPError as exc:
            parts, failed = [], exc
        except TimeoutError:
            parts = []  # too slow for this turn: a fixed one, ready to play, goes first
        return self.choose(" ".join("".join(parts).split()), user_text), failed

    def choose(self, candidate: str, user_text: str) -> str:
        """`candidate` cut to its first sentence if it passes the checks, else a fixed one."""
        ack = first_sentence(fidelity.strip_stage_directions(candidate))
        tone = tone_of(user_text)
        if not (acceptable_ack(ack, user_text=user_text, earlier=self._acks[-3:],
                               language=self.persona.language, names=self._names())
                and fits(ack, tone)):
            # A made-ahead one that fits what was said, never the one said last time.
            choices = fixed_choices(self._fallbacks, tone, self.persona.language)
            fresh = ([a for a in choices if a not in self._acks[-2:]]
                     or [a for a in choices if a not in self._acks[-1:]] or list(choices))
            ack = self._rng.choice(fresh)
        self._acks.append(ack)
        return ack

    def _names(self) -> tuple[str, ...]:
        return (self.persona.name, *(m.name for m in self.persona.panel))


def user_label(persona: Persona) -> str:
    """How prompts name the person practising, by the persona's kind ("the candidate")."""
    return _USER_LABEL.get(persona.kind, "the user")


def acceptable_ack(ack: str, *, user_text: str, earlier: list[str], language: str,
                   names: tuple[str, ...] = ()) -> bool:
    """A model's acknowledgement is fit to be spoken before the scripted question."""
    said = fidelity.words(ack)
    return (0 < len(said) <= _ACK_MAX_WORDS
            and not fidelity.asks_question(ack)
            and fidelity.out_of_role(ack) is None
            and not any(n and n.lower() in ack.lower() for n in names)  # "Maya: ..." or a
            and not fidelity.is_echo(ack, user_text, run=4)              # sign-off
            and not fidelity.near_duplicate(ack, earlier, ratio=0.75)
            and fidelity.language_guess(ack) in (None, language.split("-")[0].lower())
            and not _NOT_ACK.search(ack)
            and check_spoken(ack, language=language).ok
            and any(w in _ACK_WORDS.get(language.split("-")[0].lower(), _ACK_WORDS["en"])
                    for w in said))


def first_sentence(text: str) -> str:
    match = re.match(r"\s*(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text).strip()


def _with_instruction(messages: list[ChatMessage], text: str) -> list[ChatMessage]:
    """The instruction goes just before the user's words: the prefix before it stays cached."""
    if messages and messages[-1].role == "user":
        return [*messages[:-1], ChatMessage("system", text), messages[-1]]
    return [*messages, ChatMessage("system", text)]
