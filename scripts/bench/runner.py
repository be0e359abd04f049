"""The benchmark's client: a microphone that streams 20 ms frames on the wall clock, a receiver that
timestamps everything the server says, and the turn-by-turn script of a user talking to a persona.

Times are `time.perf_counter()` seconds in this process. The true end of a turn's speech is the
moment the frame holding its last speech sample was handed to the socket: the earliest moment
the server could know the user had stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from voice_rp import protocol as proto
from voice_rp.audio import FRAME_MS, FRAME_SAMPLES, float_to_pcm16

from .cpu import CpuMonitor
from .stats import playback_gaps
from .utterances import Utterance, noise_floor

FRAME_S = FRAME_MS / 1000.0
Clock = Callable[[], float]
M = TypeVar("M", bound=proto.Message)


@dataclass
class Inbox:
    """Every server message with its arrival time; reply audio per turn as (arrival, seconds)."""

    clock: Clock
    messages: list[tuple[float, proto.ServerMessage]] = field(default_factory=list)
    audio: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    closed: bool = False
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def receive(self, ws: ClientConnection) -> None:
        piece: tuple[int, int] | None = None  # (turn, sample rate) of the audio that follows
        try:
            async for message in ws:
                now = self.clock()
                if isinstance(message, bytes):
                    if piece is not None:
                        turn, rate = piece
                        self.audio.setdefault(turn, []).append((now, len(message) / 2 / rate))
                else:
                    msg = proto.decode_server(message)
                    self.messages.append((now, msg))
                    if isinstance(msg, proto.AudioStart):
                        piece = (msg.turn, msg.sample_rate)
                self._notify()
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], Any], within_s: float) -> Any:
        """Wait until `predicate()` is truthy (returned) or the time is up or the socket closed."""
        deadline = self.clock() + within_s
        while not (result := predicate()):
            left = deadline - self.clock()
            if left <= 0 or self.closed:
                return result
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))
        return result

    def since(self, mark: int, kind: type[M], end: int | None = None) -> list[tuple[float, M]]:
        return [(t, m) for t, m in self.messages[mark:end] if isinstance(m, kind)]

    def first(self, kind: type[M], turn: int) -> tuple[float, M] | None:
        return next(((t, m) for t, m in self.messages
                     if isinstance(m, kind) and getattr(m, "turn", None) == turn), None)

    def first_audio_at(self, turn: int) -> float | None:
        chunks = self.audio.get(turn)
        return chunks[0][0] if chunks else None

    def audio_s(self, turn: int) -> float:
        return sum(d for _, d in self.audio.get(turn, ()))


@dataclass
class Spoken:
    first_speech_at: float
    last_speech_at: float


class Microphone:
    """Sends one frame every 20 ms of wall time, forever: speech when asked, else a noise floor."""

    def __init__(self, ws: ClientConnection, clock: Clock, *, noise_dbfs: float | None) -> None:
        self._ws = ws
        self._clock = clock
        self._noise = None if noise_dbfs is None else noise_floor(30.0, dbfs=noise_dbfs)
        self._queue: deque[tuple[bytes, Callable[[float], None] | None]] = deque()
        self._n = 0
        self.late_frames = 0  # frames sent more than 40 ms behind the wall clock

    def _silence(self) -> bytes:
        if self._noise is None:
            return b"\x00" * FRAME_SAMPLES * 2
        at = (self._n * FRAME_SAMPLES) % (len(self._noise) - FRAME_SAMPLES)
        return float_to_pcm16(self._noise[at: at + FRAME_SAMPLES])

    async def run(self) -> None:
        start = self._clock()
        while True:
            delay = start + self._n * FRAME_S - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.04:
                self.late_frames += 1
            frame, on_sent = self._queue.popleft() if self._queue else (self._silence(), None)
            try:
                await self._ws.send(frame)
            except ConnectionClosed:
                return
            if on_sent is not None:
                on_sent(self._clock())
            self._n += 1

    async def say(self, utt: Utterance) -> Spoken:
        """Queue the utterance and return once its last speech frame has been sent."""
        loop = asyncio.get_running_loop()
        first: asyncio.Future[float] = loop.create_future()
        last: asyncio.Future[float] = loop.create_future()
        noise = None
        if self._noise is not None:
            noise = np.resize(self._noise, len(utt.samples) + FRAME_SAMPLES)
        pcm = utt.pcm_frames(noise=noise)
        for i, frame in enumerate(pcm[: utt.last_speech_frame + 1]):
            done = first if i == 0 else last if i == utt.last_speech_frame else None
            self._queue.append((frame, _resolver(done) if done is not None else None))
        if utt.last_speech_frame == 0:
            first.add_done_callback(lambda f: last.done() or last.set_result(f.result()))
        for frame in pcm[utt.last_speech_frame + 1:]:
            self._queue.append((frame, None))
        return Spoken(await first, await last)


def _resolver(fut: asyncio.Future[float]) -> Callable[[float], None]:
    return lambda t: fut.done() or fut.set_result(t)


@dataclass
class TurnRecord:
    """One user turn and everything the client saw of the persona's answer."""

    utt: Utterance
    kind: str  # "line" or "interruption"
    session: int
    first_speech_at: float = 0.0
    speech_end_at: float = 0.0
    mark: int = 0  # inbox index when the user started this turn
    end_mark: int | None = None  # ... and when the next turn started
    reply_turn: int | None = None
    transcripts: list[str] = field(default_factory=list)
    speech_starts: int = 0
    first_audio_at: float | None = None
    chunks: list[tuple[float, float]] = field(default_factory=list)
    cleared_at: float | None = None
    audio_after_clear: int = 0
    metrics: dict[str, float | None] = field(default_factory=dict)
    reply_text: str = ""
    first_piece: str = ""  # the text of the reply's first audio piece
    barge_in_at: float | None = None  # our interruption's first speech frame
    barge_in_clear_at: float | None = None
    closing: bool = False
    error: str | None = None
    others_cores: float | None = None  # CPU other processes used while this reply was made

    @property
    def latency_ms(self) -> float | None:
        if self.first_audio_at is None:
            return None
        return (self.first_audio_at - self.speech_end_at) * 1000.0

    @property
    def gaps_ms(self) -> float:
        return playback_gaps(self.chunks, stop_at=self.cleared_at)[0] * 1000.0

    @property
    def barge_in_ms(self) -> float | None:
        if self.barge_in_at is None or self.barge_in_clear_at is None:
            return None
        return (self.barge_in_clear_at - self.barge_in_at) * 1000.0

    @property
    def premature(self) -> bool:
        """The user's one turn was taken for two (or the reply began before they finished)."""
        early = self.first_audio_at is not None and self.first_audio_at < self.speech_end_at
        return self.speech_starts > 1 or len(self.transcripts) > 1 or early


@dataclass(frozen=True)
class Script:
    persona: str = "behavioural-interviewer"
    start_options: dict[str, Any] = field(default_factory=dict)  # the persona speaks first
    noise_dbfs: float | None = -60.0
    listen_gap_s: float = 0.8  # the user's pause after the reply ends, before speaking again
    barge_in_after_s: float = 0.8  # interrupt this long into the reply's playback
    reply_timeout_s: float = 120.0  # a reply of 80 tokens can play for 20 s
    clear_timeout_s: float = 5.0


class BenchClient:
    """Talks the utterance set through one server, reconnecting when a scenario ends."""

    def __init__(self, url: str, script: Script, *, token: str | None = None,
                 clock: Clock = time.perf_counter, progress: Callable[[TurnRecord], None] = print,
                 monitor: CpuMonitor | None = None) -> None:
        self.url = url
        self.script = script
        self.token = token
        self.clock = clock
        self.progress = progress
        self.records: list[TurnRecord] = []
        self.errors: list[proto.ErrorMessage] = []
        self.late_frames = 0
        self.monitor = monitor

    async def run(self, lines: list[Utterance], interruptions: list[Utterance]) -> None:
        sampling = asyncio.create_task(self.monitor.run()) if self.monitor else None
        try:
            await self._run(lines, interruptions)
        finally:
            if sampling is not None:
                sampling.cancel()

    async def _run(self, lines: list[Utterance], interruptions: list[Utterance]) -> None:
        pending = deque(lines)
        spare = deque(interruptions)
        session = 0
        while pending:
            session += 1
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
            async with connect(self.url, additional_headers=headers, max_size=16 * 2**20,
                               compression=None) as ws:
                await self._session(ws, session, pending, spare)

    async def _session(self, ws: ClientConnection, session: int, pending: deque[Utterance],
                       spare: deque[Utterance]) -> None:
        """Talk through `pending` until it is empty or the persona ends the scenario."""
        inbox = Inbox(self.clock)
        receiver = asyncio.create_task(inbox.receive(ws))
        await ws.send(proto.encode(proto.Start(persona=self.script.persona,
                                               options=self.script.start_options)))
        ready = await inbox.wait_for(
            lambda: inbox.since(0, proto.Ready) or inbox.since(0, proto.ErrorMessage), 600.0)
        if not ready or inbox.since(0, proto.ErrorMessage):
            receiver.cancel()
            raise RuntimeError(f"the server refused the session: {inbox.messages}")
        mic = Microphone(ws, self.clock, noise_dbfs=self.script.noise_dbfs)
        sender = asyncio.create_task(mic.run())
        try:
            await self._listen_to_opening_line(inbox)
            barge_in_due = False  # a reply too short to interrupt passes the job on
            while pending and not inbox.since(0, proto.SessionEnd) and not inbox.closed:
                utt = pending.popleft()
                wanted = utt.line.barge_in or barge_in_due
                interruption = spare[0] if wanted and spare else None
                used = await self._turn(inbox, mic, utt, session, interruption)
                if used:
                    spare.rotate(-1)
                barge_in_due = wanted and not used
            self.errors += [m for _, m in inbox.since(0, proto.ErrorMessage)]
        finally:
            sender.cancel()
            self.late_frames += mic.late_frames
            with contextlib.suppress(ConnectionClosed):
                await ws.send(proto.encode(proto.End()))
            await asyncio.wait([receiver], timeout=10.0)
            receiver.cancel()

    async def _listen_to_opening_line(self, inbox: Inbox) -> None:
        """Let the persona's opening line play out before speaking, as a person would."""
        ready = inbox.since(0, proto.Ready)[0][1]
        if not ready.persona.get("speaks_first"):
            return
        done = await inbox.wait_for(lambda: inbox.since(0, proto.ReplyDone),
                                    self.script.reply_timeout_s)
        if done:
            _, play_end = playback_gaps(inbox.audio.get(done[0][1].turn, []))
            await asyncio.sleep(max(0.0, play_end - self.clock()))
        await asyncio.sleep(self.script.listen_gap_s)

    async def _turn(self, inbox: Inbox, mic: Microphone, utt: Utterance, session: int,
                    interruption: Utterance | None) -> bool:
        """One user turn (and, if asked, an interruption of its reply). True if it interrupted."""
        rec = await self._speak(inbox, mic, utt, "line", session)
        interrupted = False
        if rec.reply_turn is not None and interruption is not None:
            turn, first = rec.reply_turn, rec.first_audio_at or self.clock()
            # Interrupt only a reply that will still be playing when the barge-in is detected.
            await asyncio.sleep(max(0.0, first + self.script.barge_in_after_s - self.clock()))
            if inbox.audio_s(turn) - (self.clock() - first) > 1.0 and not inbox.first(
                    proto.ReplyDone, turn):
                interrupted = True
                rec.end_mark = len(inbox.messages)
                follow = await self._speak(inbox, mic, interruption, "interruption", session,
                                           barged=rec)
                self._finish(inbox, rec)
                self.progress(rec)
                await self._settle(inbox, follow)
                return True
        await self._settle(inbox, rec)
        return interrupted

    async def _speak(self, inbox: Inbox, mic: Microphone, utt: Utterance, kind: str,
                     session: int, *, barged: TurnRecord | None = None) -> TurnRecord:
        rec = TurnRecord(utt, kind, session, mark=len(inbox.messages))
        self.records.append(rec)
        say = asyncio.create_task(mic.say(utt))
        if barged is not None and barged.reply_turn is not None:
            turn = barged.reply_turn
            spoken = await say
            barged.barge_in_at = spoken.first_speech_at
            cleared = await inbox.wait_for(lambda: inbox.first(proto.Clear, turn),
                                           self.script.clear_timeout_s)
            if cleared:
                barged.barge_in_clear_at = cleared[0]
        spoken = await say
        rec.first_speech_at, rec.speech_end_at = spoken.first_speech_at, spoken.last_speech_at
        if barged is not None and barged.barge_in_at is None:
            barged.barge_in_at = spoken.first_speech_at

        def reply_turn() -> int | None:
            # The reply to this turn: the first audio after the end of speech, for a turn whose
            # transcript came after the user began (audio before the end is a premature reply).
            for _, msg in inbox.since(rec.mark, proto.Transcript):
                at = inbox.first_audio_at(msg.turn)
                if at is not None and at >= rec.speech_end_at:
                    return msg.turn
            return None

        rec.reply_turn = await inbox.wait_for(reply_turn, self.script.reply_timeout_s)
        if rec.reply_turn is None:
            rec.error = "no reply audio"
        else:
            rec.first_audio_at = inbox.first_audio_at(rec.reply_turn)
        return rec

    async def _settle(self, inbox: Inbox, rec: TurnRecord) -> None:
        """Listen to the reply to its end, pause like a person, and record the turn."""
        turn = rec.reply_turn
        if turn is not None:
            await inbox.wait_for(lambda: inbox.first(proto.ReplyDone, turn)
                                 or inbox.first(proto.Clear, turn), self.script.reply_timeout_s)
            await inbox.wait_for(lambda: inbox.first(proto.Metrics, turn), 5.0)
            _, play_end = playback_gaps(inbox.audio.get(turn, []))
            await asyncio.sleep(max(0.0, play_end - self.clock()))
        await asyncio.sleep(self.script.listen_gap_s)
        if rec.end_mark is None:
            rec.end_mark = len(inbox.messages)
        self._finish(inbox, rec)
        self.progress(rec)

    def _finish(self, inbox: Inbox, rec: TurnRecord) -> None:
        rec.speech_starts = len(inbox.since(rec.mark, proto.SpeechStarted, rec.end_mark))
        if self.monitor is not None:
            until = rec.first_audio_at or rec.speech_end_at + 2.0
            rec.others_cores = self.monitor.others_between(rec.speech_end_at - 0.3, until)
        rec.transcripts = [m.text for _, m in inbox.since(rec.mark, proto.Transcript,
                                                          rec.end_mark)]
        turn = rec.reply_turn
        if turn is None:
            return
        rec.chunks = list(inbox.audio.get(turn, []))
        cleared = inbox.first(proto.Clear, turn)
        if cleared is not None:
            rec.cleared_at = cleared[0]
            rec.audio_after_clear = sum(1 for t, _ in rec.chunks if t > cleared[0])
        metrics = inbox.first(proto.Metrics, turn)
        rec.metrics = dict(metrics[1].stages) if metrics else {}
        started = inbox.first(proto.AudioStart, turn)
        rec.first_piece = started[1].text if started else ""
        done = inbox.first(proto.ReplyDone, turn)
        rec.reply_text = done[1].text if done else ""
        rec.closing = bool(inbox.since(rec.mark, proto.SessionEnd))
