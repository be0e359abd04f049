"""Model work a conversation does before it is needed, in its idle time.

While the opening line plays, the user's recogniser is loaded and the model reads the persona's
prompt; after each reply the model reads the next turn's prompt while the user thinks and speaks;
the audio of the lines said word for word (voice_rp.line_cache) is made a piece at a time, never
while the user's words are recognised or a reply is made. No one waits for any of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from voice_rp import events as ev
from voice_rp.backends import capabilities_of
from voice_rp.conversation_options import ConversationOptions
from voice_rp.errors import VoiceRPError
from voice_rp.line_cache import CachedVoice, scripted_pieces
from voice_rp.models import Models
from voice_rp.reply_source import ReplyRequest, ReplyWriter
from voice_rp.turn_controller import TurnController
from voice_rp.voice_choice import SessionVoices

log = logging.getLogger(__name__)

LineToMake = tuple[CachedVoice, str, float]
"""A piece of a scripted line to make ahead: the voice, the text, the rate."""


class WorkAhead:
    """One conversation's work ahead, in tasks it starts through `spawn` (the conversation owns
    them); `live` is the work under way for the user, which lines made ahead give way to."""

    def __init__(self, models: Models, controller: TurnController, writer: ReplyWriter,
                 voices: SessionVoices, options: ConversationOptions, *,
                 spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
                 live: Callable[[], Iterable[asyncio.Task[None]]],
                 report: Callable[[ev.Event], None]) -> None:
        self._models, self._controller, self._writer = models, controller, writer
        self._voices, self.options = voices, options
        self._spawn, self._live, self._report = spawn, live, report
        self._background: set[asyncio.Task[None]] = set()  # model work no one waits for

    async def before_opening(self) -> list[LineToMake]:
        """Start loading the recogniser and reading the persona's prompt; returns the lines to
        make ahead, marked to be kept (before the opening line: it is kept as it is made)."""
        self._spawn(self._prepare_transcriber())
        self._spawn(self._read_persona_prompt())
        return await self._want_lines()

    def after_reply(self, request: ReplyRequest) -> None:
        """A reply is over: read the next turn's prompt, make the scenario's next questions."""
        if self.options.read_ahead and capabilities_of(self._models.chat).reads_prompt_ahead:
            self._background.add(self._spawn(self._writer.read_ahead_for(request)))
        if self.options.lines_ahead and self._controller.flow is not None:
            self.make_lines()

    def make_lines(self, todo: list[LineToMake] | None = None) -> None:
        self._spawn(self._make_lines(todo))

    async def _want_lines(self) -> list[LineToMake]:
        """The pieces of the lines this session will say word for word, marked to be kept;
        returns those not made yet."""
        if not self.options.lines_ahead:
            return []
        speaker = self._controller.speaker()
        voice = await self._voices.for_speaker(speaker)
        if not isinstance(voice, CachedVoice):
            return []
        policy, rate = self.options.chunk_policy, speaker.voice.rate
        lines = [*self._controller.lines_ahead(), *self._writer.fixed_lines()]
        pieces = [p for line in lines for p in scripted_pieces([line], policy)]
        return [(voice, text, rate) for text in voice.want(pieces, rate)]

    async def _make_lines(self, todo: list[LineToMake] | None) -> None:
        """Make the wanted lines' audio while the session has nothing else to do: a piece at a
        time, never while the user's words are recognised or a reply is made."""
        if todo is None:
            todo = await self._want_lines()
        for voice, text, rate in todo:
            while busy := self._busy():
                await asyncio.wait(busy)
            try:
                await asyncio.to_thread(voice.make_ahead, text, rate)
            except VoiceRPError as exc:
                # A speech service that fails here fails the reply too, which says so; lines
                # made ahead are only a head start.
                log.info("making a line ahead failed: %s", exc)
                return

    def _busy(self) -> set[asyncio.Task[None]]:
        """The model work under way: recognising the user, making a reply, reading ahead."""
        self._background = {t for t in self._background if not t.done()}
        return self._background | {t for t in self._live() if not t.done()}

    async def _prepare_transcriber(self) -> None:
        language = self._controller.persona.language
        try:
            await asyncio.to_thread(self._models.transcriber_for, language)
        except VoiceRPError as exc:
            self._report(ev.ErrorEvent(exc.code, str(exc)))

    async def _read_persona_prompt(self) -> None:
        """Let the model read the persona's prompt while the opening line plays."""
        if capabilities_of(self._models.chat).reads_prompt_ahead:  # not a remote endpoint
            ctl = self._controller
            await self._writer.read_ahead(ctl.speaker(), ctl.opening_heard)
