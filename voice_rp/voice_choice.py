"""Which voice speaks for a persona when the one it asks for is not installed."""

from __future__ import annotations

import logging

from voice_rp import events as ev
from voice_rp.errors import VoiceMissing, VoiceRPError
from voice_rp.models import Models
from voice_rp.persona import Persona
from voice_rp.prompt import language_name
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
