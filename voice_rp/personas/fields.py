"""Reading a persona file's mappings with errors that name the file, the field (a dotted path)
and what is wrong; persona files, flows and lorebooks are all read with these."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from voice_rp.errors import PersonaError


class Fields:
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

    def section(self, key: str, known: Iterable[str], *, required: bool = False) -> Fields:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "missing required section")
            value = {}
        return Fields(value, source=self.source, path=self.at(key), known=known)


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def optional_text(raw: Mapping, key: str, source: str, path: str) -> str:
    """`raw[key]` if it is a string, "" if it is missing or null; anything else is an error."""
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PersonaError(f"expected a string, got {type_name(value)}", source=source,
                           field=f"{path}.{key}")
    return value
