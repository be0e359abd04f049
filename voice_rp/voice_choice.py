"""Which voice speaks for a persona when the one it asks for is not installed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from voice_rp import events as ev
from voice_rp.errors import VoiceMissing, VoiceRPError
from voice_rp.line_cache import CachedVoice
from voice_rp.models import Models
from voice_rp.personas import Persona, Speaker, language_name
from voice_rp.tts import Synthesizer

log = logging.getLogger(__name__)


def choose_voice(models: Models, persona: Persona, name: str
             ) -> tuple[Synthesizer | None, ev.ErrorEvent | None]:
    """Blocking: the voice `name`, else a stand-in, and what to tell the user about it."""
    try:
        return models.voice(name), None
    except VoiceRPError as exc:
        code, problem = exc.code, str(exc)
        if isinstance(exc, VoiceMissing):
            problem += "; see 'Adding a voice' in docs/personas.md."
    language = language_name(persona.language)
    for info in models.voices.for_language(persona.language):
        try:
            return models.voice(info.name), ev.ErrorEvent(
                code, f"{problem} Until then, the {language} voice {info.name} is used.")
        except VoiceRPError as exc:
            log.warning("voice %s is unusable: %s", info.name, exc)
    return None, ev.ErrorEvent(code, f"{problem} No installed voice speaks {language}, so "
                                     f"{persona.name}'s replies come as text only.")


class SessionVoices:
    """The voices one conversation speaks with: each loaded once, off the event loop, and
    reading the lines made ahead from the shared line cache (voice_rp.line_cache).

    A voice that is not installed is reported once (through `report`, as voice_missing). The
    speaker then uses another installed voice of the persona's language, or no voice at all: a
    learner is better served by reading the reply than by hearing it in an English accent.
    """

    def __init__(self, models: Models, persona: Persona,
                 report: Callable[[ev.ErrorEvent], None]) -> None:
        self._models = models
        self._persona = persona
        self._report = report
        self._loaded: dict[str, Synthesizer | None] = {}  # by voice name; None: text only
        self._lock = asyncio.Lock()

    async def for_speaker(self, speaker: Speaker) -> Synthesizer | None:
        name = speaker.voice.name
        async with self._lock:
            if name not in self._loaded:
                synth, problem = await asyncio.to_thread(
                    choose_voice, self._models, self._persona, name)
                if synth is not None:
                    voice_key = str(getattr(synth, "name", "") or f"{name}#{id(synth)}")
                    synth = CachedVoice(synth, self._models.lines, voice_key)
                self._loaded[name] = synth
                if problem is not None:
                    log.warning("%s", problem)
                    self._report(problem)
            return self._loaded[name]
