"""English recasts inside a phrase: a missing article ("I am teacher") and a word out of place
("I like very much pizza", "a car red", "I don't know where is the station").

Articles are recast only where English has no article-less reading: a singular job after "be",
a countable noun after an adjective, a known place after "go to". Word order only in four
patterns whose right order is certain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import recast_en_words as w
from .recast_en_time import TimeMarkers
from .recast_text import Edit

Rule = Callable[[Sequence[str], Sequence[str], TimeMarkers], Edit | None]

_FOLLOW = frozenset({"", ",", "and", "but", "because", "so", "at", "in", "for", "from", "of",
                     "with", "now", "too", "here", "there", "today", "yesterday", "tomorrow",
                     "who", "which", "that", "since", "when", "or", "on", "by", "to", "near",
                     "every", "last", "this", "next", "again", "also", "then", "um", "once",
                     "twice", "two", "three", "four", "five", "after", "before", "during",
                     "about", "all"})
_BE_ONE = frozenset({"am", "is", "was", "be", "become", "became", "becomes", "i'm", "he's",
                     "she's", "being"})
_SUBJECT_BEFORE_BE = frozenset({"i", "he", "she", "it", "this", "that"})
_IT_IS = frozenset({"it's", "that's", "it", "this", "that", "there's", "there"})
_IS = frozenset({"is", "was"})
_HAVE = frozenset({"have", "has", "had", "having"})
_GOOD_TIME = frozenset({"good", "great", "nice", "wonderful", "lovely", "fantastic", "amazing",
                        "bad", "terrible", "hard", "difficult", "fun"})
_INTENSIFIERS = frozenset({"very", "really"})
_MOTION = frozenset({"go", "goes", "went", "going", "gone", "come", "comes", "came", "coming",
                     "walk", "walked", "drive", "drove", "run", "ran"})
_BEING_AT = frozenset({"am", "is", "are", "was", "were", "i'm", "he's", "she's", "we're",
                       "they're", "stay", "stayed", "stays", "staying", "be", "been"})
_JOB_WORDS = frozenset({"job", "work", "profession", "dream", "plan", "goal", "career", "major",
                        "position", "role", "title", "occupation"})
_WORKING = frozenset({"work", "works", "worked", "working", "job"})
_LIKING = frozenset({"like", "likes", "liked", "love", "loves", "loved", "enjoy", "enjoys",
                     "enjoyed", "hate", "hates", "hated", "miss", "missed", "misses"})
_DEGREE = (("very", "much"), ("so", "much"), ("a", "lot"))
_OBJECT_STOP = frozenset({"but", "because", "cause", "when", "so", "if", "since", "that",
                          "which", "who", "though", "although", "while"})
_SUBJECTS = frozenset({"i", "he", "she", "we", "they", "you", "it", "my"})
_SPEAKING = frozenset({"speak", "speaks", "spoke", "speaking", "understand", "understands",
                       "write", "writes"})
_PLAYING = frozenset({"play", "plays", "played", "playing"})
_HOW_WELL = frozenset({"well", "fluently", "badly", "perfectly"})
_OWNING = frozenset({"have", "has", "had", "bought", "buy", "buys", "got", "is", "was", "saw",
                     "see", "there's", "i've", "we've", "found", "want", "wanted"})
_HUES = w.COLOURS | {"big", "small", "new"}
_ASKING = frozenset({"know", "knows", "knew", "wonder", "wondered", "remember", "asked", "sure",
                     "idea", "understand", "ask", "asks", "tell", "forgot", "forget"})
_WH = frozenset({"where", "when", "how", "why"})
_WH_BE = frozenset({"is", "are", "was", "were"})
_NP_DETS = frozenset({"the", "my", "your", "his", "her", "our", "their", "this", "that", "a"})
_NP_AFTER = frozenset({"there", "here", "in", "at", "tomorrow", "now", "today"})
_NP_PRONOUNS = frozenset({"it", "he", "she", "they"})
_NP_STARTERS = frozenset({"a", "an", "the", "my", "some", "two", "three", "four", "i", "we",
                          "he", "she", "they", "it", "his", "her", "our", "their", "this",
                          "that", "these", "those", "its", "your"})
_CLAUSE_END = frozenset({"", ",", "but", "because", "so", "and", "now", "today"})
_AFTER_NP = frozenset({"", ",", "but", "because", "so", "in", "from", "at", "with", "for",
                       "today", "yesterday", "now", "last", "too", "every"})


def _at(low: Sequence[str], i: int) -> str:
    return low[i] if 0 <= i < len(low) else ""


def _ends_np(low: Sequence[str], k: int, allowed: frozenset[str] = _FOLLOW) -> bool:
    """The noun phrase ends before token k: "I have dog and two cats", not "I have cat and
    dog allergies" (where "cat" is part of a longer phrase)."""
    after = _at(low, k)
    if after in {"and", "or"}:
        return _at(low, k + 1) in _NP_STARTERS
    return after in allowed


def _name_next(tokens: Sequence[str], i: int) -> bool:
    """ "He is doctor Smith": a title before a name, which needs no article."""
    return i < len(tokens) and tokens[i][:1].isupper() and tokens[i] != "I"


def _article(tokens: Sequence[str], low: Sequence[str], _m: TimeMarkers) -> Edit | None:
    """ "I am teacher" -> "I am a teacher"; "go to cinema" -> "go to the cinema"."""
    for i, word in enumerate(low):
        edit = (_job(tokens, low, i) if word in _BE_ONE or word == "as" else None) or \
            _countable(tokens, low, i) or _place(tokens, low, i)
        if edit is not None:
            return edit
    return None


def _job(tokens: Sequence[str], low: Sequence[str], i: int) -> Edit | None:
    if low[i] == "as" and _at(low, i - 1) not in _WORKING:
        return None
    if low[i] != "as" and {_at(low, i - 1), _at(low, i - 2)} & _JOB_WORDS:
        return None  # "my job is teacher": the fix is "I am a teacher", not "a teacher"
    j = i + 1 + (_at(low, i + 1) in _INTENSIFIERS and _at(low, i + 2) in w.PROFESSION_ADJ)
    while j < len(low) and low[j] in w.PROFESSION_ADJ and j - i <= 3:
        j += 1
    # "He was manager of the team", "teacher of the year": a role needs no article.
    if (_at(low, j) not in w.PROFESSIONS or not _ends_np(low, j + 1, _FOLLOW - {"of"})
            or _name_next(tokens, j + 1)):
        return None
    # "I am a teacher", "work as a teacher": the word before belongs to what is said
    before = low[i] == "as" or (low[i] in _IS | {"am"} and _at(low, i - 1) in _SUBJECT_BEFORE_BE)
    start = i - 1 if before else i
    return Edit("article", start, j + 1,
                (*tokens[start : i + 1], w.article_for(tokens[i + 1]), *tokens[i + 1 : j + 1]))


def _countable(tokens: Sequence[str], low: Sequence[str], i: int) -> Edit | None:
    """ "It is good idea", "there is problem", "I have car", "we had great time"."""
    word = low[i]
    if word in _IS and _at(low, i - 1) in _IT_IS:
        start, verb = i - 1, i
    elif word in {"it's", "that's", "there's"} or word in _HAVE:
        start, verb = i, i
    else:
        return None
    j = verb + 1
    if _at(low, j) in _INTENSIFIERS:
        j += 1
    adjective = _at(low, j) in w.ADJECTIVES or (word in _HAVE and _at(low, j) in _GOOD_TIME)
    noun = j + adjective
    there = _at(low, start) in {"there", "there's"}
    if adjective:
        nouns = w.COUNTABLE | ({"time"} if word in _HAVE else set())
    else:
        nouns = w.HAVE_NOUNS if word in _HAVE else (w.COUNTABLE if there else frozenset())
    if (_at(low, noun) not in nouns or not _ends_np(low, noun + 1)
            or (_at(low, j) in _INTENSIFIERS and not adjective)):
        return None
    first = verb + 1
    return Edit("article", start, noun + 1,
                (*tokens[start:first], w.article_for(tokens[first]), *tokens[first : noun + 1]))


def _place(tokens: Sequence[str], low: Sequence[str], i: int) -> Edit | None:
    """ "We went to cinema" -> "went to the cinema"; "I was at gym" -> "at the gym"."""
    word, prep, place = low[i], _at(low, i + 1), _at(low, i + 2)
    motion = word in _MOTION and prep == "to"
    being = word in _BEING_AT and prep in {"at", "in"} and place not in {
        "doctor", "dentist", "hairdresser"}
    if not (motion or being) or place not in w.PLACES or not _ends_np(low, i + 3):
        return None
    return Edit("article", i, i + 3, (tokens[i], tokens[i + 1], "the", tokens[i + 2]))


def _word_order(tokens: Sequence[str], low: Sequence[str], _m: TimeMarkers) -> Edit | None:
    """ "I like very much pizza", "I speak well English", "a car red", "where is the station"."""
    for i in range(len(low)):
        edit = (_degree(tokens, low, i) or _how_well(tokens, low, i)
                or _adjective_after(tokens, low, i) or _embedded_question(tokens, low, i))
        if edit is not None:
            return edit
    return None


def _degree(tokens: Sequence[str], low: Sequence[str], i: int) -> Edit | None:
    if low[i] not in _LIKING:
        return None
    degree = next((d for d in _DEGREE if tuple(low[i + 1 : i + 3]) == d), None)
    if degree is None:
        return None
    start = i + 3
    end = start
    while end < len(low) and low[end] != "," and low[end] not in _OBJECT_STOP and not (
            low[end] in {"and", "or"} and _at(low, end + 1) in _SUBJECTS - {"my"}):
        end += 1
    if not 0 < end - start <= 6 or low[end - 1] in {"and", "or"} or low[start] in {
            "to", "of", "that", "and"}:
        return None
    if low[start] in {"it", "them", "him"} and end - start > 1:
        return None
    # "I like a lot people" may mean "a lot of people": before a bare noun only "very much"
    # is sure ("football", "English" and names are no quantities).
    sure = (_NP_STARTERS | w.SPORTS | w.LANGUAGES | {"it", "them", "him", "her"})
    if degree != ("very", "much") and low[start] not in sure and not tokens[start][:1].isupper():
        return None
    return Edit("word_order", i, end, (tokens[i], *tokens[start:end], *tokens[i + 1 : i + 3]))


def _how_well(tokens: Sequence[str], low: Sequence[str], i: int) -> Edit | None:
    speaking, playing = low[i] in _SPEAKING, low[i] in _PLAYING
    if not (speaking or playing):
        return None
    j = i + 1 + (_at(low, i + 1) in {"very", "quite", "really"})
    if _at(low, j) not in _HOW_WELL or (playing and low[j] not in {"well", "badly"}):
        return None
    k = j + 1 + (playing and _at(low, j + 1) == "the")
    objects = w.LANGUAGES if speaking else w.SPORTS
    if _at(low, k) not in objects or _at(low, k + 1) not in _AFTER_NP:
        return None
    return Edit("word_order", i, k + 1, (tokens[i], *tokens[j + 1 : k + 1], *tokens[i + 1 : j + 1]))


def _adjective_after(tokens: Sequence[str], low: Sequence[str], i: int) -> Edit | None:
    """ "I have a car red" -> "a red car" (never after "paint", "make": "paint it red")."""
    if low[i] not in {"a", "an"} or _at(low, i - 1) not in _OWNING:
        return None
    noun, adjective = _at(low, i + 1), _at(low, i + 2)
    fits = (noun in w.THINGS and adjective in _HUES) or (
        noun in w.PEOPLE and adjective in w.NATIONALITIES)
    if not fits or not _ends_np(low, i + 3, _AFTER_NP):
        return None
    return Edit("word_order", i, i + 3,
                (w.article_for(tokens[i + 2]), tokens[i + 2], tokens[i + 1]))


def _embedded_question(tokens: Sequence[str], low: Sequence[str], i: int) -> Edit | None:
    """ "I don't know where is the station" -> "where the station is"."""
    if low[i] not in _ASKING:
        return None
    j = i + 1
    wh_end = j + 2 if tuple(low[j : j + 2]) == ("what", "time") else j + 1
    if wh_end == j + 1 and _at(low, j) not in _WH:
        return None
    verb = wh_end
    if _at(low, verb) not in _WH_BE:
        return None
    np_start = verb + 1
    if _at(low, np_start) in _NP_PRONOUNS:
        np_end = np_start + 1
    elif _at(low, np_start) in _NP_DETS:
        np_end = np_start + 1
        while np_end < len(low) and np_end - np_start < 4 and low[np_end] not in _CLAUSE_END \
                and low[np_end] not in w.ALL_FORMS - w.VERBS and low[np_end] not in _NP_AFTER:
            np_end += 1
        if np_end == np_start + 1:
            return None
    else:
        return None
    if _at(low, np_end) not in _CLAUSE_END | _NP_AFTER:
        return None
    return Edit("word_order", j, np_end,
                (*tokens[j:wh_end], *tokens[np_start:np_end], tokens[verb]))


PHRASE_RULES: tuple[Rule, ...] = (_article, _word_order)
