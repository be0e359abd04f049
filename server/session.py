"""One client connection: protocol checks in, conversation events out, transcript saved on the way.

A session owns three tasks: the receive loop (this coroutine), the conversation's `run()` and the
forwarder that turns conversation events into wire messages. Anything that goes wrong here is
answered on this connection only; other sessions never notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from server import resume
from server.admission import Admission
from server.limits import ErrorBudget, ServerLimits
from server.metrics import ServerMetrics
from voice_rp import events as ev
from voice_rp import protocol as proto
from voice_rp import protocol_in as proto_in
from voice_rp.audio import FRAME_BYTES, FRAME_MS
from voice_rp.clock import Clock
from voice_rp.errors import VoiceRPError
from voice_rp.frame_rate import FrameRateLimiter
from voice_rp.storage import SaveDelayed, SessionStore, SessionWriter


class ConversationLike(Protocol):
    """What a session needs of voice_rp.conversation.Conversation (a fake in tests)."""

    async def run(self) -> None: ...
    def push_audio(self, frame: bytes) -> None: ...
    def played(self, turn: int, played_ms: float) -> None: ...
    def events(self) -> AsyncIterator[ev.Event]: ...
    async def close(self, reason: str = "closed") -> None: ...


@dataclass(frozen=True)
class Opened:
    """A conversation ready to run and what the client is told about it."""

    conversation: ConversationLike
    persona: dict[str, Any] = field(default_factory=dict)


class ConversationFactory(Protocol):
    """Creates conversations on loaded models; raises VoiceRPError (with a code) if it cannot."""

    def open(self, persona: str, options: dict[str, Any]) -> Awaitable[Opened]: ...


class SessionLogger(logging.LoggerAdapter[logging.Logger]):
    """Prefixes every line with the session id, so one conversation's log can be followed."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        session = (self.extra or {}).get("session", "?")
        return "[session " + str(session) + "] " + str(msg), kwargs


@dataclass(frozen=True)
class SessionServices:
    """What the server lends every session it runs: the same objects for all of them."""

    factory: Callable[[], Awaitable[ConversationFactory]]  # waits for models still loading
    store: SessionStore
    limits: ServerLimits
    clock: Clock
    logger: logging.Logger
    admission: Admission
    metrics: ServerMetrics
    stopping: Callable[[], bool] = lambda: False  # the server is draining: admit no one
    end_summary: Callable[[str], dict[str, Any]] | None = None
    """A saved session's end-screen figures, from its records (voice_rp.feedback.figures):
    the same computation the report and history use. Blocking: run in a worker thread."""
    live: resume.LiveSessions = field(default_factory=lambda: resume.LiveSessions())
    """Started sessions, connected or kept for a resume after their connection dropped."""
    session_left: Callable[[], None] = lambda: None  # a session ended: the server may drain


class Session:
    def __init__(self, ws: ServerConnection, session_id: str, server: SessionServices) -> None:
        self.ws = ws
        self.id = session_id
        self._server = server
        limits = server.limits
        self.log = SessionLogger(server.logger, {"session": session_id})
        self._limiter = FrameRateLimiter(
            rate=limits.audio_rate, burst_ms=limits.audio_burst_ms,
            error_interval_s=limits.error_interval_s)
        self._conv: ConversationLike | None = None
        self._transcript: SessionWriter | None = None
        self._save_delayed = False  # the user has been told saving waits for the database
        self._run_task: asyncio.Task[None] | None = None
        self._forward_task: asyncio.Task[None] | None = None
        self._errors = ErrorBudget(burst=limits.error_burst, rate=limits.error_rate)
        self._drop_report: asyncio.Task[None] | None = None
        # Absolute: a connection that keeps sending junk must not keep itself alive.
        self._start_deadline = asyncio.get_running_loop().time() + limits.start_timeout_s
        self._close_code = 1000
        self._ending = False
        self._finished = False
        self.token: str | None = None  # set at start: what a client resumes this session with
        self._opened: Opened | None = None
        self._state = "listening"
        self.resumed_as: Session | None = None
        self._grace: asyncio.Task[None] | None = None  # kept after a drop, ending at its end

    # -- lifetime -----------------------------------------------------------------------------

    async def serve(self) -> None:
        """Serve the connection until the client leaves, the scenario ends or the server stops.
        A started session whose connection drops is kept for a resume (see server.resume)."""
        reason = await self._serve(self.ws)
        if reason is None:
            return  # kept for a resume, taken over by another connection, or moved here
        await self._finish(reason)

    async def _serve(self, ws: ServerConnection) -> str | None:
        """One connection's receive loop; the reason to end the session, or None if the
        session goes on without this connection."""
        reason = "disconnected"
        kept = True  # a dropped connection; one closed normally (1000) ends the session
        try:
            reason = await self._receive_loop(ws)
        except ConnectionClosed as exc:
            self.log.info("connection closed (%s)", exc.rcvd.code if exc.rcvd else "no close frame")
            kept = exc.rcvd is None or exc.rcvd.code != 1000
        except Exception as exc:  # one broken session must not take the server down
            self.log.exception("session failed")
            self._close_code = 1011
            await self._send(proto.ErrorMessage(proto.INTERNAL_ERROR,
                                                f"internal error: {type(exc).__name__}",
                                                fatal=True))
            reason = "error"
        if reason == "resumed" or ws is not self.ws:
            return None  # this connection took over another session, or was taken over
        if reason == "disconnected" and kept and self._keeps_after_drop():
            self._keep_for_resume()
            return None
        return reason

    def _keeps_after_drop(self) -> bool:
        return (self._conv is not None and not self._ending and not self._server.stopping()
                and self._server.limits.resume_grace_s > 0)

    def _keep_for_resume(self) -> None:
        """The connection dropped mid-session: finish the turn the user was in (what they said
        is transcribed and saved) and wait for them to come back."""
        assert self._conv is not None
        grace = self._server.limits.resume_grace_s
        self.log.info("connection lost; keeping the session %g s for a resume", grace)
        silence = bytes(FRAME_BYTES)
        for _ in range(round(resume.DRAIN_TURN_S * 1000 / FRAME_MS)):
            self._conv.push_audio(silence)
        self._grace = asyncio.create_task(self._end_after(grace))

    async def _end_after(self, grace_s: float) -> None:
        await asyncio.sleep(grace_s)
        self._grace = None
        self.log.info("not resumed within %g s", grace_s)
        await self._finish("disconnected")

    async def take_over(self, ws: ServerConnection, request: proto.Resume) -> None:
        """Go on with this session on `ws` (a `resume` with the right token): the old
        connection, if still open, is told and closed; the client gets what was said so far."""
        assert self._opened is not None
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        old = self.ws
        if old.state.name == "OPEN":
            self.log.info("continued on another connection; closing the old one")
            with contextlib.suppress(ConnectionClosed):
                await old.send(proto.encode(proto.ErrorMessage(
                    proto.SESSION_MOVED, "This session continued in another tab or window.",
                    fatal=True)))
                await old.close(proto.CLOSE_CODES["moved"], "session moved")
        records = await asyncio.to_thread(self._server.store.read_session, self.id)
        self.token = resume.new_token()
        self.log.info("resumed from %s", ws.remote_address)
        self.ws = ws  # from here on, what the conversation says goes to the new connection,
        await self._send(proto.Resumed(  # after this, the first message it gets
            session=self.id, persona=self._opened.persona, limits=self._limits(),
            resume_token=self.token, resume_grace_s=self._server.limits.resume_grace_s,
            transcript=resume.transcript_lines(records), state=self._state))
        await self.serve()

    async def shutdown(self, reason: str = "server_shutdown") -> None:
        """Server stopping: end the conversation so the client gets session_end, then close."""
        self._close_code = 1001
        if self._conv is None:
            await self.ws.close(1001, "server shutting down")
            return
        await self._close_conversation(reason)
        if self._forward_task is not None:
            # session_end must be on the wire before the server closes the connection.
            await asyncio.wait([self._forward_task], timeout=self._server.limits.close_timeout_s)
        if self._grace is not None:  # kept for a resume: nobody will serve it now
            self._grace.cancel()
            await self._finish(reason)

    async def _finish(self, reason: str) -> None:
        if self._finished:
            return
        self._finished = True
        if self._grace is not None and self._grace is not asyncio.current_task():
            self._grace.cancel()
        await self._close_conversation(reason)
        if self._forward_task is not None:
            try:
                await asyncio.wait_for(self._forward_task, self._server.limits.close_timeout_s)
            except TimeoutError:
                self.log.warning("conversation did not report its end in time")
        for task in (self._run_task, self._forward_task, self._drop_report):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._transcript is not None and not self._transcript.closed:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(self._transcript.end, reason)
        self._server.live.ended(self)
        self._server.admission.release(self.id)
        self._server.session_left()
        await self.ws.close(self._close_code)

    async def _close_conversation(self, reason: str) -> None:
        if self._conv is None or self._ending:
            return
        self._ending = True
        try:
            await asyncio.wait_for(self._conv.close(reason), self._server.limits.close_timeout_s)
        except TimeoutError:
            self.log.warning("conversation took too long to close")
        except Exception:
            self.log.exception("conversation failed while closing")

    # -- client → server ------------------------------------------------------------------------

    async def _receive_loop(self, ws: ServerConnection) -> str:
        while True:
            if self._conv is None:
                try:
                    async with asyncio.timeout_at(self._start_deadline):
                        message = await ws.recv()
                except TimeoutError:
                    await self._error(proto.NOT_STARTED, "no session started within "
                                      f"{self._server.limits.start_timeout_s:g} s of connecting",
                                      fatal=True)
                    return "no_start"
            else:
                message = await ws.recv()
            if ws is not self.ws:
                return "moved"  # another connection took this session over
            size = len(message) if isinstance(message, bytes) else len(message.encode())
            if size > self._server.limits.max_message_bytes:
                await self._error(proto.MESSAGE_TOO_LARGE, f"message of {size} bytes; "
                                  f"the limit is {self._server.limits.max_message_bytes}")
                continue
            if isinstance(message, bytes):
                await self._on_audio(message)
                continue
            try:
                parsed = proto_in.decode_client(message)
            except proto.ProtocolError as exc:
                await self._error(exc.code, str(exc), fatal=exc.fatal)
                if exc.fatal:
                    return "protocol_error"
                continue
            if isinstance(parsed, proto.End):
                return "client_end"
            if isinstance(parsed, proto.Resume):
                if self._conv is not None:
                    await self._error(proto.ALREADY_STARTED, "this connection already has a "
                                      "session")
                    continue
                return await self._resume(ws, parsed)
            if isinstance(parsed, proto.Start):
                if not await self._start(parsed) and self._close_code != 1000:
                    return "busy" if self._close_code == 1013 else "error"
            elif self._conv is None:
                await self._error(proto.NOT_STARTED, "send start before played")
            else:
                self._conv.played(parsed.turn, parsed.ms)

    async def _resume(self, ws: ServerConnection, request: proto.Resume) -> str:
        """This new connection asks to continue a kept session: hand it over, or refuse."""
        live = self._server.live
        target = live.sessions.get(request.session)
        if target is None or target._finished or target._ending or \
                not resume.token_matches(target.token, request.token):
            why = "ended" if live.ended_with(request.session, request.token) else "unknown"
            self._server.metrics.refused("resume")
            await self._error(proto.RESUME_FAILED, resume.refusal(why), fatal=True)
            return "resume_refused"
        self.resumed_as = target  # this connection now serves that session
        await target.take_over(ws, request)
        return "resumed"

    async def _on_audio(self, frame: bytes) -> None:
        if self._conv is None:
            await self._error(proto.NOT_STARTED, "audio before start: send a start message first")
            return
        try:
            proto_in.check_frame(frame)
        except proto.ProtocolError as exc:
            await self._error(exc.code, str(exc))
            return
        now = self._server.clock.now()
        if self._limiter.allow(now):
            self._conv.push_audio(frame)
            return
        dropped = self._limiter.report_due(now)
        if dropped:
            await self._report_dropped(dropped)
        if self._limiter.unreported and self._drop_report is None:
            # A flood that stops within the report interval must still be counted in full.
            self._drop_report = asyncio.create_task(self._report_dropped_later())

    async def _report_dropped_later(self) -> None:
        await asyncio.sleep(self._server.limits.error_interval_s)
        self._drop_report = None
        dropped = self._limiter.take_dropped(self._server.clock.now())
        if dropped:
            await self._report_dropped(dropped)

    async def _report_dropped(self, dropped: int) -> None:
        rate = self._server.limits.audio_rate
        await self._error(proto.FRAME_RATE_EXCEEDED,
                          f"audio arrives faster than {rate:g}x real time; "
                          f"dropped {dropped} frame(s): send 20 ms frames at real-time pace")

    async def _start(self, start: proto.Start) -> bool:
        if self._conv is not None:
            await self._error(proto.ALREADY_STARTED, "this connection already has a session")
            return False
        server, admission = self._server, self._server.admission
        if server.stopping() or not admission.try_admit(self.id):
            why = "shutting down" if server.stopping() else admission.why_busy()
            server.metrics.refused(
                "draining" if server.stopping() else
                "capacity" if admission.in_use >= admission.capacity else "latency")
            retry = admission.retry_after_s
            self.log.info("refused a session: %s", why)
            await self._send(proto.ErrorMessage(
                proto.SERVER_BUSY, f"the server is busy ({why}); try again in {retry:g} s",
                fatal=True, retry_after_s=retry))
            self._close_code = 1013
            return False
        try:
            factory = await self._server.factory()
            opened = await factory.open(start.persona, start.options)
        except VoiceRPError as exc:
            self._server.admission.release(self.id)
            fatal = exc.code in (proto.MODEL_UNAVAILABLE, proto.INTERNAL_ERROR)
            await self._error(exc.code, str(exc), fatal=fatal)
            if fatal:
                self._close_code = 1011
            return False
        except BaseException:
            self._server.admission.release(self.id)
            raise
        self._conv = opened.conversation
        persona_id = str(opened.persona.get("id", start.persona))
        self._transcript = await asyncio.to_thread(
            self._server.store.open_session, persona=persona_id, session_id=self.id,
            persona_name=opened.persona.get("name"), protocol=proto.PROTOCOL,
            options=start.options)
        self.log.info("started with persona %s", persona_id)
        self._server.metrics.session_started()
        self._opened, self.token = opened, resume.new_token()
        self._server.live.sessions[self.id] = self
        await self._send(proto.Ready(
            session=self.id, persona=opened.persona, limits=self._limits(),
            resume_token=self.token, resume_grace_s=self._server.limits.resume_grace_s))
        self._forward_task = asyncio.create_task(self._forward(self._conv))
        self._run_task = asyncio.create_task(self._run(self._conv))
        return True

    def _limits(self) -> dict[str, Any]:
        limits = self._server.limits
        return {"audio_rate": limits.audio_rate, "audio_burst_ms": limits.audio_burst_ms,
                "max_message_bytes": limits.max_message_bytes}

    # -- server → client ------------------------------------------------------------------------

    async def _run(self, conv: ConversationLike) -> None:
        try:
            await conv.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.log.exception("conversation failed")
            await self._error(proto.INTERNAL_ERROR, f"the conversation failed: {exc}", fatal=True)
            self._close_code = 1011
            await self._close_conversation("error")

    async def _forward(self, conv: ConversationLike) -> None:
        try:
            async for event in conv.events():
                await self._record(event)
                if isinstance(event, ev.AnswerWords):
                    continue  # saved for the report; the client has no use for it
                if (isinstance(event, ev.TurnMetrics) and event.stages.get("stt_ms") is not None
                        and event.stages.get("response_ms") is not None):
                    # A user's turn that was answered (an opening line has no STT): what
                    # admission watches.
                    self._server.admission.record_turn(float(event.stages["response_ms"] or 0.0))
                    self._server.metrics.turn(event.stages)
                if isinstance(event, ev.ErrorEvent):
                    self.log.warning("conversation error %s: %s", event.code, event.message)
                if isinstance(event, ev.StateChanged):
                    self._state = event.state  # told to a client that resumes
                if isinstance(event, ev.SessionEnded):
                    event = proto.SessionEnd(event.reason, await self._end_figures())
                await self._send(proto.from_event(event))
                if isinstance(event, ev.SessionEnded):
                    self.log.info("session ended: %s", event.reason)
                    # The receive loop sees the close and returns; _finish does the rest.
                    await self.ws.close(self._close_code)
                    return
        except Exception:
            self.log.exception("forwarding events failed")
            await self._send(proto.ErrorMessage(proto.INTERNAL_ERROR, "internal error while "
                                                "sending the conversation", fatal=True))
            await self.ws.close(1011)

    async def _end_figures(self) -> dict[str, Any]:
        """What the end screen shows: the saved session's figures, never the live counters
        (they would be a second computation that can disagree with the report)."""
        make = self._server.end_summary
        if self._transcript is None or make is None:
            return {"figures": [], "session": self.id,
                    "not_saved": "This session was not saved, so there are no figures for it."}
        try:
            return await asyncio.to_thread(make, self.id)
        except Exception:  # the conversation is over either way; its records are safe
            self.log.exception("working out the end-of-session figures failed")
            return {"figures": [], "session": self.id,
                    "not_saved": "The figures could not be worked out just now; open the "
                                 "report from your history."}

    async def _record(self, event: ev.Event) -> None:
        """Save an event before it is sent: what the client saw is always on disk."""
        if self._transcript is None or isinstance(event, ev.AudioChunk):
            return
        try:
            if await asyncio.to_thread(self._transcript.record_event, event):
                self._save_delayed = False  # a write went through: everything before it did
        except SaveDelayed as exc:
            # Kept in order and saved when the database is back: say so once per outage.
            if not self._save_delayed:
                self._save_delayed = True
                self.log.warning("saving is delayed: %s", exc)
                await self._send(proto.ErrorMessage(
                    proto.SAVE_DELAYED, f"saving this session is delayed: {exc}"))
        except OSError as exc:
            # A full or read-only disk must not silence the conversation; the user must know.
            self.log.error("cannot save the transcript: %s", exc)
            self._transcript = None
            await self._send(proto.ErrorMessage(
                proto.SAVE_FAILED, f"the transcript cannot be saved any more: {exc}"))

    async def _error(self, code: str, message: str, *, fatal: bool = False) -> None:
        if not fatal:
            # A client sending junk in a loop gets a bounded number of answers and log lines.
            if not self._errors.allow(asyncio.get_running_loop().time()):
                return
            left_out = self._errors.take_suppressed()
            if left_out:
                message += f" ({left_out} similar error(s) not reported)"
        self.log.info("error sent to client %s: %s", code, message)
        # Only fatal ones reach the transcript: the rest are about the client program, and a
        # buggy client could otherwise make us fsync once per frame.
        if fatal and self._transcript is not None:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(self._transcript.write, "error", code=code,
                                        message=message, fatal=fatal)
        await self._send(proto.ErrorMessage(code, message, fatal=fatal))

    async def _send(self, message: proto.Message | bytes) -> None:
        if isinstance(message, proto.ErrorMessage):
            self._server.metrics.error(message.code)
        data = message if isinstance(message, bytes) else proto.encode(message)
        # A closed connection is noticed by the receive loop; the transcript is still written.
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(data)
