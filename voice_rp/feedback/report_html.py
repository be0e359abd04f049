"""The report as one self-contained HTML page, written for the person who practised.

Plain words, each term explained where it appears (as visible small text, so it reads the same
on a phone as with a mouse), the few things to work on first, then each answer with a coach's
verdict. Every number shown comes from report["figures"], the one computation the end screen,
the history and the CLI also read: the page formats nothing itself, so it cannot disagree with
them. Engineering detail (latency charts, setup hints) sits in a collapsed "Technical details"
section at the bottom. The page opens from a file, from the server (`/api/sessions/ID/report`)
or inside the browser client, and prints; its only script sends corrections of misheard words
(report_html_fix).
"""

from __future__ import annotations

from html import escape
from typing import Any

from voice_rp.feedback.coach import work_on
from voice_rp.feedback.report_html_answers import answers_section
from voice_rp.feedback.report_html_charts import (
    latency_chart,
    pace_chart,
    star_chart,
    technical,
    timeline_chart,
    transcript,
)
from voice_rp.feedback.report_html_fix import REPORT_CSP, script_tag
from voice_rp.feedback.report_html_practice import practice_section
from voice_rp.progress import parse_goal

__all__ = ["REPORT_CSP", "latency_chart", "pace_chart", "render_html", "star_chart",
           "timeline_chart"]

_CSS = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:46rem;padding:1rem;
color:#1d2330;overflow-wrap:anywhere}
h1{font-size:1.45rem;margin:.2rem 0} h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
h3{font-size:1rem;margin:.2rem 0 .5rem} h4{font-size:.95rem;margin:.6rem 0 .3rem}
.meta,.explain{color:#4f5663;font-size:.88rem}
.explain{display:block;margin:.15rem 0}
.note{background:#fff6d6;border-left:4px solid #9a6a00;padding:.4rem .7rem}
q{quotes:"“" "”"} q::before{content:open-quote} q::after{content:close-quote}
ol.work{padding:0;list-style:none;counter-reset:w;margin:0}
ol.work>li{border:1px solid #c9d3e3;border-left:5px solid #1d4f91;border-radius:6px;
padding:.5rem .8rem;margin:.5rem 0;background:#f6f9fd}
ol.work h3{margin:0 0 .3rem} ol.work blockquote{margin:.2rem 0 .3rem;font-style:italic}
ol.work .where{color:#4f5663;font-size:.85rem}
ul.figs{list-style:none;padding:0;margin:0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.6rem;align-items:start}
ul.figs li{border:1px solid #d8dce3;border-radius:6px;padding:.45rem .7rem}
.fig-label{display:block;font-weight:600}
.fig-value{display:block;font-size:1.15rem}
li.unmeasured .fig-value{color:#4f5663;font-style:italic;font-size:1rem}
.why{color:#6b4b00}
ul.goals{padding-left:1.2rem} .met{color:#17683a;font-weight:600}
.missed{color:#a52a1c;font-weight:600} .unknown{color:#4f5663;font-weight:600}
article.answer{border:1px solid #d8dce3;border-radius:8px;padding:.6rem .9rem;margin:.8rem 0}
.who{display:block;font-size:.82rem;color:#4f5663;font-weight:600}
.asked q{font-style:italic} .said{margin:.4rem 0}
.verdict{border-radius:6px;padding:.35rem .7rem;margin:.5rem 0}
.verdict p{margin:.2rem 0} .verdict.good{background:#e3f4e8}
.verdict.work{background:#fdf0e0} .verdict.none{background:#eef0f3}
ul.star{list-style:none;padding:0;margin:.4rem 0}
ul.star li{padding:.15rem 0 .15rem 1.4rem;position:relative}
ul.star li::before{position:absolute;left:0;font-weight:700}
ul.star li.found::before{content:"✓";color:#17683a}
ul.star li.missing::before{content:"–";color:#a52a1c}
ul.star .explain{display:inline}
.model{border-top:1px dashed #c9ced8;margin-top:.5rem;padding-top:.3rem}
details{margin:.6rem 0} summary{cursor:pointer} summary h2{display:inline;margin:0}
details.fix summary{color:#1d4f91} details.technical,details.transcript{margin-top:1.6rem}
.fix-form{display:flex;flex-wrap:wrap;gap:.4rem .8rem;align-items:flex-end;margin:.4rem 0}
.fix-form .explain,.fix-form .fix-msg,.fix-form .fix-hint{flex:1 1 100%;margin:0}
.field{display:flex;flex-direction:column;flex:1 1 10rem;min-width:0}
.field label{font-size:.88rem}
input{font:inherit;padding:.3rem .4rem;border:1px solid #6b7280;border-radius:4px;width:100%}
button{font:inherit;padding:.3rem .9rem;border:1px solid #1d4f91;border-radius:5px;
background:#1d4f91;color:#fff;cursor:pointer}
.corrections button{background:#fff;color:#1d4f91;padding:0 .6rem;margin-left:.4rem}
:focus-visible{outline:3px solid #c25e00;outline-offset:2px}
.fix-msg:empty{display:none} .fix-msg{color:#8c1c13}
ul.mistakes li{margin:.35rem 0} .count{font-weight:600}
ol.lines{list-style:none;padding:0} ol.lines li{margin:.3rem 0}
.at{color:#4f5663;font-variant-numeric:tabular-nums;font-size:.85rem}
svg.chart{display:block;width:100%;max-width:24rem;height:auto;background:#fafbfc;
border:1px solid #e6e8ec;border-radius:6px}
svg text{font:13px system-ui,sans-serif;fill:#4f5663} .legend{margin:.2rem 0 .8rem}
@media print{details{display:block} .fix,.corrections button{display:none}}
"""

_PRACTICE_TITLE = {"interview": "interview practice", "talk": "talk", "language":
                   "language practice", "conversation": "practice conversation"}
_GOAL_WORDS = {
    "wpm": ("Pace", "words a minute"),
    "fillers_per_min": ("Fillers such as “um” and “uh”", "a minute"),
    "long_pauses": ("Pauses over a second", "in a session"),
    "hedges_per_100_words": ("Hedges such as “maybe” and “I think”", "in every 100 words"),
    "onset_s": ("Time before you start answering", "seconds"),
    "star_complete": ("Answers with all four STAR parts", "% of them"),
    "vocabulary": ("Variety of words", ""),
    "pitch_range_st": ("How much your voice rises and falls", "semitones"),
    "talk_s": ("Length of the talk", "seconds"),
}


def render_html(report: dict[str, Any]) -> str:
    """The whole page for one report (a short page saying why, for an empty session)."""
    session = str(report.get("session", ""))
    empty = report.get("empty", not report.get("answers"))
    title = "No report for this session" if empty else "Your practice report"
    head = ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{title} · {escape(session)}</title>"
            f"<style>{_CSS}</style></head><body data-session='{escape(session)}'>")
    if empty:
        why = report.get("empty_reason") or "Nothing you said was saved in this session."
        return (head + f"<main><h1>{title}</h1>"
                f"<p>{escape(str(why))}</p><p>Practise again and speak at least one answer: "
                "the report is made from what you say.</p></main></body></html>")
    persona = report.get("persona") or {}
    what = _PRACTICE_TITLE.get(str(report.get("practice")), "practice")
    parts = [head, "<main><header>",
             f"<h1>Your {escape(what)} with {escape(str(persona.get('name') or 'voice-rp'))}"
             f"</h1><p class='meta'>Session {escape(session)}</p></header>"]
    if report.get("unfinished"):
        parts.append("<p class='note'>This session did not finish normally, so the report "
                     "covers what was saved up to the moment it stopped.</p>")
    parts.append(work_section(report))
    parts.append(figures_section(report))
    parts.append(goals_section(report))
    parts.append(practice_section(report))
    parts.append(answers_section(report))
    parts.append(transcript(report))
    parts.append(technical(report))
    parts.append("</main>" + script_tag() + "</body></html>")
    return "".join(parts)


def work_section(report: dict[str, Any]) -> str:
    items = report["work_on"] if "work_on" in report else work_on(report)
    out = ["<section aria-labelledby='work-h'><h2 id='work-h'>What to work on</h2>"]
    if not items:
        out.append("<p>Nothing stood out that needs work in this session.</p></section>")
        return "".join(out)
    out.append("<ol class='work'>")
    for item in items[:3]:
        where = (f"<span class='where'>From answer {escape(str(item['answer']))}</span>"
                 if item.get("answer") else "")
        said = (f"<blockquote>“{escape(str(item['quote']))}”</blockquote>"
                if item.get("quote") else "")
        out.append(f"<li><h3>{escape(str(item.get('title') or ''))}</h3>{where}{said}"
                   f"<p><b>Try:</b> {escape(str(item.get('try') or ''))}</p></li>")
    out.append("</ol></section>")
    return "".join(out)


def figures_section(report: dict[str, Any]) -> str:
    out = ["<section aria-labelledby='figs-h'><h2 id='figs-h'>How it went</h2>"]
    figures = report.get("figures")
    if not figures:
        out.append("<p class='note'>The figures for this session were not worked out; open "
                   "the report again after updating voice-rp.</p></section>")
        return "".join(out)
    out.append("<ul class='figs'>")
    for f in figures:
        measured = f.get("measured", f.get("value") is not None)
        extra = []
        if not measured and f.get("reason"):
            extra.append(f"<span class='explain why'>{escape(str(f['reason']))}</span>")
        if f.get("explain"):
            extra.append(f"<span class='explain what'>{escape(str(f['explain']))}</span>")
        if measured and f.get("certainty"):
            extra.append(f"<span class='explain sure'><b>How sure:</b> "
                         f"{escape(str(f['certainty']))}</span>")
        out.append(f"<li class='{'measured' if measured else 'unmeasured'}' "
                   f"data-key='{escape(str(f.get('key', '')))}'>"
                   f"<span class='fig-label'>{escape(str(f.get('label') or ''))}</span>"
                   f"<span class='fig-value'>{escape(str(f.get('text') or 'not measured'))}"
                   f"</span>{''.join(extra)}</li>")
    out.append("</ul></section>")
    return "".join(out)


def goal_phrase(text: str) -> str:
    """A goal as the user would say it: "Pace between 130 and 160 words a minute"."""
    try:
        rule = parse_goal(text)
    except ValueError:
        return text
    what, unit = _GOAL_WORDS.get(rule.metric, (rule.metric, ""))

    def num(v: float) -> str:
        return f"{v:g}"

    if rule.low is not None and rule.high is not None:
        span = f"between {num(rule.low)} and {num(rule.high)}"
    elif rule.high is not None:
        span = f"at most {num(rule.high)}"
    else:
        span = f"at least {num(rule.low or 0.0)}"
    bound = rule.high if rule.high is not None else rule.low
    if bound == 1 and unit == "seconds":
        unit = "second"  # "at most 1 second"
    return f"{what}: {span}{'' if unit.startswith('%') else ' '}{unit}".strip()


def goals_section(report: dict[str, Any]) -> str:
    goals = report.get("goals") or []
    if not goals:
        return ""
    figures = {f.get("key"): f for f in report.get("figures") or []}
    out = ["<section aria-labelledby='goals-h'><h2 id='goals-h'>Your goals</h2>"
           "<ul class='goals'>"]
    for g in goals:
        met = g.get("met")
        state = ("<span class='met'>reached</span>" if met is True else
                 "<span class='missed'>not reached yet</span>" if met is False else
                 "<span class='unknown'>not measured in this session</span>")
        fig = figures.get(g.get("metric"))
        this = (f" <span class='explain'>This session: {escape(str(fig['text']))}</span>"
                if fig and fig.get("text") and met is not None else "")
        out.append(f"<li>{escape(goal_phrase(str(g.get('goal') or '')))} — {state}{this}</li>")
    out.append("</ul></section>")
    return "".join(out)
