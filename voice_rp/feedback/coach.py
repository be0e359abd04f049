"""What a coach would say: a verdict per answer and the few things most worth working on.

Both read the report's data (report.build_report) and quote the user's own words for every
claim, so the user can check it. Where there is too little to judge (a one-word answer,
recognition garbage, a language the checks are not made for) they say so or say nothing:
a made-up verdict is worse than none. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from voice_rp.feedback.delivery import words_of
from voice_rp.feedback.stats import filler_of

MAX_ITEMS = 3
_SHORT_WORDS = 8
"""Under this many words an answer says too little to judge anything but its length."""
_STAR_WORDS = 15
"""STAR is checked from this many words (as in report.build_report)."""
_QUOTE_CHARS = 160
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_BEHAVIOURAL = re.compile(
    r"\b(?:tell me about a time|a time when|a time you|describe a (?:time|situation)|"
    r"give (?:me )?an example|an example of|have you ever|how did you (?:handle|deal)|"
    r"what did you do when|walk me through a|a situation where)\b", re.I)
_ENGLISH = frozenset((
    "the", "a", "an", "and", "i", "to", "of", "in", "it", "was", "we", "my", "that", "is",
    "for", "on", "with", "so", "but", "they", "this", "at", "our", "me", "be", "had", "have",
    "did", "not", "you", "what", "then", "there", "were", "as", "from", "about", "just"))
_ENGLISH_SHARE = 0.12
"""Ordinary English has a third or more of these words; below this share the answer is taken
to be in another language, which the STAR and hedge checks cannot read."""


def sentences(text: str) -> list[str]:
    """The answer split into sentences as recognition punctuated it."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def _clip(quote: str) -> str:
    quote = quote.strip()
    return quote if len(quote) <= _QUOTE_CHARS else quote[:_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _sentence_with(text: str, found: Callable[[list[str]], bool]) -> str:
    """The first sentence of `text` whose words satisfy `found`, clipped to a quote."""
    for s in sentences(text):
        if found(words_of(s)):
            return _clip(s)
    return ""


def _has_phrase(words: list[str], phrase: str) -> bool:
    return f" {phrase} " in f" {' '.join(words)} "


def _sentence_saying(text: str, phrases: Sequence[str], *, fillers: bool = False) -> str:
    """The first sentence that says one of `phrases` (or any filler, with `fillers`)."""
    return _sentence_with(text, lambda w: (fillers and any(filler_of(x) for x in w))
                          or any(_has_phrase(w, p) for p in phrases))


def judgeable(text: str) -> str | None:
    """Why an answer cannot be judged ("short", "garbled", "language"), or None if it can."""
    words = words_of(text)
    if len(words) < _SHORT_WORDS:
        return "short"
    real = [w for w in words if filler_of(w) is None]
    if not real:
        return "short"
    # Distinct words per stretch of at most 50: fair to a long answer, whose words repeat
    # more the longer it runs, while recognition garbage repeats within any stretch.
    stretches = [real[i:i + 50] for i in range(0, max(1, len(real) - 49), 25)]
    variety = min(len(set(s)) / len(s) for s in stretches)
    if variety < 0.35 or sum(not re.search(r"[aeiouy]", w) for w in real) > 0.3 * len(real):
        return "garbled"  # the same few words over and over, or strings that are not words
    if sum(w in _ENGLISH for w in real) < _ENGLISH_SHARE * len(real):
        return "language"
    return None


_CANNOT_JUDGE = {
    "short": ("Too short to judge", "At only a few words, there is not enough here to judge.",
              "Give a fuller answer: what happened, what you did and how it turned out."),
    "garbled": ("Not enough to judge", "The words recognised here do not read as an answer, "
                "so nothing fair can be said about it.",
                "If this is not what you said, fix the misheard words below."),
    "language": ("Not enough to judge", "This answer does not seem to be in English, which "
                 "these checks are made for.", "Answer in English to get a verdict here."),
}


def verdict(answer: dict[str, Any], practice: str) -> dict[str, Any] | None:
    """A coach's verdict on one answer ({"label", "why", "try"}), or None when there is nothing
    honest to say (no words, or a kind of practice where per-answer verdicts do not apply)."""
    text = str(answer.get("text") or "")
    if not words_of(text) or practice == "language":
        return None  # language practice is judged by its mistakes, listed for the session
    reason = judgeable(text)
    if reason is not None:
        label, why, try_ = _CANNOT_JUDGE[reason]
        return {"label": label, "why": why, "try": try_}
    star = answer.get("star")
    if practice == "interview" and star and star.get("judged", True) and _is_story(answer):
        return _star_verdict(star, text)
    return _delivery_verdict(answer)


def _is_story(answer: dict[str, Any]) -> bool:
    """STAR applies to "tell me about a time" questions, or to an answer told as a story."""
    star = answer.get("star") or {}
    found = sum(bool(v) for v in (star.get("parts") or {}).values())
    return bool(_BEHAVIOURAL.search(str(answer.get("question") or ""))) or found >= 2


def _star_verdict(star: dict[str, Any], text: str) -> dict[str, Any]:
    parts = star.get("parts") or {}
    vague = [str(q) for q in star.get("vague_result") or []]
    measurable = [str(q) for q in star.get("measurable") or []]
    if not parts.get("result"):
        if vague:
            return {"label": "Needs a clear result",
                    "why": f"The outcome was only “{_clip(vague[0]).rstrip('.!?')}”, which "
                           "does not say what changed.",
                    "try": "Say what changed because of what you did, with a number if you "
                           "can: how much time, money or work it saved."}
        return {"label": "Needs a result",
                "why": "No result was heard: the answer stops before saying how it turned out.",
                "try": "End with one sentence on what changed because of what you did."}
    if not parts.get("action"):
        we = int(star.get("we_count") or 0) > int(star.get("i_count") or 0)
        return {"label": "Needs your part in it",
                "why": "You said “we” more than “I”, so it is not clear what you did yourself."
                if we else "It is not clear what you did yourself.",
                "try": "Say what you did, in the first person: “I called…”, “I rewrote…”."}
    if not parts.get("situation") and not parts.get("task"):
        return {"label": "Needs context",
                "why": "The listener does not learn where this happened or what needed doing.",
                "try": "Open with one sentence on where you were and what the problem was."}
    if measurable:
        return {"label": "Strong answer",
                "why": "It sets the scene, says what you did and ends with a result you can "
                       f"measure (“{_clip(measurable[0])}”).",
                "try": "Keep this shape, and keep the result as the last thing you say."}
    return {"label": "Good answer",
            "why": "It sets the scene, says what you did and how it turned out, but the "
                   "result has no number.",
            "try": "Put a number on the result: how much, how many or how fast."}


def _delivery_verdict(answer: dict[str, Any]) -> dict[str, Any] | None:
    """For answers STAR does not apply to: only what the words show (hedging, fillers)."""
    d = answer.get("delivery") or {}
    text = str(answer.get("text") or "")
    hedges = [h for h, n in (d.get("hedges") or {}).items() if n]
    if sum((d.get("hedges") or {}).values()) >= 2:
        shown = " and ".join(f"“{h}”" for h in hedges[:2])
        return {"label": "Sounds unsure",
                "why": f"You hedged with {shown}, which makes the answer sound less certain "
                       "than you may be.",
                "try": "Say it plainly: drop “maybe” and “I think” and state what you did or "
                       "believe."}
    fillers = sum((d.get("fillers") or {}).values())
    if fillers >= 3 and fillers * 12 >= len(words_of(text)):
        return {"label": "Many fillers",
                "why": "Fillers such as “um” and “uh” came often enough to distract from "
                       "what you said.",
                "try": "When you need a moment, pause in silence instead of saying “um”."}
    return None


def work_on(report: dict[str, Any]) -> list[dict[str, Any]]:
    """At most three things to work on, most useful first, each quoting the user's words:
    {"title", "quote", "answer" (number from 1, or None), "try"}."""
    answers = [a for a in report.get("answers") or [] if words_of(str(a.get("text") or ""))]
    practice = str(report.get("practice") or "")
    if report.get("empty") or not answers:
        return []
    finders: list[Callable[[], Iterator[dict[str, Any]]]] = []
    if practice == "language":
        finders += [lambda: _mistake(report)]
    if practice == "interview":
        finders += [lambda: _missing_result(answers), lambda: _own_part(answers),
                    lambda: _context(answers)]
    if practice == "talk":
        finders += [lambda: _talk_part(report, answers, "opening"),
                    lambda: _talk_part(report, answers, "closing")]
    finders += [lambda: _fillers(report, answers), lambda: _hedges(answers),
                lambda: _pace(report, answers), lambda: _too_short(answers, practice)]
    items: list[dict[str, Any]] = []
    for find in finders:
        candidates = list(find())
        if not candidates:
            continue
        quoted = {i["quote"] for i in items}
        # The same words quoted under two headings read as a mistake: show other words
        # where the user gave any.
        items.append(next((c for c in candidates if c["quote"] not in quoted), candidates[0]))
        if len(items) == MAX_ITEMS:
            break
    return items


def _item(title: str, quote: str, answer: Any, try_: str) -> dict[str, Any]:
    return {"title": title, "quote": quote, "answer": answer, "try": try_}


def _judged(answers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in answers if a.get("star") and a["star"].get("judged", True)
            and judgeable(str(a["text"])) is None and _is_story(a)]


def _missing_result(answers: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for a in _judged(answers):
        star = a["star"]
        if star["parts"].get("result"):
            continue
        vague = star.get("vague_result") or []
        quote = _clip(str(vague[0])) if vague else _clip(sentences(str(a["text"]))[-1])
        yield _item("Say how it turned out", quote, a.get("number"),
                    "End each story with what changed because of what you did, with a number "
                    "if you can (“the backlog went from three weeks to two days”).")


def _own_part(answers: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for a in _judged(answers):
        star = a["star"]
        if star["parts"].get("action") and star.get("i_count", 0) >= star.get("we_count", 0):
            continue
        quote = _sentence_with(str(a["text"]), lambda w: "we" in w or "our" in w)
        if not star["parts"].get("action") and not quote:
            quote = _clip(sentences(str(a["text"]))[0])
        if not quote:
            continue  # "we" counted but not in a sentence to show: say nothing
        yield _item("Say what you did yourself", quote, a.get("number"),
                    "Say “I” for your own part and name what you did: “I called the client”, "
                    "“I rewrote the report”.")


def _context(answers: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for a in _judged(answers):
        parts = a["star"]["parts"]
        if not parts.get("situation") and not parts.get("task"):
            yield _item("Set the scene first", _clip(sentences(str(a["text"]))[0]),
                        a.get("number"), "Open with one sentence on where you were and what "
                        "needed doing, then tell what you did.")


def _figure(report: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((f for f in report.get("figures") or [] if f.get("key") == key), None)


def _fillers(report: dict[str, Any], answers: Sequence[dict[str, Any]]
             ) -> Iterator[dict[str, Any]]:
    figure = _figure(report, "fillers_per_min")
    if figure is not None and (not figure.get("measured", True)
                               or figure.get("verdict") not in (None, "noticeable")):
        return  # not listened for, or too few to notice: no advice either way
    d = report.get("delivery") or {}
    said = sum((d.get("fillers") or {}).values())
    rate = d.get("fillers_per_min")
    if said < 3 or (figure is None and rate is not None and rate < 3.0):
        return
    for a in answers:
        heard = [f for f, n in ((a.get("delivery") or {}).get("fillers") or {}).items() if n]
        if not heard:
            continue
        quote = _sentence_saying(str(a["text"]), heard, fillers=True)
        yield _item("Fewer fillers", quote, a.get("number"),
                    "When you need a moment, pause in silence instead of saying “um” or “uh”: "
                    "a short pause sounds more sure than a filler.")


def _hedges(answers: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for a in answers:
        hedges = [h for h, n in ((a.get("delivery") or {}).get("hedges") or {}).items() if n]
        if sum(((a.get("delivery") or {}).get("hedges") or {}).values()) < 2:
            continue
        quote = _sentence_saying(str(a["text"]), hedges)
        yield _item("Sound as sure as you are", quote, a.get("number"),
                    "Drop “maybe”, “sort of” and “I think” where you know the answer: say "
                    "what you did and what happened plainly.")


def _pace(report: dict[str, Any], answers: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    figure = _figure(report, "wpm")
    pace = (figure or {}).get("verdict") if figure is not None else (
        report.get("delivery") or {}).get("pace")
    if pace not in ("fast", "slow"):
        return
    timed = [a for a in answers if (a.get("delivery") or {}).get("wpm") is not None]
    if not timed:
        return
    pick = (max if pace == "fast" else min)(timed, key=lambda a: a["delivery"]["wpm"])
    quote = _clip(sentences(str(pick["text"]))[0])
    if pace == "fast":
        yield _item("Slow down a little", quote, pick.get("number"),
                   "Pause briefly at the end of each sentence; it gives the listener time to "
                   "follow and you time to think.")
    else:
        yield _item("Keep a steadier pace", quote, pick.get("number"),
                   "Know your first sentence before you start, and keep going to the end of "
                   "each sentence before you pause.")


def _too_short(answers: Sequence[dict[str, Any]], practice: str) -> Iterator[dict[str, Any]]:
    short = [a for a in answers if judgeable(str(a["text"])) == "short"]
    if not short or 2 * len(short) < len(answers) or practice == "talk":
        return
    yield _item("Give fuller answers", _clip(str(short[0]["text"])), short[0].get("number"),
                "Answer, give a reason, then an example: three sentences are enough.")


def _talk_part(report: dict[str, Any], answers: Sequence[dict[str, Any]], part: str
               ) -> Iterator[dict[str, Any]]:
    talk = (report.get("content") or {}).get("talk") or {}
    if not talk or talk.get(part) or not answers:
        return
    said = sentences(str(answers[0]["text"]))
    if not said or judgeable(str(answers[0]["text"])) is not None:
        return
    if part == "opening":
        yield _item("Open with what the talk is about", _clip(said[0]),
                   answers[0].get("number"), "Say in your first sentence what you will talk "
                   "about: “Today I want to show you…”.")
    else:
        yield _item("Close with a summary", _clip(said[-1]), answers[0].get("number"),
                   "End with one line the audience should remember (“So remember…”) and a "
                   "thank-you.")


def _mistake(report: dict[str, Any]) -> Iterator[dict[str, Any]]:
    content = report.get("content") or {}
    mistakes = content.get("mistakes")
    if mistakes is None:  # reports from before the mistakes list: the model's corrections
        mistakes = [{**c, "count": 1, "answers": []} for c in
                    (content.get("language") or {}).get("corrections") or []]
    if not mistakes:
        return
    top = max(mistakes, key=lambda m: int(m.get("count") or 0))
    why = str(top.get("why") or "").strip()
    yield _item(f"Say “{top['better']}”", str(top["said"]),
                (top.get("answers") or [None])[0],
                f"Instead of “{top['said']}”, say “{top['better']}”." + (f" {why}" if why
                                                                          else ""))
