"""Lorebooks (a Character Card's `character_book`): facts put into the prompt only when relevant.

An entry is triggered when one of its keys appears in what the user just said (or, with the
book's `scan_depth`, in the last few messages). Triggered entries go into the prompt within a
character budget, so a big lorebook never bloats the prompt of a small model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voice_rp.errors import PersonaError
from voice_rp.personas.fields import optional_text, type_name

# Rough size of a token in English text; converts a card's `token_budget` into characters.
CHARS_PER_TOKEN = 4

_ENTRY_FIELDS = {
    "keys", "content", "secondary_keys", "selective", "enabled", "insertion_order",
    "priority", "case_sensitive", "constant", "use_regex", "name",
}
_BOOK_FIELDS = {"entries", "scan_depth", "token_budget", "name"}


@dataclass(frozen=True)
class LoreEntry:
    keys: tuple[str, ...]
    content: str
    secondary_keys: tuple[str, ...] = ()
    selective: bool = False  # when true, a secondary key must match too
    enabled: bool = True
    insertion_order: int = 0  # lower is placed earlier in the prompt
    priority: int = 0  # higher survives the budget first
    case_sensitive: bool = False
    constant: bool = False  # triggered without any key
    use_regex: bool = False  # keys are regular expressions (Character Card V3)
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def matches(self, text: str) -> bool:
        """True when this entry is triggered by `text` (constant entries always are)."""
        if not self.enabled:
            return False
        if self.constant:
            return True
        if not any(self._key_found(key, text) for key in self.keys):
            return False
        if self.selective and self.secondary_keys:
            return any(self._key_found(key, text) for key in self.secondary_keys)
        return True

    def _key_found(self, key: str, text: str) -> bool:
        if not key.strip():
            return False
        flags = 0 if self.case_sensitive else re.IGNORECASE
        if self.use_regex:
            return re.search(key, text, flags) is not None
        # Whole words only: the key "art" must not fire on "start" or "party".
        pattern = r"(?<!\w)" + re.escape(key.strip()) + r"(?!\w)"
        return re.search(pattern, text, flags) is not None


@dataclass(frozen=True)
class Lorebook:
    entries: tuple[LoreEntry, ...]
    scan_depth: int | None = None  # messages scanned, counting the user's new one; None = 1
    token_budget: int | None = None
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def select(
        self, user_text: str, recent: Sequence[str] = (), *, budget_chars: int = 600
    ) -> list[LoreEntry]:
        """Entries triggered by `user_text` (and the last `scan_depth - 1` of `recent`).

        `recent` is the conversation so far, oldest first. Entries are ranked constant first,
        then by priority, then insertion order (higher first); each is kept if it still fits
        the budget (the smaller of `budget_chars` and the card's `token_budget`). The result
        is in prompt order: insertion order, lower first.
        """
        depth = max(self.scan_depth if self.scan_depth is not None else 1, 1)
        window = [*recent[len(recent) - (depth - 1) :], user_text] if depth > 1 else [user_text]
        text = "\n".join(window)
        budget = budget_chars
        if self.token_budget:
            budget = min(budget, self.token_budget * CHARS_PER_TOKEN)
        indexed = [(i, e) for i, e in enumerate(self.entries) if e.matches(text)]
        ranked = sorted(indexed, key=lambda ie: (not ie[1].constant, -ie[1].priority,
                                                 -ie[1].insertion_order, ie[0]))
        kept: list[tuple[int, LoreEntry]] = []
        used = 0
        for i, entry in ranked:
            cost = len(entry.content) + 1  # +1 for the line break between entries
            if entry.content.strip() and used + cost <= budget:
                kept.append((i, entry))
                used += cost
        kept.sort(key=lambda ie: (ie[1].insertion_order, ie[0]))
        return [entry for _, entry in kept]

    @classmethod
    def from_card(
        cls, book: object, *, source: str, path: str = "data.character_book",
        transform: Callable[[str], str] | None = None,
    ) -> Lorebook:
        """Validate a card's `character_book`; unknown fields are kept in `extra`.

        `transform` (str -> str), when given, is applied to each entry's content (macros).
        """
        if not isinstance(book, Mapping):
            raise PersonaError(f"expected an object, got {type_name(book)}", source=source,
                               field=path)
        entries_raw = book.get("entries", [])
        if not isinstance(entries_raw, list):
            raise PersonaError(f"expected a list, got {type_name(entries_raw)}", source=source,
                               field=f"{path}.entries")
        entries = tuple(
            _entry(raw, source=source, path=f"{path}.entries[{n}]", transform=transform)
            for n, raw in enumerate(entries_raw)
        )
        return cls(
            entries=entries,
            scan_depth=_opt_int(book, "scan_depth", source, path),
            token_budget=_opt_int(book, "token_budget", source, path),
            name=optional_text(book, "name", source, path),
            extra={k: v for k, v in book.items() if k not in _BOOK_FIELDS},
        )


def _entry(
    raw: object, *, source: str, path: str, transform: Callable[[str], str] | None
) -> LoreEntry:
    if not isinstance(raw, Mapping):
        raise PersonaError(f"expected an object, got {type_name(raw)}", source=source, field=path)
    if not isinstance(raw.get("content"), str):
        raise PersonaError(f"expected a string, got {type_name(raw.get('content'))}", source=source,
                           field=f"{path}.content")
    keys = _str_list(raw, "keys", source, path)
    use_regex = _opt_bool(raw, "use_regex", False, source, path)
    case_sensitive = _opt_bool(raw, "case_sensitive", False, source, path)
    secondary = _str_list(raw, "secondary_keys", source, path)
    if use_regex:
        for n, key in enumerate((*keys, *secondary)):
            try:
                re.compile(key)
            except re.error as exc:
                raise PersonaError(f"invalid regular expression {key!r}: {exc}", source=source,
                                   field=f"{path}.keys[{n}]") from exc
    content = _strip_decorators(raw["content"])
    return LoreEntry(
        keys=keys,
        content=transform(content) if transform else content,
        secondary_keys=secondary,
        selective=_opt_bool(raw, "selective", False, source, path),
        enabled=_opt_bool(raw, "enabled", True, source, path),
        insertion_order=_opt_int(raw, "insertion_order", source, path) or 0,
        priority=_opt_int(raw, "priority", source, path) or 0,
        case_sensitive=case_sensitive,
        constant=_opt_bool(raw, "constant", False, source, path),
        use_regex=use_regex,
        name=optional_text(raw, "name", source, path),
        extra={k: v for k, v in raw.items() if k not in _ENTRY_FIELDS},
    )


def _strip_decorators(content: str) -> str:
    # V3 decorators ("@@depth 4") steer other apps' insertion; we don't interpret them, and they
    # must not reach the prompt as text.
    lines = [line for line in content.splitlines() if not line.lstrip().startswith("@@")]
    return "\n".join(lines).strip()


def _str_list(raw: Mapping, key: str, source: str, path: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PersonaError(f"expected a list of strings, got {type_name(value)}", source=source,
                           field=f"{path}.{key}")
    return tuple(value)


def _opt_bool(raw: Mapping, key: str, default: bool, source: str, path: str) -> bool:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise PersonaError(f"expected true or false, got {type_name(value)}", source=source,
                           field=f"{path}.{key}")
    return value


def _opt_int(raw: Mapping, key: str, source: str, path: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
        isinstance(value, float) and not value.is_integer()
    ):
        raise PersonaError(f"expected a whole number, got {type_name(value)}", source=source,
                           field=f"{path}.{key}")
    return int(value)
