"""Word error rate: how well speech recognition heard known text (tests and benchmarks)."""

from __future__ import annotations

import re
import unicodedata

_NUMBERS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation or accents, small numerals spelt out
    ("Don't stop, Dr. Who! 5" -> don't stop dr who five): Whisper writes "5" for "five", and
    reference texts are not always accented ("contrasena" for "contraseña")."""
    text = unicodedata.normalize("NFKD", text.lower().replace("-", " ").replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [
        _NUMBERS[int(w)] if w.isdigit() and int(w) < len(_NUMBERS) else w
        for w in re.findall(r"[\w']+", text)
    ]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return float(bool(hyp))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)
