"""`python -m client sessions list|show ID|progress|delete ID|export`: saved sessions.

Exit codes: 0 success, 1 no such session, 2 bad command line.
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
from client.report import main as report_main
from voice_rp.storage import SessionNotFound, TranscriptStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m client sessions",
        description="List and read back saved conversations (the server's transcripts).")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the server's data directory (default: $VOICE_RP_DATA_DIR or "
                             "~/.local/share/voice-rp)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="one line per saved session, oldest first")
    progress = sub.add_parser("progress", help="pace and fillers across your sessions")
    progress.add_argument("--persona", default=None, help="only sessions with this persona")
    delete = sub.add_parser("delete", help="delete one session, or all of them")
    delete.add_argument("session", metavar="ID", nargs="?")
    delete.add_argument("--all", action="store_true", help="delete every saved session")
    export = sub.add_parser("export", help="all sessions (or the ones named) and goals as JSON")
    export.add_argument("sessions", metavar="ID", nargs="*")
    export.add_argument("-o", "--output", type=Path, help="write to this file (default: stdout)")
    show = sub.add_parser("show", help="print one session's transcript")
    show.add_argument("session", metavar="ID")
    show.add_argument("--json", action="store_true", help="print the raw JSONL records")
    return parser


def main(argv: list[str], *, environ: Mapping[str, str] | None = None,
         out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    environ = os.environ if environ is None else environ
    store = TranscriptStore(args.data_dir or default_data_dir(environ))
    if args.command == "list":
        sessions = store.list_sessions()
        if not sessions:
            print(f"no saved sessions in {store.data_dir}", file=out)
        for s in sessions:
            state = f"ended: {s.end_reason}" if s.ended else "not ended (dropped or in progress)"
            print(f"{s.id}  {local_time(s.started)}  {s.persona}  {s.user_turns} turn(s), "
                  f"{s.replies} repl{'y' if s.replies == 1 else 'ies'}  {state}", file=out)
        return 0
    if args.command == "progress":
        data_dir = ["--data-dir", str(store.data_dir)]
        persona = ["--persona", args.persona] if args.persona else []
        return report_main([*data_dir, "history", *persona], environ=environ, out=out)
    if args.command == "delete":
        return _delete(store, args, out)
    if args.command == "export":
        try:
            data = store.export(args.sessions or None)
        except SessionNotFound as exc:
            print(f"voice-rp: {exc}", file=sys.stderr)
            return 1
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if args.output:
            write_private(args.output, text)
            print(f"{len(data['sessions'])} session(s) written to {args.output}", file=out)
        else:
            print(text, file=out)
        return 0
    try:
        records = store.read_session(args.session)
    except SessionNotFound as exc:
        print(f"voice-rp: {exc}", file=sys.stderr)
        return 1
    for record in records:
        if args.json:
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            line = render(record)
            if line:
                print(line, file=out)
    return 0


def _delete(store: TranscriptStore, args: argparse.Namespace, out: TextIO) -> int:
    if args.all == bool(args.session):
        print("voice-rp: name one session ID to delete, or --all", file=sys.stderr)
        return 2
    if args.all:
        print(f"deleted {store.delete_all()} session(s)", file=out)
        return 0
    try:
        store.delete_session(args.session)
    except SessionNotFound as exc:
        print(f"voice-rp: {exc}", file=sys.stderr)
        return 1
    print(f"deleted session {args.session}", file=out)
    return 0


def render(record: dict[str, Any]) -> str:
    """One transcript record as a line a person reads; "" for records with nothing to show."""
    kind, when = record.get("kind"), local_time(float(record.get("t", 0)), clock_only=True)
    if kind == "session_start":
        return f"{when}  session {record.get('session')} with {record.get('persona')}"
    if kind == "user":
        return f"{when}  you: {record.get('text')}"
    if kind == "reply":
        cut = "  [interrupted]" if record.get("interrupted") else ""
        return f"{when}  {record.get('speaker')}: {record.get('text')}{cut}"
    if kind == "metrics":
        response = (record.get("stages") or {}).get("response_ms")
        return "" if response is None else f"{when}  (reply began after {response:.0f} ms)"
    if kind == "error":
        return f"{when}  error {record.get('code')}: {record.get('message')}"
    if kind == "session_end":
        return f"{when}  session ended: {record.get('reason')}"
    return ""
