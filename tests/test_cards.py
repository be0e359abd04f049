"""Character Card import: V2/V3 cards as JSON and as PNG files made here, byte by byte."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from client.personas_cli import main as personas_main
from voice_rp.errors import PersonaError
from voice_rp.personas import expand_macros, find_persona, load_persona
from voice_rp.personas.cards import card_from_png, png_text_chunks
from voice_rp.prompt import build_messages, opening_line, system_prompt

# --------------------------------------------------------------------------- fixtures


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png(*extra_chunks: bytes) -> bytes:
    """A valid 1x1 grey PNG with `extra_chunks` placed before the image data."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(extra_chunks) + pixels + chunk(b"IEND", b"")


def text_chunk(keyword: str, text: str) -> bytes:
    return chunk(b"tEXt", keyword.encode("latin-1") + b"\0" + text.encode("latin-1"))


def b64(card: dict) -> str:
    return base64.b64encode(json.dumps(card).encode("utf-8")).decode("ascii")


def v2(**data: Any) -> dict[str, Any]:
    fields = {
        "name": "Captain Mira",
        "description": "{{char}} commands the airship Kestrel.",
        "personality": "Bold and dry-humoured.",
        "scenario": "{{user}} has just come aboard as a new deckhand.",
        "first_mes": "Welcome aboard, {{user}}. I'm {{char}}.",
        "mes_example": "<START>\n{{user}}: Where are we headed?\n{{char}}: North, past the storm.",
        "creator_notes": "Works best with short replies.",
        "system_prompt": "",
        "post_history_instructions": "",
        "alternate_greetings": ["Ahoy."],
        "tags": ["adventure"],
        "creator": "someone",
        "character_version": "1.2",
        "extensions": {"talkativeness": "0.5"},
    }
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": fields | data}


def v3(**data: Any) -> dict[str, Any]:
    card = v2(**data)
    card["spec"], card["spec_version"] = "chara_card_v3", "3.0"
    card["data"] |= {"group_only_greetings": [], "assets": [{"type": "icon", "uri": "ccdefault:",
                                                           "name": "main", "ext": "png"}]}
    return card


def book(*entries: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "Kestrel lore", "extensions": {}, "entries": list(entries)} | fields


def entry(keys: list[str], content: str, **fields: Any) -> dict[str, Any]:
    return {"keys": keys, "content": content, "extensions": {}, "enabled": True,
            "insertion_order": 0} | fields


def write_json(tmp_path: Path, card: Any, name: str = "mira.json") -> Path:
    path = tmp_path / name
    path.write_text(card if isinstance(card, str) else json.dumps(card), encoding="utf-8")
    return path


def write_png(tmp_path: Path, data: bytes, name: str = "mira.png") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- mapping


def test_v2_json_card_maps_onto_a_persona(tmp_path: Path) -> None:
    path = write_json(tmp_path, v2(system_prompt="Narrate as {{char}}. {{original}}",
                                   post_history_instructions="Keep {{char}} in character."))
    persona = load_persona(path)
    assert persona.id == "mira"
    assert persona.name == persona.title == "Captain Mira"
    assert persona.source == str(path)
    assert persona.kind == "character" and persona.language == "en"
    assert persona.character.background == "Captain Mira commands the airship Kestrel."
    assert persona.character.personality == "Bold and dry-humoured."
    assert persona.scenario.setting == "{{user}} has just come aboard as a new deckhand."
    assert persona.character.example_dialogue.endswith("Captain Mira: North, past the storm.")
    assert persona.post_history_instructions == "Keep Captain Mira in character."
    # {{user}} is only known when a session starts.
    assert opening_line(persona, user_name="Sam") == "Welcome aboard, Sam. I'm Captain Mira."
    prompt = system_prompt(persona, user_name="Sam")
    assert prompt.startswith("Narrate as Captain Mira. You are Captain Mira, talking by voice "
                             "with Sam.")
    assert "Sam has just come aboard" in prompt
    assert "<START>" not in prompt and "Sam: Where are we headed?" in prompt
    assert "No markdown" in prompt  # the reply is still spoken


def test_card_system_prompt_without_original_replaces_the_framing(tmp_path: Path) -> None:
    persona = load_persona(write_json(tmp_path, v2(system_prompt="You are {{char}}, a pilot.")))
    prompt = system_prompt(persona)
    assert prompt.startswith("You are Captain Mira, a pilot.\n")
    assert "talking by voice" not in prompt


def test_unknown_and_unused_fields_are_kept(tmp_path: Path) -> None:
    card = v2(x_mood_engine={"enabled": True})
    card["x_top_level"] = 7
    persona = load_persona(write_json(tmp_path, card))
    extra = persona.card_extra
    assert extra["x_mood_engine"] == {"enabled": True}
    assert extra["x_top_level"] == 7
    assert extra["spec"] == "chara_card_v2" and extra["spec_version"] == "2.0"
    assert extra["extensions"] == {"talkativeness": "0.5"}
    assert extra["alternate_greetings"] == ["Ahoy."]
    assert extra["creator_notes"] == "Works best with short replies."
    assert "description" not in extra and "first_mes" not in extra


@pytest.mark.parametrize("text", ["Hi {{user}}, I'm {{char}}.", "Hi {{USER}}, I'm {{Char}}.",
                                  "Hi <USER>, I'm <BOT>.", "Hi {{ user }}, I'm <bot>."])
def test_macros_any_case_and_old_style(text: str) -> None:
    assert expand_macros(text, char="Mira", user="Sam") == "Hi Sam, I'm Mira."
    assert expand_macros(text, char="Mira") == "Hi {{user}}, I'm Mira."


def test_macro_values_are_not_treated_as_regex_replacements() -> None:
    assert expand_macros("{{char}}", char=r"A\1B") == r"A\1B"


def test_v3_card_uses_its_nickname_for_char(tmp_path: Path) -> None:
    persona = load_persona(write_json(tmp_path, v3(nickname="Cap")))
    assert persona.name == "Captain Mira"
    assert persona.character.background == "Cap commands the airship Kestrel."
    assert persona.card_extra["assets"][0]["name"] == "main"


def test_missing_first_message_gets_a_spoken_greeting(tmp_path: Path) -> None:
    persona = load_persona(write_json(tmp_path, v2(first_mes="")))
    assert opening_line(persona) == "Hello, I'm Captain Mira."


# --------------------------------------------------------------------------- PNG


def test_png_card_with_chara_chunk(tmp_path: Path) -> None:
    path = write_png(tmp_path, png(text_chunk("chara", b64(v2()))))
    persona = load_persona(path)
    assert persona.name == "Captain Mira"
    assert persona.id == "mira"


def test_png_prefers_ccv3_over_chara(tmp_path: Path) -> None:
    old, new = v2(name="Old Mira"), v3(name="New Mira")
    for order in ((old, new), (new, old)):
        chunks = [text_chunk("chara" if c is old else "ccv3", b64(c)) for c in order]
        persona = load_persona(write_png(tmp_path, png(*chunks)))
        assert persona.name == "New Mira"


def test_png_other_metadata_and_compressed_text_chunks(tmp_path: Path) -> None:
    card = b64(v2(name="Iris"))
    compressed_itxt = chunk(b"iTXt", b"chara\0\x01\x00\0\0" + zlib.compress(card.encode()))
    broken_itxt = chunk(b"iTXt", b"Comment\0\x01\x00en\0\0not zlib data")
    ztxt = chunk(b"zTXt", b"Software\0\x00" + zlib.compress(b"some editor"))
    unterminated = chunk(b"tEXt", b"no separator here")
    data = png(text_chunk("Title", "A picture"), ztxt, broken_itxt, unterminated, compressed_itxt)
    assert png_text_chunks(data) == {"title": "A picture", "software": "some editor",
                                     "chara": card}
    assert load_persona(write_png(tmp_path, data)).name == "Iris"


def test_png_chunk_holding_plain_json_is_accepted() -> None:
    assert card_from_png(png(text_chunk("chara", json.dumps(v2()))))["data"]["name"] == (
        "Captain Mira")


def test_show_a_png_card_from_the_cli(tmp_path: Path, capsys) -> None:
    path = write_png(tmp_path, png(text_chunk("ccv3", b64(v3()))))
    assert personas_main(["show", str(path)], environ={"VOICE_RP_PERSONAS": str(tmp_path)}) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "Captain Mira"
    assert data["card_extra"]["spec"] == "chara_card_v3"
    assert find_persona(str(path), []).name == "Captain Mira"


# --------------------------------------------------------------------------- lorebook


def test_lorebook_is_read_with_macros_and_decorators_handled(tmp_path: Path) -> None:
    lore = book(
        entry(["storm"], "@@depth 4\nThe storm wall guards {{char}}'s home port.",
              priority=5, insertion_order=2, case_sensitive=True, comment="weather", id=3),
        entry(["kestrel", "ship"], "The Kestrel is powered by {{user}}'s coal.",
              selective=True, secondary_keys=["engine"], enabled=False, constant=False),
        scan_depth=3, token_budget=100, recursive_scanning=False,
    )
    persona = load_persona(write_json(tmp_path, v3(character_book=lore)))
    assert persona.lorebook is not None
    first, second = persona.lorebook.entries
    assert first.content == "The storm wall guards Captain Mira's home port."
    assert (first.priority, first.insertion_order, first.case_sensitive) == (5, 2, True)
    assert first.extra == {"extensions": {}, "comment": "weather", "id": 3}
    assert second.keys == ("kestrel", "ship") and second.secondary_keys == ("engine",)
    assert second.selective and not second.enabled
    assert second.content == "The Kestrel is powered by {{user}}'s coal."
    assert persona.lorebook.scan_depth == 3 and persona.lorebook.token_budget == 100
    assert persona.lorebook.extra["recursive_scanning"] is False


def test_lorebook_entry_triggers_on_what_the_user_says(tmp_path: Path) -> None:
    lore = book(entry(["storm"], "The storm wall has never been crossed."),
                entry(["treasure"], "The treasure is buried on Gull Island."))
    persona = load_persona(write_png(tmp_path, png(text_chunk("chara",
                                                              b64(v2(character_book=lore))))))
    messages = build_messages(persona, [], "Are we really flying into the Storm?")
    prompt_text = "\n".join(m.content for m in messages)
    assert "The storm wall has never been crossed." in prompt_text
    assert "Gull Island" not in prompt_text


# --------------------------------------------------------------------------- broken cards


def _broken_png_crc() -> bytes:
    data = bytearray(png(text_chunk("chara", b64(v2()))))
    data[50] ^= 0x01  # a byte of the base64 text in the chara chunk
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "content", "problem", "field"),
    [
        ("a.png", png(text_chunk("chara", "%%% not base64 %%%")), "not valid base64",
         "chara chunk"),
        ("a.png", png(text_chunk("chara", base64.b64encode(b"{nope").decode())),
         "not valid JSON", "chara chunk"),
        ("a.png", png(text_chunk("ccv3", base64.b64encode(b"\xff\xfe").decode())),
         "not UTF-8", "ccv3 chunk"),
        ("a.png", png(text_chunk("Title", "just a picture")), "no character card in this PNG",
         ""),
        ("a.png", b"GIF89a not a png", "not a PNG file", ""),
        ("a.png", png(text_chunk("chara", b64(v2())))[:-20], "truncated PNG", ""),
        ("a.png", _broken_png_crc(), "CRC mismatch in the tEXt chunk", "tEXt chunk"),
        ("a.json", "{broken", "not valid JSON: Expecting property name", ""),
        ("a.json", "[1, 2]", "must be a JSON object, got a list", ""),
        ("a.json", json.dumps({"spec": "chara_card_v9", "data": {}}), "unsupported card spec",
         "spec"),
        ("a.json", json.dumps({"name": "Old", "description": "v1"}), "V1 card", "spec"),
        ("a.json", json.dumps({"spec": "chara_card_v2", "data": "x"}), "expected an object",
         "data"),
        ("a.json", json.dumps(v2(name="  ")), "no character name", "data.name"),
        ("a.json", json.dumps(v2(description=["x"])), "expected a string, got a list",
         "data.description"),
        ("a.json", json.dumps(v2(character_book=book(entry(["k"], "x") | {"content": 3}))),
         "expected a string, got a number", "data.character_book.entries[0].content"),
        ("a.json", json.dumps(v2(character_book=book(entry("storm", "x")))),
         "expected a list of strings", "data.character_book.entries[0].keys"),
        ("a.json", json.dumps(v2(character_book=book(entry(["("], "x", use_regex=True)))),
         "invalid regular expression", "data.character_book.entries[0].keys[0]"),
        ("a.json", json.dumps(v2(character_book=book(entry(["k"], "x", priority="high")))),
         "expected a whole number", "data.character_book.entries[0].priority"),
    ],
)
def test_broken_cards_are_rejected_clearly(
    tmp_path: Path, name: str, content: bytes | str, problem: str, field: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert caught.value.source == str(path)
    assert caught.value.field == field
    assert problem in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_missing_card_file(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="file not found"):
        load_persona(tmp_path / "gone.png")
