"""The persona file schema: a parsed YAML mapping becomes a Persona, every field validated.

Every problem is a PersonaError naming the file, the field (a dotted path) and what is wrong.
"""

from __future__ import annotations

from voice_rp.errors import PersonaError
from voice_rp.llm import GenerationOptions
from voice_rp.personas.defaults import (
    CEFR_LEVELS,
    DEFAULT_END_PHRASES,
    DEFAULT_LANGUAGE,
    DIFFICULTIES,
    KINDS,
    LANGUAGE_TAG,
    TURN_TAKING,
)
from voice_rp.personas.fields import Fields, type_name
from voice_rp.personas.model import (
    Character,
    CharacterFact,
    Ending,
    PanelMember,
    Persona,
    Scenario,
    VoiceSpec,
)
from voice_rp.personas.scenario import parse_flow

_TOP = ("title", "you_practise", "description", "kind", "character", "scenario", "voice",
        "language", "level", "difficulty", "llm", "turn_taking", "panel", "flow", "vocabulary",
        "facts")
_CHARACTER = ("name", "background", "personality", "goals", "knowledge", "speech_style",
              "example_dialogue")
_SCENARIO = ("setting", "objective", "opening_line", "rules", "ending")
_ENDING = ("after_questions", "time_limit_s", "phrases", "closing_line")
_VOICE = ("name", "rate")
_LLM = ("temperature", "max_tokens")
_TURN_TAKING = ("policy", "end_phrases", "silence_ms", "end_pause_s")
_PANEL_MEMBER = ("name", "voice", "focus")
_FACT = ("about", "say")
YOU_PRACTISE_MAX = 120  # one line on a phone-sized card
DESCRIPTION_MAX = 240  # a sentence, two at most


def parse_persona(data: object, *, source: str, persona_id: str) -> Persona:
    """Build a Persona from a parsed persona file (a mapping), validating every field."""
    if data is None:
        raise PersonaError("the file is empty", source=source)
    top = Fields(data, source=source, path="", known=_TOP)
    character = _character(top.section("character", _CHARACTER, required=True))
    scenario = _scenario(top.section("scenario", _SCENARIO, required=True))
    voice = _voice(top.section("voice", _VOICE), VoiceSpec())
    kind = top.choice("kind", KINDS, "character")
    language = top.text("language", default=DEFAULT_LANGUAGE)
    if not LANGUAGE_TAG.match(language):
        raise top.error("language", f"expected a language code like en, es or fr, got "
                                    f"{language!r}")
    level = top.text("level").upper() or None
    if level is not None and level not in CEFR_LEVELS:
        raise top.error("level", f"must be a CEFR level ({', '.join(CEFR_LEVELS)}), got {level!r}")
    if kind == "language_partner" and level is None:
        raise top.error("level", "a language partner needs the learner's CEFR level")
    llm = top.section("llm", _LLM)
    default_llm = GenerationOptions()
    options = GenerationOptions(
        temperature=llm.number("temperature", default_llm.temperature, 0.0, 2.0),
        max_tokens=llm.number("max_tokens", default_llm.max_tokens, 8, 1024, whole=True),
    )
    policy, end_phrases, silence_ms, end_pause_s = _turn_taking(top)
    return Persona(
        id=persona_id,
        character=character,
        scenario=scenario,
        title=top.text("title") or character.name,
        you_practise=_card_line(top, "you_practise", YOU_PRACTISE_MAX),
        description=_card_line(top, "description", DESCRIPTION_MAX),
        kind=kind,
        language=language,
        level=level,
        difficulty=top.choice("difficulty", DIFFICULTIES, "neutral"),
        voice=voice,
        llm=options,
        turn_taking=policy,
        end_phrases=end_phrases,
        turn_silence_ms=silence_ms,
        talk_end_pause_s=end_pause_s,
        panel=_panel(top, voice),
        flow=parse_flow(top),
        vocabulary=_vocabulary(top),
        facts=_facts(top),
        source=source,
    )


def _card_line(top: Fields, key: str, limit: int) -> str:
    """A line of the practice's card, written to the user: one paragraph, at most `limit`
    characters, so the gallery stays one screen on a phone. Missing: "" (the card omits it)."""
    text = top.text(key)
    if "\n" in text:
        raise top.error(key, "must be one line (the card shows it as one paragraph)")
    if len(text) > limit:
        raise top.error(key, f"must be at most {limit} characters, got {len(text)}: keep it "
                             "to what the user does in one sentence")
    return text


def _character(f: Fields) -> Character:
    return Character(
        name=f.text("name", required=True),
        background=f.text("background", required=True),
        personality=f.text("personality", required=True),
        goals=f.text("goals"),
        knowledge=f.text("knowledge"),
        speech_style=f.text("speech_style"),
        example_dialogue=f.text("example_dialogue"),
    )


def _scenario(f: Fields) -> Scenario:
    ending = f.section("ending", _ENDING)
    return Scenario(
        setting=f.text("setting", required=True),
        objective=f.text("objective", required=True),
        opening_line=f.text("opening_line", required=True),
        rules=f.texts("rules"),
        ending=Ending(
            after_questions=ending.number("after_questions", None, 1, 100, whole=True),
            time_limit_s=ending.number("time_limit_s", None, 10, 4 * 3600),
            phrases=ending.texts("phrases"),
            closing_line=ending.text("closing_line"),
        ),
    )


def _voice(f: Fields, default: VoiceSpec) -> VoiceSpec:
    return VoiceSpec(name=f.text("name", default=default.name),
                     rate=f.number("rate", default.rate, 0.5, 2.0))


def _turn_taking(top: Fields) -> tuple[str, tuple[str, ...], int | None, float | None]:
    raw = top.data.get("turn_taking", "conversational")
    if isinstance(raw, dict):
        f = top.section("turn_taking", _TURN_TAKING)
        if not f.has("policy"):
            raise f.error("policy", "missing required field")
        policy = f.choice("policy", TURN_TAKING, "conversational")
        phrases = f.texts("end_phrases")
        if phrases and policy != "monologue":
            raise f.error("end_phrases", "end phrases only apply to the monologue policy")
        silence = f.number("silence_ms", None, 100, 10_000, whole=True)
        pause = f.number("end_pause_s", None, 1, 120)
        if pause is not None and policy != "monologue":
            raise f.error("end_pause_s", "end_pause_s only applies to the monologue policy")
    else:
        policy = top.choice("turn_taking", TURN_TAKING, "conversational")
        phrases, silence, pause = (), None, None
    if policy == "monologue" and not phrases:
        phrases = DEFAULT_END_PHRASES
    return policy, phrases, silence, pause


def _panel(top: Fields, voice: VoiceSpec) -> tuple[PanelMember, ...]:
    raw = top.data.get("panel")
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) < 2:
        raise top.error("panel", "expected a list of at least two panel members")
    members: list[PanelMember] = []
    for n, item in enumerate(raw):
        f = Fields(item, source=top.source, path=f"panel[{n}]", known=_PANEL_MEMBER)
        member = PanelMember(name=f.text("name", required=True),
                             voice=_voice(f.section("voice", _VOICE), voice),
                             focus=f.text("focus"))
        if any(m.name == member.name for m in members):
            raise f.error("name", f"two panel members are called {member.name!r}")
        members.append(member)
    return tuple(members)


def _vocabulary(top: Fields) -> tuple[str, ...]:
    """The practice's words, each once (first spelling kept), in the file's order."""
    seen: set[str] = set()
    words: list[str] = []
    for word in top.texts("vocabulary"):
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return tuple(words)


def _facts(top: Fields) -> tuple[CharacterFact, ...]:
    raw = top.data.get("facts")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise top.error("facts", f"expected a list of {{about, say}}, got {type_name(raw)}")
    facts: list[CharacterFact] = []
    for n, item in enumerate(raw):
        f = Fields(item, source=top.source, path=f"facts[{n}]", known=_FACT)
        if not f.has("about"):
            raise f.error("about", "missing required field: the words a question on this "
                                   "fact would use")
        about = f.texts("about")
        if not about:
            raise f.error("about", "must list at least one word or phrase")
        facts.append(CharacterFact(about=about, say=f.text("say", required=True)))
    return tuple(facts)
