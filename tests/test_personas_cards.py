"""What a practice's card tells the user: what *they* practise and what happens in the session,
never the character's job; and a user's own persona file that leaves them out still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.personas_http import gallery_entry
from voice_rp.errors import PersonaError
from voice_rp.personas import builtin_dirs, list_personas, load_persona, persona_to_dict

BUILTINS = {p.id: p for p in list_personas(builtin_dirs())}

MINIMAL = """\
character:
  name: Ada
  background: A senior engineer at a small robotics company.
  personality: Curious and direct.
scenario:
  setting: A coffee chat at a meetup.
  objective: Ask the candidate about their projects and give honest reactions.
  opening_line: Hi, I'm Ada. What are you working on these days?
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("persona_id", sorted(BUILTINS))
def test_every_builtin_card_says_what_the_user_practises(persona_id: str) -> None:
    persona = BUILTINS[persona_id]
    card = gallery_entry(persona)
    you, about = card["you_practise"], card["description"]
    assert you and about, "every shipped practice has both lines"
    assert you == persona.you_practise and about == persona.description
    # About the user, not the character's instructions ("Ask behavioural questions ...").
    assert you != persona.scenario.objective and about != persona.scenario.objective
    assert you.split()[0].endswith("ing"), f"say what the user does: {you!r}"
    assert you.split()[0] != persona.scenario.objective.split()[0]
    assert "you" in about.lower().split() or "your" in about.lower()
    assert len(you) <= 120 and len(about) <= 240 and "\n" not in you + about
    assert card["practise"] == persona.scenario.objective  # old clients still get their field


def test_the_customer_call_says_the_user_is_the_agent() -> None:
    you = BUILTINS["customer-caller"].you_practise
    assert "agent" in you and "customer" in you
    assert "Explain the problem" not in you


def test_a_users_persona_without_the_card_lines_loads_and_the_card_omits_them(
        tmp_path: Path) -> None:
    persona = load_persona(write(tmp_path, MINIMAL))
    assert persona.you_practise == "" and persona.description == ""
    card = gallery_entry(persona)
    # null, not the objective: the objective is the character's job, the wrong thing to show.
    assert card["you_practise"] is None and card["description"] is None
    assert card["practise"] == persona.scenario.objective


def test_the_card_lines_are_read_and_shown_as_resolved_data(tmp_path: Path) -> None:
    persona = load_persona(write(tmp_path, MINIMAL + (
        "you_practise: Talking about your own projects with a stranger\n"
        "description: '  Ada, an engineer, chats with you at a meetup.  '\n")))
    assert persona.you_practise == "Talking about your own projects with a stranger"
    assert persona.description == "Ada, an engineer, chats with you at a meetup."
    data = persona_to_dict(persona)
    assert data["you_practise"] == persona.you_practise
    assert data["description"] == persona.description


@pytest.mark.parametrize(("extra", "problem"), [
    ("you_practise: [talking]\n", "you_practise: expected text, got a list"),
    ("description: 42\n", "description: expected text, got a number"),
    ("you_practise: " + "x" * 121 + "\n", "you_practise: must be at most 120 characters, got 121"),
    ("description: " + "y" * 241 + "\n", "description: must be at most 240 characters, got 241"),
    ("you_practise: |\n  Talking.\n  Listening.\n", "you_practise: must be one line"),
    ("you_practice: Talking\n", "you_practice: unknown field (did you mean 'you_practise'?)"),
])
def test_bad_card_lines_are_refused_with_the_field_named(
        tmp_path: Path, extra: str, problem: str) -> None:
    path = write(tmp_path, MINIMAL + extra)
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert problem in str(caught.value) and str(path.name) in str(caught.value)
