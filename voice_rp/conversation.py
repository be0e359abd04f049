"""One voice conversation: the asyncio shell that carries out its TurnController's commands.

The server feeds `push_audio` 20 ms frames and forwards `events()` to the client. The shell runs
models in threads, owns one task per attempt's current step, paces replies, queues events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import numpy as np

from voice_rp import events as ev
from voice_rp import turn_commands as cmd
from voice_rp.audio import SAMPLE_RATE, pcm16_to_float
from voice_rp.backends import capabilities_of
from voice_rp.clock import Clock
from voice_rp.conversation_options import ConversationOptions
from voice_rp.errors import SpeechRecognitionError, VoiceRPError
from voice_rp.feedback.audio import answer_audio_or_none
from voice_rp.feedback.timing import AnswerTimer, TimingJob, shift
from voice_rp.flow import FlowEngine
from voice_rp.line_cache import CachedVoice, scripted_pieces
from voice_rp.models import Models
from voice_rp.personas import Persona
from voice_rp.reply import reply_stream
from voice_rp.reply_source import ReplyWriter
from voice_rp.stt import Transcript, timed_words
from voice_rp.stt_incremental import IncrementalTranscriber
from voice_rp.turn_controller import TurnController
from voice_rp.turn_taking import policy_for
from voice_rp.turns import TurnTracker
from voice_rp.voice_choice import SessionVoices

__all__ = ["Conversation", "ConversationOptions", "policy_for"]

log = logging.getLogger(__name__)


class Conversation:
    def __init__(self, *, models: Models, persona: Persona, clock: Clock,
                 options: ConversationOptions | None = None) -> None:
        self.models, self.persona, self.clock = models, persona, clock
        self.options = options or ConversationOptions()
        self.controller = TurnController(persona, clock=clock, options=self.options)
        self.tracker: TurnTracker = self.controller.tracker  # the turns as heard: the history
        self._writer = ReplyWriter(models, persona, self.options, self.controller.rng)
        self._voices = SessionVoices(models, persona,
                                     report=lambda e: self._run(self.controller.notice(e)))
        self._stt = IncrementalTranscriber(self._decode, prompt=self.options.stt_prompt)
        # Not for a talk (its looks at pauses cover only its last seconds) nor when fillers are
        # kept for feedback: a tail read after the earlier words as prompt drops some "um"s.
        self._incremental = (self.options.incremental_stt and self.options.stt_prompt is None
                             and persona.turn_taking != "monologue")
        self._events: asyncio.Queue[ev.Event | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        # Per attempt: the task doing its current step, and the gate its reply waits at.
        self._step_of: dict[int, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()  # model work no one waits for
        self._released: dict[int, asyncio.Event] = {}
        self._closed = asyncio.Event()
        # Word timings for feedback, made after each reply (feedback.timing).
        self._timer = AnswerTimer()
        self._timing_free = asyncio.Event()
        self._timing_free.set()
        self._timing_jobs: asyncio.Queue[TimingJob] = asyncio.Queue()
        self._timing_worker: asyncio.Task[None] | None = None

    @property
    def flow(self) -> FlowEngine | None:
        """Where the scenario stands."""
        return self.controller.flow

    async def run(self) -> None:
        """Speak the opening line, then serve turns until close() or the scenario ends."""
        self._run(self.controller.begin())
        # Missing voices are reported before anyone speaks; another language's recogniser is
        # loaded while the opening line plays rather than on the user's first turn.
        for speaker in self.persona.speakers():
            await self._voices.for_speaker(speaker)
        self._spawn(self._prepare_transcriber())
        self._spawn(self._read_persona_prompt())
        todo = await self._want_lines()  # before the opening line: it is kept as it is made
        self._run(self.controller.open())
        self._spawn(self._make_lines_ahead(todo))
        await self._closed.wait()

    def push_audio(self, frame: bytes) -> None:
        """Feed one 20 ms PCM16 16 kHz mono frame (640 bytes); ValueError for any other size."""
        self._run(self.controller.audio(frame))

    def played(self, turn: int, played_ms: float) -> None:
        self._run(self.controller.played(turn, played_ms))

    async def events(self) -> AsyncIterator[ev.Event]:
        while (event := await self._events.get()) is not None:
            yield event

    async def close(self, reason: str = "closed") -> None:
        if self._closed.is_set():
            return
        self._run(self.controller.close())
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)
        self._run(self.controller.end(reason))
        self._closed.set()

    # -- carrying out commands ------------------------------------------------------------------

    def _run(self, commands: list[cmd.Command]) -> None:
        for c in commands:
            if isinstance(c, cmd.Emit):
                self._events.put_nowait(c.event)
                self._timer.seen(c.event)
                self._gate_timing()
            elif isinstance(c, cmd.Transcribe | cmd.Analyse | cmd.Speak | cmd.WaitPlayback):
                self._step_of[c.attempt] = self._spawn(self._step(c), attempt=c.attempt)
            elif isinstance(c, cmd.Release):
                self._released.setdefault(c.attempt, asyncio.Event()).set()
            elif isinstance(c, cmd.Cancel):
                self._timer.dropped(c.attempt)
                self._released.pop(c.attempt, None)
                task = self._step_of.pop(c.attempt, None)  # (a task reporting here ends itself)
                if task is not None and task is not asyncio.current_task():
                    task.cancel()
            elif isinstance(c, cmd.ReadAhead):
                if (self.options.read_ahead
                        and capabilities_of(self.models.chat).reads_prompt_ahead):
                    self._background.add(self._spawn(self._writer.read_ahead_for(c.request)))
                if self.options.lines_ahead and self.controller.flow is not None:
                    self._spawn(self._make_lines_ahead())  # the scenario's next questions
            elif isinstance(c, cmd.EndSession):
                self._events.put_nowait(None)  # the queue is unbounded for this sentinel's sake
                self._closed.set()

    async def _step(self, c: cmd.Transcribe | cmd.Analyse | cmd.Speak | cmd.WaitPlayback
                    ) -> None:
        ctl = self.controller
        if isinstance(c, cmd.Transcribe):
            started = self.clock.now()
            try:
                if self._incremental:
                    transcript = await self._stt.transcribe(c.audio)
                else:
                    transcript = await asyncio.to_thread(
                        self._decode, pcm16_to_float(c.audio), self.options.stt_prompt)
            except SpeechRecognitionError as exc:  # a remote service failed: say so, go on
                self._run(ctl.reply_failed(c.attempt, exc))
                return
            self._run(ctl.transcribed(c.attempt, transcript.text.strip(), started=started))
        elif isinstance(c, cmd.Analyse):
            # A failure there costs the feedback, never the conversation.
            audio = await asyncio.to_thread(answer_audio_or_none, pcm16_to_float(c.audio))
            self._timer.analysed(c.attempt, c.audio, audio)
            self._run(ctl.analysed(c.attempt, audio))
        elif isinstance(c, cmd.Speak):
            await self._speak(c)
        else:
            await asyncio.sleep(c.seconds)
            self._run(ctl.played_out(c.attempt))

    async def _speak(self, c: cmd.Speak) -> None:
        """Make the reply and hand it over piece by piece, no further ahead of playback than
        `max_ahead_s`, and only its first piece before the turn end is confirmed."""
        ctl, released = self.controller, self._released.setdefault(c.attempt, asyncio.Event())
        try:
            synth = await self._voices.for_speaker(c.request.speaker)
            async with asyncio.timeout(self.options.turn_limit_s):
                source = await self._writer.source(c.request)
                if source.model_failed is not None:
                    self._run(ctl.model_failed(c.attempt, source.model_failed))
                stream = reply_stream(
                    source, synthesizer=synth, rate=c.request.speaker.voice.rate,
                    clock=self.clock, queued_s=lambda: ctl.queued_s(c.attempt),
                    chunk_policy=self.options.chunk_policy)
                async with contextlib.aclosing(stream):
                    async for piece in stream:
                        self._run(ctl.piece_ready(c.attempt, piece))
                        await released.wait()
                        ahead = ctl.queued_s(c.attempt) - self.options.max_ahead_s
                        if ahead > 0:
                            await asyncio.sleep(ahead)
        except (VoiceRPError, TimeoutError) as exc:  # TimeoutError: the turn's hard limit
            self._run(ctl.reply_failed(c.attempt, exc if isinstance(exc, VoiceRPError) else None))
            return
        self._run(ctl.reply_made(c.attempt))
        self._time_words(self._timer.reply_made(c.attempt))

    # -- models ---------------------------------------------------------------------------------

    async def _want_lines(self) -> list[tuple[CachedVoice, str, float]]:
        """The pieces of the lines this session will say word for word, marked to be kept;
        returns those not made yet."""
        if not self.options.lines_ahead:
            return []
        speaker = self.controller.speaker()
        voice = await self._voices.for_speaker(speaker)
        if not isinstance(voice, CachedVoice):
            return []
        policy, rate = self.options.chunk_policy, speaker.voice.rate
        lines = [*self.controller.lines_ahead(), *self._writer.fixed_lines()]
        pieces = [p for line in lines for p in scripted_pieces([line], policy)]
        return [(voice, text, rate) for text in voice.want(pieces, rate)]

    async def _make_lines_ahead(self, todo: list[tuple[CachedVoice, str, float]] | None = None
                                ) -> None:
        """Make the wanted lines' audio while the session has nothing else to do: a piece at a
        time, never while the user's words are recognised or a reply is made."""
        if todo is None:
            todo = await self._want_lines()
        for voice, text, rate in todo:
            while busy := self._busy():
                await asyncio.wait(busy)
            try:
                await asyncio.to_thread(voice.make_ahead, text, rate)
            except VoiceRPError as exc:
                # A speech service that fails here fails the reply too, which says so; lines
                # made ahead are only a head start.
                log.info("making a line ahead failed: %s", exc)
                return

    def _busy(self) -> set[asyncio.Task[None]]:
        """The model work under way: recognising the user, making a reply, reading ahead."""
        self._background = {t for t in self._background if not t.done()}
        return self._background | {t for t in self._step_of.values() if not t.done()}

    def _decode(self, samples: np.ndarray, prompt: str | None) -> Transcript:
        return self.models.transcribe(samples, language=self.persona.language, prompt=prompt)

    async def _prepare_transcriber(self) -> None:
        try:
            await asyncio.to_thread(self.models.transcriber_for, self.persona.language)
        except VoiceRPError as exc:
            self._run(self.controller.notice(ev.ErrorEvent(exc.code, str(exc))))

    async def _read_persona_prompt(self) -> None:
        """Let the model read the persona's prompt while the opening line plays."""
        if capabilities_of(self.models.chat).reads_prompt_ahead:  # not a remote endpoint
            await self._writer.read_ahead(self.controller.speaker(), self.controller.opening_heard)

    # -- word timings for feedback, off the reply's path ----------------------------------------

    def _gate_timing(self) -> None:
        if self._timer.user_turn_live:
            self._timing_free.clear()
        else:
            self._timing_free.set()

    def _time_words(self, job: TimingJob | None) -> None:
        self._gate_timing()
        if job is None:
            return
        self._timing_jobs.put_nowait(job)
        if self._timing_worker is None:
            self._timing_worker = self._spawn(self._timing_loop())

    async def _timing_loop(self) -> None:
        """Time answers one at a time, a piece at a time, each piece only while no user turn is
        live; a failure costs that answer its timings, never the conversation."""
        language = self.persona.language
        while True:
            job = await self._timing_jobs.get()
            words: list[list[Any]] = []
            try:
                transcriber = self.models.transcriber_for(language)
                for start, end in job.pieces:
                    await self._timing_free.wait()
                    pcm = job.pcm[2 * round(start * SAMPLE_RATE): 2 * round(end * SAMPLE_RATE)]
                    got = await asyncio.to_thread(timed_words, transcriber, pcm16_to_float(pcm),
                                                  language=language,
                                                  prompt=self.options.stt_prompt)
                    if got is None:  # this speech service gives no timings: estimates stay
                        words = []
                        break
                    words += shift(got, start)
            except Exception:  # feedback is a by-product
                log.exception("timing the words of turn %d failed", job.turn)
                continue
            if words:
                self._events.put_nowait(ev.AnswerWords(job.turn, words))

    # -- tasks ----------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None], *, attempt: int | None = None
               ) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._task_done(t, attempt))
        return task

    def _task_done(self, task: asyncio.Task[None], attempt: int | None) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("conversation task failed", exc_info=exc)
            self._run(self.controller.task_failed(attempt, exc))
