"""What was said, judged by rules that always run: STAR per interview answer, a talk's structure,
how questions were handled, vocabulary range.

Every finding quotes the words that show it, so the user can check it; a part that was not found
is reported missing, never guessed. Cue lists are English: other languages get vocabulary range
and the model's corrections (see language.py) but no STAR verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from voice_rp.feedback.delivery import words_of

_SITUATION = (
    r"when i was", r"at my (?:last|previous|old|first|current) (?:job|company|role|team|employer)",
    r"in my (?:last |previous |current )?(?:role|job|position) (?:as|at)", r"back in",
    r"while (?:i was )?working", r"there was a", r"the situation was", r"the problem was",
    r"our team (?:was|had)", r"we had a", r"last year", r"a few years ago", r"in (?:19|20)\d\d",
    r"at the time", r"i worked (?:at|as|on)", r"i was working",
)
_TASK = (
    r"my (?:task|job|goal|role|responsibility) was",
    r"i was (?:responsible|in charge|asked|tasked)",
    r"i (?:needed|had|wanted) to", r"the goal was", r"the challenge was", r"we (?:needed|had) to",
    r"i was supposed to", r"it was up to me", r"my aim was", r"i had been asked",
)
_ACTION_VERBS = (
    "decided|started|built|wrote|led|organi[sz]ed|created|set up|implemented|designed|proposed|"
    "introduced|talked|spoke|met|called|asked|reached out|worked with|analy[sz]ed|fixed|"
    "rewrote|moved|changed|trained|coached|planned|tested|measured|automated|negotiated|"
    "presented|reviewed|prioriti[sz]ed|split|delegated|took|made|ran|launched|added|removed|"
    "replaced|investigated|found|researched|convinced|explained|scheduled|brought|gathered|"
    "collected|managed|handled|hired|mentored"
)
_ACTION = (rf"(?:i|we) (?:then |first |also |quickly |personally )?(?:{_ACTION_VERBS})\b",
           r"so i\b", r"then i\b", r"first i\b", r"the first thing i did")
_RESULT = (
    r"as a result", r"in the end", r"the result", r"resulted in", r"which (?:led|meant)",
    r"\b(?:increased|decreased|reduced|improved|saved|cut|grew|doubled|halved|raised|"
    r"shortened|dropped|lowered|boosted)\b", r"the outcome", r"ended up", r"by the end",
    r"we (?:delivered|shipped|launched|won|hit|met|finished)", r"(?:was|were) able to",
    r"succeeded", r"on time", r"feedback was",
)
_NUMBER = (r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|"
           r"hundred|thousand|million|half|double|twice|percent)\b")
_UNIT = (r"(?:%|percent|per ?cent|hours?|days?|weeks?|months?|years?|minutes?|seconds?|dollars?|"
         r"euros?|pounds?|customers?|users?|people|clients?|tickets?|times|x\b|k\b|points?|"
         r"sales|orders|bugs|calls|members)")
_MEASURABLE = re.compile(rf"(?:{_NUMBER})[\w.,]*\s*(?:\w+\s)?{_UNIT}|from \S+ to \S+|\d+ ?%")
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
    turn: int
    question: str
    situation: list[str]
    task: list[str]
    action: list[str]
    result: list[str]
    measurable: list[str]
    i_count: int
    we_count: int
    suggestion: str

    @property
    def parts(self) -> dict[str, bool]:
        return {"situation": bool(self.situation), "task": bool(self.task),
                "action": bool(self.action), "result": bool(self.result)}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "parts": self.parts}


def star_answer(turn: int, question: str, text: str) -> StarAnswer:
    """STAR parts of one interview answer, the cue words that show them, and one suggestion."""
    said = " ".join(words_of(text))
    tokens = said.split()
    measurable = list(dict.fromkeys(m.group(0).strip() for m in _MEASURABLE.finditer(
        text.lower().replace(",", ""))))
    answer = StarAnswer(
        turn=turn, question=question,
        situation=_cues(text, _SITUATION), task=_cues(text, _TASK),
        action=_cues(text, _ACTION), result=_cues(text, _RESULT),
        measurable=measurable,
        i_count=sum(t in _I for t in tokens), we_count=sum(t in _WE for t in tokens),
        suggestion="",
    )
    return StarAnswer(**{**asdict(answer), "suggestion": star_suggestion(answer, len(tokens))})


def star_suggestion(a: StarAnswer, words: int) -> str:
    """The one change that would help this answer most (missing result first: it is what
    interviewers remember)."""
    if words < 25:
        return ("Give a fuller example: a situation, what you did and how it ended, in about "
                "a minute.")
    if not a.action:
        return ("Say what you did yourself, with verbs: \"I set up…\", \"I talked to…\", "
                "\"I rewrote…\".")
    if not a.result:
        return ("End with the result: what changed because of what you did, ideally with a "
                "number (\"cut the wait from 3 days to 1\").")
    if a.we_count > a.i_count:
        return (f"You said \"we\" {a.we_count} times and \"I\" {a.i_count}: say \"I\" for "
                "your own part so the interviewer knows what you did.")
    if not a.measurable:
        return (f"Put a number on the result ({a.result[0]!r}): how much, how many, how "
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
