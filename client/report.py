"""`python -m client report SESSION [--html FILE] [--json]` and `python -m client history`.

    python -m client report latest                    # the newest session's feedback, as text
    python -m client report ID --html report.html     # the full report with charts
    python -m client report ID --json                 # the same data as JSON
    python -m client report ID --fix 2 "cuba nettie's" "Kubernetes"   # correct misheard words
    python -m client report ID --unfix 0              # undo correction 0
    python -m client history [--persona NAME] [--json]
    python -m client history --add-goal "fillers under 3" | --remove-goal ID

Language corrections use the chat endpoint in OPENAI_BASE_URL / VOICE_RP_LLM_MODEL when that model
is listed in VOICE_RP_FEEDBACK_MODELS (see voice_rp.feedback.language).

A correction changes what the report is built from, never the saved transcript; the words said
also become recognition hints for your next sessions.

Exit codes: 0 success, 1 no such session, 2 bad command line or a correction that cannot be
made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from client.local_data import default_data_dir, local_time, write_private
from voice_rp.feedback.language import FeedbackSettings
from voice_rp.feedback.report_html import render_html
from voice_rp.feedback.service import BadCorrection, Reports
from voice_rp.personas import builtin_dirs, user_persona_dir
from voice_rp.progress import parse_goal
from voice_rp.storage import SessionNotFound, TranscriptStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m client",
                                     description="Feedback on your practice sessions.")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the server's data directory (default: $VOICE_RP_DATA_DIR or "
                             "~/.local/share/voice-rp)")
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="feedback on one session")
    report.add_argument("session", metavar="SESSION", help="a session id, or 'latest'")
    report.add_argument("--html", type=Path, metavar="FILE", help="write the HTML report here")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    fix = report.add_mutually_exclusive_group()
    fix.add_argument("--fix", nargs=3, metavar=("ANSWER", "HEARD", "SAID"),
                     help="correct words recognition misheard in answer ANSWER (from 1)")
    fix.add_argument("--unfix", type=int, metavar="K",
                     help="undo correction K (as the report lists them)")
    history = sub.add_parser("history", help="your progress across sessions")
    history.add_argument("--persona", default=None, help="only sessions with this persona")
    history.add_argument("--json", action="store_true", help="print the history as JSON")
    history.add_argument("--add-goal", metavar="GOAL",
                         help="e.g. 'pace 130-160', 'fillers under 3', 'pauses at most 2'")
    history.add_argument("--remove-goal", type=int, metavar="ID")
    return parser


def main(argv: list[str], *, environ: Mapping[str, str] | None = None,
         out: TextIO | None = None) -> int:
    out = out or sys.stdout
    environ = os.environ if environ is None else environ
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    store = TranscriptStore(args.data_dir or default_data_dir(environ))
    reports = Reports(store, builtin_dirs(user_persona_dir(environ)),
                      FeedbackSettings.from_env(environ))
    if args.command == "history":
        return _history(reports, args, out)
    session = args.session
    if session == "latest":
        sessions = store.list_sessions()
        if not sessions:
            print(f"voice-rp: no saved sessions in {store.data_dir}", file=sys.stderr)
            return 1
        session = sessions[-1].id
    try:
        if args.fix is not None or args.unfix is not None:
            return _correct(reports, session, args, out)
        report = reports.report(session)
    except SessionNotFound as exc:
        print(f"voice-rp: {exc}", file=sys.stderr)
        return 1
    if args.html:
        write_private(args.html, render_html(report))
        print(f"report written to {args.html}", file=out)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1), file=out)
    elif not args.html:
        print(report_text(report), file=out)
    return 0


def _correct(reports: Reports, session: str, args: argparse.Namespace, out: TextIO) -> int:
    """Make or undo one correction and print what it changed."""
    before = _figure_texts(reports.report(session, ask_model=False))
    try:
        if args.fix is not None:
            raw, heard, said = args.fix
            if not raw.strip().isdigit():
                raise BadCorrection(f"ANSWER must be an answer's number, got {raw!r}")
            report = reports.correct(session, int(raw), heard, said)
            made = report["corrections"][-1]
            print(f"answer {made['answer']}: \"{made['heard']}\" corrected to "
                  f"\"{made['said']}\" (correction {made['index']})", file=out)
        else:
            report = reports.uncorrect(session, args.unfix)
            print(f"correction {args.unfix} undone", file=out)
    except BadCorrection as exc:
        print(f"voice-rp: {exc}", file=sys.stderr)
        return 2
    after = _figure_texts(report)
    changed = [f"  {label}: {before[label]} → {text}" if label in before else
               f"  {label}: {text}" for label, text in after.items()
               if before.get(label) != text]
    print("\n".join(changed) if changed else "  no figure changed", file=out)
    return 0


def _figure_texts(report: dict[str, Any]) -> dict[str, str]:
    """Each figure the user reads, by label, as the report wrote it."""
    figures = report.get("figures")
    if isinstance(figures, list):
        return {str(f.get("label")): str(f.get("text")) for f in figures}
    d = report["delivery"]  # a report from before the figures were one list
    return {"pace": _f(d["wpm"], " wpm"), "fillers": _f(d["fillers_per_min"], "/min"),
            "pauses over 1 s": str(d["long_pauses"]),
            "median onset": _f(d["onset_median_s"], " s")}


def _work_on(item: Any) -> str:
    """One "what to work on" item as a line: what, the quoted words showing it, what to try."""
    if not isinstance(item, dict):
        return str(item)
    head = next((str(item[k]) for k in ("title", "what", "text", "label") if item.get(k)), "")
    quotes: Any = next((item[k] for k in ("quotes", "quote", "evidence", "said")
                        if item.get(k)), [])
    quoted = ", ".join(f"\"{q}\"" for q in ([quotes] if isinstance(quotes, str) else quotes))
    tip = next((str(item[k]) for k in ("try", "instead", "advice", "suggestion")
                if item.get(k)), "")
    return " ".join(p for p in (head, f"(you said {quoted})" if quoted else "",
                                f"Try: {tip}" if tip else "") if p)


def report_text(report: dict[str, Any]) -> str:
    d = report["delivery"]
    lines = [f"Session {report['session']} with {report['persona']['name']} "
             f"({report['practice']}, {report['duration_s']:.0f} s)"]
    if not report.get("answers"):
        lines.append("  " + str(report.get("empty_reason") or "Nothing you said was saved in "
                                "this session, so it has no report."))
        return "\n".join(lines)
    if report["unfinished"]:
        lines.append(f"  This session did not finish normally ({report['end_reason'] or 'no end'}"
                     "); the report covers what was saved.")
    figures = report.get("figures")
    if isinstance(figures, list):
        lines += [f"  {f.get('label')}: {f.get('text')}" for f in figures]
    else:
        lines.append(f"  pace {_f(d['wpm'], ' wpm')}, fillers {_f(d['fillers_per_min'], '/min')}, "
                     f"{d['long_pauses']} pause(s) over 1 s, median onset "
                     f"{_f(d['onset_median_s'], ' s')}")
    work_on = report.get("work_on") or (report.get("content") or {}).get("work_on") or []
    if work_on:
        lines.append("  What to work on:")
        lines += [f"  {i}. {_work_on(item)}" for i, item in enumerate(work_on, start=1)]
    lines += [f"  - {n}" for n in report["notes"]]
    for c in report.get("corrections") or []:
        lines.append(f"  correction {c['index']}: answer {c['answer']} \"{c['heard']}\" → "
                     f"\"{c['said']}\"" + ("" if c.get("applied", True) else
                                            " (not made: those words are no longer there)"))
    for a in report["answers"]:
        star = a.get("star")
        if star:
            parts = " ".join(k[0].upper() if v else "·" for k, v in star["parts"].items())
            lines.append(f"  answer {a.get('number', a['turn'])}: STAR [{parts}]  "
                         f"{star['suggestion']}")
    rubric = report["content"].get("rubric")
    if rubric is not None and not rubric.get("available"):
        lines.append(f"  model rubric: {rubric.get('reason')}")
    elif rubric is not None:
        for why in rubric.get("dropped") or []:
            lines.append(f"  model rubric not shown for {why}")
        for item in rubric.get("answers") or []:
            parts = " ".join(k[0].upper() if v["present"] else "·"
                             for k, v in item["parts"].items())
            lines.append(f"  answer {item['number']}: model STAR [{parts}]  "
                         f"{item['suggestion']}")
        if rubric.get("suggestion"):
            lines.append(f"  model suggests: {rubric['suggestion']}")
    lang = report["content"].get("language")
    if lang is not None:
        if not lang.get("available"):
            lines.append(f"  language: {lang.get('reason')}")
        for c in lang.get("corrections") or []:
            lines.append(f"  you said \"{c['said']}\" → better \"{c['better']}\" ({c['why']})")
    for g in report.get("goals") or []:
        mark = {True: "met", False: "not met", None: "not measured"}[g["met"]]
        lines.append(f"  goal '{g['goal']}': {mark}")
    return "\n".join(lines)


def _history(reports: Reports, args: argparse.Namespace, out: TextIO) -> int:
    store = reports.store
    if args.add_goal:
        try:
            parse_goal(args.add_goal)
        except ValueError as exc:
            print(f"voice-rp: {exc}", file=sys.stderr)
            return 2
        goal = store.add_goal(args.add_goal)
        print(f"goal {goal.id} added: {goal.text}", file=out)
        return 0
    if args.remove_goal is not None:
        if not store.remove_goal(args.remove_goal):
            print(f"voice-rp: no goal {args.remove_goal}", file=sys.stderr)
            return 1
        print(f"goal {args.remove_goal} removed", file=out)
        return 0
    history = reports.history(args.persona)
    if args.json:
        print(json.dumps(history, ensure_ascii=False, indent=1), file=out)
        return 0
    if not history["sessions"]:
        print(f"no saved sessions in {store.location}", file=out)
        return 0
    for p in history["sessions"]:
        goals = "".join(" ✓" if g["met"] else " ✗" if g["met"] is False else ""
                        for g in p["goals"])
        print(f"{local_time(p['started'])}  {p['persona']:<24} {_f(p['wpm'], ' wpm'):>8}  "
              f"{_f(p['fillers_per_min'], ' fillers/min'):>16}  {p['words']} words{goals}",
              file=out)
    for line in history["trends"]:
        print(line, file=out)
    if len(history["personas"]) > 1:
        for persona, lines in history["personas"].items():
            print(f"{persona}: " + " ".join(lines), file=out)
    for better, n in history["recurring_corrections"]:
        print(f"Recurring: \"{better}\" was the correction in {n} sessions.", file=out)
    for g in history["goals"]:
        print(f"goal {g['id']}: {g['text']}", file=out)
    return 0


def _f(v: float | None, unit: str) -> str:
    return "-" if v is None else f"{v:.0f}{unit}" if abs(v) >= 10 else f"{v:.1f}{unit}"
