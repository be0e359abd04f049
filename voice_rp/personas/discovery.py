"""Finding personas: the shipped and user directories, loading a file (YAML persona or
Character Card) by its suffix, and looking a persona up by id with a helpful error."""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from voice_rp.errors import PersonaError, UnknownPersona
from voice_rp.personas.cards import load_card
from voice_rp.personas.model import Persona
from voice_rp.personas.schema import parse_persona

log = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")
CARD_SUFFIXES = (".json", ".png")


def load_persona(path: Path) -> Persona:
    """Load a YAML persona file, or a Character Card (.json/.png) mapped to a Persona."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix in CARD_SUFFIXES:
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
    dirs = [Path(__file__).resolve().parents[2] / "personas"]
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
