"""The words of a transcript as the recasters see them, and the `Recast` they return.

Whisper writes what it heard with some punctuation, fillers it happened to keep, quotes, and
curly apostrophes. The recasters work on plain word tokens per sentence, so every language's
rules share one way of cutting, joining and re-capitalising text. A sentence that is a question
or a quotation is never corrected: a learner's question is not a statement to re-say, and a
quotation is somebody else's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Recast:
    """One learner mistake and the partner's line that says it back correctly.

    `wrong` is what the learner said, `right` the same words corrected in the learner's voice,
    `line` the corrected clause in the partner's (second-person) voice, never a question."""

    kind: str
    wrong: str
    right: str
    line: str


@dataclass(frozen=True)
class Edit:
    """Replace `tokens[start:end]` of a sentence with `new`: one correction."""

    kind: str
    start: int
    end: int
    new: tuple[str, ...]


FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "mmm",
                     "euh", "eh", "ehm"})
PUNCT = frozenset({",", ".", "!", "?", ";", ":", "…", "¿", "¡"})
_SENTENCE_END = frozenset({".", "!", "?", ";"})
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+(?:['-][^\W\d_]+)*'?|[,.!?;:…¿¡]")
_QUOTED = re.compile(r"\"[^\"]*\"?|“[^”]*”?|«[^»]*»?|(?<!\w)'[^']*'(?!\w)")
# A stutter Whisper writes out ("I I go"): only short function words, never "had had".
_STUTTER = frozenset({"i", "we", "he", "she", "they", "the", "a", "my", "yo", "je", "la", "el",
                      "le", "mi", "mon", "ma"})


@dataclass(frozen=True)
class Sentence:
    """The tokens of one sentence, without its closing punctuation."""

    tokens: tuple[str, ...]
    question: bool


def sentences(text: str) -> list[Sentence]:
    """The transcript cut into sentences, fillers and quotations taken out."""
    text = text.replace("’", "'").replace("‘", "'")
    # Whisper writes a hesitation as "...": the sentence goes on after it.
    text = re.sub(r"\.\.\.+|…", ",", text)
    text = _QUOTED.sub(" ; ", text)
    raw = _TOKEN.findall(text)
    out: list[Sentence] = []
    current: list[str] = []
    for token in [*raw, "."]:
        if token in _SENTENCE_END:
            tokens = _clean(current)
            if tokens:
                out.append(Sentence(tuple(tokens), token == "?" or "¿" in current))
            current = []
        else:
            current.append(token)
    return out


def _clean(tokens: list[str]) -> list[str]:
    """Fillers (and the comma after one) gone, stutters merged, no leading comma."""
    out: list[str] = []
    skip_comma = False
    for token in tokens:
        low = token.lower()
        if low in FILLERS:
            skip_comma = True
            continue
        if token == "," and (skip_comma or not out or out[-1] == ","):
            continue
        skip_comma = False
        if out and low == out[-1].lower() and low in _STUTTER:
            continue
        out.append(token)
    while out and out[-1] == ",":
        out.pop()
    return out


def join(tokens: Iterable[str]) -> str:
    """Tokens back to text: no space before punctuation, none after "¿", "¡" or "j'"."""
    text = ""
    for token in tokens:
        if text and token not in PUNCT - {"¿", "¡"} and not text.endswith(("¿", "¡", "'")):
            text += " "
        text += token
    return text


def like_case(new: Sequence[str], old: Sequence[str]) -> tuple[str, ...]:
    """`new` with its first word capitalised when the word it replaces was ("She like" ->
    "She likes")."""
    if not new or not old or not old[0][:1].isupper() or old[0] == "I":
        return tuple(new)
    return (new[0][:1].upper() + new[0][1:], *new[1:])


def apply(tokens: Sequence[str], edit: Edit) -> list[str]:
    """The sentence with the edit made."""
    return [*tokens[: edit.start], *edit.new, *tokens[edit.end :]]


def finish(opener: str, tokens: Sequence[str], known: frozenset[str], end: str) -> str:
    """`opener` + the clause, its first word lower-cased unless it is a name."""
    words = list(tokens)
    if words and words[0].lower() in known:
        words[0] = words[0].lower()
    return f"{opener}{join(words)}{end}"


def is_number(token: str, words: frozenset[str]) -> bool:
    """A number as Whisper writes it: digits, or a number word of the language."""
    return token.isdigit() or token.lower() in words or (
        "-" in token and all(part in words for part in token.lower().split("-")))


def word_set(text: str) -> frozenset[str]:
    """The words of a list written as text, one or more a line."""
    return frozenset(text.split())
