"""The parts of the report that belong to one kind of practice: a language learner's mistakes
that came back, a talk's structure (and a capable model's view of it).

Each says plainly what was not found ("No opening was heard") or why nothing is shown (no
model able to correct grammar), never "none" for something that was not looked for.
"""

from __future__ import annotations

from html import escape
from typing import Any

from voice_rp.feedback.report_html_answers import quoted

_LEVELS = ("The level is the model's estimate on the common European scale, from A1 (a "
           "beginner) to C2 (close to a native speaker).")
_TALK_PARTS = (
    ("opening", "Opening", "a first sentence that says what the talk is about",
     "No opening was heard: the talk starts without saying what it is about."),
    ("points", "Signposts", "words like “first”, “next” and “finally” that tell listeners "
     "where you are", "No signposts were heard, so the structure is hard to follow."),
    ("closing", "Closing", "a last line that sums up, and a thank-you",
     "No closing was heard: the talk stops without a summary."),
)


def practice_section(report: dict[str, Any]) -> str:
    content = report.get("content") or {}
    practice = report.get("practice")
    if practice == "language":
        return language_section(content)
    if practice == "talk" and content.get("talk"):
        return talk_section(content)
    return ""


def language_section(content: dict[str, Any]) -> str:
    lang = content.get("language") or {}
    out = ["<section aria-labelledby='mistakes-h'><h2 id='mistakes-h'>Mistakes that came "
           "back</h2>"]
    mistakes = content.get("mistakes")
    if mistakes is None:  # reports built before the mistakes list: the model's corrections
        mistakes = [{**c, "count": None} for c in lang.get("corrections") or []]
    if mistakes:
        out.append("<p class='explain'>What you said, and how to say it better. Only words "
                   "you really said are listed.</p><ul class='mistakes'>")
        for m in mistakes:
            count = m.get("count")
            times = (f" <span class='count'>said {escape(str(count))} times</span>"
                     if isinstance(count, int) and count > 1 else "")
            why = f"<span class='explain'>{escape(str(m['why']))}</span>" if m.get("why") else ""
            out.append(f"<li>You said “{escape(str(m.get('said', '')))}” → better "
                       f"“{escape(str(m.get('better', '')))}”{times} {why}</li>")
        out.append("</ul>")
    elif not lang or lang.get("available"):
        out.append("<p>No mistakes were found in what you said.</p>")
    if lang and not lang.get("available") and lang.get("reason"):
        # Said even beside a list: mistakes the partner did not correct aloud are not in it.
        out.append(f"<p class='note'>{escape(str(lang['reason']))}</p>")
    if lang.get("level"):
        out.append(f"<p>Level you spoke at: <b>{escape(str(lang['level']))}</b> "
                   f"<span class='explain'>{escape(_LEVELS)}</span></p>")
    out.append("</section>")
    return "".join(out)


def talk_section(content: dict[str, Any]) -> str:
    talk = content["talk"]
    out = ["<section aria-labelledby='structure-h'><h2 id='structure-h'>How the talk was "
           "built</h2><ul class='star'>"]
    for key, name, means, missing in _TALK_PARTS:
        found = [q for q in talk.get(key) or [] if str(q).strip()]
        if found:
            out.append(f"<li class='found'><b>{name}</b> <span class='explain'>({means})"
                       f"</span> {quoted(found)}</li>")
        else:
            out.append(f"<li class='missing'><b>{name}</b> {escape(missing)}</li>")
    out.append("</ul>")
    rubric = content.get("rubric") or {}
    if rubric.get("available") and rubric.get("structure"):
        out.append("<div class='model'><h3>A language model's view</h3><ul>")
        for name, part in rubric["structure"].items():
            shown = quoted(part.get("evidence") or []) if part.get("present") else "missing"
            out.append(f"<li><b>{escape(str(name).capitalize())}</b>: {shown}</li>")
        clarity = rubric.get("clarity") or {}
        if clarity:
            out.append(f"<li><b>Clarity</b>: {escape(str(clarity.get('comment') or ''))} "
                       f"{quoted(clarity.get('evidence') or [])}</li>")
        for q in rubric.get("questions") or []:
            out.append(f"<li><b>Question {escape(str(q.get('question')))}</b>, answered "
                       f"{escape(str(q.get('handled')))}: {escape(str(q.get('comment') or ''))}"
                       f" {quoted(q.get('evidence') or [])}</li>")
        out.append(f"</ul><p>Model suggests: {escape(str(rubric.get('suggestion') or ''))}</p>"
                   "</div>")
    out.append("</section>")
    return "".join(out)
