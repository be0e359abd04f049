"""Is the user done, thinking, or asking for time? What the words so far say about a pause.

The endpointer acts on a pause by what it reads here from the transcript up to the pause: words
that end a thought are answered at once, words that leave it open ("and", "um", "parce que", a
comma) are waited for much longer, and a request for time ("give me a moment", "un momento",
"laisse-moi réfléchir") holds the floor. A fixed wait cannot do both: long enough for a thinking
pause, it makes every answer late; short enough to answer quickly, it cuts people off mid-thought.

English, Spanish and French are read in every session (a learner may fall back on English; the
lists of one language rarely end an utterance in another), so `language` only breaks ties.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


class Ending(Enum):
    """How the words before a pause end."""

    COMPLETE = "complete"  # a finished thought: answer now
    UNSURE = "unsure"      # no sign either way
    OPEN = "open"          # mid-thought: a trailing conjunction, article, filler, comma
    HOLD = "hold"          # the user asked for time


_FILLERS = frozenset({
    "um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "mmm", "ah", "eh", "ehm",
    "euh", "heu", "bah", "ben", "este", "pues", "mmh",
})
"""Sounds people make while they look for the next word; Whisper keeps some of them."""

_TRAILING = {
    "en": {"and", "but", "or", "nor", "because", "cause", "cuz", "the", "a", "an", "if",
           "whether", "than", "my", "your", "our", "their", "its", "although", "unless",
           "whereas", "which", "whose", "every"},
    "es": {"y", "e", "o", "u", "ni", "pero", "porque", "que", "el", "la", "los", "las", "un",
           "una", "unos", "unas", "mi", "mis", "tu", "tus", "su", "sus", "nuestro", "nuestra",
           "si", "aunque", "cuando", "como", "donde", "mientras", "sino", "del", "al", "de",
           "en", "con", "para", "por", "sin", "sobre", "entre", "hasta", "desde", "muy", "más",
           "mas", "este", "esta", "estos", "estas", "ese", "esa", "lo", "le", "se", "me", "te",
           "nos", "entonces", "pues", "bueno", "sea", "también", "tambien", "cual", "cuales"},
    "fr": {"et", "ou", "mais", "parce", "que", "qu", "qui", "le", "la", "les", "l", "un",
           "une", "des", "du", "de", "d", "à", "a", "au", "aux", "en", "avec", "pour", "par",
           "dans", "sur", "sans", "chez", "vers", "mon", "ma", "mes", "ton", "ta", "tes", "son",
           "sa", "ses", "notre", "nos", "votre", "vos", "leur", "leurs", "si", "quand",
           "comme", "où", "lorsque", "puisque", "ce", "cet", "cette", "ces", "je", "j",
           "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "ne", "n", "très", "tres",
           "plus", "moins", "alors", "donc", "puis", "aussi", "c", "dont", "lequel",
           "laquelle", "enfin", "genre", "bref", "voilà", "voila"},
}
"""Words that (almost) never end an utterance, whatever punctuation Whisper put after them."""

_OPEN_UNLESS_CLOSED = {
    "en": {"to", "of", "with", "for", "in", "on", "at", "from", "about", "into", "onto", "by",
           "as", "that", "who", "when", "where", "while", "i", "is", "was", "are", "were", "am",
           "be", "been", "very", "gonna", "wanna", "gotta", "just", "being", "having", "we",
           "they", "he", "she", "so", "then", "like", "really", "actually", "basically",
           "mostly", "also", "quite", "this", "these", "those", "some", "each", "both", "his",
           "her", "either", "neither", "that's", "such", "kind", "sort", "until", "since",
           "during", "let"},
    "es": {"es", "era", "fue", "estaba", "estoy", "soy", "he", "ha", "había", "habia", "yo",
           "tengo", "tenía", "tenia", "voy", "iba", "hay", "hice", "quiero", "puedo", "creo",
           "pienso", "trabajé", "trabaje", "trabajo", "ahora", "después", "despues", "antes"},
    "fr": {"est", "était", "etait", "suis", "ai", "avait", "avais", "fait", "été", "ete",
           "peux", "veux", "vais", "allais", "crois", "pense", "après", "apres", "avant",
           "ensuite", "travaillé", "travaille", "y", "pas"},
}
"""Words that usually mean more is coming, unless a full stop closes the sentence ("I did.")."""

_PRONOUN_CONTRACTION = re.compile(
    r"^(?:i|you|we|they|he|she|it|that|there|here|what|who|where)'(?:m|re|s|ve|ll|d)$")

_HOLD = re.compile(
    r"(?:^|[.!?,;]\s*|\b(?:ok|okay|so|well|hmm+|um+|uh+|oh|right|sure|yes|yeah|bueno|pues|vale|"
    r"si|sí|eh|euh|ben|alors|oui|d'accord|ah)\s+)(?:"
    # English
    r"(?:can|could|may) i (?:have|get|take) (?:a|one) (?:moment|second|sec|minute|bit)"
    r"(?: to think(?: about (?:it|that|this))?)?"
    r"|(?:just )?give me (?:a|one|just a) (?:moment|second|sec|minute|bit)"
    r"(?: to think(?: about (?:it|that|this))?)?"
    r"|let me (?:think|see|think about (?:it|that|this)|think for a (?:second|moment|minute))"
    r"|i need (?:a|to) (?:moment|second|minute|think)(?: about (?:it|that|this))?"
    r"|(?:hold on|wait|one (?:moment|second|sec)|just a (?:moment|second|sec|minute))"
    r"(?: (?:a|one) (?:moment|second|sec|minute))?(?: please)?"
    r"|(?:i'm|i am) thinking"
    # Spanish (accents folded)
    r"|un (?:momento|segundo|momentito|segundito)(?: por favor)?"
    r"|dame un (?:momento|segundo|minuto|momentito)(?: para pensar)?(?: por favor)?"
    r"|dejame (?:pensar(?:lo)?|ver|pensarlo un momento)|deja que (?:piense|lo piense)"
    r"|espera(?:me)?(?: un (?:momento|segundo))?|a ver(?: (?:dejame pensar|que pienso))?"
    r"|necesito (?:un momento|pensar(?:lo)?)|estoy pensando"
    # French (accents folded)
    r"|un (?:instant|moment|petit moment|instant s'il (?:te|vous) plait)"
    r"|une (?:seconde|minute|petite seconde)"
    r"|laisse(?:z)?[- ]moi (?:reflechir|(?:un peu )?(?:y )?reflechir|voir|le temps)"
    r"|attend(?:s|ez)?(?: une seconde| un instant| un peu)?|je reflechis|voyons(?: voir)?"
    r"|(?:il )?(?:me )?faut (?:un instant|reflechir)"
    r")(?:\s+(?:to think|para pensar(?:lo)?|pour reflechir|un peu|a bit|un poco"
    r"|about (?:it|that|this)|for a (?:second|moment|minute|bit)|(?:en|sobre|a) (?:eso|ca|cela)))*"
    r"(?:[ ,]+(?:please|por favor|s'il (?:te|vous) plait))?[.!?…]*$")
"""A request for time, at the end of what was said so far ("That's a hard one. Let me think.")."""

_CLOSERS = "\"'”’»)]} \t\n"
_SHORT_ANSWER = 5
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+")


def fold(text: str) -> str:
    """Lower case, accents off, curly apostrophes straight: how the word lists are written."""
    text = text.lower().replace("’", "'")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


_TRAILING_FOLDED = {lang: frozenset(fold(w) for w in words) for lang, words in _TRAILING.items()}
_OPEN_FOLDED = {lang: frozenset(fold(w) for w in words)
                for lang, words in _OPEN_UNLESS_CLOSED.items()}


def read_ending(text: str, *, language: str = "en") -> Ending:
    """How the transcript of a turn so far ends: COMPLETE, UNSURE, OPEN or HOLD.

    HOLD: the last thing said asks for time. OPEN: a trailing comma, dash or colon; a filler;
    a conjunction, article, possessive or preposition of any of the three languages; a pronoun
    contraction ("I'm"); an open-ended word ("to", "es", "est") not closed by a full stop.
    COMPLETE: a question or exclamation, or a full stop after words that can end a sentence.
    UNSURE: anything else (no punctuation after an ordinary word), where Whisper's punctuation
    is all there is to go on.

    An ellipsis: Whisper puts one after short complete answers ("Yes, I did...") as often as
    after a real trail-off, so only the words before it are judged, and a short answer
    (`_SHORT_ANSWER` words at most) ending in an ordinary word counts as closed.
    """
    s = fold(text).strip().rstrip(_CLOSERS)
    if not s:
        return Ending.UNSURE
    if _HOLD.search(s):
        return Ending.HOLD
    trailed = s.endswith(("...", "…"))
    s = s.rstrip(".…").rstrip() if trailed else s
    if not s or s.endswith((",", "-", "–", "—", ":", ";")):
        return Ending.OPEN
    words = _WORD.findall(s)
    if not words:
        return Ending.UNSURE
    last = words[-1]
    if (trailed and len(words) <= _SHORT_ANSWER and not s.endswith(("?", "!"))
            and not any(last in group.get(lang, frozenset()) for group in (_OPEN_FOLDED,
                        _TRAILING_FOLDED) for lang in ("en", language.split("-")[0].lower()))):
        s += "."  # "Yes, I did..." is a short answer said; "I think that..." stays open
    if last in _FILLERS or _PRONOUN_CONTRACTION.match(last):
        return Ending.OPEN
    primary = language.split("-")[0].lower()
    primary = primary if primary in _TRAILING_FOLDED else "en"
    closed, asked = s.endswith("."), s.endswith(("?", "!"))
    if last in _TRAILING_FOLDED[primary]:
        if not (asked or (closed and last in _CAN_END[primary])):
            return Ending.OPEN
    elif primary != "en" and last in _TRAILING_FOLDED["en"] and not (closed or asked):
        return Ending.OPEN  # a learner's English "and" or "because" leaves the thought open
    if asked:
        return Ending.COMPLETE
    if last in _OPEN_FOLDED[primary] or (primary != "en" and last in _OPEN_FOLDED["en"]):
        return Ending.COMPLETE if closed else Ending.OPEN
    return Ending.COMPLETE if closed else Ending.UNSURE


_CAN_END = {lang: frozenset(fold(w) for w in words) for lang, words in {
    "en": set(),
    "es": {"más", "bueno", "también", "entonces", "pues", "este", "esta", "ese", "esa", "lo",
           "sea", "mí", "ti", "si", "y"},
    "fr": {"a", "y", "là", "voilà", "bref", "enfin", "aussi", "alors", "donc", "plus", "moins",
           "ça", "non", "oui", "puis", "lui", "moi", "toi", "eux", "quoi"},
}.items()}
"""Trailing words that do end a sentence when a full stop closes it ("Yo
también.", "Il y en a.")."""


def looks_complete(text: str, *, language: str = "en") -> bool:
    """Whether a transcript looks like a finished utterance rather than one that trails off
    (COMPLETE or UNSURE; an open ending or a request for time is not)."""
    return bool(text.strip()) and read_ending(text, language=language) in (Ending.COMPLETE,
                                                                           Ending.UNSURE)
