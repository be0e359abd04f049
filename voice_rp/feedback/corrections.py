"""The user's fixes to what recognition misheard, checked and applied to a session's records.

Feedback is only as good as the transcript: "I used Cuba Nettie's" for "I used Kubernetes"
makes a wrong vocabulary figure and may hide a STAR part. The user names an answer (numbered
from 1, as the report numbers them), the words heard and the words said; the report is then
built from records with the words replaced, so every figure and verdict comes from the corrected
text, while the saved records stay as recognised (the original text is shown beside the fix,
and an undone fix leaves no trace). Word timings are rewritten with the text, so the pauses and
pace that follow them see the corrected words, and a filler only the timing decode "heard" in
a misheard phrase is not counted. Pure functions: the service keeps the list in the store.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_CHARS = 120
"""The longest `heard` or `said`: a misheard word or phrase, not a rewritten answer."""
MAX_CORRECTIONS = 200
"""Corrections kept per session at most (each is applied on every rebuild of its report)."""
_WORD = re.compile(r"[\w']+", re.UNICODE)  # as feedback.delivery.words_of


class BadCorrection(ValueError):
    """A correction that cannot be made; its message says why, in the user's words."""


class NoSuchCorrection(BadCorrection, LookupError):
    """No correction has that index."""


@dataclass(frozen=True)
class Correction:
    answer: int  # the answer's number, from 1
    heard: str  # the words recognised, as the answer's text shows them
    said: str  # what the user said instead

    def to_dict(self) -> dict[str, Any]:
        return {"answer": self.answer, "heard": self.heard, "said": self.said}

    @classmethod
    def from_dict(cls, data: Any) -> Correction | None:
        """A stored correction, or None if the data is not one (a newer or damaged row)."""
        if not isinstance(data, dict):
            return None
        answer, heard, said = data.get("answer"), data.get("heard"), data.get("said")
        if (isinstance(answer, int) and not isinstance(answer, bool)
                and isinstance(heard, str) and isinstance(said, str)):
            return cls(answer, heard, said)
        return None


def _phrase(text: str, what: str) -> str:
    """`text` with spaces tidied, if it is a usable phrase (else BadCorrection)."""
    if not isinstance(text, str):
        raise BadCorrection(f"the words {what} must be text")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise BadCorrection(f"the words {what} contain a control character")
    tidy = " ".join(text.split())
    if not tidy:
        raise BadCorrection(f"give the words {what}")
    if len(tidy) > MAX_CHARS:
        raise BadCorrection(f"the words {what} are over {MAX_CHARS} characters: correct a word "
                            "or a short phrase at a time")
    if not _WORD.search(tidy):
        raise BadCorrection(f"the words {what} have no word in them")
    return tidy


def _pattern(heard: str) -> re.Pattern[str]:
    """The heard words, whole words, any case, any spaces or punctuation between them."""
    words = [re.escape(w) for w in _WORD.findall(heard)]
    return re.compile(r"(?<![\w'])" + r"[^\w']+".join(words) + r"(?![\w'])",
                      re.IGNORECASE | re.UNICODE)


def user_texts(records: Sequence[dict[str, Any]]) -> list[str]:
    """The answers' texts in order: answer N is the N-th user record (as the report counts)."""
    return [str(r.get("text") or "") for r in records if r.get("kind") == "user"]


def check(correction: Correction, texts: Sequence[str]) -> Correction:
    """The correction tidied, if it can be made to answers with these texts (else
    BadCorrection saying why)."""
    n = correction.answer
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(texts):
        have = (f"answers 1 to {len(texts)}" if len(texts) > 1 else
                "answer 1" if texts else "no answers")
        raise BadCorrection(f"there is no answer {n}: this session has {have}")
    heard = _phrase(correction.heard, "heard")
    said = _phrase(correction.said, "said")
    if heard == said:
        raise BadCorrection("the words said are the words heard: nothing to correct")
    if not _pattern(heard).search(texts[n - 1]):
        raise BadCorrection(f"answer {n} has no \"{heard}\" (whole words, any case) to correct")
    return Correction(n, heard, said)


def apply(records: Sequence[dict[str, Any]], corrections: Iterable[Correction]
          ) -> tuple[list[dict[str, Any]], list[bool]]:
    """Copies of `records` with the corrections made in order, and which of them were made (one
    whose words are no longer there, after an earlier fix was undone, is left out). A corrected
    user record keeps its first recognised text as `heard`; its word timings follow the text."""
    out = [dict(r) for r in records]
    users = [r for r in out if r.get("kind") == "user"]
    timings: dict[int, list[dict[str, Any]]] = {}
    for r in out:
        if r.get("kind") == "words":
            timings.setdefault(_turn(r), []).append(r)
    made = []
    for c in corrections:
        try:
            c = check(c, [str(u.get("text") or "") for u in users])
        except BadCorrection:
            made.append(False)
            continue
        record = users[c.answer - 1]
        text = str(record.get("text") or "")
        record.setdefault("heard", text)
        record["text"] = _pattern(c.heard).sub(_literally(c.said), text)
        audio = record.get("audio")
        if isinstance(audio, dict) and isinstance(audio.get("words"), list):
            record["audio"] = {**audio, "words": retime(audio["words"], c.heard, c.said)}
        for timed in timings.get(_turn(record), []):
            if isinstance(timed.get("words"), list):
                timed["words"] = retime(timed["words"], c.heard, c.said)
        made.append(True)
    for record in users:  # fixed and fixed back: nothing was misheard after all
        if record.get("heard") == record.get("text"):
            del record["heard"]
    return out, made


def _literally(said: str) -> Callable[[re.Match[str]], str]:
    """A replacement that puts `said` in as typed (no backslash or group escapes)."""
    return lambda _match: said


def _turn(record: dict[str, Any]) -> int:
    try:
        return int(record.get("turn") or 0)
    except (TypeError, ValueError):
        return -1


def retime(words: Sequence[Any], heard: str, said: str) -> list[Any]:
    """Word timings ([[word, start, end], ...], see feedback.words) with each run of the heard
    words replaced by the said ones, spread evenly over the time the heard ones took. A timed
    word only partly in the run keeps its other part. Items that are not timed words, and
    timings where the heard words are not found (the timing decode heard them otherwise), stay
    as they are: the report follows the transcript's words over them anyway."""
    target = [w.lower() for w in _WORD.findall(heard)]
    spoken = said.split()
    tokens: list[tuple[int, str]] = []  # (index of the timed word, one of its words)
    for i, item in enumerate(words):
        if _timed(item):
            tokens += [(i, w) for w in _WORD.findall(str(item[0]).lower())]
    out: list[Any] = []
    done = 0  # words[:done] are settled
    p = 0
    while p + len(target) <= len(tokens):
        if [w for _, w in tokens[p:p + len(target)]] != target or tokens[p][0] < done:
            p += 1
            continue
        first, last = tokens[p][0], tokens[p + len(target) - 1][0]
        before = [w for i, w in tokens[:p] if i == first]
        after = [w for i, w in tokens[p + len(target):] if i == last]
        out += list(words[done:first])
        new = [*before, *spoken, *after]
        start, end = float(words[first][1]), float(words[last][2])
        step = (end - start) / len(new)
        out += [[w, round(start + k * step, 3), round(start + (k + 1) * step, 3)]
                for k, w in enumerate(new)]
        done = last + 1
        p += len(target)
    out += list(words[done:])
    return out


def _timed(item: Any) -> bool:
    return (isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in item[1:])
            and item[2] >= item[1])
