"""A chat model's rubric for interview answers (STAR with evidence) and talks (structure, clarity,
questions), only from a model listed as capable, and only what the transcript bears out.

The model answers in JSON. Every claim must come with evidence: words quoted from what the user
said. A quote that does not occur in the transcript means the model judged something that was not
said, so its whole verdict on that answer (or talk) is dropped and the report says so: praise for
words never spoken is worse than no rubric. The rule-based analysis (content.py) always stands on
its own; this only adds to it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from voice_rp.feedback.delivery import words_of
from voice_rp.feedback.language import FeedbackSettings, JsonChat, OpenAIJsonChat

log = logging.getLogger("voice_rp.feedback")

STAR_PARTS = ("situation", "task", "action", "result")
TALK_PARTS = ("opening", "points", "closing")
HANDLED = ("well", "partly", "poorly")
_MIN_QUOTE_WORDS = 2
"""A one-word quote ("I", "so") occurs in nearly any answer and proves nothing."""
_MAX_TEXT = 400
_MAX_QUOTES = 4

_INTERVIEW = (
    "You are a strict job-interview coach. The candidate's spoken answers follow (speech "
    "recognition output: ignore punctuation), each as 'QUESTION N: ...' then 'ANSWER N: ...'. "
    "For each answer judge the STAR parts: situation, task, action, result. A part is present only "
    "if the answer's own words show it; then quote those words exactly as evidence (2 to 15 words "
    "each, copied verbatim from that answer). Give no evidence for an absent part. Add one "
    "concrete suggestion per answer. Reply with a JSON object: {\"answers\": [{\"answer\": N, "
    "\"situation\": {\"present\": true|false, \"evidence\": [\"exact words\"]}, \"task\": {...}, "
    "\"action\": {...}, \"result\": {...}, \"suggestion\": \"one sentence\"}]}."
)
_TALK = (
    "You are a strict public-speaking coach. A spoken talk follows as 'TALK: ...' (speech "
    "recognition output: ignore punctuation), then the audience's questions and the speaker's "
    "answers as 'QUESTION N: ...' and 'ANSWER N: ...'. Judge the structure (opening, points, "
    "closing), the clarity, and how each question was handled. Every judgement needs evidence: "
    "words quoted exactly from the talk (or, for a question, from its answer), 2 to 15 words "
    "each; give no evidence for a part that is absent. Reply with a JSON object: {\"structure\": "
    "{\"opening\": {\"present\": true|false, \"evidence\": [...]}, \"points\": {...}, "
    "\"closing\": {...}}, \"clarity\": {\"rating\": 1-5, \"comment\": \"one sentence\", "
    "\"evidence\": [...]}, \"questions\": [{\"question\": N, \"handled\": \"well\"|\"partly\"|"
    "\"poorly\", \"comment\": \"one sentence\", \"evidence\": [...]}], \"suggestion\": \"one "
    "concrete change\"}."
)


@dataclass(frozen=True)
class InterviewAnswer:
    number: int
    question: str
    text: str


def said_in(quote: str, text: str) -> bool:
    """True if `quote`'s words occur, in order and together, in `text` (case and punctuation
    aside) and are enough words to prove anything."""
    q = words_of(quote)
    return len(q) >= _MIN_QUOTE_WORDS and f" {' '.join(q)} " in f" {' '.join(words_of(text))} "


def interview_rubric(answers: Sequence[InterviewAnswer], settings: FeedbackSettings,
                     chat: JsonChat | None = None) -> dict[str, Any]:
    """STAR parts with evidence and one suggestion per answer, or why there is no rubric."""
    if not answers:
        return _unavailable("No answer was long enough to judge.")
    user = "\n".join(f"QUESTION {a.number}: {a.question}\nANSWER {a.number}: {a.text}"
                     for a in answers)
    data = _ask(settings, chat, _INTERVIEW, user)
    if isinstance(data, str):
        return _unavailable(data)
    items = data.get("answers")
    if not isinstance(items, list):
        return _unavailable(_NOT_JSON)
    by_number = {a.number: a for a in answers}
    kept: dict[int, dict[str, Any]] = {}
    dropped: list[str] = []
    for item in items:
        number = item.get("answer") if isinstance(item, dict) else None
        answer = by_number.get(number) if isinstance(number, int) else None
        if answer is None or number in kept:
            continue
        verdict, why = _star_verdict(item, answer.text)
        if verdict is None:
            dropped.append(f"answer {answer.number}: {why}")
        else:
            kept[answer.number] = verdict
    return {"available": True, "model": settings.model,
            "answers": [{"number": n, **v} for n, v in sorted(kept.items())],
            "dropped": dropped}


def talk_rubric(talk: str, qa: Sequence[tuple[str, str]], settings: FeedbackSettings,
                chat: JsonChat | None = None) -> dict[str, Any]:
    """Structure, clarity and question handling of a talk with evidence, or why there is none."""
    if not words_of(talk):
        return _unavailable("Nothing was said to judge.")
    user = "TALK: " + talk + "".join(f"\nQUESTION {i}: {q}\nANSWER {i}: {a}"
                                     for i, (q, a) in enumerate(qa, start=1))
    data = _ask(settings, chat, _TALK, user)
    if isinstance(data, str):
        return _unavailable(data)
    try:
        verdict = _talk_verdict(data, talk, qa)
    except _Unsupported as exc:
        return {**_unavailable(f"The language model's verdict {exc}, so it is not shown."),
                "dropped": [str(exc)]}
    except (TypeError, ValueError, KeyError, AttributeError):
        return _unavailable(_NOT_JSON)
    return {"available": True, "model": settings.model, **verdict, "dropped": []}


_NOT_JSON = "The language model's verdict came back garbled, so it is not shown."


class _Unsupported(ValueError):
    """The model claimed something the transcript does not bear out."""


def _unavailable(reason: str) -> dict[str, Any]:
    return {"available": False, "reason": reason}


def _ask(settings: FeedbackSettings, chat: JsonChat | None, system: str, user: str
         ) -> dict[str, Any] | str:
    """The model's JSON object, or why there is none."""
    reason = settings.unavailable_reason("rubric")
    if reason is not None:
        return reason
    try:
        raw = (chat or OpenAIJsonChat(settings)).complete(system, user)
    except Exception as exc:  # the endpoint's own errors vary; the report must still be built
        log.warning("rubric: the model at %s could not be reached: %s", settings.base_url, exc)
        return ("The language model that judges answers could not be reached, so its verdict "
                "is not shown. Open the report again later.")
    match = re.search(r"\{.*\}", raw, re.S)  # some servers wrap JSON in prose or fences
    try:
        data = json.loads(match.group(0) if match else raw)
    except ValueError:
        log.warning("rubric: the model's answer was not the JSON asked for: %.200s", raw)
        return _NOT_JSON
    return data if isinstance(data, dict) else _NOT_JSON


def _evidence(part: Any, text: str, name: str) -> tuple[bool, list[str]]:
    """(present, quotes) of one judged part; raises _Unsupported for evidence not said."""
    if not isinstance(part, dict) or not isinstance(part.get("present"), bool):
        raise TypeError(name)
    quotes = part.get("evidence") or []
    if not isinstance(quotes, list) or not all(isinstance(q, str) for q in quotes):
        raise TypeError(name)
    quotes = [q.strip() for q in quotes if q.strip()][:_MAX_QUOTES]
    for quote in quotes:
        if not said_in(quote, text):
            raise _Unsupported(f"quoted “{quote[:80]}” for {name}, which was not said")
    if part["present"] and not quotes:
        raise _Unsupported(f"called {name} present without quoting the words that show it")
    return part["present"], quotes if part["present"] else []


def _sentence(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(name)
    return value.strip()[:_MAX_TEXT]


def _star_verdict(item: dict[str, Any], text: str) -> tuple[dict[str, Any] | None, str]:
    try:
        parts = {}
        for name in STAR_PARTS:
            present, quotes = _evidence(item.get(name), text, name)
            parts[name] = {"present": present, "evidence": quotes}
        return {"parts": parts, "suggestion": _sentence(item.get("suggestion"), "suggestion")}, ""
    except _Unsupported as exc:
        return None, f"the model {exc}"
    except (TypeError, ValueError):
        return None, "the model's verdict was not in the form asked for"


def _talk_verdict(data: dict[str, Any], talk: str, qa: Sequence[tuple[str, str]]
                  ) -> dict[str, Any]:
    structure = {}
    for name in TALK_PARTS:
        present, quotes = _evidence(data["structure"].get(name), talk, name)
        structure[name] = {"present": present, "evidence": quotes}
    clarity = data["clarity"]
    rating = clarity.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise ValueError("clarity rating")
    _, clear_quotes = _evidence({"present": True, "evidence": clarity.get("evidence")}, talk,
                                "clarity")
    questions = []
    for item in data.get("questions") or []:
        n = item.get("question")
        if not isinstance(n, int) or not 1 <= n <= len(qa) or item.get("handled") not in HANDLED:
            raise ValueError("question")
        _, quotes = _evidence({"present": True, "evidence": item.get("evidence")}, qa[n - 1][1],
                              f"question {n}")
        questions.append({"question": n, "handled": item["handled"], "evidence": quotes,
                          "comment": _sentence(item.get("comment"), "comment")})
    return {"structure": structure,
            "clarity": {"rating": rating, "evidence": clear_quotes,
                        "comment": _sentence(clarity.get("comment"), "clarity")},
            "questions": questions, "suggestion": _sentence(data.get("suggestion"), "suggestion")}
