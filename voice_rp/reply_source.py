"""Who writes a reply: a scripted line, the scenario's step, or the model freely, and its prompt.

The turn controller decides what a reply is for (a `ReplyRequest`); `ReplyWriter` turns that into
a `ReplySource` for the reply stream, asking the model for an acknowledgement where the scenario
wants one (voice_rp.stage_reply).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from voice_rp.conversation_options import ConversationOptions
from voice_rp.flow import Step
from voice_rp.labels import label_filter
from voice_rp.llm import ChatMessage, GenerationOptions
from voice_rp.memory import HistoryWindow
from voice_rp.models import Models
from voice_rp.personas import Persona, Speaker
from voice_rp.prompt import build_messages, closing_line
from voice_rp.reply import ReplySource, ScriptedChat, holding_line, read_prompt_ahead
from voice_rp.safety.moderation import Moderator, strings_in
from voice_rp.stage_reply import StageReplies

_CLOSING_INSTRUCTION = (
    "The session is over now. In one or two short sentences, thank the user warmly and say goodbye."
)


@dataclass(frozen=True)
class ReplyRequest:
    """What one reply is for, as the turn controller decided it."""

    speaker: Speaker
    user_text: str = ""  # "" for lines the persona says unprompted
    scripted: str | None = None  # a line to say as written (the opening line)
    closing: bool = False  # the scenario ends with this reply
    step: Step | None = None  # the scenario's step, when a flow runs the session
    history: tuple[ChatMessage, ...] = ()  # the conversation so far, as the user heard it
    memory: str = ""  # what the session remembers of the user (SessionMemory.render)
    hold_at: float | None = None  # no reply piece by this clock time: a holding line first
    ack_within_s: float | None = None  # the model's acknowledgement, if any, is due by then
    note: str = ""  # what kind of turn the user took, for the model that writes the reply


class ReplyWriter:
    """Builds each reply's source for one session."""

    def __init__(self, models: Models, persona: Persona, options: ConversationOptions,
                 rng: random.Random) -> None:
        self._models = models  # read at each reply: the chat model may be swapped
        self._persona = persona
        capable = options.capable_model
        if capable is None:
            capable = getattr(models, "capable_chat", False)
        self._stage_replies = StageReplies(persona, capable=capable, rng=rng)
        self._user_name = options.user_name
        self._window = HistoryWindow(budget_tokens=options.history_budget_tokens)
        # Set while no read-ahead runs. A reply waits for this session's read-ahead to end: the
        # engine reading it is the one whose cache will hold the reply's prompt, and a reply sent
        # to another engine meanwhile would read its whole prompt again (seconds on a slow CPU).
        self._read = asyncio.Event()
        self._read.set()
        self._reading = 0
        # The model's words are checked before they are spoken. What the persona's author wrote
        # (lore with numbers in it) and the session's fixed lines are known safe.
        self._moderation = Moderator(persona.language, (*strings_in(persona), *self.fixed_lines()),
                                     getattr(models, "moderation", None))

    async def source(self, request: ReplyRequest) -> ReplySource:
        """The reply's source. Raises LLMError if planning a scenario's step fails."""
        scripted, closing, step = request.scripted, request.closing, request.step
        chat = self._models.chat
        if scripted is None and closing:
            scripted = (step.say if step is not None else "") or closing_line(
                self._persona, user_name=self._user_name) or None
        if scripted is None and step is not None:
            await self._read.wait()
            plan = await self._stage_replies.plan(step, chat, self._messages(request),
                                                  request.user_text,
                                                  ack_within_s=request.ack_within_s)
            if plan.scripted is None:
                return self._free(request, plan.messages or [], plan.options)
            parts = (plan.ack, step.say) if plan.ack else (plan.scripted,)
            return ReplySource(ScriptedChat(*parts), [], self._persona.llm,
                               model_failed=plan.model_failed)
        if scripted is not None:
            # A scripted line is spoken as written and is never late.
            return ReplySource(ScriptedChat(scripted), [], self._persona.llm)
        await self._read.wait()
        messages = self._messages(request)
        if closing:
            # Said just before the user's last words, so the prompt prefix stays reusable.
            messages.insert(-1, ChatMessage("system", _CLOSING_INSTRUCTION))
        return self._free(request, messages, None)

    async def read_ahead(self, speaker: Speaker, opening_heard: str) -> None:
        """Have the model read the first turn's prompt up to the user's words (with the opening
        line as heard) now, so that turn starts fast."""
        history = (ChatMessage("assistant", opening_heard),) if opening_heard else ()
        await self.read_ahead_for(ReplyRequest(speaker, history=history))

    def fixed_lines(self) -> list[str]:
        """What this session's replies may say word for word whatever the user says: the
        fixed acknowledgements (with a flow), the holding line, the closing line."""
        acks = list(self._stage_replies.fixed_acks) if self._persona.flow is not None else []
        closing = closing_line(self._persona, user_name=self._user_name)
        return [*acks, holding_line(self._persona.language), *([closing] if closing else [])]

    async def read_ahead_for(self, request: ReplyRequest) -> None:
        """Have the model read the next turn's prompt (the history and memory in `request`) up
        to the user's words, while the user thinks and speaks."""
        messages = build_messages(self._persona, self._window.select(request.history), "",
                                  speaker=request.speaker, memory=request.memory)
        if self._stage_replies.acknowledges:  # most turns of a scenario start with one
            messages = self._stage_replies.ack_prompt(messages)
        self._reading += 1
        self._read.clear()
        try:
            await read_prompt_ahead(self._models.chat, messages, self._persona.llm)
        finally:
            self._reading -= 1
            if not self._reading:
                self._read.set()

    def _free(self, request: ReplyRequest, messages: list[ChatMessage],
              options: GenerationOptions | None) -> ReplySource:
        return ReplySource(
            self._models.chat, messages, options or self._persona.llm,
            labels=label_filter(self._persona, request.speaker, self._user_name),
            hold_at=request.hold_at, holding_text=holding_line(self._persona.language),
            moderation=self._moderation)

    def _messages(self, request: ReplyRequest) -> list[ChatMessage]:
        """The prompt for a reply: the history that fits the budget, plus the session's memory,
        and what kind of turn the user took, said just before their words."""
        messages = build_messages(self._persona, self._window.select(request.history),
                                  request.user_text, speaker=request.speaker,
                                  memory=request.memory)
        if request.note:
            messages.insert(-1, ChatMessage("system", request.note))
        return messages
