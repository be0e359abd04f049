"""What a persona may choose and what it gets when it does not say: language, voice, kind,
difficulty, turn-taking. The one place these live; persona files, prompts, the gallery and the
voice fallback read them from here."""

from __future__ import annotations

import re

from voice_rp.tts import BUNDLED_VOICE

DEFAULT_LANGUAGE = "en"
DEFAULT_VOICE = BUNDLED_VOICE  # the Piper voice shipped with voice-rp
KINDS = ("character", "interviewer", "audience", "language_partner", "caller")
DIFFICULTIES = ("friendly", "neutral", "tough")
TURN_TAKING = ("conversational", "monologue", "patient")
CEFR_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
# What a speaker says to hand over after a talk, when the persona file names no phrases.
DEFAULT_END_PHRASES = (
    "thank you for listening",
    "that's the end of my talk",
    "that concludes my talk",
)
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "ru": "Russian", "uk": "Ukrainian",
    "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "hi": "Hindi",
    "tr": "Turkish", "sv": "Swedish", "ca": "Catalan",
}


def language_name(code: str) -> str:
    """The language's English name ("es-MX" -> "Spanish"), or the code if it is not known."""
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)
