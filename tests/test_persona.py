"""Persona files: schema errors a persona author would see, the built-ins, and the CLI."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from client.personas_cli import main as personas_main
from voice_rp.errors import PersonaError, UnknownPersona
from voice_rp.llm import GenerationOptions
from voice_rp.personas import (
    DEFAULT_END_PHRASES,
    DEFAULT_VOICE,
    CharacterFact,
    builtin_dirs,
    find_persona,
    list_personas,
    load_persona,
    persona_files,
    persona_to_dict,
    user_persona_dir,
)
from voice_rp.prompt import closing_line, opening_line, system_prompt

BUILTINS = persona_files(builtin_dirs())


def minimal() -> dict[str, Any]:
    return {
        "character": {"name": "Ada", "background": "An engineer.", "personality": "Curious."},
        "scenario": {"setting": "A cafe.", "objective": "Chat about work.",
                     "opening_line": "Hi! What are you working on?"},
    }


def write(tmp_path: Path, data: Any, name: str = "ada.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- loading


def test_minimal_persona_gets_documented_defaults(tmp_path: Path) -> None:
    persona = load_persona(write(tmp_path, minimal()))
    assert persona.id == "ada"
    assert persona.name == "Ada"
    assert persona.source == str(tmp_path / "ada.yaml")
    assert persona.voice.name == DEFAULT_VOICE == "en_US-joe-medium"
    assert persona.voice.rate == 1.0
    assert persona.language == "en"
    assert persona.turn_taking == "conversational"
    assert persona.difficulty == "neutral"
    assert persona.llm == GenerationOptions()
    assert persona.end_phrases == ()
    assert persona.title == "Ada"
    assert [s.name for s in persona.speakers()] == ["Ada"]


def test_every_field_is_read(tmp_path: Path) -> None:
    data = minimal()
    data |= {
        "title": "Ada at the cafe", "kind": "language_partner", "language": "es", "level": "b1",
        "difficulty": "tough", "voice": {"name": "es_ES-davefx-medium", "rate": 0.85},
        "llm": {"temperature": 0.3, "max_tokens": 50},
        "turn_taking": {"policy": "patient", "silence_ms": 1500},
    }
    data["character"] |= {"goals": "Practise.", "knowledge": "Spanish food.",
                          "speech_style": "Slow."}
    data["scenario"] |= {"rules": ["Be kind."], "ending": {
        "after_questions": 4, "time_limit_s": 600, "phrases": ["adiós"],
        "closing_line": "¡Hasta luego!"}}
    persona = load_persona(write(tmp_path, data))
    assert persona.level == "B1"  # normalised
    assert persona.voice.name == "es_ES-davefx-medium"
    assert persona.voice.rate == 0.85
    assert persona.llm == GenerationOptions(temperature=0.3, max_tokens=50)
    assert persona.turn_taking == "patient"
    assert persona.turn_silence_ms == 1500
    assert persona.scenario.ending.after_questions == 4
    assert persona.scenario.ending.time_limit_s == 600
    assert persona.scenario.ending.phrases == ("adiós",)
    assert persona.scenario.rules == ("Be kind.",)
    assert persona.character.knowledge == "Spanish food."
    assert closing_line(persona) == "¡Hasta luego!"


def test_vocabulary_facts_and_plainer_question_wordings_are_read(tmp_path: Path) -> None:
    data = minimal() | {
        "vocabulary": ["Python", "Rust", " Kubernetes ", "python"],
        "facts": [{"about": ["weekend", "hobbies"],
                   "say": "On weekends I go hiking near Seattle."}],
        "flow": {
            "questions": [
                "Tell me about your last project.",
                {"text": "Describe a trade-off you made in a system design.",
                 "simpler": "Tell me about a choice you made when you built a system.",
                 "follow_ups": ["What did you give up?"]},
            ],
            "topics": [{"text": "¿Qué haces los fines de semana?",
                        "simpler": "¿Y el sábado?"}],
            "stages": [
                {"id": "ask", "instruction": "Ask.", "ask": "bank", "questions": 2,
                 "next": "bye"},
                {"id": "bye", "instruction": "Close.", "line": "Bye!", "end": True},
            ],
        },
    }
    persona = load_persona(write(tmp_path, data))
    # Each word once, as first written: the hints carry no duplicates.
    assert persona.vocabulary == ("Python", "Rust", "Kubernetes")
    (fact,) = persona.facts
    assert fact == CharacterFact(about=("weekend", "hobbies"),
                                 say="On weekends I go hiking near Seattle.")
    assert persona.flow is not None
    plain, rich = persona.flow.bank
    assert plain.text == "Tell me about your last project." and plain.simpler == ""
    assert rich.simpler == "Tell me about a choice you made when you built a system."
    assert rich.follow_ups == ("What did you give up?",)
    assert persona.flow.topics[0].simpler == "¿Y el sábado?"
    resolved = json.loads(json.dumps(persona_to_dict(persona)))
    assert resolved["vocabulary"] == ["Python", "Rust", "Kubernetes"]
    assert resolved["facts"] == [{"about": ["weekend", "hobbies"],
                                  "say": "On weekends I go hiking near Seattle."}]


def test_a_persona_without_vocabulary_or_facts_has_none(tmp_path: Path) -> None:
    persona = load_persona(write(tmp_path, minimal()))
    assert persona.vocabulary == () and persona.facts == ()


def test_monologue_gets_default_end_phrases_unless_given(tmp_path: Path) -> None:
    data = minimal() | {"turn_taking": "monologue"}
    assert load_persona(write(tmp_path, data)).end_phrases == DEFAULT_END_PHRASES
    data["turn_taking"] = {"policy": "monologue", "end_phrases": ["that's all folks"],
                           "end_pause_s": 6}
    persona = load_persona(write(tmp_path, data))
    assert persona.end_phrases == ("that's all folks",)
    assert persona.talk_end_pause_s == 6


def _set(data: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data.setdefault(key, {})
    if value is _DELETE:
        del data[last]
    else:
        data[last] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("dotted", "value", "field", "problem"),
    [
        ("character.name", _DELETE, "character.name", "missing required field"),
        ("scenario.opening_line", "  ", "scenario.opening_line", "must not be empty"),
        ("character.background", ["a", "list"], "character.background", "expected text, got a"),
        ("voice.rate", "fast", "voice.rate", "expected a number from 0.5 to 2"),
        ("voice.rate", 5, "voice.rate", "got 5"),
        ("llm.max_tokens", True, "llm.max_tokens", "expected a whole number"),
        ("llm.max_tokens", 60.5, "llm.max_tokens", "expected a whole number"),
        ("character.personalty", "Kind.", "character.personalty",
         "unknown field (did you mean 'personality'?)"),
        ("voise", {"rate": 1.0}, "voise", "did you mean 'voice'?"),
        ("difficulty", "hard", "difficulty", "must be one of friendly, neutral, tough"),
        ("turn_taking", "monolog", "turn_taking", "did you mean 'monologue'?"),
        ("kind", "coach", "kind", "must be one of character, interviewer"),
        ("language", "Spanish", "language", "expected a language code"),
        ("level", "B3", "level", "must be a CEFR level"),
        ("scenario.rules", ["Be kind.", 3], "scenario.rules[1]", "expected text, got a number"),
        ("scenario.rules", "Be kind.", "scenario.rules", "expected a list of text"),
        ("scenario.ending.after_questions", 0, "scenario.ending.after_questions",
         "from 1 to 100"),
        ("scenario.ending.closing", "Bye.", "scenario.ending.closing",
         "did you mean 'closing_line'?"),
        ("character", "Ada", "character", "expected a mapping, got a string"),
        ("panel", [{"name": "Pat"}], "panel", "at least two panel members"),
        ("panel", [{"name": "Pat"}, {"focus": "x"}], "panel[1].name", "missing required field"),
        ("panel", [{"name": "Pat"}, {"name": "Pat"}], "panel[1].name", "two panel members"),
        ("panel", [{"name": "Pat"}, {"name": "Lee", "voice": {"rate": "slow"}}],
         "panel[1].voice.rate", "expected a number"),
        ("turn_taking", {"end_phrases": ["bye"]}, "turn_taking.policy", "missing required"),
        ("turn_taking", {"policy": "patient", "end_phrases": ["bye"]},
         "turn_taking.end_phrases", "only apply to the monologue policy"),
        ("vocabulary", "Python, Rust", "vocabulary", "expected a list of text"),
        ("vocabulary", ["Python", 3], "vocabulary[1]", "expected text, got a number"),
        ("vocabulary", ["Python", " "], "vocabulary[1]", "expected text, got a string"),
        ("facts", {"about": ["x"], "say": "Y."}, "facts", "expected a list of {about, say}"),
        ("facts", ["I like hiking."], "facts[0]", "expected a mapping, got a string"),
        ("facts", [{"about": ["weekend"]}], "facts[0].say", "missing required field"),
        ("facts", [{"about": ["weekend"], "say": " "}], "facts[0].say", "must not be empty"),
        ("facts", [{"say": "I hike."}], "facts[0].about", "missing required field"),
        ("facts", [{"about": [], "say": "I hike."}], "facts[0].about",
         "must list at least one word or phrase"),
        ("facts", [{"about": "weekend", "say": "I hike."}], "facts[0].about",
         "expected a list of text"),
        ("facts", [{"about": ["weekend"], "says": "I hike."}], "facts[0].says",
         "did you mean 'say'?"),
        ("facts", [{"about": ["weekend"], "say": "I hike.", "when": ["x"]}], "facts[0].when",
         "unknown field"),
        ("vocabularry", ["Python"], "vocabularry", "did you mean 'vocabulary'?"),
    ],
)
def test_schema_errors_name_file_field_and_problem(
    tmp_path: Path, dotted: str, value: Any, field: str, problem: str
) -> None:
    data = minimal()
    _set(data, dotted, value)
    path = write(tmp_path, data)
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    error = caught.value
    assert error.source == str(path)
    assert error.field == field
    assert problem in str(error)
    assert str(error).startswith(f"{path}: {field}: ")


@pytest.mark.parametrize(
    ("question", "field", "problem"),
    [
        ({"text": "Why?", "simpler": 3}, "flow.questions[0].simpler", "expected text"),
        ({"simpler": "Why?"}, "flow.questions[0].text", "missing required field"),
        ({"text": "Why?", "simple": "Why?"}, "flow.questions[0].simple",
         "did you mean 'simpler'?"),
    ],
)
def test_a_plainer_wording_is_checked_like_the_question(
    tmp_path: Path, question: dict, field: str, problem: str
) -> None:
    data = minimal() | {"flow": {"questions": [question], "stages": [
        {"id": "ask", "instruction": "Ask.", "ask": "bank", "questions": 1, "next": "bye"},
        {"id": "bye", "instruction": "Close.", "line": "Bye!", "end": True}]}}
    with pytest.raises(PersonaError) as caught:
        load_persona(write(tmp_path, data))
    assert caught.value.field == field
    assert problem in str(caught.value)


def test_language_partner_needs_a_level(tmp_path: Path) -> None:
    path = write(tmp_path, minimal() | {"kind": "language_partner", "language": "fr"})
    with pytest.raises(PersonaError, match="CEFR level") as caught:
        load_persona(path)
    assert caught.value.field == "level"


def test_bad_yaml_syntax_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "character:\n  name: Ada\n  background: [unclosed\nscenario: {}\n")
    with pytest.raises(PersonaError, match="invalid YAML") as caught:
        load_persona(path)
    assert caught.value.source == str(path)
    assert caught.value.field.startswith("line ")
    assert str(path) in str(caught.value)


def test_unquoted_colon_in_text_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "character:\n  name: Ada\n  background: Role: engineer\n")
    with pytest.raises(PersonaError, match="put text that contains ': ' in quotes") as caught:
        load_persona(path)
    assert caught.value.field == "line 3, column 19"  # the second colon


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "the file is empty"), ("- a\n- b\n", "expected a mapping, got a list")],
)
def test_file_that_is_not_a_persona_mapping(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(PersonaError, match=problem):
        load_persona(write(tmp_path, text))


def test_missing_file_and_unsupported_type(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="file not found"):
        load_persona(tmp_path / "nope.yaml")
    with pytest.raises(PersonaError, match="unsupported file type"):
        load_persona(write(tmp_path, "x", name="ada.txt"))


# --------------------------------------------------------------------------- finding


def test_find_by_id_by_path_and_unknown_id_lists_available(tmp_path: Path) -> None:
    assert find_persona("behavioural-interviewer", builtin_dirs()).kind == "interviewer"
    path = write(tmp_path, minimal())
    assert find_persona(str(path), builtin_dirs()).name == "Ada"
    with pytest.raises(UnknownPersona) as caught:
        find_persona("behavioral-interviewer", builtin_dirs())
    message = str(caught.value)
    assert "did you mean 'behavioural-interviewer'?" in message
    for persona_id in BUILTINS:
        assert persona_id in message


def test_user_dir_overrides_a_builtin_with_the_same_id(tmp_path: Path) -> None:
    write(tmp_path, minimal(), name="english-partner.yaml")
    dirs = builtin_dirs(tmp_path)
    assert dirs[-1] == tmp_path
    assert find_persona("english-partner", dirs).name == "Ada"
    assert find_persona("english-partner", builtin_dirs()).name != "Ada"


def test_list_skips_a_broken_file_and_says_so(tmp_path: Path, caplog) -> None:
    write(tmp_path, minimal(), name="good.yaml")
    write(tmp_path, {"character": {}}, name="broken.yaml")
    with caplog.at_level(logging.WARNING):
        personas = list_personas([tmp_path])
    assert [p.id for p in personas] == ["good"]
    assert "broken.yaml" in caplog.text and "character.name" in caplog.text


def test_user_persona_dir_from_environment(tmp_path: Path) -> None:
    assert user_persona_dir({"VOICE_RP_PERSONAS": str(tmp_path)}) == tmp_path
    assert user_persona_dir({"XDG_CONFIG_HOME": "/cfg"}) == Path("/cfg/voice-rp/personas")


# --------------------------------------------------------------------------- built-ins


@pytest.mark.parametrize("persona_id", sorted(BUILTINS))
def test_builtin_loads_with_an_opening_line_and_an_ending(persona_id: str) -> None:
    persona = load_persona(BUILTINS[persona_id])
    line = opening_line(persona)
    assert len(line.split()) >= 5 and line.rstrip()[-1] in ".?!"
    assert "{{" not in line and "*" not in line
    ending = persona.scenario.ending
    assert ending.time_limit_s or ending.after_questions
    assert ending.phrases and closing_line(persona)
    # Recognition hears the practice's own words: every built-in names them.
    assert len(persona.vocabulary) >= 5
    prompt = system_prompt(persona)
    assert persona.speakers()[0].name.split()[0] in prompt
    assert "No markdown" in prompt
    # SmolLM2-135M pays for every prompt token before it says a word.
    assert len(prompt) < 1500
    assert persona.llm.max_tokens <= 100


def _builtins() -> list:
    return [load_persona(path) for path in BUILTINS.values()]


def test_builtins_cover_the_practice_situations() -> None:
    personas = _builtins()
    interviewers = [p for p in personas if p.kind == "interviewer" and not p.panel]
    assert len(interviewers) >= 2
    assert all("one question at a time" in system_prompt(p) for p in interviewers)

    (audience,) = [p for p in personas if p.kind == "audience"]
    assert audience.turn_taking == "monologue"
    assert "thank you for listening" in audience.end_phrases

    partners = {p.language: p for p in personas if p.kind == "language_partner"}
    assert {"es", "fr", "en"} <= set(partners)
    for partner in partners.values():
        assert partner.turn_taking == "patient"
        assert partner.voice.rate < 1.0
        assert partner.level in ("A1", "A2", "B1", "B2", "C1", "C2")
        assert "say their idea again correctly" in system_prompt(partner)
    assert partners["es"].voice.name == "es_ES-davefx-medium"
    assert partners["fr"].voice.name == "fr_FR-siwis-medium"
    assert partners["en"].voice.name == DEFAULT_VOICE
    assert "Always reply in Spanish at CEFR level" in system_prompt(partners["es"])
    assert "Always reply in French at CEFR level" in system_prompt(partners["fr"])

    assert any(p.kind == "caller" for p in personas)

    (panel,) = [p for p in personas if p.panel]
    assert len(panel.panel) == 2
    assert panel.panel[0].voice.rate != panel.panel[1].voice.rate


def test_panel_members_take_turns() -> None:
    panel = find_persona("interview-panel", builtin_dirs())
    first, second = panel.speakers()
    assert [panel.speaker_for_turn(i).name for i in range(4)] == [
        first.name, second.name, first.name, second.name]
    assert first.name in opening_line(panel)  # the first speaker introduces the panel
    solo = find_persona("behavioural-interviewer", builtin_dirs())
    assert solo.speaker_for_turn(7) == solo.speakers()[0]
    with pytest.raises(ValueError):
        solo.speaker_for_turn(-1)


def test_difficulty_changes_the_prompt() -> None:
    interviewer = find_persona("behavioural-interviewer", builtin_dirs())
    tough = system_prompt(interviewer.with_difficulty("tough"))
    friendly = system_prompt(interviewer.with_difficulty("friendly"))
    assert "push back on vague" in tough and "push back" not in friendly
    assert "encouraging" in friendly and "encouraging" not in tough
    with pytest.raises(PersonaError, match="must be one of"):
        interviewer.with_difficulty("brutal")


def test_resolved_persona_is_plain_json() -> None:
    panel = find_persona("interview-panel", builtin_dirs())
    data = json.loads(json.dumps(persona_to_dict(panel)))
    assert data["id"] == "interview-panel"
    assert data["name"] == panel.name
    assert [m["voice"]["rate"] for m in data["panel"]] == [m.voice.rate for m in panel.panel]
    assert data["llm"]["max_tokens"] == panel.llm.max_tokens


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment whose user persona directory is an empty temporary one."""
    user_dir = tmp_path / "user-personas"
    user_dir.mkdir()
    return {"VOICE_RP_PERSONAS": str(user_dir)}


def test_cli_list_shows_every_builtin(env: dict[str, str], capsys) -> None:
    assert personas_main(["list"], environ=env) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert set(lines) == set(BUILTINS)
    assert "audience" in lines["talk-audience"]
    assert "es A2" in lines["spanish-partner"]


def test_cli_list_reports_a_broken_user_file(env: dict[str, str], capsys) -> None:
    broken = write(Path(env["VOICE_RP_PERSONAS"]), minimal() | {"voice": {"rate": "x"}},
                   name="mine.yaml")
    assert personas_main(["list"], environ=env) == 1
    captured = capsys.readouterr()
    assert f"{broken}: voice.rate:" in captured.err
    assert "behavioural-interviewer" in captured.out


def test_cli_show_prints_the_resolved_persona(env: dict[str, str], capsys) -> None:
    assert personas_main(["show", "spanish-partner"], environ=env) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["language"] == "es"
    assert data["voice"] == {"name": "es_ES-davefx-medium", "rate": 0.85}
    assert data["turn_taking"] == "patient"


def test_cli_show_a_file_with_difficulty_and_prompt(tmp_path, env, capsys) -> None:
    path = write(tmp_path, minimal() | {"kind": "interviewer"})
    assert personas_main(["show", str(path), "--difficulty", "tough"], environ=env) == 0
    assert json.loads(capsys.readouterr().out)["difficulty"] == "tough"
    assert personas_main(["show", str(path), "--prompt"], environ=env) == 0
    out = capsys.readouterr().out
    assert "You are Ada" in out
    assert out.rstrip().endswith("Ada: Hi! What are you working on?")


def test_cli_show_a_character_card(tmp_path: Path, env: dict[str, str], capsys) -> None:
    card = {"spec": "chara_card_v2", "spec_version": "2.0",
            "data": {"name": "Rin", "description": "{{char}} runs a bookshop.",
                     "first_mes": "Welcome in, {{user}}!", "tags": ["books"]}}
    path = tmp_path / "rin.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    assert personas_main(["show", str(path)], environ=env) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "Rin"
    assert data["character"]["background"] == "Rin runs a bookshop."
    assert data["card_extra"]["tags"] == ["books"]


def test_cli_show_unknown_persona(env: dict[str, str], capsys) -> None:
    assert personas_main(["show", "pirate"], environ=env) == 1
    err = capsys.readouterr().err
    assert "unknown persona 'pirate'" in err and "talk-audience" in err


def test_cli_validate(tmp_path: Path, env: dict[str, str], capsys) -> None:
    good = write(tmp_path, minimal(), name="good.yaml")
    assert personas_main(["validate", str(good)], environ=env) == 0
    assert capsys.readouterr().out.startswith(f"ok: {good}")

    bad = write(tmp_path, minimal() | {"difficulty": "hard"}, name="bad.yaml")
    assert personas_main(["validate", str(good), str(bad)], environ=env) == 1
    captured = capsys.readouterr()
    assert f"ok: {good}" in captured.out
    assert f"error: {bad}: difficulty: must be one of" in captured.err

    assert personas_main(["validate", str(builtin_dirs()[0])], environ=env) == 0
    assert capsys.readouterr().out.count("ok: ") == len(BUILTINS)


def test_cli_usage_errors_exit_2(env: dict[str, str], capsys) -> None:
    assert personas_main([], environ=env) == 2
    assert personas_main(["show"], environ=env) == 2
    assert personas_main(["frobnicate"], environ=env) == 2
    assert "usage:" in capsys.readouterr().err
