"""The voice-rp server: one port for conversations, health, metrics and the browser client.

A session lives in its websocket and the store only: any server can take any new session, so
servers behind a load balancer are interchangeable (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from server import http, personas_http
from server.admission import Admission
from server.limits import ErrorBudget, ServerLimits
from server.metrics import ServerMetrics
from server.readiness import Readiness
from server.reports_http import ReportsAPI
from server.session import ConversationFactory, Session, SessionServices
from voice_rp import protocol as proto
from voice_rp.clock import Clock, MonotonicClock
from voice_rp.errors import ModelError
from voice_rp.feedback.figures import end_summary
from voice_rp.storage import SessionStore

logger = logging.getLogger("voice_rp.server")


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765  # 0 picks a free port (tests)
    access: http.AccessPolicy = field(default_factory=http.AccessPolicy)
    limits: ServerLimits = field(default_factory=ServerLimits)
    web_dir: Path = http.WEB_DIR
    persona_dirs: tuple[Path, ...] = ()  # listed by GET /api/personas
    voice_note: personas_http.VoiceNote | None = None
    """What a practice's card says about its voice (a fallback voice, or none); blocking."""


_SECRET = re.compile(r"(?i)(token=|bearer\s+|authorization:\s*)[^\s&'\"]+")


class QuietProtocolLogger(logging.LoggerAdapter[logging.Logger]):
    """The websockets library's logger, without its frame dumps and without secrets.

    At DEBUG the library logs every request line and header (the access token, in the
    `Authorization` header or `?token=`) and every frame (what the user said and heard). Neither
    belongs in a log file: its frame debugging stays off and anything token-shaped is masked.
    """

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = f"{msg} {args!r}"
        self.logger.log(level, "%s", redact(text), **kwargs)


def redact(text: str) -> str:
    """`text` with access tokens masked (query strings, Authorization headers)."""
    return _SECRET.sub(lambda m: m.group(1) + "***", text)


class InsecureBind(ValueError):
    """Refusing to listen beyond this machine without an access token."""


class VoiceServer:
    """Serves conversations. `load` makes the conversation factory (loads models) once, at start."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        load: Callable[[], Awaitable[ConversationFactory]],
        store: SessionStore,
        clock: Clock | None = None,
        reports: ReportsAPI | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        """`readiness`: probes of the remote services this server needs (none: embedded)."""
        if not http.is_loopback(config.host) and not config.access.token:
            raise InsecureBind(
                f"refusing to listen on {config.host} without an access token: anyone who can "
                "reach this machine could talk to it. Pass --token or set VOICE_RP_TOKEN "
                "(or bind to 127.0.0.1)")
        self.config = config
        self.store = store
        self.reports = reports or ReportsAPI.for_store(store, config.access)
        self._load = load
        self._clock = clock or MonotonicClock()
        self._sessions: dict[str, Session] = {}  # every open connection, started or not
        self.admission = Admission(config.limits.max_sessions,
                                   retry_after_s=config.limits.retry_after_s,
                                   target_ms=config.limits.latency_target_ms)
        self._server: Server | None = None
        self._port: int | None = None
        self._loading: asyncio.Task[ConversationFactory] | None = None
        self._stopping = False
        self._draining = False
        self._session_left = asyncio.Event()
        self.readiness = readiness or Readiness()
        self.metrics = ServerMetrics(sessions_active=lambda: self.admission.in_use,
                                     connections_open=lambda: len(self._sessions))
        self._services = SessionServices(
            factory=self._factory, store=store, limits=config.limits, clock=self._clock,
            logger=logger, admission=self.admission, metrics=self.metrics,
            stopping=lambda: self.refusing,
            end_summary=lambda sid: end_summary(self.reports.reports.report(sid, ask_model=False)),
            session_left=self._session_left.set)
        # Refused handshakes come from anyone, on new connections each: one budget for all.
        self._refusal_log = ErrorBudget(burst=config.limits.error_burst,
                                        rate=config.limits.error_rate)

    # -- lifetime -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen at once (so /healthz can say "loading") and load the models in the background."""
        self._loading = asyncio.create_task(self._load_models())
        self._server = await serve(
            self._handle, self.config.host, self.config.port,
            process_request=self._process_request,
            max_size=self.config.limits.hard_max_message_bytes,
            compression=None,  # PCM barely compresses; deflate would cost CPU the models need
            logger=QuietProtocolLogger(logging.getLogger("voice_rp.server.websockets")),
        )
        self._port = int(self._server.sockets[0].getsockname()[1])
        logger.info("listening on %s (websocket %s)", self.url, self.ws_url)

    async def _load_models(self) -> ConversationFactory:
        try:
            factory = await self._load()
        except Exception:
            logger.exception("models could not be loaded; conversations will be refused")
            raise
        logger.info("models ready")
        return factory

    async def drain(self, timeout_s: float) -> None:
        """Stop taking sessions (readiness false, new ones refused with server_busy), let the
        running ones finish for up to `timeout_s`, then stop: the rest end with server_shutdown."""
        if not self._draining and not self._stopping:
            self._draining = True
            self.metrics.draining.set(1)
            logger.info("draining: %d session(s) may run for up to %g s",
                        self.admission.in_use, timeout_s)
            deadline = asyncio.get_running_loop().time() + timeout_s
            while self.admission.in_use:
                self._session_left.clear()
                try:
                    async with asyncio.timeout_at(deadline):
                        await self._session_left.wait()
                except TimeoutError:
                    break
        await self.stop()

    async def stop(self) -> None:
        """End every session (clients get session_end, transcripts are closed), then close."""
        if self._stopping:
            return
        self._stopping = True
        live = list(self._services.live.sessions.values())  # kept ones too
        logger.info("shutting down %d session(s)", len(live))
        sessions = live + [s for s in self._sessions.values()
                           if s.id not in self._services.live.sessions and s.resumed_as is None]
        if sessions:
            await asyncio.wait([asyncio.create_task(s.shutdown()) for s in sessions],
                               timeout=self.config.limits.close_timeout_s)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        logger.info("stopped")

    @property
    def port(self) -> int:
        assert self._port is not None, "start() first"
        return self._port

    @property
    def url(self) -> str:
        host = self.config.host if ":" not in self.config.host else f"[{self.config.host}]"
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/ws"

    @property
    def ready(self) -> bool:
        return (self._loading is not None and self._loading.done()
                and not self._loading.cancelled() and self._loading.exception() is None)

    async def wait_ready(self) -> None:
        """Wait until the models are loaded; raises whatever loading raised."""
        assert self._loading is not None, "start() first"
        await asyncio.shield(self._loading)

    # -- connections ------------------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request
                         ) -> Response | Awaitable[Response] | None:
        path = http.request_path(request)
        if not http.is_websocket(request):
            if path == "/healthz":
                return http.json_response(200 if self.ready else 503, self.health())
            if path == "/livez":  # the process answers: restarting it would not help
                return http.json_response(200, {"live": True})
            if path == "/readyz":
                return self._readyz()
            if path == "/metrics":
                body, kind = self.metrics.render()
                return http.bytes_response(200, body, kind)
            page = personas_http.handle(path, self.config.persona_dirs,
                                        token_required=bool(self.config.access.token),
                                        web_dir=self.config.web_dir,
                                        voice_note=self.config.voice_note)
            if page is not None:
                return page
            if self.reports.handles(path):  # the rest of /api/
                return self.reports.respond(request)  # websockets awaits it
            return http.static_response(path, self.config.web_dir)
        if path not in http.WEBSOCKET_PATHS:
            return http.json_response(404, {"error": {"code": "not_found", "message":
                                                      "conversations are served at /ws"}})
        if self.refusing:
            # Refused before the upgrade, so a load balancer passes the user to another server
            # (nginx: proxy_next_upstream http_503); a direct client reads the same error.
            self.metrics.refused("draining")
            self.metrics.error(proto.SERVER_BUSY)
            return http.busy_response("the server is shutting down",
                                      self.config.limits.retry_after_s)
        rejection = self.config.access.check(request)
        if rejection is not None:
            if self._refusal_log.allow(self._clock.now()):
                left_out = self._refusal_log.take_suppressed()
                logger.warning("refused a connection from %s: %s%s", connection.remote_address,
                               rejection.code, f" ({left_out} more not logged)" if left_out else "")
            return http.rejection_response(rejection)
        return None

    @property
    def refusing(self) -> bool:
        """Draining or stopping: no new sessions."""
        return self._draining or self._stopping

    async def _readyz(self) -> Response:
        """Ready: models loaded, not draining, and every remote service answers."""
        problems = await self.readiness.problems()
        if not self.ready:
            problems["models"] = str(self.health()["error"] or "loading")
        if self.refusing:
            problems["server"] = "draining" if not self._stopping else "stopping"
        return http.json_response(503 if problems else 200,
                                  {"ready": not problems, "problems": problems,
                                   "sessions": self.admission.in_use,
                                   "max_sessions": self.admission.capacity})

    def health(self) -> dict[str, object]:
        error = None
        if self._loading is not None and self._loading.done() and not self._loading.cancelled():
            exc = self._loading.exception()
            error = None if exc is None else str(exc)
        return {"ready": self.ready, "loading": not self.ready and error is None,
                "error": error, "protocol": proto.PROTOCOL, "sessions": self.admission.in_use,
                "max_sessions": self.admission.capacity, "connections": len(self._sessions),
                "draining": self.refusing}

    async def _handle(self, ws: ServerConnection) -> None:
        limits = self.config.limits
        if self.refusing or len(self._sessions) >= limits.max_connections:
            why = ("shutting down" if self.refusing
                   else f"already {len(self._sessions)} open connections")
            self.metrics.refused("draining" if self.refusing else "connections")
            self.metrics.error(proto.SERVER_BUSY)
            await ws.send(proto.encode(proto.ErrorMessage(
                proto.SERVER_BUSY, f"the server is busy ({why}); try again later", fatal=True,
                retry_after_s=limits.retry_after_s)))
            await ws.close(1013, "try again later")
            return
        session = Session(ws, self.store.new_id(), self._services)
        self._sessions[session.id] = session
        session.log.info("connected from %s", ws.remote_address)
        try:
            await session.serve()
        finally:
            del self._sessions[session.id]
            if session.id not in self._services.live.sessions:  # not kept for a resume
                self.admission.release(session.id)
                self._session_left.set()

    async def _factory(self) -> ConversationFactory:
        """The conversation factory, waiting for models still loading."""
        assert self._loading is not None
        try:
            async with asyncio.timeout(self.config.limits.model_wait_s):
                return await asyncio.shield(self._loading)
        except TimeoutError:
            raise ModelError("the models are still loading; try again in a moment") from None
        except Exception as exc:
            raise ModelError(f"the models could not be loaded: {exc}") from exc
