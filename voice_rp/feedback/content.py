"""What was said: STAR per interview answer (by meaning, voice_rp.feedback.star), a talk's
structure, how questions were handled, vocabulary range.

Every finding quotes the words that show it, so the user can check it; a part that was not found
is reported missing, never guessed, and when the sentence model is not there no part is judged at
all. The talk's cue lists are English: other languages get vocabulary range and the model's
corrections (see language.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from voice_rp.feedback.delivery import words_of
from voice_rp.feedback.encoder import EncoderMissing, SentenceEncoder, shared_encoder
from voice_rp.feedback.star import PARTS, SentencePart, label_sentences, split_sentences

_I = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"})
_WE = frozenset({"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll"})

_OPENING = (r"\btoday\b", r"i'm going to", r"i am going to", r"i want to (?:talk|tell|share)",
            r"i'd like to (?:talk|tell|share)", r"my name is", r"\bhello\b", r"good (?:morning|"
            r"afternoon|evening)", r"\bimagine\b", r"let me (?:start|begin)", r"this talk",
            r"\bwelcome\b")
_POINTS = (r"\bfirst(?:ly)?\b", r"\bsecond(?:ly)?\b", r"\bthird(?:ly)?\b", r"\bnext\b",
           r"\banother\b", r"\bfinally\b", r"my (?:first|second|third|last|next) point",
           r"\balso\b", r"on the other hand", r"for example")
_CLOSING = (r"in conclusion", r"to (?:sum|wrap) (?:up|it up)", r"to summari[sz]e",
            r"in summary", r"thank you", r"thanks for", r"so remember", r"that's why",
            r"the key (?:takeaway|point)", r"\bquestions\b")


def _cues(text: str, patterns: Sequence[str]) -> list[str]:
    """The words in `text` that match any pattern, in the order said, without repeats."""
    said = " ".join(words_of(text))
    found: list[tuple[int, str]] = []
    for pattern in patterns:
        for m in re.finditer(pattern, said):
            found.append((m.start(), m.group(0).strip()))
    seen: list[str] = []
    for _, cue in sorted(found):
        if cue not in seen:
            seen.append(cue)
    return seen


@dataclass(frozen=True)
class StarAnswer:
    """The STAR parts of one answer, each with the sentences that carry it (voice_rp.feedback.
    star). `judged` False: the sentence model was not available, so no part is said missing."""

    turn: int
    question: str
    situation: list[str]
    task: list[str]
    action: list[str]
    result: list[str]
    measurable: list[str]
    vague_result: list[str]
    i_count: int
    we_count: int
    suggestion: str
    judged: bool = True

    @property
    def parts(self) -> dict[str, bool]:
        return {"situation": bool(self.situation), "task": bool(self.task),
                "action": bool(self.action), "result": bool(self.result)}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "parts": self.parts}


StarReader = Callable[[str], "list[SentencePart] | None"]
"""An answer's text -> its sentences, each put in a STAR class; None without the sentence
model. Reports pass one that keeps readings in the store (feedback.service)."""


def read_sentences(text: str, encoder: SentenceEncoder | None = None
                   ) -> list[SentencePart] | None:
    try:
        return label_sentences(split_sentences(text), encoder or shared_encoder())
    except EncoderMissing:
        return None


def star_answer(turn: int, question: str, text: str,
                read: StarReader = read_sentences) -> StarAnswer:
    """STAR parts of one interview answer, the sentences that show them, and one suggestion."""
    tokens = words_of(text)
    i_count, we_count = sum(t in _I for t in tokens), sum(t in _WE for t in tokens)
    labelled = read(text)
    if labelled is None:
        return StarAnswer(turn, question, [], [], [], [], [], [], i_count, we_count,
                          suggestion="", judged=False)
    by = {p: [s.text for s in labelled if s.part == p] for p in (*PARTS, "vague")}
    answer = StarAnswer(
        turn=turn, question=question, situation=by["situation"], task=by["task"],
        action=by["action"], result=by["result"],
        measurable=[s.measurable for s in labelled if s.part == "result" and s.measurable],
        vague_result=by["vague"], i_count=i_count, we_count=we_count, suggestion="")
    return replace(answer, suggestion=star_suggestion(answer, len(tokens)))


def star_suggestion(a: StarAnswer, words: int) -> str:
    """The one change that would help this answer most (missing result first: it is what
    interviewers remember)."""
    if words < 25:
        return ("Give a fuller example: a situation, what you did and how it ended, in about "
                "a minute.")
    if not a.action:
        return ("Say what you did yourself, with verbs: \"I set up…\", \"I talked to…\", "
                "\"I rewrote…\".")
    if not a.result and a.vague_result:
        return (f"\"{a.vague_result[0]}\" does not say what changed: give the result, ideally "
                "with a number (\"cut the wait from 3 days to 1\").")
    if not a.result:
        return ("End with the result: what changed because of what you did, ideally with a "
                "number (\"cut the wait from 3 days to 1\").")
    if a.we_count > a.i_count:
        return (f"You said \"we\" {a.we_count} times and \"I\" {a.i_count}: say \"I\" for "
                "your own part so the interviewer knows what you did.")
    if not a.measurable:
        return (f"Put a number on the result (\"{a.result[0]}\"): how much, how many, how "
                "fast.")
    if not a.situation and not a.task:
        return "Open with one sentence of context: where you were and what needed doing."
    return ("Keep this shape; say the result in one sentence at the end so it is what the "
            "interviewer remembers.")


@dataclass(frozen=True)
class TalkStructure:
    length_s: float | None
    time_limit_s: float | None
    opening: list[str]
    points: list[str]
    closing: list[str]
    questions_answered: int
    answer_words: list[int]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def talk_structure(talk_text: str, length_s: float | None, time_limit_s: float | None,
                   answers: Sequence[str]) -> TalkStructure:
    """Opening, points and closing of a talk, its length against the limit, and the Q&A."""
    tokens = words_of(talk_text)
    cut = max(25, len(tokens) // 6)
    head, tail = " ".join(tokens[:cut]), " ".join(tokens[-cut:])
    opening, closing = _cues(head, _OPENING), _cues(tail, _CLOSING)
    points = _cues(talk_text, _POINTS)
    notes = []
    if length_s is not None and time_limit_s:
        if length_s > time_limit_s:
            notes.append(f"The talk ran {length_s:.0f} s, over the {time_limit_s:.0f} s limit: "
                         "cut a point or shorten the examples.")
        elif length_s < 0.6 * time_limit_s:
            notes.append(f"The talk took {length_s:.0f} s of the {time_limit_s:.0f} s the "
                         "session allows: there was room to develop a point with an example.")
        else:
            notes.append(f"The talk took {length_s:.0f} s of the {time_limit_s:.0f} s allowed.")
    if not opening:
        notes.append("No clear opening was heard: say in the first sentence what the talk is "
                     "about (\"Today I want to show you…\").")
    if len(points) < 2:
        notes.append("Signpost your points (\"first… second… finally…\") so listeners can "
                     "follow the structure.")
    if not closing:
        notes.append("No clear closing was heard: end with a summary line (\"So remember…\") "
                     "and a thank-you.")
    answer_words = [len(words_of(a)) for a in answers]
    short = sum(n < 8 for n in answer_words)
    if short:
        notes.append(f"{short} question(s) got a very short answer: answer, give a reason, "
                     "then an example.")
    return TalkStructure(length_s, time_limit_s, opening, points, closing, len(answers),
                         answer_words, notes)


def vocabulary(texts: Sequence[str], *, window: int = 50) -> dict[str, Any]:
    """Distinct words and a length-fair type/token ratio (mean over 50-word windows)."""
    tokens = [t for text in texts for t in words_of(text)]
    if not tokens:
        return {"words": 0, "distinct": 0, "ratio": None}
    if len(tokens) <= window:
        ratio = len(set(tokens)) / len(tokens)
    else:
        spans = [tokens[i:i + window] for i in range(0, len(tokens) - window + 1, window // 2)]
        ratio = sum(len(set(s)) / window for s in spans) / len(spans)
    return {"words": len(tokens), "distinct": len(set(tokens)), "ratio": round(ratio, 2)}
