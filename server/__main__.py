"""`python -m server`: serve voice-rp conversations over websockets (see docs/protocol.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from server import capacity, personas_http
from server.admission import default_capacity
from server.app import InsecureBind, ServerConfig, VoiceServer
from server.http import AccessPolicy
from server.limits import ServerLimits
from voice_rp.errors import VoiceRPError

log = logging.getLogger("voice_rp.server")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m server",
        description="Serve voice-rp conversations over websockets, the browser client at / and "
                    "GET /healthz on the same port.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other needs --token)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")
    p.add_argument("--token", default=None,
                   help="access token clients must send (default: $VOICE_RP_TOKEN)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="also accept browser pages from ORIGIN, e.g. https://example.org "
                        "(repeatable; '*' allows any); same-origin and localhost pages always work")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also accept this Host name on a server without a token, e.g. a name "
                        "in /etc/hosts for this machine (repeatable; '*' allows any). Without "
                        "it only localhost / loopback addresses work, which stops DNS rebinding")
    p.add_argument("--max-sessions", type=int, default=None,
                   help="concurrent conversations (default: what scripts/bench_load.py "
                        "--write-capacity measured this machine serves at the latency target, "
                        "read from $VOICE_RP_CAPACITY_FILE or DATA_DIR/capacity.json; without a "
                        "measurement one per CPU core with the embedded chat model, 4 with a "
                        "remote endpoint)")
    p.add_argument("--latency-target-ms", type=float, default=None, metavar="MS",
                   help="refuse new sessions (server_busy) while the p95 response latency of "
                        "recent turns is above MS (default: the measured capacity's target, "
                        "else twice the p95 the server sees while one session runs alone)")
    p.add_argument("--drain-s", type=float, default=None, metavar="S",
                   help="on SIGTERM, take no new sessions and let running ones go on for up to S "
                        "seconds before ending them with server_shutdown (default: "
                        "$VOICE_RP_DRAIN_S or 10). SIGINT (Ctrl-C) ends them at once")
    p.add_argument("--resume-grace", type=float, default=None, metavar="S", dest="resume_grace_s",
                   help="keep a session whose connection drops (a reload, a lost network) S "
                        "seconds for the page to resume it (default: $VOICE_RP_RESUME_GRACE_S "
                        "or 60; 0: end it at once)")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="where transcripts are saved (default: $VOICE_RP_DATA_DIR or "
                        "~/.local/share/voice-rp)")
    p.add_argument("--personas", type=Path, action="append", default=[], metavar="DIR",
                   help="extra persona directory (repeatable)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p.parse_args(argv)


def build_server(args: argparse.Namespace, environ: Mapping[str, str]) -> VoiceServer:
    """The server the command line and environment describe (models load on start())."""
    from server.readiness import Readiness, probes_from_env
    from server.reports_http import ReportsAPI
    from server.wiring import ModelConversations, corrected_terms_in, past_pauses_in
    from voice_rp.config import Settings
    from voice_rp.feedback.language import FeedbackSettings
    from voice_rp.personas import builtin_dirs, user_persona_dir
    from voice_rp.stores import open_store

    settings = Settings.from_env(environ)
    token = args.token or environ.get("VOICE_RP_TOKEN", "").strip() or None
    persona_dirs = [*builtin_dirs(user_persona_dir(environ)), *args.personas]
    data_dir = args.data_dir or settings.data_dir
    max_sessions, target_ms = args.max_sessions, args.latency_target_ms
    if max_sessions is None:
        measured = _measured_capacity(environ, data_dir, embedded_llm=settings.embedded_llm)
        if measured is not None:
            max_sessions = measured.sessions
            target_ms = target_ms if target_ms is not None else measured.target_p95_ms
    config = ServerConfig(
        host=args.host, port=args.port,
        access=AccessPolicy(token=token, allowed_origins=frozenset(args.allow_origin),
                            allowed_hosts=frozenset(h.lower() for h in args.allow_host)),
        limits=ServerLimits(max_sessions=max_sessions or default_capacity(
                                os.cpu_count() or 1, embedded_llm=settings.embedded_llm),
                            latency_target_ms=target_ms,
                            drain_s=_seconds(args, environ, "drain_s", "drain time"),
                            resume_grace_s=_seconds(args, environ, "resume_grace_s",
                                                    "resume grace period")),
        persona_dirs=tuple(persona_dirs),
        voice_note=_voice_note(settings),
    )
    store = open_store(data_dir, settings.database_url)
    reports = ReportsAPI.for_store(store, config.access, persona_dirs=persona_dirs,
                                   settings=FeedbackSettings.from_env(environ))
    # A remote endpoint's URL names the service readiness must probe; embedded models need none.
    probe_env = {k: v for k, v in environ.items() if k != "OPENAI_BASE_URL"
                 or not settings.embedded_llm}
    return VoiceServer(config, store=store, reports=reports,
                       readiness=Readiness(probes_from_env(probe_env)),
                       load=lambda: ModelConversations.load(
                           settings, persona_dirs, past=past_pauses_in(store),
                           terms=corrected_terms_in(store)))


def _voice_note(settings: Any) -> personas_http.VoiceNote | None:
    """The gallery's word on each practice's voice, from the voices its sessions would use
    (none to say with a remote speech service: it speaks whatever it speaks)."""
    if settings.tts_service is not None:
        return None
    from voice_rp.tts import VoiceCatalog
    from voice_rp.tts_espeak import VoicesWithFallback

    voices = VoicesWithFallback(VoiceCatalog(settings.voices_dirs))
    return lambda persona: personas_http.persona_voice_note(persona, voices)


def _measured_capacity(environ: Mapping[str, str], data_dir: Path, *, embedded_llm: bool
                       ) -> capacity.MeasuredCapacity | None:
    """What scripts/bench_load.py measured this machine serves, if it measured this machine."""
    path = capacity.capacity_file(environ, data_dir)
    measured, why = capacity.for_this_server(path, chat="embedded" if embedded_llm else "remote")
    # A file that is there but does not apply is worth a warning; no file at all is not.
    log.log(logging.WARNING if measured is None and path.exists() else logging.INFO, why)
    return measured


def _seconds(args: argparse.Namespace, environ: Mapping[str, str], name: str, what: str
             ) -> float:
    """A time setting: its option, else $VOICE_RP_<NAME>, else ServerLimits' default."""
    # Callers that build the namespace themselves (tests, launchers) may leave it out.
    given = getattr(args, name, None)
    variable = f"VOICE_RP_{name.upper()}"
    if given is not None:
        value = float(given)
    else:
        raw = environ.get(variable, "").strip()
        try:
            value = float(raw) if raw else float(getattr(ServerLimits, name))
        except ValueError:
            raise VoiceRPError(f"{variable} must be a number of seconds, got {raw!r}") from None
    if not 0 <= value <= 86_400:
        raise VoiceRPError(f"the {what} must be 0 to 86400 seconds, got {value:g}")
    return value


async def serve_until_signalled(server: VoiceServer) -> None:
    drain, stop = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGTERM (an orchestrator, scripts/cluster) drains; SIGINT (Ctrl-C) or a second signal
    # during the drain ends the sessions at once.
    handlers = {signal.SIGTERM: lambda: (stop if drain.is_set() else drain).set(),
                signal.SIGINT: stop.set}
    for sig, handler in handlers.items():
        # Not available on Windows: there Ctrl-C ends the process without the clean shutdown.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, handler)
    await server.start()
    print(f"voice-rp server on {server.url} (websocket {server.ws_url}); "
          f"browser client at {server.url}/ ; loading models...", file=sys.stderr, flush=True)
    waits = [asyncio.create_task(e.wait()) for e in (drain, stop)]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    if stop.is_set():
        await server.stop()
    else:
        draining = asyncio.create_task(server.drain(server.config.limits.drain_s))
        await asyncio.wait([draining, waits[1]], return_when=asyncio.FIRST_COMPLETED)
        if not draining.done():
            await server.stop()  # ends the sessions now; the drain then returns at once
        await draining
    for task in waits:
        task.cancel()
    # Saves what waits for the database (PostgreSQL), then closes its connections.
    await asyncio.to_thread(server.store.close)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = parse_args(argv)
    environ = os.environ if environ is None else environ
    logging.basicConfig(level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.log_level != "DEBUG":
        # It logs every HTTP request (each /healthz poll); our own log says what matters.
        logging.getLogger("voice_rp.server.websockets").setLevel(logging.WARNING)
    # Libraries below us (httpx, openai) log request lines and headers at DEBUG: an endpoint's
    # API key or a URL with credentials. They stay at INFO whatever our level.
    for name in ("httpx", "httpcore", "openai"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
    try:
        server = build_server(args, environ)
    except (InsecureBind, VoiceRPError) as exc:
        print(f"voice-rp server: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve_until_signalled(server))
    except OSError as exc:
        print(f"voice-rp server: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
