"""A language learner's mistakes for the report: what they said, the better form, how often.

Two sources feed it. The partner's recaster (voice_rp.listening.recast) already finds the slips
it is sure of, in English, Spanish and French, to say them back during the conversation; the
report reuses exactly those findings, so the learner reads afterwards what they heard then.
A capable chat model's corrections (voice_rp.feedback.language) add what rules cannot see.

A mistake the learner did not make teaches them to doubt what they said right, so every item
quotes words found in the learner's recognised text, exactly as recognised: a model correction
quoting anything else is dropped. The same slip said again counts again, and the ones that
come back are listed first, because those are the ones worth practising.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voice_rp.listening.recast import recast

MAX_MISTAKES = 10
_ROUNDS = 4  # slips looked for per sentence: a fifth in one sentence is noise, not a habit

_FILLERS = ("um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "mmm", "euh",
            "eh", "ehm")
_WORD = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+(?:['-][^\W\d_]+)*'?")
# Between two words the recaster saw as neighbours: spaces, commas, a hesitation, a filler.
_GAP = (r"(?:[\s,;:…-]|\.{2,}|(?<![\w'])(?:" + "|".join(_FILLERS) + r")(?![\w']))+")
# A sentence ends at . ! ? ; and a line break, but not at "..." (Whisper's hesitation).
_SENTENCE_END = re.compile(r"(?<=[.!?;])(?<!\.\.)\s+|\n+")

_WHY = {
    "past_tense": "It already happened, so the verb goes in the past.",
    "third_person_s": "After he, she, it or one person, the verb takes -s (likes, does).",
    "article": "English needs “a” or “the” here.",
    "word_order": "English puts these words in another order.",
    "gustar": "With gustar, what you like is the subject: “me gusta”.",
}
_AGE = {"es": "In Spanish you have your years: “tengo … años”.",
        "fr": "In French you have your years: “j'ai … ans”."}
_MASCULINE = frozenset({"el", "un", "le", "du", "al", "del", "au"})
_FEMININE = frozenset({"la", "una", "une"})


@dataclass
class _Found:
    """One mistake and every time it was said."""

    said: str
    better: str
    why: str
    source: str
    answers: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"said": self.said, "better": self.better, "why": self.why,
                "count": len(self.answers), "answers": sorted(set(self.answers)),
                "source": self.source}


@dataclass(frozen=True)
class _Slip:
    """One occurrence: the exact words of answer `answer` and their better form."""

    answer: int
    said: str
    better: str
    why: str
    source: str


def learner_mistakes(turns: Sequence[tuple[int, str]], language: str,
                     model_corrections: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """The learner's mistakes, recurring ones first, at most ten.

    `turns`: (answer number from 1, the recognised text). `model_corrections`: a capable
    model's items ({"turn", "said", "better", "why"}, see voice_rp.feedback.language); the turn
    numbers it names are trusted only when that answer really holds the quoted words.
    Each item: {"said", "better", "why", "count", "answers", "source": "recast" | "model"}."""
    texts = [(int(n), text) for n, text in turns if isinstance(text, str) and text.strip()]
    slips = [s for n, text in texts for s in _recast_slips(n, text, language)]
    for item in model_corrections:
        slip = _model_slip(item, texts)
        if slip is not None:
            slips = _merge(slips, slip)
    return _grouped(slips)


def _recast_slips(answer: int, text: str, language: str) -> Iterable[_Slip]:
    """Every slip the recaster finds in one answer, sentence by sentence.

    The recaster returns the first slip of a text; once it is corrected in a copy of the
    sentence, the next call finds the next one."""
    for sentence in _SENTENCE_END.split(text):
        current = sentence
        for _ in range(_ROUNDS):
            made = recast(current, language=language)
            if made is None:
                break
            spans = _find(made.wrong, current)
            quoted = _find(made.wrong, sentence)
            if quoted:
                yield _Slip(answer, sentence[quoted[0][0]:quoted[0][1]], made.right,
                            _why(made.kind, made.right, language), "recast")
            if len(spans) != 1:
                break  # the same words twice: which one was meant is unknown, so stop here
            start, end = spans[0]
            current = current[:start] + made.right + current[end:]


def _model_slip(item: Mapping[str, Any], texts: Sequence[tuple[int, str]]) -> _Slip | None:
    """The model's correction as a slip of the answer that holds its quote, or None when the
    learner never said those words or the better form changes nothing."""
    if not isinstance(item, Mapping):
        return None
    said, better, why = (str(item.get(k) or "").strip() for k in ("said", "better", "why"))
    if not _key(said) or not _key(better) or _key(said) == _key(better):
        return None
    named = str(item.get("answer", item.get("turn")))
    holding = [(n, text) for n, text in texts if _find(said, text)]
    if not holding:
        return None  # the model quoted words the learner never said
    n, text = next(((n, t) for n, t in holding if str(n) == named), holding[0])
    start, end = _find(said, text)[0]
    return _Slip(n, text[start:end], better, why, "model")


def _merge(slips: list[_Slip], model: _Slip) -> list[_Slip]:
    """Add the model's slip unless a recast already covers the same words of the same answer.

    When both agree (the recast's fix, made inside the model's quote, gives the model's better
    form) the recast is kept, with the model's reason if it gave one, so the same slip is
    grouped the same way in every answer. When they disagree the model, which saw more of the
    sentence, is kept."""
    out: list[_Slip] = []
    counted = False
    for slip in slips:
        if slip.answer != model.answer or not _overlaps(slip.said, model.said):
            out.append(slip)
        elif not counted and _agree(slip, model):
            out.append(_Slip(slip.answer, slip.said, slip.better, model.why or slip.why,
                             slip.source))
            counted = True
    return out if counted else [*out, model]


def _overlaps(a: str, b: str) -> bool:
    ka, kb = " ".join(_key(a)), " ".join(_key(b))
    return f" {ka} " in f" {kb} " or f" {kb} " in f" {ka} "


def _agree(slip: _Slip, model: _Slip) -> bool:
    whole, part = " ".join(_key(model.said)), " ".join(_key(slip.said))
    fixed = f" {whole} ".replace(f" {part} ", f" {' '.join(_key(slip.better))} ", 1).strip()
    return fixed == " ".join(_key(model.better))


def _grouped(slips: Sequence[_Slip]) -> list[dict[str, Any]]:
    """Slips grouped by what was said and its better form; recurring first, then in order."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], _Found] = {}
    for slip in slips:
        found = groups.setdefault((_key(slip.said), _key(slip.better)), _Found(
            slip.said, slip.better, slip.why, slip.source))
        found.answers.append(slip.answer)
        found.why = found.why or slip.why
    ordered = sorted(groups.values(), key=lambda f: (len(f.answers) < 2, -len(f.answers),
                                                    min(f.answers)))
    return [f.to_dict() for f in ordered[:MAX_MISTAKES]]


def _why(kind: str, right: str, language: str) -> str:
    """A short plain reason for a kind of slip, in the words of the report."""
    base = language.lower().replace("_", "-").split("-")[0]
    if kind == "age":
        return _AGE.get(base, "")
    if kind == "gender":
        words = _key(right)
        if len(words) >= 2:
            gender = ("masculine" if words[-2] in _MASCULINE else
                      "feminine" if words[-2] in _FEMININE else "")
            if gender:
                return f"“{words[-1]}” is {gender}."
        return "This noun takes the other article."
    return _WHY.get(kind, "")


def _key(text: str) -> tuple[str, ...]:
    """The words of a quote as compared: lower case, no fillers, no stutter."""
    out: list[str] = []
    for word in _WORD.findall(text.replace("’", "'").replace("‘", "'").lower()):
        if word not in _FILLERS and (not out or out[-1] != word):
            out.append(word)
    return tuple(out)


def _find(quote: str, text: str) -> list[tuple[int, int]]:
    """Where the words of `quote` stand in `text`, whole words, in any case, with fillers,
    commas or a repeated word between them as Whisper may write them."""
    words = _key(quote)
    if not words:
        return []
    parts = [rf"(?:{re.escape(w)}{_GAP})*{re.escape(w)}" for w in words]
    pattern = re.compile(r"(?<![\w'])" + _GAP.join(parts) + r"(?![\w])", re.IGNORECASE)
    plain = text.replace("’", "'").replace("‘", "'")  # one character for one: spans stay
    return [m.span() for m in pattern.finditer(plain)]
