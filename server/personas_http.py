"""`GET /api/personas`: the practice gallery the browser client shows, and the client's favicon.

The gallery is read from the same persona directories the conversations use, on each request,
so a persona file added while the server runs shows up on the next page load.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from websockets.http11 import Response

from server import http
from voice_rp.personas import DIFFICULTIES, Persona, language_name, list_personas
from voice_rp.tts_espeak import VoicesWithFallback, voice_note

VoiceNote = Callable[[Persona], "str | None"]
"""What a card says about who speaks a persona (see `persona_voice_note`); None: nothing."""

PERSONAS_PATH = "/api/personas"
FAVICON_PATHS = ("/favicon.ico", "/favicon.svg")

# What each turn-taking policy means for the user, in their words.
TURN_TAKING_TEXT = {
    "conversational": "answers each time you finish speaking",
    "monologue": "listens to your whole talk, then asks questions",
    "patient": "waits longer for you and speaks slowly",
}
# Personas whose challenge is set by the CEFR level rather than by difficulty.
_LEVELLED_KINDS = ("language_partner",)


def persona_voice_note(persona: Persona, voices: VoicesWithFallback | None) -> str | None:
    """The label for a persona spoken by the espeak-ng fallback (or by no voice at all), from
    the voices a conversation would use; None when Piper voices speak every speaker, or when
    the server speaks through a remote service (`voices` None)."""
    if voices is None:
        return None
    for speaker in persona.speakers():
        note = voice_note(voices, speaker.voice.name, persona.language)
        if note is not None:
            return note
    return None


def gallery_entry(persona: Persona, *, voice_note: VoiceNote | None = None) -> dict[str, Any]:
    """What the gallery says about one persona: who, what you practise, how it listens.

    `you_practise` and `description` are the card's words to the user (None when a persona
    file gives none: the page leaves the line out rather than show the character's job);
    `practise` is the scenario's objective, kept for clients written before them.
    """
    ending = persona.scenario.ending
    return {
        "id": persona.id,
        "title": persona.title,
        "name": persona.name,
        "who": persona.character.background,
        "kind": persona.kind,
        "you_practise": persona.you_practise or None,
        "description": persona.description or None,
        "voice_note": voice_note(persona) if voice_note is not None else None,
        "practise": persona.scenario.objective,
        "setting": persona.scenario.setting,
        "language": persona.language,
        "language_name": language_name(persona.language),
        "level": persona.level,
        "turn_taking": persona.turn_taking,
        "turn_taking_text": TURN_TAKING_TEXT.get(persona.turn_taking, persona.turn_taking),
        "difficulty": None if persona.kind in _LEVELLED_KINDS else persona.difficulty,
        "speakers": [s.name for s in persona.speakers()],
        "speaks_first": bool(persona.scenario.opening_line),
        "time_limit_s": ending.time_limit_s,
        "after_questions": ending.after_questions,
        "end_phrases": list(persona.end_phrases),
    }


def gallery(persona_dirs: Sequence[Path], *, token_required: bool,
            voice_note: VoiceNote | None = None) -> dict[str, Any]:
    """The whole `/api/personas` body (broken persona files are skipped and logged)."""
    return {
        "personas": [gallery_entry(p, voice_note=voice_note)
                     for p in list_personas(persona_dirs)],
        "options": {
            "difficulty": list(DIFFICULTIES),
            "keep_fillers": "keep 'um' and 'uh' in your transcript, for feedback on them",
            "opening_line": "the persona speaks first",
        },
        # The page shows its token field only when the websocket will ask for one.
        "token_required": token_required,
    }


def handle(path: str, persona_dirs: Sequence[Path], *, token_required: bool,
           web_dir: Path = http.WEB_DIR, voice_note: VoiceNote | None = None
           ) -> Response | None:
    """The response for the paths this module serves, None for any other path.

    `voice_note`: blocking (it may ask espeak-ng which languages it speaks, once each).
    """
    if path == PERSONAS_PATH:
        return http.json_response(200, gallery(persona_dirs, token_required=token_required,
                                               voice_note=voice_note))
    if path in FAVICON_PATHS:
        # Browsers ask for /favicon.ico whatever the page says; an SVG answers both names.
        return http.static_response("/favicon.svg", web_dir)
    return None
