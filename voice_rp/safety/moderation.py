"""Checks what the character is about to say: slurs, sexual content, self-harm encouragement,
threats and personal data are not spoken.

`check_spoken` is pure and deterministic: word lists and phrase patterns (data, in
`moderation_terms`) matched on folded text, so "n1gg3r", "p.o.r.n" and "fuuuck"-style spellings
are caught while "Scunthorpe", "Sussex" and "the sex of the noun" pass. Precision matters more
than anything here: an ordinary interview or language-practice reply must never be blocked.
A `Moderator` bundles one session's check: its language, the text its persona's author wrote,
and optionally a second opinion from a remote service (voice_rp.safety.moderation_endpoint),
which never silences the character when it is slow or down.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Protocol

from voice_rp.safety import moderation_terms as terms

NEUTRAL_LINES = {
    "en": "Let's get back to the practice.", "es": "Volvamos a la práctica.",
    "fr": "Revenons à l'exercice.", "de": "Kommen wir zurück zur Übung.",
    "it": "Torniamo all'esercizio.", "pt": "Voltemos à prática.",
    "nl": "Laten we verdergaan met de oefening.",
}


@dataclass(frozen=True)
class Verdict:
    """Whether a text may be spoken; if not, the category and the (folded) words that failed."""

    ok: bool
    category: str = ""  # "slur", "sexual", "self_harm_encouragement", "violence_threat", ...
    matched: str = ""


PASS = Verdict(True)


def neutral_line(language: str) -> str:
    """What the character says instead of a line that failed the check."""
    return NEUTRAL_LINES.get(_primary(language), NEUTRAL_LINES["en"])


def check_spoken(text: str, *, language: str = "en", allowed: Sequence[str] = ()) -> Verdict:
    """Whether `text` may be spoken by a character whose language is `language`.

    `allowed` are texts known to be safe (the persona's own lines and lore, crisis resources):
    a text found word for word in one of them passes, and the numbers (written in digits or
    spelled out digit by digit) and e-mail addresses they contain may be repeated. Listed words
    they contain are not excused one by one: a model recombining an imported character card's
    words is still checked.
    """
    allowance = _allowance(tuple(allowed))
    folded = _fold(text)
    if allowance.verbatim(folded):
        return PASS
    primary = _primary(language)
    return (_personal_data(text, allowance) or _phrases(folded, primary)
            or _words(folded, primary) or PASS)


def known_safe(text: str, allowed: Sequence[str]) -> bool:
    """True if `text` is found word for word in one of the `allowed` texts."""
    return _allowance(tuple(allowed)).verbatim(_fold(text))


def strings_in(value: object) -> list[str]:
    """Every non-empty string held by a dataclass (a persona), walking its fields, tuples,
    lists and mappings: what its author wrote, to pass as `allowed`."""
    found: list[str] = []
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.strip():
                found.append(item)
        elif is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in fields(item))
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
    return found


# --- folding ----------------------------------------------------------------------------------

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s"})
_LEET_INTERIOR = str.maketrans({"!": "i", "|": "l"})
_TOKEN = re.compile(r"[\w@$!|*]+")
_SPACED = re.compile(r"(?<!\S)(?:[^\W_][.\-_* ]){2,}[^\W_](?![^\W_])")


def _fold(text: str) -> str:
    """Lower case, accents removed, curly quotes straightened, leetspeak undone, letters
    spelled out with separators ("p.o.r.n", "k i k e") joined, spaces collapsed."""
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'").lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _TOKEN.sub(_unleet, text)
    text = _SPACED.sub(_join_spelled, text)
    return " ".join(text.split())


def _unleet(m: re.Match[str]) -> str:
    token = m.group()
    if not any(c.isalpha() for c in token) or token.isalpha():
        return token
    inner = token[1:-1].translate(_LEET_INTERIOR) if len(token) > 2 else token[1:-1]
    token = (token[0] + inner + token[-1]) if len(token) > 2 else token
    return token.translate(_LEET)


def _join_spelled(m: re.Match[str]) -> str:
    letters = re.split(r"[.\-_* ]", m.group())
    if len(letters) > 3 and letters[0] in ("a", "i", "y", "o", "e") and m.group()[1] == " ":
        return letters[0] + " " + "".join(letters[1:])  # "a f a g": an article, then a word
    return "".join(letters)


def _primary(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower() or "en"


# --- what the caller knows is safe ------------------------------------------------------------

@dataclass(frozen=True)
class _Allowance:
    texts: str  # folded, one a line
    digits: str  # every digit run in them (spoken digits too), separated by "|"
    emails: frozenset[str]

    def verbatim(self, folded: str) -> bool:
        core = folded.strip(" .,!?;:¡¿\"'«»…-")
        return bool(core) and re.search(rf"(?<!\w){re.escape(core)}(?!\w)", self.texts) is not None

    def has_digits(self, digits: str) -> bool:
        return digits in self.digits


@functools.lru_cache(maxsize=64)
def _allowance(allowed: tuple[str, ...]) -> _Allowance:
    folded = tuple(_fold(t) for t in allowed)
    runs: list[str] = []
    for original, text in zip(allowed, folded, strict=True):
        runs.extend(_digits(m.group()) for m in _NUMBER.finditer(original))
        words = re.findall(r"[a-z]+", text)
        for spoken, group in itertools.groupby(words, lambda w: w in terms.DIGIT_WORDS):
            said = list(group)
            if spoken and len(said) >= 3:
                runs.append("".join(terms.DIGIT_WORDS[w] for w in said))
    emails = frozenset(m.group().lower() for t in allowed for m in _EMAIL.finditer(t))
    return _Allowance("\n".join(folded), "|".join(runs), emails)


# --- personal data ----------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_EXAMPLE_DOMAIN = re.compile(r"@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|[\w-]+\.(?:example|test|"
                             r"invalid|localhost))$", re.IGNORECASE)
# A number as written: digit groups joined by one space, dash or dot, maybe with a country code
# or an area code in brackets. Not the digits after a decimal point or comma.
_NUMBER = re.compile(r"(?<![\d.,])(?<!\d[.,] )(?:\+ ?|00)?(?:\(\d{1,4}\) ?)?\d+(?:[ .\-]\d+)*")
_UNIT_AFTER = re.compile(rf"\s*(?:{terms.UNITS})(?!\w)", re.IGNORECASE)
_NATIONAL_INSURANCE = re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")  # UK
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_MIN_DIGITS = 7  # shorter numbers are amounts, years, times, crisis lines (988, 116 123)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _personal_data(text: str, allowance: _Allowance) -> Verdict | None:
    text = unicodedata.normalize("NFKC", text)
    for m in _EMAIL.finditer(text):
        email = m.group().lower()
        if email not in allowance.emails and not _EXAMPLE_DOMAIN.search(email):
            return Verdict(False, "personal_data", "email")
    for m in _NUMBER.finditer(text):
        kind = _number_kind(m.group(), after=text[m.end():])
        if kind and not allowance.has_digits(_digits(m.group())):
            return Verdict(False, "personal_data", kind)
    if _NATIONAL_INSURANCE.search(text):
        return Verdict(False, "personal_data", "id number")
    return None


def _number_kind(number: str, *, after: str) -> str:
    """"card number", "phone or id number", or "" for a number that is nobody's data."""
    digits = _digits(number)
    if len(digits) < _MIN_DIGITS or _UNIT_AFTER.match(after):
        return ""
    plain = number.lstrip("+0 (").strip()
    groups = re.split(r"[ .\-]", plain.replace("(", "").replace(") ", " ").replace(")", ""))
    seps = set(re.findall(r"[ .\-]", plain))
    if 13 <= len(digits) <= 19 and _luhn(digits):
        return "card number"
    if any(number.lstrip("+ ").startswith(p) for p in terms.TOLL_FREE) and "+" not in number:
        return ""  # a service's public line
    if len(groups) > 1 and all(_YEAR.fullmatch(g) for g in groups):
        return ""  # "1990-2000", "2019 2020 2021"
    if len(groups) == 3 and (_date(groups) or _date(groups[::-1])) and seps <= {"-", ".", " "}:
        return ""
    thousands = (len(groups) > 1 and len(seps) == 1 and 1 <= len(groups[0]) <= 3
                 and all(len(g) == 3 for g in groups[1:]))
    if thousands and not (seps == {" "} and len(groups[0]) == 3 and len(digits) == 9):
        return ""  # "2 500 000", "1.000.000"; but "612 345 678" is a Spanish mobile
    if len(groups) == 2 and seps == {"."} and not number.startswith(("+", "00")):
        return ""  # a decimal: "3.14159265"
    return "phone or id number"


def _date(groups: list[str]) -> bool:
    day, month, year = groups
    return (len(day) <= 2 and len(month) <= 2 and len(year) in (2, 4) and 1 <= int(day) <= 31
            and 1 <= int(month) <= 12)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# --- words ------------------------------------------------------------------------------------

_VOWELS = set("aeiouy")


def _word_regex(entry: str) -> str:
    """One TERMS entry as a regex: vowels may be stretched ("pooorn"), inner letters masked
    ("n*gger"), words joined by any non-letters; a trailing `*` lets the last word go on."""
    open_end = entry.endswith("*")
    words = []
    for word in entry.rstrip("*").split(" "):
        runs = [(c, len(list(g))) for c, g in itertools.groupby(word)]
        letters = [i for i, (c, _) in enumerate(runs) if c.isalpha()]
        parts = []
        for i, (c, k) in enumerate(runs):
            if not c.isalpha():
                parts.append(r"[\W_]*")
                continue
            rep = re.escape(c) * k + ("+" if c in _VOWELS else "")
            inner = letters and letters[0] < i < letters[-1]
            parts.append(rf"(?:{rep}|\*{{1,{k}}})" if inner else rep)
        words.append("".join(parts))
    return r"[\W_]+".join(words) + (r"\w*" if open_end else "")


def _alternation(entries: Sequence[str]) -> re.Pattern[str] | None:
    if not entries:
        return None
    body = "|".join(_word_regex(e) for e in sorted(entries, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


@functools.cache
def _word_lists(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    lang = language if language in terms.TERMS else "en"
    false_friends = set(terms.FALSE_FRIENDS.get(lang, ()))
    out = []
    for category in ("slur", "sexual"):
        english = [e for e in terms.TERMS["en"].get(category, ()) if e not in false_friends]
        entries = [*terms.TERMS["*"].get(category, ()), *english,
                   *(terms.TERMS[lang].get(category, ()) if lang != "en" else ())]
        if (pattern := _alternation(entries)) is not None:
            out.append((category, pattern))
    return tuple(out)


@functools.cache
def _exceptions(language: str) -> re.Pattern[str] | None:
    lang = language if language in terms.EXCEPTIONS else "en"
    return _alternation(list(dict.fromkeys([*terms.EXCEPTIONS["*"], *terms.EXCEPTIONS["en"],
                                            *terms.EXCEPTIONS[lang]])))


def _words(folded: str, language: str) -> Verdict | None:
    excused = _exceptions(language)
    spans = [m.span() for m in excused.finditer(folded)] if excused is not None else []
    for category, pattern in _word_lists(language):
        for m in pattern.finditer(folded):
            if any(a <= m.start() and m.end() <= b for a, b in spans):
                continue
            return Verdict(False, category, m.group())
    return None


# --- phrases: self-harm encouragement and threats -------------------------------------------

@dataclass(frozen=True)
class _Phrases:
    harm: re.Pattern[str]
    orders: re.Pattern[str]
    cue: re.Pattern[str]  # a cue ending right where a HARM phrase starts
    support: re.Pattern[str]
    reported: re.Pattern[str]
    doubt: re.Pattern[str]
    denial: re.Pattern[str]
    hopeless: re.Pattern[str]
    threats: re.Pattern[str]
    imperative: bool  # a HARM phrase opening a clause is an order (English base forms)


_CLAUSE_BREAK = re.compile(r"[,;:(\"«»—–]|\b(?:and|but|so|then|or|now|y|pero|o|et|mais|"
                           r"donc|alors|ou)\b")
_SENTENCE = re.compile(r"[^.!?¡¿\n]+[.!?]*")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»|(?<!\w)'(?=\w).*?(?<=[\w.!?,])'(?!\w)")


def _words_re(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


@functools.cache
def _phrase_rules(language: str) -> tuple[_Phrases, ...]:
    """The language's rules, then English's: small models drift into English."""
    langs = [lang for lang in dict.fromkeys((language, "en")) if lang in terms.HARM]
    rules = []
    for lang in langs:
        fillers = terms.FILLERS[lang]
        rules.append(_Phrases(
            harm=_words_re(terms.HARM[lang]),
            orders=_words_re(terms.ORDERS[lang]),
            cue=re.compile(rf"(?<!\w)(?:{terms.CUES[lang]})(?: (?:{fillers}))* ?$"),
            support=_words_re(terms.SUPPORT[lang]),
            reported=_words_re(terms.REPORTED[lang]),
            doubt=_words_re(terms.DOUBT[lang]),
            denial=_words_re(terms.DENIAL[lang]),
            hopeless=_words_re(terms.HOPELESS[lang]),
            threats=_words_re(terms.THREATS[lang]),
            imperative=lang == "en",
        ))
    return tuple(rules)


def _phrases(folded: str, language: str) -> Verdict | None:
    quotes = [m.span() for m in _QUOTED.finditer(folded)]
    for s in _SENTENCE.finditer(folded):
        sentence = s.group()
        quoted = [(a - s.start(), b - s.start()) for a, b in quotes]

        def said(m: re.Match[str], quoted: list[tuple[int, int]] = quoted) -> bool:
            # inside quotes: reported speech, not the character's own words
            return any(a <= m.start() and m.end() <= b for a, b in quoted)

        for rules in _phrase_rules(language):
            for m in rules.threats.finditer(sentence):
                if not said(m) and not rules.reported.search(sentence[:m.start()]):
                    return Verdict(False, "violence_threat", m.group())
            for m in rules.orders.finditer(sentence):
                if not said(m) and not rules.reported.search(sentence[:m.start()]):
                    return Verdict(False, "self_harm_encouragement", m.group())
            for m in rules.hopeless.finditer(sentence):
                if not said(m) and not rules.doubt.search(sentence[:m.start()]) and not (
                        rules.denial.search(sentence[m.end():])):
                    return Verdict(False, "self_harm_encouragement", m.group())
            for m in rules.harm.finditer(sentence):
                if not said(m) and _encourages(sentence, m, rules):
                    return Verdict(False, "self_harm_encouragement", m.group())
    return None


def _encourages(sentence: str, m: re.Match[str], rules: _Phrases) -> bool:
    before = sentence[:m.start()]
    clause = _CLAUSE_BREAK.split(before)[-1]
    cue = rules.cue.search(before)
    if cue is not None:
        return not rules.reported.search(before[:cue.start()])
    # "Kill yourself." is an order; "If you're thinking of hurting yourself, call 988" is not.
    return rules.imperative and not clause.strip(" ¡¿") and not rules.support.search(before)


# --- one session's check -----------------------------------------------------------------------

class SecondOpinion(Protocol):
    """A remote moderation service (voice_rp.safety.moderation_endpoint)."""

    async def check(self, text: str) -> Verdict | None:
        """Its verdict on `text`; None when it gave none in time (the local one stands)."""
        ...


@dataclass(frozen=True)
class Moderator:
    """One session's check on the model's lines: its language, what its persona's author
    wrote (and other known-safe text), and the endpoint to ask as well, if configured."""

    language: str = "en"
    allowed: tuple[str, ...] = ()
    endpoint: SecondOpinion | None = None

    @property
    def neutral_line(self) -> str:
        return neutral_line(self.language)

    def check_local(self, text: str) -> Verdict:
        return check_spoken(text, language=self.language, allowed=self.allowed)

    async def check_remote(self, text: str) -> Verdict:
        """The endpoint's verdict; passes when none is configured, the text is known safe,
        or the endpoint fails."""
        if self.endpoint is None or known_safe(text, self.allowed):
            return PASS
        return await self.endpoint.check(text) or PASS
