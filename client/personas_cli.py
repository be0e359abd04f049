"""`python -m client personas ...`: list, show and validate personas and character cards.

Exit codes: 0 success, 1 a persona is invalid or unknown, 2 bad command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from voice_rp.errors import PersonaError
from voice_rp.personas import (
    CARD_SUFFIXES,
    DIFFICULTIES,
    YAML_SUFFIXES,
    Persona,
    builtin_dirs,
    find_persona,
    load_persona,
    persona_files,
    persona_to_dict,
    user_persona_dir,
)
from voice_rp.prompt import opening_line, system_prompt


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m client personas",
        description="List, show and validate personas (YAML files or character cards).",
    )
    parser.add_argument("--dir", action="append", type=Path, default=[], metavar="DIR",
                        help="also look for personas in DIR (may be repeated; later wins)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the personas you can use")
    show = sub.add_parser("show", help="print a resolved persona as JSON")
    show.add_argument("persona", metavar="NAME_OR_PATH",
                      help="a persona id, a persona .yaml file or a character card .json/.png")
    show.add_argument("--difficulty", choices=DIFFICULTIES, help="show it at this difficulty")
    show.add_argument("--prompt", action="store_true",
                      help="print the system prompt and opening line instead of JSON")
    validate = sub.add_parser("validate", help="check persona files and character cards")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                          help="a persona file, a character card, or a directory of them")
    return parser


def main(argv: list[str], *, environ: Mapping[str, str] | None = None) -> int:
    """Run `personas <command>`; `argv` is what follows `personas` on the command line."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return exc.code if isinstance(exc.code, int) else 2
    env = os.environ if environ is None else environ
    dirs = [*builtin_dirs(user_persona_dir(env)), *args.dir]
    if args.command == "list":
        return _list(dirs)
    if args.command == "show":
        return _show(args.persona, dirs, difficulty=args.difficulty, prompt=args.prompt)
    return _validate(args.paths)


def _loaded(paths: Iterable[Path], failed: list[Path]) -> Iterator[tuple[Path, Persona]]:
    """The personas that load, in order; a file that does not is told and added to `failed`."""
    for path in paths:
        try:
            persona = load_persona(path)
        except PersonaError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed.append(path)
            continue
        yield path, persona


def _list(dirs: list[Path]) -> int:
    broken: list[Path] = []
    rows = []
    for path, persona in _loaded(persona_files(dirs).values(), broken):
        level = f" {persona.level}" if persona.level else ""
        rows.append((path.stem, f"{persona.language}{level}", persona.kind, persona.title))
    if not rows and not broken:
        print("no personas found in: " + ", ".join(str(d) for d in dirs))
    width = max((len(row[0]) for row in rows), default=0)
    for persona_id, language, kind, title in rows:
        print(f"{persona_id:<{width}}  {language:<5}  {kind:<16}  {title}")
    return 1 if broken else 0


def _show(name_or_path: str, dirs: list[Path], *, difficulty: str | None, prompt: bool) -> int:
    try:
        persona = find_persona(name_or_path, dirs)
        if difficulty:
            persona = persona.with_difficulty(difficulty)
    except PersonaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if prompt:
        print(system_prompt(persona))
        print()
        print(f"{persona.speaker_for_turn(0).name}: {opening_line(persona)}")
    else:
        print(json.dumps(persona_to_dict(persona), indent=2, ensure_ascii=False, default=str))
    return 0


def _validate(paths: list[Path]) -> int:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [p for p in sorted(path.iterdir())
                     if p.is_file() and p.suffix.lower() in YAML_SUFFIXES + CARD_SUFFIXES]
            if not found:
                print(f"error: {path}: no persona files (.yaml, .json, .png) here",
                      file=sys.stderr)
                return 1
            files.extend(found)
        else:
            files.append(path)
    failed: list[Path] = []
    for path, persona in _loaded(files, failed):
        print(f"ok: {path} ({persona.id}: {persona.title})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
