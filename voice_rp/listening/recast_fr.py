"""French recasts: the passé composé after a past-time marker ("hier je mange" -> "hier j'ai
mangé"), the age said with "avoir" ("je suis 25 ans" -> "j'ai 25 ans") and the gender of an
article ("la problème" -> "le problème").

Only verbs conjugated with "avoir" are put in the past: with "être" the participle agrees with
the speaker ("allé" or "allée"), and a recording does not tell us which is right.
"""

from __future__ import annotations

from collections.abc import Sequence

from .recast_fr_words import ARTICLES, NUMBERS, PARTICIPLE, PRESENT
from .recast_romance import (
    Marked,
    Persons,
    clause_end,
    clause_start,
    gender_recast,
    partner_line,
    year_marker,
)
from .recast_text import Recast, is_number, join, like_case, sentences, word_set

_ELIDED = frozenset({"j", "l", "d", "n", "m", "t", "s", "c", "qu", "jusqu", "lorsqu", "puisqu"})
_UNITS = word_set("""
semaine mois année an été hiver printemps automne week-end weekend lundi mardi mercredi jeudi
vendredi samedi dimanche soir
""")
_AGO_UNITS = word_set("""
an ans jour jours mois semaine semaines heure heures minutes temps longtemps
""")
_QUANTITY = word_set("""
un une deux trois quatre cinq six sept huit neuf dix quinze vingt trente quelques plusieurs
""")
_NOT_BEFORE_MARKER = frozenset({"depuis", "que", "de", "du", "comme", "jusqu'", "d'"})
_NOW = frozenset({"aujourd'hui", "maintenant", "demain", "toujours", "souvent", "chaque",
                  "tous", "normalement", "généralement", "actuellement", "d'habitude",
                  "habitude", "prochain", "prochaine"})
_BREAKS = frozenset({"et", "mais", "parce", "quand", "que", "qu'", "qui", "puis", "alors", "donc",
                     "car", "si", "où", "ou", "pendant"})
_PEOPLE = word_set("""
frère sœur soeur mère père fils fille ami amie copain copine mari femme cousin cousine oncle
tante grand-père grand-mère chien chat bébé patron patronne maman papa
""")
_NEGATIONS = frozenset({"pas", "rien", "jamais", "plus"})
_AUX = {"1s": "ai", "3s": "a", "1p": "avons", "3p": "ont"}
_SAID_AUX = {"1s": "as", "1p": "avez"}
_FLIP = {"je": "tu", "j'": "tu", "mon": "ton", "ma": "ta", "mes": "tes", "me": "te", "m'": "t'",
         "moi": "toi", "nous": "vous", "notre": "votre", "nos": "vos"}
_REFUSE = frozenset({"tu", "te", "t'", "toi", "ton", "ta", "tes", "vous", "votre", "vos",
                     "tien", "tienne"})
_FIRST = frozenset({"suis", "ai", "vais", "étais", "avais", "fais", "veux", "peux", "dois",
                    "sais"}) | frozenset(f for f, (_, p) in PRESENT.items() if "1s" in p)
_KNOWN = frozenset({"hier", "le", "la", "l'", "il", "elle", "ils", "elles", "un", "une", "en",
                    "ah", "ce", "cette", "du", "au", "son", "sa", "ses", "mon", "ma", "mes",
                    "avant-hier", "samedi", "dimanche", "lundi"})
PERSONS = Persons(_FLIP, _REFUSE, _FIRST, _BREAKS, _KNOWN)


def recast_fr(text: str) -> Recast | None:
    """The first sure French slip in the transcript, said back, or None."""
    for sentence in sentences(text):
        if sentence.question:
            continue
        tokens = _split_elisions(sentence.tokens)
        low = [t.lower() for t in tokens]
        for rule in (_past, _age):
            made = rule(tokens, low)
            if made is not None:
                return made
        made = gender_recast(tokens, low, ARTICLES, PERSONS)
        if made is not None:
            return made
    return None


def _split_elisions(tokens: Sequence[str]) -> list[str]:
    """ "j'ai" -> "j'", "ai": the elided word is a word of its own ("aujourd'hui" is not)."""
    out: list[str] = []
    for token in tokens:
        head, apostrophe, rest = token.partition("'")
        if apostrophe and rest and head.lower() in _ELIDED:
            out.extend([head + "'", rest])
        else:
            out.append(token)
    return out


def _markers(low: Sequence[str]) -> list[Marked]:
    found: list[Marked] = []
    n = len(low)
    for i, word in enumerate(low):
        mark = year_marker(low, i, "en")
        if word in {"hier", "avant-hier"}:
            extra = i + 1 < n and low[i + 1] in {"soir", "matin", "après-midi"}
            mark = Marked(i, i + 1 + extra)
        elif word in {"dernier", "dernière"} and i > 0 and low[i - 1] in _UNITS:
            start = i - 1 - (i > 1 and low[i - 2] in {"le", "la", "l'"})
            mark = Marked(start, i + 1)
        elif low[i : i + 3] == ["il", "y", "a"] and i + 4 < n + 1 and (
                i + 3 < n and (low[i + 3] in _QUANTITY or low[i + 3].isdigit()
                               or low[i + 3] == "longtemps")):
            end = i + 4 if low[i + 3] == "longtemps" else i + 5
            if low[i + 3] != "longtemps" and (i + 4 >= n or low[i + 4] not in _AGO_UNITS):
                continue
            if end < n and low[end] in {"que", "qu'"}:
                continue  # "il y a deux ans que je travaille ici": still true now
            mark = Marked(i, end)
        elif word == "autre" and low[i - 1 : i] == ["l'"] and low[i + 1 : i + 2] == ["jour"]:
            mark = Marked(i - 1, i + 2)
        if mark is not None and (mark.start == 0 or low[mark.start - 1] not in _NOT_BEFORE_MARKER):
            found.append(mark)
    return found


def _subject(tokens: Sequence[str], low: Sequence[str], i: int) -> tuple[int, str] | None:
    n = len(low)
    word = low[i] if i < n else ""
    if word in {"je", "j'"}:
        return i + 1, "1s"
    if word == "nous":
        return i + 1, "1p"
    if word in {"il", "elle"}:
        return i + 1, "3s"
    if word in {"ils", "elles"}:
        return i + 1, "3p"
    if word in {"mon", "ma", "mes", "son", "sa", "ses"} and i + 1 < n:
        return i + 2, "3p" if word.endswith("s") else "3s"
    if 0 < i < n and tokens[i][:1].isupper() and word.isalpha() and word not in _KNOWN:
        return i + 1, "3s"
    return None


def _past(tokens: Sequence[str], low: Sequence[str]) -> Recast | None:
    """ "Hier je mange une pizza" -> "Hier j'ai mangé une pizza"."""
    if any(t in _NOW for t in low):
        return None
    for mark in _markers(low):
        starts = [mark.end + (mark.end < len(low) and low[mark.end] == ",")]
        if mark.start > 0:
            starts.append(clause_start(low, mark.start, _BREAKS))
        for start in starts:
            made = _past_at(tokens, low, start, mark)
            if made is not None:
                return made
    return None


def _past_at(tokens: Sequence[str], low: Sequence[str], start: int, mark: Marked) -> Recast | None:
    found = _subject(tokens, low, start)
    if found is None:
        return None
    end, person = found
    ne = end < len(low) and low[end] in {"ne", "n'"}
    verb = end + ne
    if verb >= len(low) or low[verb] not in PRESENT or person not in PRESENT[low[verb]][1]:
        return None
    if person == "3s" and low[start] == "il" and PRESENT[low[verb]][0] == "faire":
        return None  # "hier il fait beau": the weather wants the imperfect
    negation = verb + 1 < len(low) and low[verb + 1] in _NEGATIONS
    if ne and not negation:
        return None
    if verb < mark.start and any(t in PRESENT for t in low[verb + 1 : mark.start]):
        return None
    participle = PARTICIPLE[PRESENT[low[verb]][0]]
    aux = _AUX[person]
    subject = list(tokens[start:end])
    last = verb + 1 + negation
    if person == "1s" and not ne:
        subject[-1] = like_case(["j'"], [subject[-1]])[0]
    neg_words = [*(["n'"] if ne else []), aux, *tokens[verb + 1 : last]]
    new = [*subject, *neg_words, participle]
    lo = min(start, mark.start)
    hi = clause_end(low, last, _BREAKS)
    heard = [t for t in tokens[lo:start] if t != ","]
    mine = person in {"1s", "1p"}
    who = ["tu" if person == "1s" else "vous"] if mine else list(tokens[start:end])
    tail = [*(["n'"] if ne else []), _SAID_AUX.get(person, aux), *tokens[verb + 1 : last],
            participle]
    first_fixed = len(heard) + (0 if mine else len(who))
    fixed = range(first_fixed, len(heard) + len(who) + len(tail))
    line = partner_line([*heard, *who, *tail, *tokens[last:hi]], PERSONS, fixed=fixed)
    if line is None:
        return None
    return Recast("past_tense", join(tokens[start:last]), join(new), line)


def _age(tokens: Sequence[str], low: Sequence[str]) -> Recast | None:
    """ "Je suis 25 ans" -> "J'ai 25 ans"; "mon frère est 30 ans" -> "mon frère a 30 ans"."""
    for i, word in enumerate(low):
        if word not in {"suis", "est"} or i == 0:
            continue
        j = i + 1
        while j < len(low) and (is_number(low[j], NUMBERS) or (
                low[j] == "et" and j + 1 < len(low) and low[j + 1] in NUMBERS)):
            j += 1
        if j == i + 1 or j >= len(low) or low[j] not in {"ans", "an"}:
            continue
        if j + 1 < len(low) and low[j + 1] not in {",", "et", "mais", "maintenant"}:
            continue
        found = next(((s, p) for s in range(max(0, i - 2), i)
                      if (p := _subject(tokens, low, s)) is not None and p[0] == i), None)
        if found is None or found[1][1] != ("1s" if word == "suis" else "3s"):
            continue
        if i - found[0] == 2 and low[i - 1] not in _PEOPLE:
            continue  # "mon contrat est 2 ans" is how long it lasts, not its age
        start = found[0]
        age = list(tokens[i + 1 : j + 1])
        if word == "suis":
            right = [like_case(["j'"], [tokens[start]])[0], "ai", *age]
            line = partner_line(["tu", "as", *age], PERSONS, fixed={0, 1})
        else:
            right = [*tokens[start:i], "a", *age]
            line = partner_line([*tokens[start:i], "a", *age], PERSONS)
        if line is not None:
            return Recast("age", join(tokens[start : j + 1]), join(right), line)
    return None
