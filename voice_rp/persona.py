"""Personas: the persona file schema, loading with clear errors, and finding personas by id.

A persona is data (see docs/personas.md): a YAML file in `personas/`, or a Character Card
(.json/.png) imported by `voice_rp.cards`. Every problem is a PersonaError naming the file, the
field (a dotted path) and what is wrong.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voice_rp.errors import PersonaError, UnknownPersona
from voice_rp.llm import GenerationOptions
from voice_rp.lorebook import Lorebook, type_name
from voice_rp.scenario import Flow, parse_flow

log = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"  # the bundled Piper voice
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
YAML_SUFFIXES = (".yaml", ".yml")
CARD_SUFFIXES = (".json", ".png")
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


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
    kind: str = "character"
    language: str = "en"
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
    card_extra: dict[str, Any] = field(default_factory=dict, compare=False)
    source: str = ""

    @property
    def name(self) -> str:
        return self.character.name

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


# --------------------------------------------------------------------------- validation


class _Fields:
    """One mapping of a persona file being read: typed getters whose errors name file and field."""

    def __init__(self, data: object, *, source: str, path: str, known: Iterable[str]) -> None:
        self.source, self.path = source, path
        if not isinstance(data, dict):
            raise PersonaError(f"expected a mapping, got {type_name(data)}", source=source,
                               field=path)
        self.data: dict = data
        known = tuple(known)
        for key in data:
            if key not in known:
                hint = difflib.get_close_matches(str(key), known, n=1)
                more = f" (did you mean '{hint[0]}'?)" if hint else f"; known: {', '.join(known)}"
                raise self.error(key, f"unknown field{more}")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def error(self, key: str, problem: str) -> PersonaError:
        return PersonaError(problem, source=self.source, field=self.at(key))

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "missing required field")
            return default
        if not isinstance(value, str):
            raise self.error(key, f"expected text, got {type_name(value)}")
        if required and not value.strip():
            raise self.error(key, "must not be empty")
        return value.strip()

    def number(self, key: str, default: float | None, low: float, high: float,
               *, whole: bool = False) -> Any:
        value = self.data.get(key)
        if value is None:
            return default
        wanted = "a whole number" if whole else "a number"
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or (whole and not float(value).is_integer()) or not low <= value <= high):
            raise self.error(key, f"expected {wanted} from {low:g} to {high:g}, got {value!r}")
        return int(value) if whole else float(value)

    def choice(self, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in options:
            hint = difflib.get_close_matches(str(value), options, n=1)
            more = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise self.error(key, f"must be one of {', '.join(options)}, got {value!r}{more}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.error(key, f"expected a list of text, got {type_name(value)}")
        for n, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise PersonaError(f"expected text, got {type_name(item)}", source=self.source,
                                   field=f"{self.at(key)}[{n}]")
        return tuple(item.strip() for item in value)

    def section(self, key: str, known: Iterable[str], *, required: bool = False) -> _Fields:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "missing required section")
            value = {}
        return _Fields(value, source=self.source, path=self.at(key), known=known)


_TOP = ("title", "kind", "character", "scenario", "voice", "language", "level", "difficulty",
        "llm", "turn_taking", "panel", "flow")
_CHARACTER = ("name", "background", "personality", "goals", "knowledge", "speech_style",
              "example_dialogue")
_SCENARIO = ("setting", "objective", "opening_line", "rules", "ending")
_ENDING = ("after_questions", "time_limit_s", "phrases", "closing_line")
_VOICE = ("name", "rate")
_LLM = ("temperature", "max_tokens")
_TURN_TAKING = ("policy", "end_phrases", "silence_ms", "end_pause_s")
_PANEL_MEMBER = ("name", "voice", "focus")


def parse_persona(data: object, *, source: str, persona_id: str) -> Persona:
    """Build a Persona from a parsed persona file (a mapping), validating every field."""
    if data is None:
        raise PersonaError("the file is empty", source=source)
    top = _Fields(data, source=source, path="", known=_TOP)
    character = _character(top.section("character", _CHARACTER, required=True))
    scenario = _scenario(top.section("scenario", _SCENARIO, required=True))
    voice = _voice(top.section("voice", _VOICE), VoiceSpec())
    kind = top.choice("kind", KINDS, "character")
    language = top.text("language", default="en")
    if not _LANGUAGE_TAG.match(language):
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
        source=source,
    )


def _character(f: _Fields) -> Character:
    return Character(
        name=f.text("name", required=True),
        background=f.text("background", required=True),
        personality=f.text("personality", required=True),
        goals=f.text("goals"),
        knowledge=f.text("knowledge"),
        speech_style=f.text("speech_style"),
        example_dialogue=f.text("example_dialogue"),
    )


def _scenario(f: _Fields) -> Scenario:
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


def _voice(f: _Fields, default: VoiceSpec) -> VoiceSpec:
    return VoiceSpec(name=f.text("name", default=default.name),
                     rate=f.number("rate", default.rate, 0.5, 2.0))


def _turn_taking(top: _Fields) -> tuple[str, tuple[str, ...], int | None, float | None]:
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


def _panel(top: _Fields, voice: VoiceSpec) -> tuple[PanelMember, ...]:
    raw = top.data.get("panel")
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) < 2:
        raise top.error("panel", "expected a list of at least two panel members")
    members: list[PanelMember] = []
    for n, item in enumerate(raw):
        f = _Fields(item, source=top.source, path=f"panel[{n}]", known=_PANEL_MEMBER)
        member = PanelMember(name=f.text("name", required=True),
                             voice=_voice(f.section("voice", _VOICE), voice),
                             focus=f.text("focus"))
        if any(m.name == member.name for m in members):
            raise f.error("name", f"two panel members are called {member.name!r}")
        members.append(member)
    return tuple(members)


# --------------------------------------------------------------------------- files


def load_persona(path: Path) -> Persona:
    """Load a YAML persona file, or a Character Card (.json/.png) mapped to a Persona."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix in CARD_SUFFIXES:
        from voice_rp.cards import load_card  # cards builds on this module

        return load_card(path)
    if suffix not in YAML_SUFFIXES:
        raise PersonaError("unsupported file type: use .yaml for a persona, or a character "
                           "card .json/.png", source=source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PersonaError("file not found", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PersonaError(f"cannot read the file: {exc}", source=source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "mapping values are not allowed" in problem:
            problem += " (put text that contains ': ' in quotes)"
        raise PersonaError(f"invalid YAML: {problem}", source=source, field=where) from None
    return parse_persona(data, source=source, persona_id=path.stem)


def builtin_dirs(user_dir: Path | None = None) -> list[Path]:
    """Where personas are looked up: the shipped `personas/`, then the user's own directory."""
    dirs = [Path(__file__).resolve().parents[1] / "personas"]
    if user_dir is not None:
        dirs.append(Path(user_dir))
    return dirs


def user_persona_dir(environ: Mapping[str, str]) -> Path:
    """The user's persona directory: $VOICE_RP_PERSONAS, else ~/.config/voice-rp/personas."""
    if environ.get("VOICE_RP_PERSONAS"):
        return Path(environ["VOICE_RP_PERSONAS"]).expanduser()
    config = environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME", "~"), ".config")
    return Path(config).expanduser() / "voice-rp" / "personas"


def persona_files(dirs: Iterable[Path]) -> dict[str, Path]:
    """Persona id -> file. A later directory overrides an earlier one, so a user file wins."""
    found: dict[str, Path] = {}
    for directory in dirs:
        if not Path(directory).is_dir():
            continue
        for path in sorted(Path(directory).iterdir()):
            if path.is_file() and path.suffix.lower() in YAML_SUFFIXES + CARD_SUFFIXES:
                found[path.stem] = path
    return dict(sorted(found.items()))


def list_personas(dirs: Iterable[Path]) -> list[Persona]:
    """Every loadable persona, sorted by id; broken files are logged and skipped."""
    personas = []
    for persona_id, path in persona_files(dirs).items():
        try:
            personas.append(load_persona(path))
        except PersonaError as exc:
            log.warning("skipping persona %s: %s", persona_id, exc)
    return personas


def find_persona(name_or_path: str, dirs: Iterable[Path]) -> Persona:
    """A persona by id (searched in `dirs`) or by path to a persona file or character card."""
    path = Path(name_or_path).expanduser()
    looks_like_path = ("/" in name_or_path or os.sep in name_or_path
                       or path.suffix.lower() in YAML_SUFFIXES + CARD_SUFFIXES)
    if looks_like_path:
        return load_persona(path)
    files = persona_files(dirs)
    if name_or_path in files:
        return load_persona(files[name_or_path])
    hint = difflib.get_close_matches(name_or_path, list(files), n=1)
    more = f" (did you mean '{hint[0]}'?)" if hint else ""
    available = ", ".join(files) or "none"
    raise UnknownPersona(f"unknown persona {name_or_path!r}{more}; available: {available}")


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
