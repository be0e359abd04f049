"""One voice conversation: the asyncio shell that carries out its TurnController's commands.

The server feeds `push_audio` 20 ms frames and forwards `events()` to the client. The shell runs
models in threads, owns one task per attempt's current step (every task through its
`TaskRegistry`), paces replies, queues events. Its idle-time model work is `WorkAhead`'s, the
word timings for feedback `WordTimer`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import numpy as np

from voice_rp import events as ev
from voice_rp import turn_commands as cmd
from voice_rp.audio import pcm16_to_float
from voice_rp.clock import Clock
from voice_rp.conversation_options import ConversationOptions
from voice_rp.errors import SpeechRecognitionError, VoiceRPError
from voice_rp.feedback.audio import answer_audio_or_none
from voice_rp.feedback.word_timer import WordTimer
from voice_rp.flow import FlowEngine
from voice_rp.listening.turn_kind import read_turn
from voice_rp.models import Models
from voice_rp.personas import Persona
from voice_rp.reply import reply_stream
from voice_rp.reply_source import ReplyWriter
from voice_rp.stt import Transcript, recognition_prompt
from voice_rp.stt_incremental import IncrementalTranscriber
from voice_rp.tasks import TaskRegistry
from voice_rp.turn_controller import TurnController
from voice_rp.turn_taking import policy_for
from voice_rp.turns import TurnTracker
from voice_rp.voice_choice import SessionVoices
from voice_rp.work_ahead import WorkAhead

__all__ = ["Conversation", "ConversationOptions", "policy_for"]


_HINTED_S = 2.5 * 16_000  # samples: shorter decodes get no practice words in their prompt


class Conversation:
    """One conversation on loaded models: `run` it, feed it audio, read its events."""

    def __init__(self, *, models: Models, persona: Persona, clock: Clock,
                 options: ConversationOptions | None = None) -> None:
        self.models, self.persona, self.clock = models, persona, clock
        self.options = options or ConversationOptions()
        self.controller = TurnController(persona, clock=clock, options=self.options)
        self.tracker: TurnTracker = self.controller.tracker  # the turns as heard: the history
        self._writer = ReplyWriter(models, persona, self.options, self.controller.rng)
        self._voices = SessionVoices(models, persona, report=self._notice)
        # Every decode of the user's speech is told the practice's own words (Python, not iPhone).
        self._stt_prompt = recognition_prompt(persona.recognition_hints, self.options.stt_prompt,
                                              language=persona.language)
        self._hints = recognition_prompt(persona.recognition_hints, None, language=persona.language)
        self._stt = IncrementalTranscriber(self._decode, prompt=self._stt_prompt)
        self._incremental = self.options.transcribes_incrementally(persona.turn_taking)
        self._events: asyncio.Queue[ev.Event | None] = asyncio.Queue()
        self._tasks = TaskRegistry(
            failed=lambda attempt, exc: self._run(self.controller.task_failed(attempt, exc)))
        # Per attempt: the task doing its current step, and the gate its reply waits at.
        self._step_of: dict[int, asyncio.Task[None]] = {}
        self._released: dict[int, asyncio.Event] = {}
        self._closed = asyncio.Event()
        self._ahead = WorkAhead(models, self.controller, self._writer, self._voices, self.options,
                                spawn=self._tasks.spawn, live=self._step_of.values,
                                report=self._notice)
        self._words = WordTimer.for_persona(models, persona, self._stt_prompt,
                                            emit=self._events.put_nowait, spawn=self._tasks.spawn)

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
        todo = await self._ahead.before_opening()
        self._run(self.controller.open())
        self._ahead.make_lines(todo)
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
        await self._tasks.cancel_all(wait_s=5.0)
        self._run(self.controller.end(reason))
        self._closed.set()

    # -- carrying out commands ------------------------------------------------------------------

    def _run(self, commands: list[cmd.Command]) -> None:
        for c in commands:
            if isinstance(c, cmd.Emit):
                self._events.put_nowait(c.event)
                self._words.seen(c.event)
            elif isinstance(c, cmd.Transcribe | cmd.Analyse | cmd.Speak | cmd.WaitPlayback):
                self._step_of[c.attempt] = self._tasks.spawn(self._step(c), attempt=c.attempt)
            elif isinstance(c, cmd.Release):
                self._released.setdefault(c.attempt, asyncio.Event()).set()
            elif isinstance(c, cmd.Cancel):
                self._words.timer.dropped(c.attempt)
                self._released.pop(c.attempt, None)
                task = self._step_of.pop(c.attempt, None)  # (a task reporting here ends itself)
                if task is not None and task is not asyncio.current_task():
                    task.cancel()
            elif isinstance(c, cmd.ReadAhead):
                self._ahead.after_reply(c.request)
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
                        self._decode, pcm16_to_float(c.audio), self._stt_prompt)
            except SpeechRecognitionError as exc:  # a remote service failed: say so, go on
                self._run(ctl.reply_failed(c.attempt, exc))
                return
            self._run(ctl.transcribed(c.attempt, transcript.text.strip(), started=started))
        elif isinstance(c, cmd.Analyse):
            # A failure there costs the feedback, never the conversation.
            audio, reading = await asyncio.gather(
                asyncio.to_thread(answer_audio_or_none, pcm16_to_float(c.audio)),
                asyncio.to_thread(read_turn, c.text, language=self.persona.language,
                                  persona_kind=self.persona.kind, question=c.question))
            self._words.timer.analysed(c.attempt, c.audio, audio)
            self._run(ctl.analysed(c.attempt, audio, reading))
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
        self._words.reply_made(c.attempt)

    def _notice(self, event: ev.Event) -> None:
        self._run(self.controller.notice(event))

    def _decode(self, samples: np.ndarray, prompt: str | None) -> Transcript:
        if self._hints and prompt and prompt.startswith(self._hints) and len(samples) < _HINTED_S:
            # A short interjection prompted with the words looped: 412-853 ms, not 61.
            prompt = prompt[len(self._hints):].strip() or None
        return self.models.transcribe(samples, language=self.persona.language, prompt=prompt)
