"""The real conversation factory: bundled or configured models, shipped and user personas."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from server.personas_http import persona_voice_note
from server.session import Opened
from voice_rp import protocol as proto
from voice_rp.backends.factory import load_models
from voice_rp.clock import Clock, MonotonicClock
from voice_rp.config import Settings
from voice_rp.conversation import Conversation, ConversationOptions
from voice_rp.errors import PersonaError, UnknownPersona
from voice_rp.feedback.service import Reports
from voice_rp.models import Models
from voice_rp.pause_profile import PastPauses
from voice_rp.personas import DIFFICULTIES, Persona, find_persona
from voice_rp.storage import SessionStore
from voice_rp.stt import FILLER_PROMPT, HINTED_LANGUAGES
from voice_rp.tts_espeak import VoicesWithFallback

log = logging.getLogger(__name__)

# Clients name personas; they never hand the server a file path to read.
_PERSONA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

OPTION_HELP = {
    "difficulty": f"one of {', '.join(DIFFICULTIES)}",
    "opening_line": "true/false: whether the persona speaks first (default true)",
    "keep_fillers": "true/false: ask speech recognition to keep 'um' and 'uh' (default false)",
    "locale": "the user's locale such as en-GB: which crisis lines to offer (default: by the "
              "persona's language)",
}
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")


class ModelConversations:
    """Opens conversations on models loaded once and shared by every session."""

    def __init__(self, models: Models, persona_dirs: Sequence[Path], *,
                 clock: Clock | None = None, base: ConversationOptions | None = None,
                 past: Callable[[str], PastPauses] | None = None,
                 terms: Callable[[], Sequence[str]] | None = None) -> None:
        """`base`: the server's own conversation settings (deadlines), under each client's;
        `past`: the user's pauses in earlier sessions with a persona (blocking), to learn from;
        `terms`: the words the user corrected in earlier reports (blocking), given to
        recognition as hints like the persona's own vocabulary."""
        self.models = models
        self.persona_dirs = list(persona_dirs)
        self.clock = clock or MonotonicClock()
        self.base = base or ConversationOptions()
        self.past = past
        self.terms = terms

    @classmethod
    async def load(cls, settings: Settings, persona_dirs: Sequence[Path], *,
                   past: Callable[[str], PastPauses] | None = None,
                   terms: Callable[[], Sequence[str]] | None = None) -> ModelConversations:
        """Load the models in a worker thread and warm them up, so no user waits on a cold one."""
        models = await asyncio.to_thread(load_models, settings)
        await models.warm_up()
        return cls(models, persona_dirs, past=past, terms=terms, base=ConversationOptions(
            hold_after_s=settings.hold_after_s, turn_limit_s=settings.turn_limit_s))

    async def open(self, persona: str, options: dict[str, Any]) -> Opened:
        conv_options, difficulty = conversation_options(options, self.base)
        if not _PERSONA_NAME.match(persona):
            raise UnknownPersona(f"persona must be a name such as 'interviewer', got {persona!r}; "
                                 "persona files cannot be loaded over the network")
        found: Persona = await asyncio.to_thread(find_persona, persona, self.persona_dirs)
        if difficulty is not None:
            found = found.with_difficulty(difficulty)
        if self.terms is not None and _hinted(found):
            found = dataclasses.replace(found, vocabulary=(*found.vocabulary,
                                                           *await self._terms()))
        if self.past is not None:
            conv_options = dataclasses.replace(conv_options,
                                               past_pauses=await self._past(found.id))
        conversation = Conversation(models=self.models, persona=found, clock=self.clock,
                                    options=conv_options)
        speaks_first = conv_options.speak_opening_line and bool(found.scenario.opening_line)
        voices = self.models.voices
        note = (await asyncio.to_thread(persona_voice_note, found, voices)
                if isinstance(voices, VoicesWithFallback) else None)
        return Opened(conversation, {**persona_info(found), "speaks_first": speaks_first,
                                     "voice_note": note})

    async def _terms(self) -> tuple[str, ...]:
        assert self.terms is not None
        try:
            return tuple(await asyncio.to_thread(self.terms))
        except Exception as exc:  # the store is down: the persona's own words still help
            log.warning("the words corrected in earlier sessions could not be read: %s", exc)
            return ()

    async def _past(self, persona_id: str) -> PastPauses | None:
        assert self.past is not None
        try:
            return await asyncio.to_thread(self.past, persona_id)
        except Exception as exc:  # the store is down: the preset waits, and the session goes on
            log.warning("earlier sessions' pauses could not be read: %s", exc)
            return None


def past_pauses_in(store: SessionStore) -> Callable[[str], PastPauses]:
    """Reads a persona's latest sessions' pauses from the store (blocking)."""
    def read(persona_id: str) -> PastPauses:
        mine = sorted((s for s in store.list_sessions() if s.persona == persona_id),
                      key=lambda s: -s.started)
        return PastPauses.from_summaries(s.feedback for s in mine)
    return read


def _hinted(persona: Persona) -> bool:
    """Whether recognition is given hints in this persona's sessions at all (see
    Persona.recognition_hints and stt.HINTED_LANGUAGES): not for talks nor other languages,
    so their sessions need not read the corrected words."""
    language = persona.language.replace("-", "_").split("_", 1)[0].lower()
    return persona.turn_taking != "monologue" and language in HINTED_LANGUAGES


def corrected_terms_in(store: SessionStore) -> Callable[[], list[str]]:
    """Reads the words the user corrected in their latest sessions' reports (blocking): the
    persona's vocabulary comes first in the hints (measured), these after it, newest first, cut
    where stt.hint_list cuts the list."""
    return Reports(store).recognition_terms


def conversation_options(options: dict[str, Any], base: ConversationOptions | None = None
                         ) -> tuple[ConversationOptions, str | None]:
    """The client's start options as ConversationOptions (+ difficulty); unknown keys refused."""
    unknown = sorted(set(options) - set(OPTION_HELP))
    if unknown:
        known = "; ".join(f"{k}: {v}" for k, v in OPTION_HELP.items())
        raise proto.ProtocolError(proto.BAD_MESSAGE,
                                  f"unknown option(s) {', '.join(unknown)}; known options: {known}")
    for key in ("opening_line", "keep_fillers"):
        if key in options and not isinstance(options[key], bool):
            raise proto.ProtocolError(proto.BAD_MESSAGE, f"option {key} must be true or false")
    locale = options.get("locale", "")
    if not isinstance(locale, str) or (locale and not _LOCALE.match(locale)):
        raise proto.ProtocolError(proto.BAD_MESSAGE,
                                  "option locale must be a language tag such as en-GB")
    difficulty = options.get("difficulty")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise PersonaError(f"must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}",
                           field="difficulty")
    return dataclasses.replace(
        base or ConversationOptions(),
        speak_opening_line=options.get("opening_line", True),
        stt_prompt=FILLER_PROMPT if options.get("keep_fillers") else None,
        locale=locale,
    ), difficulty


def persona_info(persona: Persona) -> dict[str, Any]:
    """What the client is told about the persona in `ready`."""
    return {
        "id": persona.id,
        "name": persona.name,
        "title": persona.title,
        "kind": persona.kind,
        "language": persona.language,
        "difficulty": persona.difficulty,
        "turn_taking": persona.turn_taking,
        "speakers": [s.name for s in persona.speakers()],
        "setting": persona.scenario.setting,
        "objective": persona.scenario.objective,
        "you_practise": persona.you_practise or None,
        "description": persona.description or None,
    }
