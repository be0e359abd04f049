"""One answer in the report, as the person reads it: the question, what they said (and what
recognition first wrote down, if they corrected it), a coach's verdict, the STAR parts found
with the sentences quoted, and the form to fix a misheard word.

No figure is worked out here: the verdict comes from the report (or coach.verdict for reports
built before verdicts were kept), the quotes from the STAR analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from voice_rp.feedback.coach import verdict as coach_verdict
from voice_rp.feedback.report_html_fix import fix_form

STAR_PARTS = (
    ("situation", "Situation", "where you were and what was going on",
     "No situation was heard: the answer does not say where or when this happened."),
    ("task", "Task", "what you had to do",
     "No task was heard: the answer does not say what you had to do."),
    ("action", "Action", "what you did yourself",
     "No action was heard: the answer does not say what you did yourself."),
    ("result", "Result", "how it turned out",
     "No result was heard: the answer does not say how it turned out."),
)
STAR_EXPLAIN = ("Interviewers listen for four parts in a story about your work, called STAR: "
                "the Situation, your Task, the Action you took and the Result. Below each "
                "answer are the sentences that showed each part.")
_GOOD = ("Strong answer", "Good answer")
_UNJUDGED = ("Too short to judge", "Not enough to judge")


def quoted(quotes: Sequence[Any]) -> str:
    return " ".join(f"<q>{escape(str(q))}</q>" for q in quotes if str(q).strip())


def answer_card(report: dict[str, Any], answer: dict[str, Any], *, title: str) -> str:
    """The card of one answer; `title` names it ("Answer 2", "Question 1 from the audience")."""
    n = answer.get("number", answer.get("turn"))
    practice = str(report.get("practice") or "")
    out = [f"<article class='answer' id='answer-{escape(str(n))}'><h3>{escape(title)}</h3>"]
    if answer.get("question"):
        who = escape(str((report.get("persona") or {}).get("name") or "They"))
        out.append(f"<p class='asked'><span class='who'>{who} asked</span> "
                   f"<q>{escape(str(answer['question']))}</q></p>")
    out.append(f"<p class='said'><span class='who'>You said</span> "
               f"{escape(str(answer.get('text') or ''))}</p>")
    if answer.get("heard"):
        out.append(f"<p class='heard explain'>Recognised as: "
                   f"{escape(str(answer['heard']))}</p>")
    judged = answer["verdict"] if "verdict" in answer else coach_verdict(answer, practice)
    out.append(verdict_box(judged))
    if answer.get("star"):
        out.append(star_parts(answer["star"]))
    if answer.get("rubric"):
        out.append(model_view(answer["rubric"]))
    corrections = [c for c in report.get("corrections") or [] if c.get("answer") == n]
    out.append(fix_form(str(report.get("session", "")), answer, corrections))
    out.append("</article>")
    return "".join(out)


def verdict_box(judged: dict[str, Any] | None) -> str:
    if not judged:
        return ""
    label = str(judged.get("label") or "")
    tone = "good" if label in _GOOD else "none" if label in _UNJUDGED else "work"
    tried = (f"<p class='try'><b>Try:</b> {escape(str(judged['try']))}</p>"
             if judged.get("try") else "")
    return (f"<div class='verdict {tone}'><p><b>{escape(label)}.</b> "
            f"{escape(str(judged.get('why') or ''))}</p>{tried}</div>")


def star_parts(star: dict[str, Any]) -> str:
    if not star.get("judged", True):
        return ("<p class='explain'>The STAR parts of this answer could not be checked on this "
                "server.</p>")
    parts = star.get("parts") or {}
    out = ["<ul class='star'>"]
    for key, name, means, missing in STAR_PARTS:
        quotes = [q for q in star.get(key) or [] if str(q).strip()]
        if parts.get(key) and quotes:
            out.append(f"<li class='found'><b>{name}</b> <span class='explain'>({means})</span>"
                       f" {quoted(quotes)}</li>")
        elif parts.get(key):
            out.append(f"<li class='found'><b>{name}</b> <span class='explain'>({means})</span>"
                       " heard</li>")
        else:
            out.append(f"<li class='missing'><b>{name}</b> {escape(missing)}</li>")
    out.append("</ul>")
    if star.get("measurable"):
        out.append("<p class='explain'>A result you can measure: "
                   f"{quoted(star['measurable'])}</p>")
    if star.get("vague_result"):
        out.append("<p class='explain'>Said about the outcome, but too vague to count as a "
                   f"result: {quoted(star['vague_result'])}</p>")
    return "".join(out)


def model_view(judged: dict[str, Any]) -> str:
    """A capable model's STAR verdict on this answer, every part with its quoted evidence."""
    out = ["<div class='model'><h4>A language model's view</h4><ul>"]
    for key, name, _, _ in STAR_PARTS:
        part = (judged.get("parts") or {}).get(key) or {}
        shown = quoted(part.get("evidence") or []) if part.get("present") else "not heard"
        out.append(f"<li><b>{name}</b>: {shown}</li>")
    out.append(f"</ul><p>Model suggests: {escape(str(judged.get('suggestion') or ''))}</p>"
               "</div>")
    return "".join(out)


def answers_section(report: dict[str, Any]) -> str:
    """Every answer, headed the way this kind of practice names them."""
    answers = report.get("answers") or []
    practice = report.get("practice")
    if practice == "talk":
        talk, rest = answers[:1], answers[1:]
        out = ["<section aria-labelledby='talk-h'><h2 id='talk-h'>Your talk</h2>"]
        out += [answer_card(report, a, title="What you said") for a in talk]
        out.append("</section><section aria-labelledby='qa-h'>"
                   "<h2 id='qa-h'>The audience's questions</h2>")
        out += [answer_card(report, a, title=f"Question {i} and your answer")
                for i, a in enumerate(rest, start=1)]
        if not rest:
            out.append("<p>The audience asked no questions this time.</p>")
        out.append("</section>")
        return "".join(out)
    out = ["<section aria-labelledby='answers-h'><h2 id='answers-h'>Your answers</h2>"]
    if practice == "interview" and any(a.get("star") for a in answers):
        out.append(f"<p class='explain'>{escape(STAR_EXPLAIN)}</p>")
    dropped = ((report.get("content") or {}).get("rubric") or {}).get("dropped") or []
    out += [f"<p class='explain'>Not shown: {escape(str(d))}.</p>" for d in dropped]
    out += [answer_card(report, a, title=f"Answer {a.get('number', a.get('turn'))}")
            for a in answers]
    out.append("</section>")
    return "".join(out)
