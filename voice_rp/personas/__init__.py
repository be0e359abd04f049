"""Personas as data: who the character is, the scenario, the voice, the language, the turn-taking.

The modules, each with one job (the ones below import only those above them):

- `defaults`: what a persona may choose and its defaults (language, voice, kind, difficulty).
- `fields`: reading a file's mappings with errors that name the file and field.
- `lorebook`, `scenario`: a card's lorebook; scenario flows (the `flow` section).
- `model`: the Persona dataclasses.
- `schema`: a persona YAML file's mapping to a Persona, validated.
- `macros`, `cards`: Character Card macros; Character Card (V2/V3, JSON or PNG) import.
- `discovery`: where personas live, loading a file by its suffix, finding one by id.

The names most code needs are importable from `voice_rp.personas` itself.
"""

from voice_rp.personas.defaults import (
    CEFR_LEVELS,
    DEFAULT_END_PHRASES,
    DEFAULT_LANGUAGE,
    DEFAULT_VOICE,
    DIFFICULTIES,
    KINDS,
    TURN_TAKING,
    language_name,
)
from voice_rp.personas.discovery import (
    CARD_SUFFIXES,
    YAML_SUFFIXES,
    builtin_dirs,
    find_persona,
    list_personas,
    load_persona,
    persona_files,
    user_persona_dir,
)
from voice_rp.personas.macros import expand_macros
from voice_rp.personas.model import (
    Character,
    CharacterFact,
    Ending,
    PanelMember,
    Persona,
    Scenario,
    Speaker,
    VoiceSpec,
    persona_to_dict,
)
from voice_rp.personas.schema import parse_persona

__all__ = [
    "CARD_SUFFIXES", "CEFR_LEVELS", "DEFAULT_END_PHRASES", "DEFAULT_LANGUAGE", "DEFAULT_VOICE",
    "DIFFICULTIES", "KINDS", "TURN_TAKING", "YAML_SUFFIXES", "Character", "CharacterFact",
    "Ending", "PanelMember", "Persona", "Scenario", "Speaker", "VoiceSpec", "builtin_dirs",
    "expand_macros", "find_persona", "language_name", "list_personas", "load_persona",
    "parse_persona", "persona_files", "persona_to_dict", "user_persona_dir",
]
