"""Sentence chunker and latency budgeter: an LLM's streamed text in, speakable pieces out.

The synthesizer needs whole phrases (Piper speaks a sentence at a time and pronounces better with
context), but the user should hear the reply as soon as possible. So:

- the first piece goes out as soon as a clause of a few words is complete (", ; : — –"), or, if the
  model writes no boundary for a while, at the last whole word;
- the first piece is also kept short: a first sentence that runs past `first_max_words` with no
  clause boundary is cut before a linking word ("It's great that you're being transparent | with
  your team about..."), because Piper's time to first audio grows with the text;
- after that, whole sentences, which sound better; clauses again only when the queued audio runs low
  (so there is no audible gap while the LLM finishes a long sentence);
- a sentence longer than `max_words` is cut at its last clause (else at a word), so one very long
  sentence cannot stall the speaker;
- a newline always ends a piece (markdown lists, paragraphs, table rows);
- `flush()` at the end of the reply releases the tail.

A sentence end (". ! ? …" or "...", optionally followed by closing quotes, brackets or emphasis
marks) counts only when whitespace and then a character that can start a sentence (a capital, digit,
opening quote or bracket, markup, symbol) have arrived: tokens stream in, and "Dr" "." " Smith" must
not split. Because every decision looks only at text that has fully arrived, the pieces do not
depend on how the text was cut into deltas. Traps handled:

- titles never end a sentence (Dr. Mr. Mrs. Ms. Prof. St. ...), nor do e.g. i.e. vs. cf., dotted
  acronyms (U.S. U.K.: "the U.S. Army" is more common in speech than a sentence ending in "U.S.",
  and keeping two sentences together costs less than a pause in the middle of a name), single
  initials ("J. R. R. Tolkien") or "No." before a number;
- other abbreviations (etc. Inc. Jr. a.m. p.m.) follow the general rule: they end a sentence only
  when a capital follows ("at 9 a.m. Then" splits, "Smith Jr. said" does not);
- "3.14", "1,000,000", "$3.50", "example.com", "me@example.org" have no space after the mark, so
  nothing splits inside them; a year at a sentence end ("in 1980. Then") splits normally;
- ellipsis: "..." or "…" ends a sentence like any other mark when a capital follows ("Well... I
  think so." speaks "Well..." then "I think so.", the natural pause), and joins when the text goes
  on in lower case ("I was... um... tired."). A piece with nothing to say (a lone "...") is dropped;
- a numbered list marker at the start of a line ("1. First") is not a sentence end, and
  `speakable()` removes it.

Time and queued audio come from the caller (a `Clock`, `queued_audio_s`), so this is plain logic,
tested without an event loop, a model or real time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from voice_rp.clock import Clock

__all__ = ["ChunkPolicy", "Piece", "PieceReason", "SentenceChunker", "speakable"]

PieceReason = Literal["clause", "sentence", "long", "linking", "timeout", "flush"]


@dataclass(frozen=True)
class Piece:
    """One piece of a reply, cleaned and ready for the synthesizer."""

    index: int  # 0, 1, 2 ... within one reply
    text: str  # speakable text, never empty
    reason: PieceReason  # why it was released here: useful in latency reports


@dataclass(frozen=True)
class ChunkPolicy:
    """When to release text. "Words" are whitespace-separated tokens holding a letter or digit."""

    first_min_words: int = 3
    """The first piece may end at a clause boundary once it holds this many words; later pieces
    too when audio runs low. Fewer words make choppy speech ("Well," alone)."""

    first_max_words: int = 8
    """A first sentence longer than this with no clause boundary is cut before its last linking
    word ("with", "that", "because"...) within these words. Piper took ~150 ms for an 8-word piece
    and 450-900 ms for the 15-25-word first sentences SmolLM2 likes to open with, while the LLM
    went on writing on the same two cores (scripts/bench_latency.py)."""

    first_max_wait_s: float = 0.6
    """If the first piece has found no boundary this long after the reply's first token, release
    it at the last whole word (if it has `first_min_words`). A small model writes a clause well
    within this; a slow endpoint or a clause-free opening must not leave the user in silence."""

    max_words: int = 25
    """A sentence longer than this is cut at its last clause boundary (else after this many
    words): Piper's time to first audio grows with the text, and a barge-in wastes less."""

    low_audio_s: float = 1.5
    """After the first piece, release at clause boundaries too while less audio than this is
    queued: Piper needs a few hundred ms per sentence, so waiting for a whole sentence with an
    almost empty queue would leave an audible gap."""

    def __post_init__(self) -> None:
        if self.first_min_words < 1:
            raise ValueError(f"first_min_words must be at least 1, got {self.first_min_words}")
        if not self.first_min_words <= self.first_max_words <= self.max_words:
            raise ValueError(
                f"need first_min_words ({self.first_min_words}) <= first_max_words "
                f"({self.first_max_words}) <= max_words ({self.max_words})"
            )
        if self.first_max_wait_s < 0 or self.low_audio_s < 0:
            raise ValueError("first_max_wait_s and low_audio_s must not be negative")


class SentenceChunker:
    """Turns one reply's text deltas into `Piece`s; `flush()` ends the reply, readies the next."""

    # A shared default is safe: ChunkPolicy is frozen.
    def __init__(self, policy: ChunkPolicy = ChunkPolicy(), *, clock: Clock) -> None:
        self.policy = policy
        self._clock = clock
        self._pending = ""  # text received but not yet released
        self._index = 0
        self._first_token_at: float | None = None

    def push(self, delta: str, *, queued_audio_s: float = float("inf")) -> list[Piece]:
        """Add a text delta; return the pieces it completes. `queued_audio_s`: audio unplayed."""
        if self._first_token_at is None and delta.strip():
            self._first_token_at = self._clock.now()
        self._pending += delta
        return self._release(queued_audio_s)

    def poll(self, *, queued_audio_s: float = float("inf")) -> list[Piece]:
        """Time-based releases: call periodically while no new text arrives."""
        return self._release(queued_audio_s)

    def flush(self) -> list[Piece]:
        """End of the reply: release the tail, if it says anything, and start afresh."""
        text = speakable(self._pending)
        pieces = [Piece(self._index, text, "flush")] if text else []
        self._pending = ""
        self._index = 0
        self._first_token_at = None
        return pieces

    def _release(self, queued_audio_s: float) -> list[Piece]:
        pieces: list[Piece] = []
        while (cut := self._next_cut(queued_audio_s)) is not None:
            end, reason = cut
            raw, self._pending = self._pending[:end], self._pending[end:]
            text = speakable(raw)
            if text:  # markup or an emoji alone is consumed silently
                pieces.append(Piece(self._index, text, reason))
                self._index += 1
        return pieces

    def _next_cut(self, queued_audio_s: float) -> tuple[int, PieceReason] | None:
        """Where the pending text should be cut now, and why; None to wait for more."""
        policy = self.policy
        first = self._index == 0
        clause_ok = first or queued_audio_s < policy.low_audio_s
        words = 0
        last_clause = 0  # end of the last clause long enough to stand alone
        last_word_end, words_at_last_end = 0, 0
        last_link = 0  # end of the last word before a linking word, where a first piece may end
        previous_word = ""
        for kind, pos in _marks(self._pending):
            if kind == _SENTENCE:
                return pos, "sentence"
            if kind == _TOO_MANY_CHARS:
                return (last_word_end or pos), "long"
            if kind == _WORD_START:
                words += 1
                if words > policy.max_words:
                    return (last_clause or last_word_end), "long"
                if first and words > policy.first_max_words and last_link:
                    return last_link, "linking"
                word = _word_at(self._pending, pos)
                if (first and word in _LINKING and previous_word not in _DANGLING
                        and words - 1 >= policy.first_min_words):
                    last_link = last_word_end
                previous_word = word
            elif kind == _WORD_END:
                last_word_end, words_at_last_end = pos, words
            elif kind == _CLAUSE and words >= policy.first_min_words:
                if clause_ok:
                    return pos, "clause"
                last_clause = pos
            elif kind == _UNDECIDED:
                break
        if first and words_at_last_end >= policy.first_min_words and self._waited_too_long():
            return last_word_end, "timeout"
        return None

    def _waited_too_long(self) -> bool:
        started = self._first_token_at
        return started is not None and self._clock.now() - started >= self.policy.first_max_wait_s


_LINKING = frozenset({
    "with", "about", "that", "which", "who", "because", "since", "when", "while", "where",
    "and", "but", "so", "or", "for", "from", "into", "like", "to", "of", "in", "on", "at", "by",
    "if", "as", "than", "after", "before", "until", "without", "through",
})
"""Words a long first sentence may be cut before: the rest reads as its own phrase."""
_DANGLING = _LINKING | frozenset({
    "a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "this", "these",
    "those", "is", "are", "was", "were", "be", "been", "am", "not", "just", "very", "really",
    "i", "we", "you", "they", "he", "she", "it", "how", "what", "some", "any", "no",
})
"""Words a first piece must not end on: "That's a great example of" | "how..." would dangle."""
_WORD_AT = re.compile(r"[\w']+")


def _word_at(text: str, pos: int) -> str:
    match = _WORD_AT.match(text, pos)
    return match.group().lower().replace("’", "'") if match else ""


# --- scanning ----------------------------------------------------------------------------------
# `_marks` walks the pending text once and yields (kind, position) in text order. A boundary whose
# verdict needs text that has not arrived yet yields _UNDECIDED and ends the walk; that only
# happens at the very end of the text, so nothing after it is hidden.

_WORD_START, _WORD_END, _CLAUSE, _SENTENCE, _UNDECIDED, _TOO_MANY_CHARS = range(6)
# Text without words or line breaks (a table rule, a blob of symbols) is not held forever: past this
# many characters it is cut anyway, which also keeps each rescan of the pending text cheap.
_MAX_PIECE_CHARS = 600

_TERMINATORS = frozenset(".!?…")
# What may follow a sentence or clause mark and still belong to it: quotes, brackets, emphasis.
_CLOSERS = frozenset("\"'”’»)]}*_`~")
_OPENERS = frozenset("\"'“‘«([{¿¡*_#`~>$€£¥")
_TITLES = frozenset(
    {"mr", "mrs", "ms", "mx", "dr", "prof", "st", "mt", "rev", "fr", "gen", "col", "capt", "lt"}
    | {"sgt", "sen", "rep", "gov", "pres", "hon", "messrs"}
)
_NEVER_FINAL = frozenset({"vs", "e.g", "i.e", "cf", "viz", "approx", "ca", "incl"})
_BEFORE_NUMBER = frozenset({"no", "nos", "nr", "vol", "fig", "pp", "ch", "art", "op"})  # "No. 5"
_DOTTED_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # U.S, e.g, a.m (the last dot excluded)
_MAY_END_SENTENCE = frozenset({"a.m", "p.m"})  # "at 9 a.m. Then ..." is common speech
_LAST_WORD = re.compile(r"[\w.]+$")
_LIST_MARKER = re.compile(r"[\s>#*_]*\d{1,2}")  # what precedes the "." of "1. First"


def _marks(text: str) -> Iterator[tuple[int, int]]:
    in_word = False
    for i, ch in enumerate(text):
        if i == _MAX_PIECE_CHARS:
            yield _TOO_MANY_CHARS, i
            return
        if ch.isspace():
            if in_word:
                yield _WORD_END, i
            in_word = False
            if ch == "\n":
                yield _SENTENCE, i + 1
            continue
        if not in_word and ch.isalnum():
            in_word = True
            yield _WORD_START, i
        mark = _boundary_at(text, i)
        if mark is not None:
            yield mark
            if mark[0] == _UNDECIDED:
                return


def _boundary_at(text: str, i: int) -> tuple[int, int] | None:
    """The boundary a punctuation mark at `i` makes, if any."""
    ch = text[i]
    if ch in _TERMINATORS:
        if i > 0 and text[i - 1] in _TERMINATORS:
            return None  # judged at the start of the run ("?!", "...")
        return _sentence_end(text, i)
    if ch in ",;:":
        end = _skip(text, i + 1, _CLOSERS)
        if end == len(text):
            return _UNDECIDED, end  # "1," may become "1,000"
        return (_CLAUSE, end) if text[end].isspace() else None
    if ch == "—":
        return _CLAUSE, i + 1
    if ch in "-–" and i > 0 and text[i - 1] in " \t":
        # " - " and " – " are dashes; "well-known", "1990–2000" and "- item" are not.
        end = _skip(text, i, frozenset("-–"))
        if end - i > 2:
            return None
        if end == len(text):
            return _UNDECIDED, end
        return (_CLAUSE, end) if text[end].isspace() else None
    return None


def _sentence_end(text: str, i: int) -> tuple[int, int] | None:
    """Judge the run of terminators starting at `i`."""
    n = len(text)
    run_end = _skip(text, i, _TERMINATORS)
    end = _skip(text, run_end, _CLOSERS)
    if end == n:
        return _UNDECIDED, end
    if not text[end].isspace():
        return None  # "3.14", "example.com", "Wait…what"
    nxt = end
    while nxt < n and text[nxt].isspace() and text[nxt] != "\n":
        nxt += 1
    if nxt == n:
        return _UNDECIDED, end
    if text[nxt] == "\n" or not _can_start_sentence(text[nxt]):
        return None  # a newline is a boundary of its own; lower case continues the sentence
    if text[i:run_end] == "." and (
        _dot_continues(text[:i], text[nxt]) or _LIST_MARKER.fullmatch(text[:i])
    ):
        return None
    return _SENTENCE, end


def _dot_continues(before: str, nxt: str) -> bool:
    """Whether a single "." after `before` belongs to an abbreviation, followed by `nxt`."""
    match = _LAST_WORD.search(before)
    word = match.group().strip("._") if match else ""
    lower = word.lower()
    if not word:
        return False
    if lower in _TITLES or lower in _NEVER_FINAL:
        return True
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True  # an initial
    if _DOTTED_ACRONYM.fullmatch(word):
        return lower not in _MAY_END_SENTENCE
    return lower in _BEFORE_NUMBER and nxt.isdigit()


def _can_start_sentence(ch: str) -> bool:
    if ch.isalpha():
        return not ch.islower()  # capitals, and scripts without case
    if ch.isdigit() or ch in _OPENERS:
        return True
    # A symbol: an emoji before the next sentence, or a currency sign ("€20 is fine.").
    return not ch.isascii() and unicodedata.category(ch).startswith("S")


def _skip(text: str, i: int, chars: frozenset[str]) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


# --- speakable text ----------------------------------------------------------------------------
# Piper (through espeak-ng) reads what it is given: "**" comes out as "asterisk asterisk", an emoji
# as its Unicode name, a URL scheme letter by letter. Chat models write markdown by habit, so every
# piece goes through `speakable()` before it reaches the synthesizer.

# Code fence lines themselves say nothing; the code between them is left alone (rare in a chat).
_FENCE_LINE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.M)
# "---", "***", "- - -": a horizontal rule.
_RULE_LINE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.M)
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]+)>", re.I)
# "example.com/docs" reads well; "h t t p s colon slash slash" does not.
_SCHEME = re.compile(r"\b(?:https?://|mailto:)", re.I)
# Blockquote marks, then a heading mark or a list marker, at the start of a line.
_LINE_PREFIX = re.compile(
    r"^[ \t]*(?:>[ \t]*)*(?:#{1,6}|\d{1,2}[.)]|[-*+•])?(?=\s|$)|^[ \t]*(?:>[ \t]*)+", re.M
)
_TABLE_SEPARATOR_CELL = re.compile(r":?-+:?")
# Emphasis and code marks. An underscore inside a word ("snake_case") is kept.
_EMPHASIS = re.compile(r"\*+|~{2,}|`+|(?<![^\W_])_+|_+(?![^\W_])")
_SPACE_BEFORE_PUNCTUATION = re.compile(r" +(?=[,.;:!?…])")
_PAUSE_MARKS = frozenset(",.;:!?…")
_PUNCTUATION_ONLY = re.compile(r"[,.;:!?…]+")

# Symbol categories that are never spoken: emoji and pictographs (So), modifiers such as skin
# tones (Sk), format characters such as the zero-width joiner (Cf), private use and unassigned
# code points (newer emoji than this Python's Unicode tables).
_UNSPOKEN_CATEGORIES = frozenset({"So", "Sk", "Cf", "Co", "Cs", "Cn"})
_SPOKEN_SYMBOLS = frozenset("°")  # "20°C" is worth saying
_UNSPOKEN_EXTRA = frozenset("•|\u20e3")  # stray bullets, table pipes, the emoji keycap mark


def speakable(text: str) -> str:
    """Return `text` as it should be spoken: markdown, list markers, emoji and symbols removed,
    whitespace collapsed. "" when nothing is left to say (no letter or digit)."""
    text = _FENCE_LINE.sub("", text)
    text = _RULE_LINE.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _SCHEME.sub("", text)
    text = "\n".join(_table_row(line) if "|" in line else line for line in text.split("\n"))
    text = _LINE_PREFIX.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = "".join(" " if _unspoken(ch) else ch for ch in text)
    text = " ".join(_drop_orphan_punctuation(text.split()))
    text = _SPACE_BEFORE_PUNCTUATION.sub("", text)
    return text if any(ch.isalnum() for ch in text) else ""


def _drop_orphan_punctuation(tokens: list[str]) -> list[str]:
    """Drop marks left standing alone after another mark or at the start ("tired. ...", ", and"),
    and decoration ("=-=-=", "****"): a single "+", "&" or "—" is worth saying, a run is not."""
    kept: list[str] = []
    for token in tokens:
        if _PUNCTUATION_ONLY.fullmatch(token) and (not kept or kept[-1][-1] in _PAUSE_MARKS):
            continue
        if len(token) > 3 and not any(ch.isalnum() for ch in token):
            continue
        kept.append(token)
    return kept


def _table_row(line: str) -> str:
    """A markdown table row read as a list: "| Name | Age |" -> "Name, Age"; separators vanish."""
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    cells = [cell for cell in cells if cell]
    if all(_TABLE_SEPARATOR_CELL.fullmatch(cell) for cell in cells):
        return ""
    return ", ".join(cells)


def _unspoken(ch: str) -> bool:
    if ch.isascii():
        return ch == "|"
    if ch in _SPOKEN_SYMBOLS:
        return False
    if ch in _UNSPOKEN_EXTRA or "\ufe00" <= ch <= "\ufe0f" or "\u2190" <= ch <= "\u21ff":
        return True  # variation selectors (emoji style) and arrows
    return unicodedata.category(ch) in _UNSPOKEN_CATEGORIES
