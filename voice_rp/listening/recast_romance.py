"""What the Spanish and French recasters share: finding a time marker's clause, the subject
before a verb, and turning the learner's clause into the partner's words.

Both languages drop or fuse subjects and conjugate for person, so the partner's line can only
be made from words whose second-person form is known: a clause holding any other first-person
word is cut before it, and one that speaks to the partner ("tú", "tu") gets no line at all.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from .recast_text import PUNCT, Recast, join, like_case


@dataclass(frozen=True)
class Persons:
    """A language's words for turning the learner's clause round."""

    flip: Mapping[str, str]
    """First person -> second person ("mi" -> "tu", "j'ai" parts -> "tu as")."""
    refuse: frozenset[str]
    """Second-person words: the learner spoke of the partner, so no line."""
    stop: frozenset[str]
    """First-person forms the flip does not know (other verbs): the line ends before them."""
    breaks: frozenset[str]
    """Words that start a new clause ("y", "que", "et", "parce")."""
    known: frozenset[str]
    """Words, not names: lower-cased at the start of the line."""


def partner_line(words: Sequence[str], persons: Persons, *, fixed: Collection[int] = (),
                 opener: str = "Ah, ") -> str | None:
    """The learner's `words` turned round, ending with "." (never a question), or None.

    Words at the `fixed` positions are the partner's already ("tu as", "te gusta")."""
    out: list[str] = []
    for k, word in enumerate(words):
        low = word.lower()
        if k in fixed:
            out.append(word)
            continue
        if low in persons.refuse:
            return None
        if low in persons.stop or low in persons.breaks or word in PUNCT:
            break
        out.append(persons.flip.get(low, word))
    while out and out[-1].lower() in {"de", "a", "con", "en", "y", "et", "à", "avec", "le",
                                      "la", "el", "un", "une", "mi", "mon"}:
        out.pop()
    if not out:
        return None
    if out[0].lower() in persons.known:
        out[0] = out[0].lower()
    return f"{opener}{join(out)}."


def clause_start(low: Sequence[str], i: int, breaks: frozenset[str]) -> int:
    """Where the clause holding token i begins."""
    while i > 0 and low[i - 1] not in PUNCT and low[i - 1] not in breaks:
        i -= 1
    return i


def clause_end(low: Sequence[str], i: int, breaks: frozenset[str], limit: int = 12) -> int:
    """Where the clause holding token i ends, at most `limit` tokens on."""
    j = i
    while j < len(low) and j - i < limit and low[j] not in PUNCT and low[j] not in breaks:
        j += 1
    return j


@dataclass(frozen=True)
class Marked:
    """A past-time marker in a sentence: its span."""

    start: int
    end: int


def year_marker(low: Sequence[str], i: int, word: str) -> Marked | None:
    """ "en 2019", "in 2019": a year that is over."""
    if low[i] == word and i + 1 < len(low) and low[i + 1].isdigit() and (
            1900 <= int(low[i + 1]) <= 2024):
        return Marked(i, i + 2)
    return None


@dataclass(frozen=True)
class Articles:
    """A language's articles and the nouns whose gender learners get wrong."""

    dets: Mapping[str, tuple[str, str]]
    """Article -> (gender, kind): "la" -> ("f", "def"); the kind carries the number."""
    forms: Mapping[tuple[str, str], str]
    """(gender, kind) -> article: ("m", "def") -> "el"."""
    fused: Mapping[str, tuple[str, str]]
    """A preposition fused with an article: "del" -> ("de", "el")."""
    nouns: Mapping[str, tuple[str, str]]
    """Noun -> (gender, number)."""
    follow: frozenset[str]
    """Words that may follow the noun: no adjective that would need changing too."""
    trailing: frozenset[str]
    """Words a partner's fragment must not end on ("es", "est")."""
    clitic_after: frozenset[str]
    """After these "la" is a pronoun before a verb ("ella la programa"), not an article."""
    copulas: frozenset[str]
    """The partner's fragment ends before these: the adjective after "es" may agree with the
    wrong gender ("el foto es bonito")."""


def gender_recast(tokens: Sequence[str], low: Sequence[str], articles: Articles,
                  persons: Persons) -> Recast | None:
    """ "la problema" -> "el problema", "de la problème" -> "du problème"."""
    fuse = {pair: word for word, pair in articles.fused.items()}
    for i, word in enumerate(low[:-1]):
        prep, det = articles.fused.get(word, ("", word))
        if det not in articles.dets or low[i + 1] not in articles.nouns or (
                i > 0 and low[i - 1] in articles.clitic_after):
            continue
        if not prep and i > 0 and (low[i - 1], articles.forms.get(
                (articles.nouns[low[i + 1]][0], articles.dets[det][1]), "")) in fuse:
            prep = low[i - 1]
        gender, kind = articles.dets[det]
        noun_gender, number = articles.nouns[low[i + 1]]
        after = low[i + 2] if i + 2 < len(low) else ""
        if gender == noun_gender or not kind.endswith(number) or after not in articles.follow:
            continue
        right_det = articles.forms[(noun_gender, kind)]
        start = i - 1 if prep and word not in articles.fused else i
        if (prep, right_det) in fuse:
            new = [fuse[(prep, right_det)]]
        else:
            new = [prep, right_det] if prep else [right_det]
        new = [*like_case(new, [tokens[start]]), tokens[i + 1]]
        hi = clause_end(low, i + 2, persons.breaks, limit=8)
        rest = list(tokens[i + 2 : hi])
        cut = next((k for k, t in enumerate(rest) if t.lower() in articles.copulas), len(rest))
        rest = rest[:cut]
        while rest and rest[-1].lower() in articles.trailing:
            rest.pop()
        line = partner_line([right_det, tokens[i + 1], *rest], persons)
        if line is not None:
            return Recast("gender", join(tokens[start : i + 2]), join(new), line)
    return None
