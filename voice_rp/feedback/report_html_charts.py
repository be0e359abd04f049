"""The report's charts and its collapsed sections: the transcript and the technical details.

The charts draw the per-answer data (pace, pauses and fillers, STAR parts, reply latency) as
inline SVG. They are engineering views with raw numbers, so they sit in the collapsed
"Technical details" at the bottom of the report, beside setup hints meant for whoever runs
the server; the person practising reads the plain figures above them.

SVG text scales with the drawing, so the charts are drawn for a phone: 320 units wide, shown at
most a little larger than that (the report's CSS), so their 13-unit labels read at 12 px or more
on a 375 px screen. Long legends are HTML under each chart, where they wrap instead of shrinking.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from voice_rp.feedback.delivery import PACE_BAND, PACE_FAST, PACE_SLOW

_W, _H, _PAD = 320, 180, 36


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


def _legend(svg: str, text: str) -> str:
    """The chart with what its marks mean underneath, as text that wraps."""
    return f"{svg}<p class='explain legend'>{escape(text)}</p>"


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
    y = lambda v: _scale(v, 0, y_hi, _H - 12, 10)  # noqa: E731
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
    return _legend(_svg("".join(body), "words per minute per answer", len(pts)),
                   f"Words a minute in each answer, across the session (0:00 to {_clock(x_hi)}); "
                   "the green band is 130-160 wpm.")


def timeline_chart(answers: Sequence[dict[str, Any]]) -> str:
    rows = [a for a in answers if a["delivery"].get("timeline")]
    if not rows:
        return _empty("No answer audio was analysed.")
    longest = max(max(s["end"] for s in a["delivery"]["timeline"]) for a in rows)
    row_h = max(20.0, min(28.0, (_H - 16) / len(rows)))
    height = int(16 + row_h * len(rows))
    x = lambda t: _scale(t, 0, max(longest, 1.0), 76, _W - 34)  # noqa: E731
    body, marks = [], 0
    for i, a in enumerate(rows):
        d = a["delivery"]
        top = 8 + i * row_h
        body.append(f"<text x='4' y='{top + row_h * 0.65:.1f}'>answer {_number(a)}</text>")
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
            cx = _W - 16
            body.append(f"<circle cx='{cx}' cy='{top + row_h / 2:.1f}' "
                        f"r='{min(row_h / 2 - 1, 8 + fillers):.1f}' fill='#f2a93b'>"
                        f"<title>{fillers} filler(s)</title></circle>"
                        f"<text x='{cx}' y='{top + row_h / 2 + 4:.1f}' text-anchor='middle' "
                        f"style='fill:#1d2330'>{fillers}</text>")
            marks += 1
    svg = (_svg("".join(body), "speech, pauses and fillers per answer", marks)
           .replace(f"0 0 {_W} {_H}", f"0 0 {_W} {height}"))
    return _legend(svg, f"Each answer from its start; the longest is {longest:.0f} s. Blue: "
                   "speech. Red: pauses over 1 s. Orange: fillers (a mark where said, or a "
                   "count).")


def star_chart(answers: Sequence[dict[str, Any]]) -> str:
    rows = [a for a in answers if a.get("star")]
    if not rows:
        return _empty("No interview answers long enough to check for STAR.")
    parts = ("situation", "task", "action", "result")
    cell = min(48.0, (_W - 82) / len(rows))
    body = []
    for j, name in enumerate(parts):
        body.append(f"<text x='4' y='{38 + j * 34}'>{name}</text>")
    for i, a in enumerate(rows):
        cx = 76 + i * cell
        body.append(f"<text x='{cx + cell / 2:.1f}' y='14' text-anchor='middle'>{_number(a)}"
                    "</text>")
        for j, name in enumerate(parts):
            cues = a["star"][name]
            fill = "#3fae6a" if cues else "#e6e8ec"
            tip = ", ".join(cues) if cues else "not heard"
            body.append(f"<rect x='{cx + 4:.1f}' y='{20 + j * 34}' width='{cell - 8:.1f}' "
                        f"height='26' rx='4' fill='{fill}'><title>{escape(name)}: "
                        f"{escape(tip)}</title></rect>")
    svg = _svg("".join(body), "STAR parts per answer", len(rows)).replace(
        f"0 0 {_W} {_H}", f"0 0 {_W} {20 + 4 * 34}")
    return _legend(svg, "Answers numbered from 1 across the top. Green: the part was heard "
                   "(hover or press on a cell for the words).")


def latency_chart(latency: Sequence[dict[str, Any]]) -> str:
    pts = [(_latency_label(row), row["response_ms"]) for row in latency]
    if not pts:
        return _empty("No reply latencies were saved.")
    hi = max(1000.0, max(v for _, v in pts) * 1.1)
    bar = min(40.0, (_W - _PAD - 20) / len(pts))
    y = lambda v: _scale(v, 0, hi, _H - 12, 10)  # noqa: E731
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
    return _legend(_svg("".join(body), "reply latency per turn", len(pts)),
                   "From the end of your speech to the first reply audio, one bar per reply "
                   "(hover for the answer).")


def technical(report: dict[str, Any]) -> str:
    """Engineering detail, collapsed: charts with raw numbers, setup hints, the checks' notes."""
    tech = report.get("technical") or {}
    latency = tech.get("latency") if "latency" in tech else report.get("latency")
    answers = report.get("answers") or []
    out = ["<details class='technical'><summary><h2>Technical details</h2></summary>",
           "<p class='explain'>For whoever runs voice-rp: raw measurements and setup notes. "
           "Nothing here is needed to use the report above.</p>"]
    hints = [str(h) for h in tech.get("setup_hints") or []]
    content = report.get("content") or {}
    rubric = content.get("rubric") or {}
    if rubric and not rubric.get("available") and rubric.get("reason"):
        hints.append(f"Model rubric: {rubric['reason']}")
    if hints:
        out.append("<h3>Setup</h3><ul>" + "".join(f"<li>{escape(h)}</li>" for h in hints)
                   + "</ul>")
    out.append("<h3>Reply latency per turn</h3>" + latency_chart(latency or []))
    out.append("<h3>Pace per answer</h3>" + pace_chart(answers))
    out.append("<h3>Speech, pauses and fillers per answer</h3>" + timeline_chart(answers))
    if report.get("practice") == "interview":
        out.append("<h3>STAR parts per answer</h3>" + star_chart(answers))
    notes = [str(n) for n in report.get("notes") or []]
    if notes:
        out.append("<h3>Notes from the rule checks</h3><ul>"
                   + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    out.append(f"<p class='explain'>Report version {escape(str(report.get('version', '')))}, "
               f"session {escape(str(report.get('session', '')))}, ended: "
               f"{escape(str(report.get('end_reason') or 'not saved'))}.</p></details>")
    return "".join(out)


def transcript(report: dict[str, Any]) -> str:
    """Everything that was said, collapsed: minute:second from the start, who, what."""
    lines = report.get("transcript") or []
    if not lines:
        return ""
    out = ["<details class='transcript'><summary><h2>Everything that was said</h2></summary>"
           "<ol class='lines'>"]
    for line in lines:
        who = str(line.get("who", ""))
        cut = (" <span class='explain'>(cut short)</span>" if line.get("interrupted") else "")
        out.append(f"<li><span class='at'>{_clock(float(line.get('at_s') or 0))}</span> "
                   f"<b>{escape('You' if who == 'you' else who)}</b> "
                   f"{escape(str(line.get('text', '')))}{cut}</li>")
    out.append("</ol></details>")
    return "".join(out)
