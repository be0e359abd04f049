"""English recasts: the past after a time marker, third-person -s, articles, word order.

Each rule matches a narrow, certain pattern and leaves everything else alone: a learner hearing
a wrong "correction" learns the wrong thing and stops trusting the partner, while a missed slip
costs nothing. So a rule needs a subject it can parse at the start of a clause and a verb it can
conjugate; questions, quotations, modals, perfects and verbs whose past looks like their base
("read", "put") are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import recast_en_words as w
from .recast_en_line import english_recast
from .recast_en_phrase import PHRASE_RULES
from .recast_en_time import TimeMarkers, time_markers
from .recast_en_words import ALL_FORMS, KNOWN
from .recast_text import PUNCT, Edit, Recast, sentences

_ASKS = frozenset({"do", "does", "did", "is", "are", "am", "was", "were", "can", "could",
                   "would", "will", "should", "have", "has", "what", "where", "why", "how",
                   "who", "which", "whose", "shall", "may", "isn't", "aren't", "don't",
                   "doesn't", "didn't", "right", "really"})
_BE_IN = {"i'm": ("was",), "he's": ("was",), "she's": ("was",), "it's": ("was",),
          "there's": ("was",), "we're": ("were",), "they're": ("were",)}
_BE_PAST = {"is": "was", "are": "were", "isn't": "wasn't", "aren't": "weren't"}
_BE_AGREES = {"am": {"1s"}, "is": {"3s", "np", "there"}, "are": {"1p", "3p", "plural", "np",
                                                                   "there"}}
_CAN_PAST = {"can": ("could",), "can't": ("couldn't",), "cannot": ("could", "not")}
_DETS = frozenset({"my", "our", "his", "her", "their", "the", "your"})
_STATE = frozenset({"live", "work", "like", "love", "hate", "want", "need", "prefer", "have",
                    "seem", "belong", "depend", "wish", "feel", "study", "own"})
_LEADING = frozenset({"and", "but", "so", "then", "because", "cause", "also", "well", "or"})
# A subject right after these starts a clause (after "let", "made", "saw" it is an object).
_OPENERS = frozenset({"because", "cause", "when", "if", "unless", "think", "believe", "hope",
                      "guess", "know", "sure", "say", "says"})
_TIME_WORDS = frozenset({"every", "day", "morning", "evening", "afternoon", "night", "week",
                         "weekend", "weekends", "in", "the", "on", "at", "nowadays", "today",
                         "these", "days", "mondays", "sundays", "saturdays", "usually",
                         "sometimes", "often", "normally", "generally", "always", "also", "now",
                         "actually", "well", "then", "so"})
_NOT_AN_OBJECT = frozenset({",", "with", "here", "now", "for", "yet", "already", "up", "by",
                            "and", "but", "so", "too", "away"})


def recast_en(text: str) -> Recast | None:
    """The first sure English slip in the transcript, said back, or None."""
    for sentence in sentences(text):
        tokens = tuple("I" if t == "i" else t for t in sentence.tokens)
        low = [t.lower() for t in tokens]
        if sentence.question or low[0] in _ASKS:
            continue
        markers = time_markers(low)
        for rule in (_past, _third_person, *PHRASE_RULES):
            edit = rule(tokens, low, markers)
            if edit is not None:
                made = english_recast(tokens, edit)
                if made is not None:
                    return made
    return None


def subject(tokens: Sequence[str], low: Sequence[str], i: int) -> tuple[int, str] | None:
    """The subject starting at tokens[i]: (where it ends, its person), or None.

    A pronoun, "my little brother", "the weather", a name Whisper capitalised, or two of them
    joined by "and"."""
    n = len(low)
    if i >= n:
        return None
    word = low[i]
    if word in w.PRONOUNS:
        end, person = i + 1, w.PRONOUNS[word]
    elif word in _BE_IN:
        return i + 1, "be"
    elif word in _DETS and i + 1 < n and low[i + 1] not in PUNCT and low[i + 1] not in ALL_FORMS:
        end, person = i + 2, "np"
        while (end < n and end - i < 4 and low[end].isalpha() and low[end] not in ALL_FORMS
               and low[end] not in w.ADVERBS and low[end] not in w.PRONOUNS
               and low[end] not in w.COORD | w.SUBORD):
            end += 1
    elif word == "me" and i + 1 < n and low[i + 1] == "and":
        end, person = i + 1, "1p"
    elif i > 0 and tokens[i][:1].isupper() and word.isalpha() and word not in KNOWN:
        end, person = i + 1, "3s"
    else:
        return None
    if end + 1 < n and low[end] == "and" and low[end + 1] not in w.COORD:
        other = subject(tokens, low, end + 1) if low[end + 1] not in {"i", "me"} else (end + 2, "")
        if other is None or other[1] in {"be", "there"}:
            return None
        return other[0], "plural"
    return end, person


def _skip_adverbs(low: Sequence[str], j: int) -> int:
    while j < len(low) and low[j] in w.ADVERBS:
        j += 1
    return j


def _clauses(low: Sequence[str], markers: TimeMarkers) -> list[tuple[int, int, str]]:
    """(start, end, the word that opened it) for each clause; a time marker is never cut."""
    out: list[tuple[int, int, str]] = []
    start, opener = 0, ""
    for i, word in enumerate(low):
        if markers.inside(i):
            continue
        if word == "," or word in w.COORD or word in w.SUBORD:
            if i > start:
                out.append((start, i, opener))
            start, opener = i + (word == ","), word
    out.append((start, len(low), opener))
    return [c for c in out if c[1] > c[0]]


def _past(tokens: Sequence[str], low: Sequence[str], markers: TimeMarkers) -> Edit | None:
    """ "Yesterday I go" -> "I went"; also "I goed" and "I didn't went" anywhere."""
    edit = _overregular(tokens, low)
    if edit is not None or not markers.past:
        return edit
    scope = fresh = False
    for lo, hi, opener in _clauses(low, markers):
        i = lo
        while i < hi and low[i] in _LEADING:
            i += 1
        fronted = markers.starting(i)
        if fronted is not None:
            scope = fresh = True
            i = fronted
            if i < hi and low[i] in ALL_FORMS - w.VERBS:
                scope = False  # "Yesterday was my birthday, I am 30": the day is the subject
                continue
        if markers.present_within(lo, hi):
            scope = False
            continue
        i = _after_phrase(tokens, low, i, hi)
        found = subject(tokens, low, i)
        if found is None:
            continue
        end, person = found
        verb = end if person == "be" else _skip_adverbs(low, end)
        # "my friend and I go ... yesterday": the verb's clause may end after this one
        reach = max(hi, next((k for k in range(verb, len(low)) if not markers.inside(k) and (
            low[k] == "," or low[k] in w.COORD or low[k] in w.SUBORD)), len(low)))
        if markers.present_within(verb, reach):
            continue
        local = markers.after(verb, reach)
        in_scope = (scope and opener not in w.SUBORD) or local
        if markers.habit_within(lo, reach) and fronted is None and not local:
            in_scope = False
        if in_scope:
            edit = _to_past(tokens, low, i, end, verb, person, first=fresh or local)
            if edit is not None:
                return edit
        fresh = False
    return None


def _after_phrase(tokens: Sequence[str], low: Sequence[str], i: int, hi: int) -> int:
    """Past a short phrase before the subject ("after work", "with my family")."""
    if i < hi and low[i] in {"after", "before", "in", "at", "on", "with", "during"}:
        for j in range(i + 1, min(i + 5, hi)):
            if low[j] in w.PRONOUNS and low[j] != "there":
                return j
    return i


def _to_past(tokens: Sequence[str], low: Sequence[str], start: int, end: int, verb: int,
             person: str, *, first: bool) -> Edit | None:
    """The subject and verb at tokens[start:verb+1] put in the past, or None if unsure.

    `first`: the clause the time marker belongs to. A later clause joined by "and" may be
    about now ("Last year I moved to Leeds and I live here"), so only its event verbs change."""
    n = len(low)
    nxt = low[verb + 1] if verb + 1 < n else ""
    if person == "be":
        if not first or nxt in w.PARTICIPLES or nxt in {"been", "going", "gonna", "got"} or (
                nxt.endswith("ing") and len(nxt) > 4):
            return None
        pronoun = tokens[start][: tokens[start].index("'")]
        return Edit("past_tense", start, start + 1, (pronoun, *_BE_IN[low[start]]))
    if verb >= n:
        return None
    head = tuple(tokens[start:verb])
    word = low[verb]
    if word in {"don't", "doesn't"} and nxt in w.VERBS and (first or nxt not in _STATE):
        return Edit("past_tense", start, verb + 1, (*head, "didn't"))
    if word in {"do", "does"} and nxt == "not" and verb + 2 < n and low[verb + 2] in w.VERBS:
        return Edit("past_tense", start, verb + 1, (*head, "did"))
    if word in _BE_PAST or word == "am":
        agrees = person in _BE_AGREES.get(word.removesuffix("n't"), ())
        if not first or not agrees or nxt in {"been", "going", "gonna"} or (
                nxt.endswith("ing") and len(nxt) > 4):
            return None
        past = "was" if word == "am" else _BE_PAST[word]
        return Edit("past_tense", start, verb + 1, (*head, past))
    if word in _CAN_PAST:
        return Edit("past_tense", start, verb + 1, (*head, *_CAN_PAST[word]))
    if word in {"have", "has"}:
        if not first or nxt in w.PARTICIPLES or nxt in {"got", "gotten", "been"}:
            return None
        return Edit("past_tense", start, verb + 1, (*head, "had"))
    base = w.THIRD.get(word, word if word in w.VERBS and word not in w.SAME_PAST else "")
    if not base or base in w.OPINION or base == "be" or (not first and base in _STATE):
        return None
    if nxt == "," and base == "like":
        return None
    return Edit("past_tense", start, verb + 1, (*head, w.past_of(base)))


def _overregular(tokens: Sequence[str], low: Sequence[str]) -> Edit | None:
    """ "I buyed" -> "I bought"; "I didn't went" -> "I didn't go"; "I seen" -> "I saw"."""
    for j, word in enumerate(low):
        start = j - 1 if j > 0 and low[j - 1] in w.PRONOUNS else j
        if word in w.OVERREGULAR:
            return Edit("past_tense", start, j + 1,
                        (*tokens[start:j], w.past_of(w.OVERREGULAR[word])))
        # "I done" alone may be "I'm done": a participle needs its object or place after it
        if (word in w.PARTICIPLE_ONLY and start < j and low[start] not in {"it", "there"}
                and j + 1 < len(low) and low[j + 1] not in _NOT_AN_OBJECT):
            return Edit("past_tense", start, j + 1,
                        (tokens[start], w.past_of(w.PARTICIPLE_ONLY[word])))
        if word in {"didn't", "did"} and j + 1 < len(low):
            k = j + 2 if word == "did" and low[j + 1] == "not" else j + 1
            if k < len(low) and low[k] in w.PAST_AFTER_DID:
                return Edit("past_tense", start, k + 1,
                            (*tokens[start:k], w.PAST_AFTER_DID[low[k]]))
    return None


def _third_person(tokens: Sequence[str], low: Sequence[str], markers: TimeMarkers) -> Edit | None:
    """ "My mother like" -> "My mother likes"; "he don't" -> "he doesn't"."""
    if markers.past or _tells_of_the_past(low):
        return None
    for i in range(len(low)):
        if not _may_start_clause(low, i):
            continue
        end = _third_subject(tokens, low, i)
        if end is None:
            continue
        j = _skip_adverbs(low, end)
        if j >= len(low):
            continue
        word, nxt = low[j], (low[j + 1] if j + 1 < len(low) else "")
        head = tuple(tokens[i:j])
        if word == "don't":
            return Edit("third_person_s", i, j + 1, (*head, "doesn't"))
        if word == "do" and nxt == "not":
            return Edit("third_person_s", i, j + 1, (*head, "does"))
        if word == "doesn't" and nxt in w.THIRD and w.THIRD[nxt] != "be":
            return Edit("third_person_s", i, j + 2, (*head, tokens[j], w.THIRD[nxt]))
        if (word in w.VERBS and word not in w.SAME_PAST and word not in {"be", "mean", "need"}
                and nxt not in w.BE and nxt not in w.MODALS and not nxt.startswith("'")
                and nxt not in w.THIRD and nxt not in w.PAST  # "my dog walk takes an hour"
                and not (word == "like" and nxt == ",")):
            return Edit("third_person_s", i, j + 1, (*head, w.third_of(word)))
    return None


def _third_subject(tokens: Sequence[str], low: Sequence[str], i: int) -> int | None:
    """Where a certainly singular third-person subject at tokens[i] ends."""
    n = len(low)
    if low[i] in {"he", "she", "it"}:
        end = i + 1
    elif low[i] in _DETS - {"the"} and i + 1 < n:
        adjective = low[i + 1] in w.NOUN_ADJ and i + 2 < n and low[i + 2] in w.SG_NOUNS
        end = i + 1 + adjective
        if low[end] not in w.SG_NOUNS:
            return None
        end += 1
    else:
        return None
    if end < n and low[end] in {"and", "or", ","}:
        return None
    return end


def _may_start_clause(low: Sequence[str], i: int) -> bool:
    """A subject here starts a clause, so it is not an object ("I made my brother cry")."""
    k = i
    while k > 0 and low[k - 1] in _TIME_WORDS:
        k -= 1
    if k == 0 or low[k - 1] == ",":
        return True
    before = low[k - 1]
    if before in {"and", "but", "or", "so"}:
        return any(t in ALL_FORMS for t in low[: k - 1])
    if before == "that":
        return k >= 2 and low[k - 2] in w.THAT_VERBS
    return before in _OPENERS or before in w.ADVERBS


def _tells_of_the_past(low: Sequence[str]) -> bool:
    """The sentence already speaks of the past ("she said she go"): "goes" might be wrong."""
    for k, word in enumerate(low):
        after_be = k > 0 and low[k - 1] in w.BE | set(_BE_IN) | {"i'm", "am", "are", "get"}
        if word in {"was", "were", "did", "didn't", "had", "wasn't", "weren't"} or (
                word in w.PAST and w.PAST[word] != word and not after_be):
            return True
    return False
