"""Character Card macros: `{{char}}`/`<BOT>` and `{{user}}`/`<USER>` in card text and prompts."""

from __future__ import annotations

import re

_CHAR_MACRO = re.compile(r"\{\{\s*char\s*\}\}|<bot>", re.IGNORECASE)
_USER_MACRO = re.compile(r"\{\{\s*user\s*\}\}|<user>", re.IGNORECASE)
ORIGINAL_MACRO = re.compile(r"\{\{\s*original\s*\}\}", re.IGNORECASE)


def expand_macros(text: str, *, char: str | None = None, user: str | None = None) -> str:
    """Replace `{{char}}`/`<BOT>` and `{{user}}`/`<USER>` (any case).

    A macro whose value is None is normalised to `{{char}}`/`{{user}}` instead, so it can be
    filled in later (the user's name is only known when a session starts).
    """
    char_value = "{{char}}" if char is None else char
    user_value = "{{user}}" if user is None else user
    text = _CHAR_MACRO.sub(lambda _: char_value, text)
    return _USER_MACRO.sub(lambda _: user_value, text)
