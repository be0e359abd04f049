"""The English partner's line: the learner's corrected clause said back in the second person.

The line is only the clause that held the slip ("Oh, you went to the cinema with your
brother!"), cut where Whisper's run-on transcript starts a new clause, even without punctuation
("last year I travel to Japan it was amazing"). It is a statement, never a question: the
partner's own question follows it.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import recast_en_words as w
from .recast_text import PUNCT, Edit, Recast, apply, finish, join, like_case

_BREAKS = frozenset({"and", "but", "so", "because", "cause", "or", "then", "which", "who",
                     "although", "though", "while", "whereas", "that"})
_SUBJECT_ONLY = frozenset({"i", "he", "she", "we", "they", "i'm", "he's", "she's", "we're",
                           "they're", "it's", "there's"})
_DANGLING = frozenset({"of", "to", "a", "an", "the", "with", "and", "in", "at", "for", "on",
                       "your", "his", "her", "their", "our", "very", "so", "but", "or", "my"})
_LEADING = frozenset({"and", "but", "so", "then", "because", "cause", "also", "well", "or"})
_FRAMING = frozenset({"when", "if", "unless", "before", "after", "while", "once"})
_LIMIT = 16
_FLIP = {"i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
         "we": "you", "us": "you", "our": "your", "ours": "yours", "ourselves": "yourselves",
         "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd", "we're": "you're",
         "we've": "you've", "we'll": "you'll", "we'd": "you'd"}
_AFTER_YOU = {"am": "are", "was": "were", "wasn't": "weren't"}
_YOUR = {"your": "my", "yours": "mine", "yourself": "myself"}
_SECOND = frozenset({"you", "yourselves", "you're", "you've", "you'll", "you'd", "ya"})


def english_recast(tokens: Sequence[str], edit: Edit) -> Recast | None:
    """The recast for one correction of a sentence, or None when no line can be made."""
    new = like_case(edit.new, tokens[edit.start : edit.end])
    corrected = apply(tokens, Edit(edit.kind, edit.start, edit.end, new))
    low = [t.lower() for t in corrected]
    end = edit.start + len(new)
    lo, hi = _bounds(low, edit.start, end)
    clause = corrected[lo:hi]
    while clause and clause[0].lower() in _LEADING:
        clause = clause[1:]
    while len(clause) > end - lo and clause[-1].lower() in _DANGLING | {","}:
        clause = clause[:-1]
    said = second_person(clause)
    if said is None:
        return None
    pair = next((k for k in range(1, min(5, len(said) - 1))
                 if said[0] == "your" and said[k : k + 2] == ["and", "you"]), None)
    if pair is not None:  # "your friend and you went" -> "you and your friend went"
        said = ["you", "and", *said[:pair], *said[pair + 2 :]]
    line = finish("Oh, ", said, w.KNOWN, "!")
    return Recast(edit.kind, join(tokens[edit.start : edit.end]), join(new), line)


def _bounds(low: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """The clause around low[start:end]: a subject that starts a clause is its first word, a
    conjunction is not. A clause opened by "when" or "if" takes the clause after it too ("when
    your father comes home he is always tired")."""
    lo = start
    while lo > 0 and low[lo - 1] not in PUNCT:
        if _new_subject(low, lo - 1):
            lo -= 1
            break
        if _joins(low, lo - 1):
            break
        lo -= 1
    hi = _clause_end(low, end)
    if low[lo] in _FRAMING and hi < len(low) and low[hi] not in {".", "?", "!", ";"}:
        hi = _clause_end(low, hi + 1)
    if hi - lo > _LIMIT:
        lo = max(lo, min(start, end - _LIMIT))
        hi = max(end, min(hi, lo + _LIMIT))
    return lo, hi


def _clause_end(low: Sequence[str], i: int) -> int:
    while i < len(low) and low[i] not in PUNCT and not _new_subject(low, i) and not _joins(low, i):
        i += 1
    return i


def _new_subject(low: Sequence[str], i: int) -> bool:
    """A subject at token i starts a clause with no conjunction ("it was amazing I see")."""
    word = low[i]
    subject = word in _SUBJECT_ONLY or (word in {"it", "there"} and i + 1 < len(low)
                                        and low[i + 1] in w.ALL_FORMS)
    return subject and i > 0 and low[i - 1] not in w.COORD | w.SUBORD | w.THAT_VERBS | {",", "and"}


def _joins(low: Sequence[str], i: int) -> bool:
    """A conjunction at token i: "so" before a subject (not "so cold"), "that" unless it
    follows "say" or "think" ("says that I'm late" is one thing said)."""
    word = low[i]
    if word == "so":
        return i + 1 < len(low) and (low[i + 1] in w.PRONOUNS or low[i + 1] in {"my", "the"})
    if word == "that":
        return i == 0 or low[i - 1] not in w.THAT_VERBS | {"said", "told", "thought", "me"}
    return word in _BREAKS


def second_person(words: Sequence[str]) -> list[str] | None:
    """The learner's clause in the partner's mouth: "I", "my", "we" become "you", "your".

    "your" becomes "my". None when the learner said "you": whether the partner then says "I"
    or "me" needs more than a word list, and a line that gets it wrong is worse than none."""
    out: list[str] = []
    after_i = False
    for word in words:
        low = word.lower()
        if low in _SECOND:
            return None
        if low in _YOUR:
            out.append(_YOUR[low])
            continue
        if after_i and low in _AFTER_YOU:
            out.append(_AFTER_YOU[low])
            after_i = False
            continue
        if low in _FLIP:
            out.append(_FLIP[low])
            after_i = low == "i"
            continue
        after_i = after_i and low in w.ADVERBS
        out.append(word)
    return out
