"""Character Card import: chara_card_v2 / chara_card_v3, as JSON or embedded in a PNG.

Cards are the format people already share characters in, so voice-rp reads them rather than
inventing its own. A PNG card carries the card as base64 JSON in a `ccv3` (V3) and/or `chara`
text chunk; `ccv3` is preferred. The card maps onto a Persona; fields voice-rp does not use are
kept in `Persona.card_extra`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import struct
import zlib
from pathlib import Path
from typing import Any

from voice_rp.errors import PersonaError
from voice_rp.personas.fields import optional_text, type_name
from voice_rp.personas.lorebook import Lorebook
from voice_rp.personas.macros import ORIGINAL_MACRO, expand_macros
from voice_rp.personas.model import Character, Persona, Scenario

log = logging.getLogger(__name__)

CARD_SPECS = ("chara_card_v2", "chara_card_v3")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CARD_CHUNKS = ("ccv3", "chara")  # in order of preference
_MAPPED = {
    "name", "nickname", "description", "personality", "scenario", "first_mes", "mes_example",
    "system_prompt", "post_history_instructions", "character_book",
}
def load_card(path: Path, *, max_bytes: int = 64 * 2**20) -> Persona:
    """Read a character card file (.json or .png) as a Persona whose id is the file stem."""
    path = Path(path)
    source = str(path)
    try:
        if path.stat().st_size > max_bytes:
            raise PersonaError(f"file is larger than {max_bytes // 2**20} MB", source=source)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PersonaError("file not found", source=source) from None
    except OSError as exc:
        raise PersonaError(f"cannot read the file: {exc.strerror}", source=source) from None
    if path.suffix.lower() == ".png":
        card = card_from_png(raw, source=source)
    else:
        card = _parse_json(raw, source=source, where="")
    return card_to_persona(card, source=source, persona_id=path.stem)


def card_from_png(raw: bytes, *, source: str = "") -> Any:
    """The card JSON embedded in a PNG (from its `ccv3` chunk if present, else `chara`)."""
    chunks = png_text_chunks(raw, source=source)
    for keyword in _CARD_CHUNKS:
        if keyword in chunks:
            return _decode_embedded(chunks[keyword], source=source, where=f"{keyword} chunk")
    raise PersonaError("no character card in this PNG (no 'chara' or 'ccv3' text chunk)",
                       source=source)


def png_text_chunks(
    raw: bytes, *, source: str = "", max_text_bytes: int = 16 * 2**20
) -> dict[str, str]:
    """Text chunks (tEXt, zTXt, iTXt) of a PNG by lower-cased keyword; CRCs are checked.

    A text chunk that cannot be decoded is skipped: it is somebody else's metadata.
    """
    if not raw.startswith(PNG_SIGNATURE):
        raise PersonaError("not a PNG file (bad signature)", source=source)
    texts: dict[str, str] = {}
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(raw):
            raise PersonaError("truncated PNG (no IEND chunk)", source=source)
        length, ctype = struct.unpack(">I4s", raw[pos : pos + 8])
        body_end = pos + 8 + length
        if body_end + 4 > len(raw):
            raise PersonaError("truncated PNG (a chunk runs past the end of the file)",
                               source=source)
        body = raw[pos + 8 : body_end]
        (crc,) = struct.unpack(">I", raw[body_end : body_end + 4])
        name = ctype.decode("latin-1")
        if zlib.crc32(ctype + body) != crc:
            raise PersonaError(f"corrupt PNG: CRC mismatch in the {name} chunk", source=source,
                               field=f"{name} chunk")
        pos = body_end + 4
        if ctype == b"IEND":
            return texts
        decoded = _text_chunk(ctype, body, max_text_bytes)
        if decoded is not None:
            texts[decoded[0].lower()] = decoded[1]


def _text_chunk(ctype: bytes, body: bytes, limit: int) -> tuple[str, str] | None:
    if ctype not in (b"tEXt", b"zTXt", b"iTXt"):
        return None
    keyword, sep, rest = body.partition(b"\0")
    if not sep:
        return None
    try:
        if ctype == b"tEXt":
            return keyword.decode("latin-1"), rest.decode("latin-1")
        if ctype == b"zTXt":
            text = _inflate(rest[1:], limit)  # rest[0] is the compression method (0 = zlib)
            return None if text is None else (keyword.decode("latin-1"), text.decode("latin-1"))
        compressed = rest[0] == 1
        _language, _, rest = rest[2:].partition(b"\0")
        _translated, _, data = rest.partition(b"\0")
        text = _inflate(data, limit) if compressed else data
        return None if text is None else (keyword.decode("latin-1"), text.decode("utf-8"))
    except (IndexError, UnicodeDecodeError):
        log.debug("skipping a malformed %s chunk", ctype)
        return None


def _inflate(data: bytes, limit: int) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else out  # over the limit: not for us


def _decode_embedded(text: str, *, source: str, where: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("{"):  # some tools store the JSON itself rather than base64
        return _parse_json(stripped.encode("utf-8"), source=source, where=where)
    compact = "".join(stripped.split())
    try:
        payload = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PersonaError("not valid base64", source=source, field=where) from None
    return _parse_json(payload, source=source, where=where)


def _parse_json(raw: bytes, *, source: str, where: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PersonaError("not UTF-8 text", source=source, field=where) from None
    except json.JSONDecodeError as exc:
        raise PersonaError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                           source=source, field=where) from None


def card_to_persona(card: Any, *, source: str, persona_id: str) -> Persona:
    """Map a parsed V2/V3 card onto a Persona; `{{char}}` is filled in, `{{user}}` kept."""
    if not isinstance(card, dict):
        raise PersonaError(f"a character card must be a JSON object, got {type_name(card)}",
                           source=source)
    spec = card.get("spec")
    if spec not in CARD_SPECS:
        if spec is None and "name" in card:
            raise PersonaError("this is a V1 card (it has no 'spec'); open it in a card editor "
                               "and save it as V2 or V3", source=source, field="spec")
        raise PersonaError(f"unsupported card spec {spec!r}; expected 'chara_card_v2' or "
                           "'chara_card_v3'", source=source, field="spec")
    data = card.get("data")
    if not isinstance(data, dict):
        raise PersonaError(f"expected an object, got {type_name(data)}", source=source,
                           field="data")

    def text(key: str) -> str:
        return optional_text(data, key, source, "data").strip()

    name = text("name")
    if not name:
        raise PersonaError("the card has no character name", source=source, field="data.name")
    char = text("nickname") or name  # V3: a nickname replaces {{char}}

    def expand(value: str) -> str:
        return expand_macros(value, char=char).strip()

    book = data.get("character_book")
    lorebook = None if book is None else Lorebook.from_card(book, source=source, transform=expand)
    extra = {k: v for k, v in card.items() if k != "data"}
    extra.update({k: v for k, v in data.items() if k not in _MAPPED})
    return Persona(
        id=persona_id,
        title=name,
        character=Character(
            name=name,
            background=expand(text("description")),
            personality=expand(text("personality")),
            example_dialogue=expand(text("mes_example")),
        ),
        scenario=Scenario(
            setting=expand(text("scenario")),
            opening_line=expand(text("first_mes")) or f"Hello, I'm {char}.",
        ),
        card_system_prompt=expand(text("system_prompt")),
        # Our own post-history instructions are empty, so {{original}} there means nothing.
        post_history_instructions=ORIGINAL_MACRO.sub("", expand(text("post_history_instructions")))
        .strip(),
        lorebook=lorebook,
        card_extra=extra,
        source=source,
    )
