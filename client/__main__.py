"""`python -m client`: talk to a voice-rp server with a microphone, or with WAV files.

    python -m client --persona behavioural-interviewer                  # microphone + speaker
    python -m client --persona behavioural-interviewer --input me.wav --output them.wav
    python -m client sessions list | sessions show ID                   # saved transcripts
    python -m client personas list | show NAME | validate FILE          # personas
    python -m client report SESSION [--html FILE] [--json] | history    # feedback and progress

Exit codes: 0 the conversation ran and ended, 1 it failed (server refused, error, no answer),
2 bad command line or no audio device.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from client.playback import Recorder, SimulatedPlayer
from client.session import ClientError, ClientSession, Player
from voice_rp.clock import MonotonicClock

DEFAULT_SERVER = "ws://127.0.0.1:8765/ws"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m client",
        description="Talk with a voice-rp persona. Other commands: 'python -m client sessions "
                    "...' (saved transcripts), 'python -m client personas ...'.")
    p.add_argument("--server", default=DEFAULT_SERVER,
                   help=f"server URL (default {DEFAULT_SERVER})")
    p.add_argument("--persona", required=True, help="persona name, e.g. behavioural-interviewer")
    p.add_argument("--token", default=None, help="access token (default: $VOICE_RP_TOKEN)")
    p.add_argument("--input", type=Path, action="append", default=[], metavar="FILE.wav",
                   help="say this WAV instead of using the microphone; repeat for more turns")
    p.add_argument("--fast", action="store_true",
                   help="send --input audio as fast as the server allows, not at real-time pace")
    p.add_argument("--output", type=Path, default=None, metavar="FILE.wav",
                   help="record everything the persona says into this WAV")
    p.add_argument("--events", action="store_true",
                   help="print every server message as one JSON line on stdout")
    p.add_argument("--difficulty", choices=["friendly", "neutral", "tough"], default=None)
    p.add_argument("--locale", default=_user_locale(), metavar="TAG",
                   help="your locale, e.g. en-GB: which crisis lines the persona offers if you "
                        "are in distress (default: from LANG)")
    p.add_argument("--no-opening-line", action="store_true",
                   help="the persona does not speak first")
    p.add_argument("--keep-fillers", action="store_true",
                   help="ask speech recognition to keep 'um' and 'uh' (for feedback on them)")
    p.add_argument("--tail-silence", type=float, default=2.0, metavar="SECONDS",
                   help="silence sent after each --input file to end the turn (default 2)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                   help="give up waiting for an answer after this long (default 120)")
    return p.parse_args(argv)


def _user_locale() -> str:
    """en_GB.UTF-8 in LANG as en-GB; "" when unset or the C locale."""
    lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    tag = lang.split(".")[0].split("@")[0].replace("_", "-")
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", tag) else ""


def websocket_url(server: str, token: str | None = None) -> str:
    """ws[s]://host:port/ws from what a user types: http URLs and bare host:port work too."""
    if "://" not in server:
        server = "ws://" + server
    parts = urlsplit(server)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path if parts.path not in ("", "/") else "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def start_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.difficulty:
        options["difficulty"] = args.difficulty
    if args.no_opening_line:
        options["opening_line"] = False
    if args.keep_fillers:
        options["keep_fillers"] = True
    if args.locale:
        options["locale"] = args.locale
    return options


async def converse(args: argparse.Namespace, token: str | None) -> int:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI

    from client.devices import NoAudioDevice, check_devices

    sd = None
    if not args.input:
        try:
            sd = check_devices()
        except NoAudioDevice as exc:
            print(f"voice-rp: {exc}", file=sys.stderr)
            return 2
    for path in args.input:
        if not path.is_file():
            print(f"voice-rp: no such file: {path}", file=sys.stderr)
            return 2
    url = websocket_url(args.server)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        async with connect(url, additional_headers=headers, max_size=16 * 2**20,
                           compression=None, open_timeout=15) as ws:
            return await _talk(ws, args, sd, url, headers)
    except InvalidStatus as exc:
        print(f"voice-rp: the server refused the connection: {_refusal(exc)}", file=sys.stderr)
    except (OSError, InvalidURI, InvalidHandshake, TimeoutError) as exc:
        print(f"voice-rp: cannot connect to {url}: {exc}", file=sys.stderr)
    return 1


async def _talk(ws: Any, args: argparse.Namespace, sd: Any, url: str,
                headers: dict[str, str] | None) -> int:
    from websockets.exceptions import ConnectionClosed

    clock = MonotonicClock()
    recorder = Recorder() if args.output else None
    player: Player
    speaker = None
    if sd is None:
        player = SimulatedPlayer(clock)
    else:
        from client.devices import Speaker

        player = speaker = Speaker(sd)
    session = ClientSession(ws, player=player, clock=clock, recorder=recorder,
                            events_out=sys.stdout if args.events else None,
                            human_out=sys.stderr if args.events else sys.stdout)
    receiver = asyncio.create_task(session.receive())
    reporter = asyncio.create_task(session.report_played())
    code = 0
    try:
        await session.start(args.persona, start_options(args))
        if args.input:
            await session.talk_files(args.input, fast=args.fast, tail_silence_s=args.tail_silence,
                                     reply_timeout_s=args.timeout)
        else:
            await _talk_mic(session, sd, reconnect=lambda: _connect(url, headers))
        await session.end()
        if session.view.fatal:
            code = 1
    except ClientError as exc:
        print(f"voice-rp: {exc}", file=sys.stderr)
        code = 1
    except ConnectionClosed as exc:
        fatal = session.view.fatal
        why = (f"{fatal.code}: {fatal.message}" if fatal
               else f"close code {exc.rcvd.code if exc.rcvd else 'none'}")
        print(f"voice-rp: the server closed the connection ({why})", file=sys.stderr)
        code = 1
    finally:
        reporter.cancel()
        await ws.close()
        await session.ws.close()  # a connection the session was resumed on
        await asyncio.gather(receiver, reporter, return_exceptions=True)
        if speaker is not None:
            speaker.close()
        if recorder is not None:
            args.output.write_bytes(recorder.wav())
            print(f"voice-rp: wrote {recorder.duration_s:.1f} s of the persona's speech to "
                  f"{args.output}", file=sys.stderr)
    return code


async def _talk_mic(session: ClientSession, sd: Any,
                    reconnect: Callable[[], Awaitable[Any]]) -> None:
    from websockets.exceptions import ConnectionClosed

    from client.devices import Microphone

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print("voice-rp: listening; use headphones so the persona does not hear itself. "
          "Ctrl-C ends the session.", file=sys.stderr)
    try:
        with Microphone(sd, loop) as mic:
            while True:
                with contextlib.suppress(ConnectionClosed):
                    await session.talk_mic(mic.frames, stop)
                if stop.is_set() or session.view.ended is not None or \
                        not await _resume(session, reconnect):
                    return
    finally:
        loop.remove_signal_handler(signal.SIGINT)


async def _resume(session: ClientSession, reconnect: Callable[[], Awaitable[Any]]) -> bool:
    """The connection dropped mid-session: continue the session on a new one while the server
    keeps it (its resume grace period), trying again with growing waits."""
    ready = session.view.ready
    grace = ready.resume_grace_s if ready is not None else 0.0
    if grace <= 0 or session.view.fatal is not None:
        return False
    print("voice-rp: the connection dropped; reconnecting...", file=sys.stderr)
    deadline, wait = asyncio.get_running_loop().time() + grace, 0.5
    while asyncio.get_running_loop().time() + wait < deadline:
        await asyncio.sleep(wait)
        try:
            await session.resume(await reconnect())
            return True
        except ClientError as exc:
            print(f"voice-rp: {exc}", file=sys.stderr)
            return False
        except (OSError, TimeoutError) as exc:
            print(f"voice-rp: still reconnecting ({exc})", file=sys.stderr)
        wait = min(wait * 2, 8.0)
    print("voice-rp: could not reconnect in time; the session has ended (what you said is "
          "saved)", file=sys.stderr)
    return False


async def _connect(url: str, headers: dict[str, str] | None) -> Any:
    from websockets.asyncio.client import connect

    return await connect(url, additional_headers=headers, max_size=16 * 2**20,
                         compression=None, open_timeout=15)


def _refusal(exc: Any) -> str:
    response = exc.response
    with contextlib.suppress(ValueError, AttributeError, KeyError, TypeError):
        error = json.loads(response.body)["error"]
        return f"{error['code']}: {error['message']}"
    return f"HTTP {response.status_code}"


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    if argv and argv[0] == "sessions":
        from client.sessions_cli import main as sessions_main

        return sessions_main(argv[1:], environ=environ)
    if argv and argv[0] in ("report", "history"):
        from client.report import main as report_main

        return report_main(argv, environ=environ)
    if argv and argv[0] == "personas":
        from client.personas_cli import main as personas_main

        return personas_main(argv[1:], environ=environ)
    try:
        args = parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    token = args.token or environ.get("VOICE_RP_TOKEN", "").strip() or None
    try:
        return asyncio.run(converse(args, token))
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    sys.exit(main())
