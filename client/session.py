"""One conversation with a voice-rp server, from the client's side.

`ClientSession` reads server messages (`receive`), reports playback positions (`report_played`)
and sends audio from WAV files (`talk_files`) or a microphone (`talk_mic`). `ConversationView` is
what it has heard so far; the senders wait on it to know when the persona has finished a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from client.playback import Recorder
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES, FRAME_MS, float_to_pcm16, frames, read_wav
from voice_rp.clock import Clock
from voice_rp.frame_rate import FrameRateLimiter

SILENCE = b"\x00" * FRAME_BYTES


class ClientError(Exception):
    """The conversation could not go on; the message is for the user."""


class Player(Protocol):
    def write(self, turn: int, pcm: bytes, sample_rate: int) -> None: ...
    def clear(self, turn: int) -> None: ...
    def position_ms(self, turn: int) -> float: ...
    def remaining_s(self, turn: int) -> float: ...


@dataclass
class ConversationView:
    """Everything the server has said so far, and a way to wait for what comes next."""

    ready: proto.Ready | None = None
    resumed: list[proto.Resumed] = field(default_factory=list)  # each resume that worked
    resume_token: str = ""  # the token to continue the session with if the connection drops
    partial: str = ""  # the live caption of the user's turn in progress
    transcripts: list[proto.Transcript] = field(default_factory=list)
    replies: list[proto.ReplyDone] = field(default_factory=list)
    safety: list[proto.Safety] = field(default_factory=list)  # crisis resources shown
    metrics: list[proto.Metrics] = field(default_factory=list)
    errors: list[proto.ErrorMessage] = field(default_factory=list)
    ended: proto.SessionEnd | None = None
    closed: bool = False
    audio_turns: set[int] = field(default_factory=set)
    count: int = 0  # messages seen; the indexes below refer to it
    last_transcript_at: int = -1
    last_listening_at: int = -1
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def done(self) -> bool:
        return self.closed or self.ended is not None

    @property
    def fatal(self) -> proto.ErrorMessage | None:
        return next((e for e in self.errors if e.fatal), None)

    def answered_since(self, transcripts_before: int) -> bool:
        """A new user turn was heard and the persona is listening again (reply over or failed)."""
        return (len(self.transcripts) > transcripts_before
                and self.last_listening_at > self.last_transcript_at)

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], within_s: float) -> bool:
        """Wait until `predicate()` holds or the session is over; False on timeout."""
        try:
            async with asyncio.timeout(within_s):
                while not predicate() and not self.done:
                    await self._changed.wait()
        except TimeoutError:
            return False
        return predicate()


class Pacer:
    """Sends frames at real time, or (fast) as fast as the server's advertised limit allows."""

    def __init__(self, clock: Clock, *, fast: bool, limits: dict[str, Any]) -> None:
        self._clock = clock
        self.fast = fast
        # Stay a little under the server's limit so no frame is dropped.
        self._limiter = FrameRateLimiter(rate=float(limits.get("audio_rate", 3.0)) * 0.9,
                                         burst_ms=float(limits.get("audio_burst_ms", 10_000)) * 0.8)
        self._start: float | None = None
        self._sent = 0

    def restart(self) -> None:
        """Real-time pace starts over (after a pause, no catching up)."""
        self._start = None

    async def wait(self, *, fast: bool | None = None) -> None:
        now = self._clock.now()
        if self.fast if fast is None else fast:
            wait = self._limiter.wait_s(now)
            if wait > 0:
                await asyncio.sleep(wait)
            self._limiter.allow(self._clock.now())
            return
        if self._start is None:
            self._start, self._sent = now, 0
        target = self._start + self._sent * FRAME_MS / 1000.0
        self._sent += 1
        if target > now:
            await asyncio.sleep(target - now)
        self._limiter.allow(self._clock.now())  # keep the bucket honest for a later fast burst


class ClientSession:
    def __init__(self, ws: ClientConnection, *, player: Player, clock: Clock,
                 recorder: Recorder | None = None, events_out: TextIO | None = None,
                 human_out: TextIO | None = None) -> None:
        self.ws = ws
        self.view = ConversationView()
        self._player = player
        self._clock = clock
        self._recorder = recorder
        self._events_out = events_out
        self._human = human_out
        self._piece: tuple[int, int] | None = None  # (turn, sample_rate) of incoming audio
        self._cleared: set[int] = set()
        self._reported: dict[int, float] = {}
        self._receiving: asyncio.Future[None] | None = None  # receive() of a resumed connection

    # -- starting -----------------------------------------------------------------------------

    async def start(self, persona: str, options: dict[str, Any] | None = None, *,
                    within_s: float = 300.0) -> proto.Ready:
        """Send start and wait for ready (models may still be loading on the server)."""
        # A busy server says why, then closes: its error is read below.
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(proto.encode(proto.Start(persona=persona, options=options or {})))
        ok = await self.view.wait_for(lambda: self.view.ready is not None
                                      or bool(self.view.errors), within_s)
        if self.view.errors:
            err = self.view.errors[0]
            retry = err.retry_after_s
            hint = f" (try again in {retry:g} s)" if retry is not None else ""
            raise ClientError(f"the server refused the session: {err.code}: "
                              f"{err.message}{hint}")
        if self.view.closed and self.view.ready is None:
            raise ClientError("the server closed the connection without starting a session")
        if not ok or self.view.ready is None:
            raise ClientError("the server did not answer the start message")
        return self.view.ready

    async def resume(self, ws: ClientConnection, *, within_s: float = 30.0) -> proto.Resumed:
        """Continue this session on a new connection `ws` after the old one dropped. Call
        `receive()` for the new connection afterwards (it is started here)."""
        view = self.view
        if view.ready is None or not view.resume_token:
            raise ClientError("there is no session to resume")
        self.ws, view.closed = ws, False
        errors_before, resumed_before = len(view.errors), len(view.resumed)
        self._receiving = asyncio.ensure_future(self.receive())
        with contextlib.suppress(ConnectionClosed):
            await ws.send(proto.encode(proto.Resume(session=view.ready.session,
                                                    token=view.resume_token)))
        await view.wait_for(lambda: len(view.resumed) > resumed_before
                            or len(view.errors) > errors_before or view.closed, within_s)
        if len(view.resumed) > resumed_before:
            return view.resumed[-1]
        why = view.errors[-1].message if len(view.errors) > errors_before else "no answer"
        raise ClientError(f"the session could not be continued: {why}")

    # -- server → client ------------------------------------------------------------------------

    async def receive(self) -> None:
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    self._on_audio(message)
                else:
                    self._on_message(message)
        except ConnectionClosed:
            pass
        finally:
            self.view.closed = True
            self.view.notify()

    def _on_audio(self, pcm: bytes) -> None:
        if self._piece is None:
            return  # audio must follow an audio_start; anything else is not ours to play
        turn, rate = self._piece
        if self._recorder is not None:
            self._recorder.write(pcm, rate)
        if turn not in self._cleared:
            self._player.write(turn, pcm, rate)
            self.view.audio_turns.add(turn)

    def _on_message(self, text: str) -> None:
        view = self.view
        view.count += 1
        data = json.loads(text)
        if self._events_out is not None:
            print(json.dumps(data, ensure_ascii=False), file=self._events_out, flush=True)
        try:
            msg = proto.decode_server(data)
        except proto.ProtocolError as exc:
            print(f"voice-rp: ignored a server message: {exc}", file=sys.stderr, flush=True)
            return
        match msg:
            case proto.Ready(persona=persona):
                view.ready, view.resume_token = msg, msg.resume_token
                self._say(f"[{msg.notice}]")
                self._say(f"[talking with {persona.get('name', '?')}: {persona.get('title', '')}]")
            case proto.Resumed():
                view.resumed.append(msg)
                view.resume_token = msg.resume_token
                self._say(f"[continued the session: {len(msg.transcript)} line(s) so far]")
            case proto.Partial(text=text):
                view.partial = text
            case proto.AudioStart(turn=turn, sample_rate=rate):
                self._piece = (turn, rate)
            case proto.Clear(turn=turn):
                self._player.clear(turn)
                self._cleared.add(turn)
            case proto.Transcript(text=text):
                view.transcripts.append(msg)
                view.partial = ""
                view.last_transcript_at = view.count
                self._say(f"you: {text}")
            case proto.Safety(resources=resources):
                view.safety.append(msg)
                self._say("[the practice is paused: you don't have to go through this alone]")
                for line in resources.get("lines", []):
                    self._say(f"[{line.get('name')}: {line.get('contact')}]")
                if resources.get("emergency"):
                    self._say(f"[in danger right now: call {resources['emergency']}]")
                other = resources.get("elsewhere") or {}
                if other:
                    self._say(f"[{other.get('name')}: {other.get('contact')}]")
            case proto.Holding(seconds=seconds) if seconds > 0:
                self._say(f"(taking your time: {seconds:g} s)")
            case proto.ReplyDone():
                view.replies.append(msg)
                cut = " [interrupted]" if msg.interrupted else ""
                self._say(f"{msg.speaker}: {msg.text}{cut}")
            case proto.Metrics(stages=stages):
                view.metrics.append(msg)
                response = stages.get("response_ms")
                if response is not None:
                    self._say(f"[reply began {response:.0f} ms after you stopped speaking]")
            case proto.State(state="listening"):
                view.last_listening_at = view.count
            case proto.ErrorMessage():
                view.errors.append(msg)
                print(f"voice-rp: server error {msg.code}: {msg.message}", file=sys.stderr,
                      flush=True)
            case proto.SessionEnd(reason=reason):
                view.ended = msg
                self._say(f"[session ended: {reason}]")
        view.notify()

    def _say(self, line: str) -> None:
        if self._human is not None:
            print(line, file=self._human, flush=True)

    async def report_played(self, interval_s: float = 0.2) -> None:
        """Tell the server how far each reply has played: a barge-in keeps only what was heard."""
        while not self.view.done:
            for turn in sorted(self.view.audio_turns):
                ms = round(self._player.position_ms(turn), 1)
                if ms != self._reported.get(turn):
                    self._reported[turn] = ms
                    try:
                        await self.ws.send(proto.encode(proto.Played(turn, ms)))
                    except ConnectionClosed:
                        return
            await asyncio.sleep(interval_s)

    # -- client → server ------------------------------------------------------------------------

    async def talk_files(self, inputs: Iterable[Path], *, fast: bool, tail_silence_s: float,
                         reply_timeout_s: float) -> None:
        """Say each file as one user turn, waiting for the persona's answer in between."""
        view = self.view
        assert view.ready is not None
        pacer = Pacer(self._clock, fast=fast, limits=view.ready.limits)
        if view.ready.persona.get("speaks_first"):
            # Listen to the opening line before speaking, as a person would.
            if not await view.wait_for(lambda: bool(view.replies) or bool(view.fatal),
                                       reply_timeout_s):
                raise ClientError(f"the persona's opening line did not come in {reply_timeout_s:g}"
                                  " s")
            await self._let_play(view.replies[-1].turn if view.replies else None, fast)
        for path in inputs:
            self._check(view)
            audio = read_wav(str(path))
            speech = frames(float_to_pcm16(audio.samples))
            before = len(view.transcripts)
            pacer.restart()
            tail = [SILENCE] * round(tail_silence_s * 1000 / FRAME_MS)
            for frame in [*speech, *tail]:
                await pacer.wait()
                await self.ws.send(frame)
            # Keep the "microphone" open with silence until the persona has answered.
            pacer.restart()
            deadline = self._clock.now() + reply_timeout_s
            while not view.answered_since(before) and not view.done:
                if self._clock.now() > deadline:
                    raise ClientError(f"no answer to {path} within {reply_timeout_s:g} s (did the "
                                      "server hear any speech in it?)")
                await pacer.wait(fast=False)
                await self.ws.send(SILENCE)
            self._check(view)
            await self._let_play(view.replies[-1].turn if view.replies else None, fast)

    async def talk_mic(self, frames_in: asyncio.Queue[bytes], stop: asyncio.Event) -> None:
        """Stream microphone frames until the user stops (Ctrl-C) or the session ends."""
        while not stop.is_set() and not self.view.done:
            get = asyncio.ensure_future(frames_in.get())
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({get, stopped}, return_when=asyncio.FIRST_COMPLETED)
            for fut in (get, stopped):
                if fut not in done:
                    fut.cancel()
            if get in done:
                await self.ws.send(get.result())

    async def end(self, within_s: float = 15.0) -> None:
        """Ask the server to end the session and wait for its session_end."""
        if self.view.done:
            return
        try:
            await self.ws.send(proto.encode(proto.End()))
        except ConnectionClosed:
            return
        await self.view.wait_for(lambda: self.view.ended is not None, within_s)

    async def _let_play(self, turn: int | None, fast: bool) -> None:
        if turn is not None and not fast:
            await asyncio.sleep(min(self._player.remaining_s(turn), 60.0))

    @staticmethod
    def _check(view: ConversationView) -> None:
        if view.fatal:
            raise ClientError(f"{view.fatal.code}: {view.fatal.message}")
        if view.done:
            raise ClientError("the session ended before all input was sent")
