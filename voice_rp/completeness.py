"""Does a transcript look like a finished utterance, or one that trails off?

The endpointer waits less at a pause when the words look complete and longer when they trail
off ("and", "um", a comma): a fixed long wait blows the latency budget, a fixed short one ends
the turn at a thinking pause.
"""

from __future__ import annotations

import re

_TRAILING_OFF = frozenset({
    "and", "but", "or", "nor", "because", "cause", "cuz", "the", "a", "an", "um", "umm", "uh",
    "uhh", "uhm", "er", "erm", "if", "whether", "than", "my", "your", "our", "their", "its",
    "although", "unless", "whereas",
})
"""Words that (almost) never end an utterance, even when the STT put a period after them."""
_OPEN_ENDED = frozenset({
    "so", "like", "to", "of", "with", "for", "in", "on", "at", "from", "about", "into", "onto",
    "by", "as", "that", "which", "who", "when", "where", "while", "i", "is", "was", "are", "were",
    "am", "be", "been", "very", "then", "gonna", "wanna", "gotta",
})
"""Words that usually mean more is coming, unless a period closes the sentence ("I think so.")."""
_PRONOUN_CONTRACTION = re.compile(
    r"^(?:i|you|we|they|he|she|it|that|there|here|what|who|where)'(?:m|re|s|ve|ll|d)$"
)
_CLOSERS = "\"'”’»)]} \t\n"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def looks_complete(text: str) -> bool:
    """Whether a transcript looks like a finished utterance rather than one that trails off.

    A trailing conjunction, article or filler ("and", "the", "um"), a pronoun contraction ("I'm"),
    a trailing comma, dash or colon => False. A question or exclamation => True. A clause ending
    in an open-ended word ("so", "to", "like") => False unless a period closes it. Anything else
    looks complete: "he was not an ill disposed young man" must not wait for a timeout.

    An ellipsis counts for nothing: Whisper puts one after short complete answers ("Yes, I
    did...") as often as after a real trail-off, so only the words before it are judged.
    """
    s = text.strip().rstrip(_CLOSERS)
    if s.endswith(("...", "…")):
        s = s.rstrip(".…").rstrip()
    if not s or s.endswith((",", "-", "–", "—", ":", ";")):
        return False
    if s.endswith(("?", "!")):
        return True
    words = _WORD.findall(s.lower().replace("’", "'"))
    if not words:
        return False
    last = words[-1]
    if last in _TRAILING_OFF or _PRONOUN_CONTRACTION.match(last):
        return False
    return not (last in _OPEN_ENDED and not s.endswith("."))
