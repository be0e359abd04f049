"""Personas: who the character is, the scenario, the voice, the language and how it takes turns.

A persona is data (see docs/personas.md): a YAML file in `personas/` read by
`voice_rp.personas.schema`, or a Character Card (.json/.png) imported by
`voice_rp.personas.cards`; `voice_rp.personas.discovery` finds them by id.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from voice_rp.errors import PersonaError
from voice_rp.llm import GenerationOptions
from voice_rp.personas.defaults import DEFAULT_LANGUAGE, DEFAULT_VOICE, DIFFICULTIES
from voice_rp.personas.lorebook import Lorebook
from voice_rp.personas.scenario import Flow


@dataclass(frozen=True)
class VoiceSpec:
    name: str = DEFAULT_VOICE  # Piper voice, e.g. "en_US-joe-medium"
    rate: float = 1.0  # speaking rate: < 1 slower, > 1 faster


@dataclass(frozen=True)
class Speaker:
    """Who speaks a reply: the persona itself, or one member of a panel."""

    name: str
    voice: VoiceSpec
    focus: str = ""


PanelMember = Speaker


@dataclass(frozen=True)
class Character:
    name: str
    background: str = ""
    personality: str = ""
    goals: str = ""
    knowledge: str = ""
    speech_style: str = ""
    example_dialogue: str = ""  # a card's mes_example


@dataclass(frozen=True)
class Ending:
    """When the scenario is over; None/empty means no such condition."""

    after_questions: int | None = None
    time_limit_s: float | None = None
    phrases: tuple[str, ...] = ()  # the user saying one of these ends the session
    closing_line: str = ""  # what the persona says to close politely


@dataclass(frozen=True)
class CharacterFact:
    """Something true about the character, said when the user asks about it in role.

    `about` are the words a question on it would use ("weekend", "hobbies"); `say` is the
    answer in the character's own words, so a small model need not invent a life story.
    """

    about: tuple[str, ...]
    say: str


@dataclass(frozen=True)
class Scenario:
    setting: str = ""
    objective: str = ""
    opening_line: str = ""  # spoken by the persona before the user says anything
    rules: tuple[str, ...] = ()
    ending: Ending = Ending()


@dataclass(frozen=True)
class Persona:
    id: str
    character: Character
    scenario: Scenario
    title: str = ""
    # The card's words to the user: what *they* practise ("Answering behavioural questions with
    # clear, specific stories") and what happens in the session. The scenario's objective is the
    # character's job, in the prompt; these are never sent to the model. "": not given.
    you_practise: str = ""
    description: str = ""
    kind: str = "character"
    language: str = DEFAULT_LANGUAGE
    level: str | None = None  # CEFR, for language partners
    difficulty: str = "neutral"
    voice: VoiceSpec = VoiceSpec()
    llm: GenerationOptions = field(default_factory=GenerationOptions)
    turn_taking: str = "conversational"
    end_phrases: tuple[str, ...] = ()  # monologue: phrases that end the talk
    turn_silence_ms: int | None = None  # end-of-turn wait; None = the policy's default
    talk_end_pause_s: float | None = None  # monologue: a pause this long ends the talk
    panel: tuple[PanelMember, ...] = ()
    card_system_prompt: str = ""  # a card's system_prompt: replaces the default framing
    post_history_instructions: str = ""
    lorebook: Lorebook | None = None
    flow: Flow | None = None  # scenario stages run by voice_rp.flow; None: free conversation
    # The practice's own words (tools, jargon, names): recognition is given them as hints, so
    # "Python and Rust" is not heard as "iPhone and rest".
    vocabulary: tuple[str, ...] = ()
    facts: tuple[CharacterFact, ...] = ()  # about the character, to answer the user in role
    card_extra: dict[str, Any] = field(default_factory=dict, compare=False)
    source: str = ""

    @property
    def name(self) -> str:
        return self.character.name

    @property
    def recognition_hints(self) -> tuple[str, ...]:
        """The words recognition is given: none for a talk, whose looks at its last seconds start
        mid-word, and prompted with a word list tiny.en dropped most of such a tail (the talk's
        closing phrase with it, so the talk never ended)."""
        return () if self.turn_taking == "monologue" else self.vocabulary

    def speakers(self) -> list[Speaker]:
        """The voices of this persona: the panel members, or the persona itself."""
        if self.panel:
            return list(self.panel)
        return [Speaker(name=self.name, voice=self.voice)]

    def speaker_for_turn(self, assistant_turn_index: int) -> Speaker:
        """Who speaks the n-th assistant turn (0 = the opening line); panel members alternate."""
        if assistant_turn_index < 0:
            raise ValueError("assistant_turn_index must be >= 0")
        speakers = self.speakers()
        return speakers[assistant_turn_index % len(speakers)]

    def with_difficulty(self, difficulty: str) -> Persona:
        """The same persona at another difficulty (friendly, neutral or tough)."""
        if difficulty not in DIFFICULTIES:
            raise PersonaError(f"must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}",
                               source=self.source, field="difficulty")
        return dataclasses.replace(self, difficulty=difficulty)


def persona_to_dict(persona: Persona) -> dict[str, Any]:
    """The resolved persona as plain JSON-ready data (defaults filled in)."""
    data = dataclasses.asdict(persona)
    data = {"id": data.pop("id"), "name": persona.name, **data}
    return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
