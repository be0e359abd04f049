"""The report as one self-contained HTML page: inline CSS and SVG charts, no script, no network.

It opens from a file, from the server (`/api/sessions/ID/report`) or inside the browser client,
and prints. Every chart is drawn from the report data (report.build_report) and says so when it
has nothing to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from voice_rp.feedback.delivery import PACE_BAND, PACE_FAST, PACE_SLOW

_W, _H, _PAD = 640, 200, 36
_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:760px;padding:16px;color:#1d2330}
h1{font-size:1.4em;margin:.2em 0} h2{font-size:1.1em;margin:1.4em 0 .4em}
.meta{color:#5a6270} .warn{background:#fff4d6;border-left:4px solid #e0a100;padding:6px 10px}
ul.notes li{margin:.3em 0} .card{border:1px solid #d8dce3;border-radius:8px;padding:10px 14px;
margin:10px 0} .card h3{margin:.1em 0 .4em;font-size:1em} .q{color:#5a6270;font-style:italic}
.figs span{display:inline-block;margin:0 14px 4px 0} .tag{display:inline-block;border-radius:4px;
padding:0 6px;margin-right:4px;font-size:.85em} .yes{background:#d6f2dd} .no{background:#f6d9d9}
svg.chart{width:100%;height:auto;background:#fafbfc;border:1px solid #e6e8ec;border-radius:6px}
svg text{font:11px system-ui,sans-serif;fill:#5a6270} .t{color:#5a6270;font-size:.85em}
table{border-collapse:collapse} td{padding:2px 8px;vertical-align:top} .empty{color:#5a6270}
"""


def render_html(report: dict[str, Any]) -> str:
    """The whole page for one report."""
    persona = report.get("persona") or {}
    d = report.get("delivery") or {}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>voice-rp report {escape(str(report.get('session', '')))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Practice with {escape(str(persona.get('name', '')))}</h1>",
        f"<p class='meta'>Session {escape(str(report.get('session', '')))} · "
        f"{escape(str(report.get('practice', '')))} · {report.get('duration_s', 0):.0f} s</p>",
    ]
    if report.get("unfinished"):
        parts.append("<p class='warn'>This session did not finish normally "
                     f"({escape(str(report.get('end_reason') or 'no end was saved'))}); the "
                     "report covers everything saved up to then.</p>")
    parts.append("<h2>What to work on</h2><ul class='notes'>")
    parts += [f"<li>{escape(n)}</li>" for n in report.get("notes") or []]
    parts.append("</ul>")
    parts.append(_figures(d, report.get("turn_taking") or {}))
    answers = report.get("answers") or []
    parts.append("<h2>Pace over the session</h2>" + pace_chart(answers))
    parts.append("<h2>Fillers and pauses</h2>" + timeline_chart(answers))
    if report.get("practice") == "interview":
        parts.append("<h2>STAR coverage per answer</h2>" + star_chart(answers))
    parts.append("<h2>Reply latency per turn</h2>" + latency_chart(report.get("latency") or []))
    parts.append(_content(report.get("content") or {}))
    parts.append("<h2>Your answers</h2>")
    parts += [_card(a) for a in answers] or ["<p class='empty'>No answers were saved.</p>"]
    parts.append("<h2>Transcript</h2><table>")
    for line in report.get("transcript") or []:
        cut = " <span class='t'>[interrupted]</span>" if line.get("interrupted") else ""
        parts.append(f"<tr><td class='t'>{_clock(line.get('at_s', 0))}</td>"
                     f"<td><b>{escape(str(line.get('who', '')))}</b></td>"
                     f"<td>{escape(str(line.get('text', '')))}{cut}</td></tr>")
    parts.append("</table></body></html>")
    return "".join(parts)


def _figures(d: dict[str, Any], turns: dict[str, Any]) -> str:
    cut = turns.get("cut_offs")
    figs = [("pace", _num(d.get("wpm"), " wpm")), ("fillers", _num(d.get("fillers_per_min"),
                                                                      "/min")),
            ("long pauses", str(d.get("long_pauses", 0))),
            ("longest pause", _num(d["longest_pause_s"], " s") if d.get("longest_pause_s")
             else "none over 1 s" if d.get("words") else "not measured"),
            ("times the partner cut in", "not measured" if cut is None else str(cut)),
            ("talk share", _num(None if d.get("talk_share") is None else
                                100 * d["talk_share"], "%")),
            ("median onset", _num(d.get("onset_median_s"), " s")),
            ("pitch range", _num(d.get("pitch_range_st"), " st"))]
    return "<p class='figs'>" + "".join(f"<span><b>{v}</b> {k}</span>" for k, v in figs) + "</p>"


def _num(v: Any, unit: str) -> str:
    return "–" if v is None else f"{v:.0f}{unit}" if abs(v) >= 10 else f"{v:.1f}{unit}"


def _clock(s: float) -> str:
    return f"{int(s) // 60}:{int(s) % 60:02d}"


def _number(answer: dict[str, Any]) -> Any:
    """The answer's place counted from 1 (reports saved before numbering fall back to its
    turn)."""
    return answer.get("number", answer.get("turn"))


def _latency_label(row: dict[str, Any]) -> str:
    return str(row.get("label") or f"turn {row.get('turn')}")


def _svg(body: str, label: str, points: int) -> str:
    return (f"<svg class='chart' data-points='{points}' viewBox='0 0 {_W} {_H}' role='img' "
            f"aria-label='{escape(label)}' xmlns='http://www.w3.org/2000/svg'>{body}</svg>")


def _empty(label: str) -> str:
    return (_svg(f"<text x='{_W / 2}' y='{_H / 2}' text-anchor='middle'>{escape(label)}</text>",
                 label, 0))


def _scale(v: float, lo: float, hi: float, a: float, b: float) -> float:
    return a if hi <= lo else a + (v - lo) / (hi - lo) * (b - a)


def pace_chart(answers: Sequence[dict[str, Any]]) -> str:
    pts = [(a["at_s"], a["delivery"]["wpm"], _number(a)) for a in answers
           if a["delivery"].get("wpm")]
    if not pts:
        return _empty("No timed answers to chart.")
    x_hi = max(max(p[0] for p in pts), 1.0)
    y_hi = max(220.0, max(p[1] for p in pts) + 20)
    x = lambda t: _scale(t, 0, x_hi, _PAD + 10, _W - 16)  # noqa: E731
    y = lambda v: _scale(v, 0, y_hi, _H - 24, 10)  # noqa: E731
    body = [f"<rect x='{_PAD}' y='{y(PACE_BAND[1]):.1f}' width='{_W - _PAD - 8}' "
            f"height='{y(PACE_BAND[0]) - y(PACE_BAND[1]):.1f}' fill='#cfeed8'/>"]
    for v in (PACE_SLOW, PACE_FAST):
        body.append(f"<line x1='{_PAD}' x2='{_W - 8}' y1='{y(v):.1f}' y2='{y(v):.1f}' "
                    "stroke='#e0a100' stroke-dasharray='4 3'/>")
    for v in (0, 100, 130, 160, 200):
        if v <= y_hi:
            body.append(f"<text x='4' y='{y(v) + 4:.1f}'>{v}</text>")
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for i, (t, v, _) in
                    enumerate(pts))
    body.append(f"<path d='{path}' fill='none' stroke='#2f6fdb' stroke-width='2'/>")
    for t, v, n in pts:
        body.append(f"<circle cx='{x(t):.1f}' cy='{y(v):.1f}' r='4' fill='#2f6fdb'>"
                    f"<title>answer {n}: {v:.0f} wpm at {_clock(t)}</title></circle>")
    body.append(f"<text x='{_W - 8}' y='{_H - 6}' text-anchor='end'>session time "
                f"{_clock(x_hi)} · band 130-160 wpm</text>")
    return _svg("".join(body), "words per minute per answer", len(pts))


def timeline_chart(answers: Sequence[dict[str, Any]]) -> str:
    rows = [a for a in answers if a["delivery"].get("timeline")]
    if not rows:
        return _empty("No answer audio was analysed.")
    longest = max(max(s["end"] for s in a["delivery"]["timeline"]) for a in rows)
    row_h = max(12.0, min(28.0, (_H - 30) / len(rows)))
    height = int(30 + row_h * len(rows))
    x = lambda t: _scale(t, 0, max(longest, 1.0), 60, _W - 60)  # noqa: E731
    body, marks = [], 0
    for i, a in enumerate(rows):
        d = a["delivery"]
        top = 8 + i * row_h
        body.append(f"<text x='4' y='{top + row_h * 0.6:.1f}'>answer {_number(a)}</text>")
        for s in d["timeline"]:
            if s.get("kind", "speech") != "speech":
                continue
            body.append(f"<rect x='{x(s['start']):.1f}' y='{top + 2:.1f}' "
                        f"width='{max(1.0, x(s['end']) - x(s['start'])):.1f}' "
                        f"height='{row_h - 6:.1f}' fill='#9db4d6'/>")
            marks += 1
        for p in d["pauses"]:
            body.append(f"<rect x='{x(p['at_s']):.1f}' y='{top + 2:.1f}' "
                        f"width='{x(p['at_s'] + p['length_s']) - x(p['at_s']):.1f}' "
                        f"height='{row_h - 6:.1f}' fill='#e05a47'><title>{p['length_s']:.1f} s "
                        f"pause after “{escape(p['after'])}”</title></rect>")
            marks += 1
        placed = [s for s in d["timeline"] if s.get("kind") == "filler"]
        for f in placed:  # where Whisper's word timings put each filler
            body.append(f"<rect x='{x(f['start']) - 1.5:.1f}' y='{top:.1f}' width='4' "
                        f"height='{row_h - 2:.1f}' fill='#f2a93b'><title>“{escape(f['word'])}”"
                        f" at {f['start']:.1f} s</title></rect>")
            marks += 1
        fillers = sum(d["fillers"].values())
        if fillers and not placed:  # no word timings: the count, at the row's end
            cx = _W - 30
            body.append(f"<circle cx='{cx}' cy='{top + row_h / 2:.1f}' "
                        f"r='{min(row_h / 2 - 1, 4 + fillers):.1f}' fill='#f2a93b'>"
                        f"<title>{fillers} filler(s)</title></circle>"
                        f"<text x='{cx}' y='{top + row_h / 2 + 4:.1f}' text-anchor='middle' "
                        f"style='fill:#1d2330'>{fillers}</text>")
            marks += 1
    body.append(f"<text x='60' y='{height - 6}'>blue: speech · red: pauses over 1 s · orange: "
                f"fillers (a mark where said, or a count) · scale {longest:.0f} s</text>")
    return (_svg("".join(body), "speech, pauses and fillers per answer", marks)
            .replace(f"0 0 {_W} {_H}", f"0 0 {_W} {height}"))


def star_chart(answers: Sequence[dict[str, Any]]) -> str:
    rows = [a for a in answers if a.get("star")]
    if not rows:
        return _empty("No interview answers long enough to check for STAR.")
    parts = ("situation", "task", "action", "result")
    cell = min(60.0, (_W - 110) / len(rows))
    body = []
    for j, name in enumerate(parts):
        body.append(f"<text x='4' y='{34 + j * 34}'>{name}</text>")
    for i, a in enumerate(rows):
        cx = 100 + i * cell
        body.append(f"<text x='{cx + cell / 2 - 6:.1f}' y='14'>{_number(a)}</text>")
        for j, name in enumerate(parts):
            cues = a["star"][name]
            fill = "#3fae6a" if cues else "#e6e8ec"
            tip = ", ".join(cues) if cues else "not heard"
            body.append(f"<rect x='{cx + 4:.1f}' y='{20 + j * 34}' width='{cell - 8:.1f}' "
                        f"height='26' rx='4' fill='{fill}'><title>{escape(name)}: "
                        f"{escape(tip)}</title></rect>")
    body.append(f"<text x='100' y='{_H - 6}'>answers, numbered from 1 · green: part heard "
                "(hover for the words)</text>")
    return _svg("".join(body), "STAR parts per answer", len(rows))


def latency_chart(latency: Sequence[dict[str, Any]]) -> str:
    pts = [(_latency_label(row), row["response_ms"]) for row in latency]
    if not pts:
        return _empty("No reply latencies were saved.")
    hi = max(1000.0, max(v for _, v in pts) * 1.1)
    bar = min(40.0, (_W - _PAD - 20) / len(pts))
    y = lambda v: _scale(v, 0, hi, _H - 24, 10)  # noqa: E731
    body = []
    for v in (0, 500, 1000, 2000, 3000):
        if v <= hi:
            body.append(f"<text x='2' y='{y(v) + 4:.1f}'>{v / 1000:g}s</text>"
                        f"<line x1='{_PAD}' x2='{_W - 8}' y1='{y(v):.1f}' y2='{y(v):.1f}' "
                        "stroke='#e6e8ec'/>")
    for i, (label, v) in enumerate(pts):
        x0 = _PAD + 6 + i * bar
        body.append(f"<rect x='{x0:.1f}' y='{y(v):.1f}' width='{bar - 4:.1f}' "
                    f"height='{y(0) - y(v):.1f}' fill='#7a5bd6'><title>{escape(label)}: {v} ms"
                    "</title></rect>")
    body.append(f"<text x='{_W - 8}' y='{_H - 6}' text-anchor='end'>from the end of your "
                "speech to the first reply audio, per reply (hover for the answer)</text>")
    return _svg("".join(body), "reply latency per turn", len(pts))


def _content(content: dict[str, Any]) -> str:
    out = []
    talk = content.get("talk")
    if talk:
        out.append("<h2>Talk structure</h2><ul>")
        for key, label in (("opening", "Opening"), ("points", "Signposts"),
                           ("closing", "Closing")):
            found = talk.get(key) or []
            out.append(f"<li>{label}: " + (escape(", ".join(f"“{c}”" for c in found))
                                            if found else "<i>not heard</i>") + "</li>")
        out.append(f"<li>Questions answered: {talk.get('questions_answered', 0)}</li></ul>")
    out.append(_rubric(content.get("rubric"), content.get("practice")))
    lang = content.get("language")
    if lang is not None:
        out.append("<h2>Language</h2>")
        if not lang.get("available"):
            out.append(f"<p class='warn'>{escape(str(lang.get('reason', '')))}</p>")
        else:
            level = lang.get("level")
            out.append(f"<p>Level you spoke at: <b>{escape(level)}</b> (the model's estimate)"
                       f"</p>" if level else "")
            rows = lang.get("corrections") or []
            out.append("<ul>" + "".join(
                f"<li>You said “{escape(c['said'])}” → better “{escape(c['better'])}”: "
                f"{escape(c['why'])}</li>" for c in rows) + "</ul>" if rows else
                "<p>The model found no mistakes to correct.</p>")
    vocab = content.get("vocabulary") or {}
    if vocab.get("words"):
        out.append(f"<p class='meta'>Vocabulary: {vocab['distinct']} different words out of "
                   f"{vocab['words']} (variety {vocab['ratio']:.2f} per 50-word stretch).</p>")
    return "".join(out)


def _quotes(quotes: Sequence[str]) -> str:
    return ", ".join(f"“{escape(q)}”" for q in quotes)


def _rubric(rubric: dict[str, Any] | None, practice: Any) -> str:
    """The model's rubric, or why there is none; per-answer verdicts are on the answer cards."""
    if rubric is None:
        return ""
    out = ["<h2>The model's rubric</h2>"]
    if not rubric.get("available"):
        out.append(f"<p class='warn rubric'>{escape(str(rubric.get('reason', '')))} The "
                   "analysis above is from rules alone.</p>")
        return "".join(out)
    out.append(f"<p class='meta'>From {escape(str(rubric.get('model')))}; every verdict quotes "
               "your words.</p>")
    for why in rubric.get("dropped") or []:
        out.append(f"<p class='warn rubric'>Not shown: {escape(why)}.</p>")
    if practice == "talk" and rubric.get("structure"):
        out.append("<ul class='rubric'>")
        for name, part in rubric["structure"].items():
            out.append(f"<li>{escape(name.capitalize())}: "
                       + (_quotes(part["evidence"]) if part["present"] else "<i>missing</i>")
                       + "</li>")
        c = rubric["clarity"]
        out.append(f"<li>Clarity {c['rating']}/5: {escape(c['comment'])} "
                   f"{_quotes(c['evidence'])}</li>")
        for q in rubric.get("questions") or []:
            out.append(f"<li>Question {q['question']} handled {escape(q['handled'])}: "
                       f"{escape(q['comment'])} {_quotes(q['evidence'])}</li>")
        out.append(f"<li>Try next: {escape(rubric['suggestion'])}</li></ul>")
    elif practice == "interview":
        shown = len(rubric.get("answers") or [])
        out.append(f"<p>The model judged {shown} answer(s); see each answer below.</p>")
    return "".join(out)


def _card(a: dict[str, Any]) -> str:
    d = a["delivery"]
    figs = [f"{d['words']} words", None if d.get("length_s") is None else
            f"{d['length_s']:.0f} s", None if d.get("wpm") is None else
            f"{d['wpm']:.0f} wpm ({d['pace']})",
            f"{sum(d['fillers'].values())} filler(s)" if d["fillers"] else None,
            None if d.get("onset_s") is None else f"started after {d['onset_s']:.1f} s"]
    lines = [f"<div class='card'><h3>Answer {_number(a)} · {_clock(a['at_s'])}</h3>"]
    if a.get("question"):
        lines.append(f"<p class='q'>{escape(a['question'])}</p>")
    lines.append(f"<p>{escape(a['text'])}</p><p class='figs'>"
                 + "".join(f"<span>{escape(f)}</span>" for f in figs if f) + "</p>")
    extra = []  # plain text lines, escaped below
    if d["fillers"]:
        extra.append("Fillers: " + ", ".join(f"“{k}” ×{v}" for k, v in d["fillers"].items()))
    if d["hedges"]:
        extra.append("Hedges: " + ", ".join(f"“{k}” ×{v}" for k, v in d["hedges"].items()))
    for p in d["pauses"]:
        about = "" if p.get("placed_by") == "words" else "about "
        extra.append(f"Pause of {p['length_s']:.1f} s at {p['at_s']:.1f} s, after {about}"
                     f"“{p['after']}”")
    said_at = [f"“{s['word']}” at {s['start']:.1f} s" for s in d.get("timeline") or []
               if s.get("kind") == "filler"]
    if said_at:
        extra.append("Fillers said: " + ", ".join(said_at))
    if len(d.get("pace_over_time") or []) > 1:
        extra.append("Pace within the answer: " + " → ".join(
            f"{p['wpm']:.0f}" for p in d["pace_over_time"]) + " words a minute")
    if d["repeated_phrases"]:
        extra.append("Said more than once: " + ", ".join(f"“{r}”" for r in
                                                        d["repeated_phrases"]))
    lines += [f"<div class='t'>{escape(x)}</div>" for x in extra]
    star = a.get("star")
    if star:
        tags = "".join(f"<span class='tag {'yes' if star['parts'][k] else 'no'}'>{k}</span>"
                       for k in ("situation", "task", "action", "result"))
        lines.append(f"<div class='t star'>STAR: {tags}</div>")
        notes = []
        if star["measurable"]:
            notes.append("Measurable result: " + ", ".join(f"“{m}”" for m in star["measurable"]))
        notes.append(f"“I” ×{star['i_count']}, “we” ×{star['we_count']}")
        notes.append("Try next: " + star["suggestion"])
        lines += [f"<div class='t'>{escape(x)}</div>" for x in notes]
    judged = a.get("rubric")
    if judged:
        for name, part in judged["parts"].items():
            lines.append(f"<div class='t rubric'>Model, {escape(name)}: "
                         + (_quotes(part["evidence"]) if part["present"] else "missing")
                         + "</div>")
        lines.append(f"<div class='t rubric'>Model suggests: {escape(judged['suggestion'])}"
                     "</div>")
    lines.append("</div>")
    return "".join(lines)
