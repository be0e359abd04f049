"""One voice conversation: endpointing, speculative turns, replies, barge-in, ending.

The server feeds `push_audio` with 20 ms frames and forwards `events()` to the client. Decisions
come from the I/O-free parts (Endpointer, SentenceChunker, TurnTracker); this class wires them to
the models and owns every task it starts.

Speculation: at the first short silence the endpointer emits SpeculativeEnd and a turn *attempt*
starts at once (STT, then LLM, chunking and TTS). Its events are held back until the endpointer
confirms the end of the turn, then released; if the user goes on, the attempt is cancelled.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from voice_rp import endpointer as ep
from voice_rp import events as ev
from voice_rp.audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, pcm16_to_float
from voice_rp.backends import capabilities_of
from voice_rp.chunker import ChunkPolicy, Piece, speakable
from voice_rp.clock import Clock
from voice_rp.errors import LLMError, SpeechRecognitionError, VoiceRPError
from voice_rp.feedback import SessionStats
from voice_rp.feedback.audio import answer_audio_or_none
from voice_rp.flow import FlowEngine, Step
from voice_rp.labels import label_filter
from voice_rp.llm import ChatMessage, ChatModel, GenerationOptions
from voice_rp.memory import HistoryWindow, SessionMemory
from voice_rp.models import Models
from voice_rp.persona import Persona, Speaker
from voice_rp.prompt import build_messages, closing_line, opening_line
from voice_rp.reply import (
    Playback,
    ReplyTimes,
    ScriptedChat,
    holding_line,
    read_prompt_ahead,
    speak_reply,
    turn_metrics,
)
from voice_rp.session_end import EndingRules
from voice_rp.stage_reply import StageReplies
from voice_rp.turn_taking import policy_for
from voice_rp.turns import TurnTracker
from voice_rp.voice_choice import SessionVoices

log = logging.getLogger(__name__)

_CLOSING_INSTRUCTION = (
    "The session is over now. In one or two short sentences, thank the user warmly and say goodbye."
)


@dataclass(frozen=True)
class ConversationOptions:
    """Tuning knobs; defaults are what the latency benchmark measured best on a 2-core CPU."""

    turn_policy: ep.TurnPolicy | None = None  # None: from the persona's turn-taking
    chunk_policy: ChunkPolicy = field(default_factory=ChunkPolicy)
    max_ahead_s: float = 4.0  # synthesise at most this far ahead of playback
    speculative: bool = True  # start STT + reply at the first short silence
    speak_opening_line: bool = True
    stt_prompt: str | None = None  # e.g. "Um, uh, so..." to keep fillers for feedback
    talk_tail_s: float = 8.0  # during a talk, speculative STT looks only at the last seconds
    user_name: str = "you"
    is_speech: Callable[[bytes], bool] | None = None  # None: webrtcvad
    hold_after_s: float | None = None  # no reply piece this long after speech: a holding line
    turn_limit_s: float = 60.0  # a reply still being made after this is cut short, with an error
    flow_seed: int | None = None  # draws the scenario's questions; None: differ every session
    capable_model: bool | None = None  # phrase questions freely; None: Models.capable_chat
    history_budget_tokens: int = 700  # older turns leave the prompt; SessionMemory keeps facts


@dataclass
class _Attempt:
    """A reply in the making for one user turn (or the opening line, with no audio)."""

    turn: int
    audio: bytes
    speech_end: float  # clock time of the true end of the user's speech
    speech_end_audio_t: float = 0.0
    committed: asyncio.Event = field(default_factory=asyncio.Event)
    held: list[ev.Event] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    user_text: str | None = None
    delivered_audio: bool = False
    closing: bool = False
    marks: dict[str, float] = field(default_factory=dict)
    times: ReplyTimes = field(default_factory=ReplyTimes)
    playback: Playback | None = None
    piece_text: str = ""
    flow_after: FlowEngine | None = None  # the scenario's state once this reply is heard
    step: Step | None = None


class Conversation:
    def __init__(
        self,
        *,
        models: Models,
        persona: Persona,
        clock: Clock,
        options: ConversationOptions | None = None,
    ) -> None:
        self.models = models
        self.persona = persona
        self.clock = clock
        self.options = options or ConversationOptions()
        self.tracker = TurnTracker()
        self.stats = SessionStats(started_at=clock.now())
        self.ending = EndingRules.for_persona(persona)
        self._in_talk = persona.turn_taking == "monologue"
        self._audio_t = 0.0
        self._endpointer = self._new_endpointer()
        self._events: asyncio.Queue[ev.Event | None] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._attempt: _Attempt | None = None  # the speculative or committed user-turn attempt
        self._active: _Attempt | None = None  # the committed reply being produced or played
        self._carry = b""  # speech from a turn cancelled before any reply audio: merged into next
        self._voices = SessionVoices(models, persona, report=self._emit)
        self._wall: deque[tuple[float, float]] = deque(maxlen=30_000 // FRAME_MS)
        self._assistant_turns = 0
        self._closed = asyncio.Event()
        self._ended = False
        # The scenario: the flow engine decides each step; replies are sized to the model.
        rng = random.Random(self.options.flow_seed)
        self.flow = (FlowEngine(persona.flow, difficulty=persona.difficulty, rng=rng,
                                now=clock.now()) if persona.flow is not None else None)
        capable = self.options.capable_model
        if capable is None:
            capable = getattr(models, "capable_chat", False)
        self._stage_replies = StageReplies(persona, capable=capable, rng=rng)
        self._window = HistoryWindow(budget_tokens=self.options.history_budget_tokens)
        # The role is in the system prompt already; the memory holds what the user says.
        self.memory = SessionMemory(user_label=self._stage_replies.user_label)
        self._last_question = ""
        line = opening_line(persona, user_name=self.options.user_name)
        self._opening = self.flow.opening(line) if self.flow is not None else line

    # -- public API ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Speak the opening line, then serve turns until close() or the scenario ends."""
        self._emit(ev.StateChanged("listening"))
        # Missing voices are reported before anyone speaks; another language's recogniser is
        # loaded while the opening line plays rather than on the user's first turn.
        for speaker in self.persona.speakers():
            await self._voices.for_speaker(speaker)
        self._spawn(self._prepare_transcriber())
        self._spawn(self._read_persona_prompt())
        line = self._opening
        if self.options.speak_opening_line and line:
            self._start_scripted_line(line)
        await self._closed.wait()

    def push_audio(self, frame: bytes) -> None:
        """Feed one 20 ms PCM16 16 kHz mono frame (640 bytes)."""
        if len(frame) != FRAME_BYTES:
            raise ValueError(
                f"audio frames must be {FRAME_BYTES} bytes (20 ms of 16 kHz PCM16 mono), "
                f"got {len(frame)}"
            )
        if self._ended:
            return
        self._audio_t += FRAME_MS / 1000.0
        self._wall.append((self._audio_t, self.clock.now()))
        self._endpointer.bot_speaking = self._active is not None
        for event in self._endpointer.push(frame):
            self._on_endpoint(event)

    def played(self, turn: int, played_ms: float) -> None:
        self.tracker.played(turn, played_ms)

    async def events(self) -> AsyncIterator[ev.Event]:
        while (event := await self._events.get()) is not None:
            yield event

    async def close(self, reason: str = "closed") -> None:
        if self._closed.is_set():
            return
        active = self._active
        if active is not None:
            # Record the part of the reply the user heard before the session closed.
            self._cancel(active)
            played = active.playback.position_ms() if active.playback else None
            reported = self.tracker.reply.played_ms if self.tracker.reply else 0.0
            self._finish_attempt(active, interrupted=True, played_ms=reported or played)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5.0)
        if not self._ended:
            self._finish_session(reason)
        self._closed.set()

    # -- endpointing --------------------------------------------------------------------------

    def _new_endpointer(self) -> ep.Endpointer:
        policy = self.options.turn_policy or policy_for(self.persona, talk=self._in_talk)
        # A new endpointer counts audio from zero: remember where, to map its times to ours.
        self._endpointer_origin = self._audio_t
        return ep.Endpointer(policy, clock=self.clock, is_speech=self.options.is_speech)

    def _wall_time(self, audio_t: float) -> float:
        """Clock time at which the frame ending at `audio_t` arrived."""
        for t_audio, t_wall in reversed(self._wall):
            if t_audio <= audio_t + 1e-6:
                return t_wall
        return self._wall[0][1] if self._wall else self.clock.now()

    def _on_endpoint(self, event: object) -> None:
        if isinstance(event, ep.SpeechStart):
            self._emit(ev.SpeechStarted(turn=self.tracker.peek_turn(), t=event.t))
        elif isinstance(event, ep.SpeculativeEnd):
            if self.options.speculative:
                self._start_attempt(event.audio, event.speech_end_audio_t, committed=False)
        elif isinstance(event, ep.SpeechResumed):
            self._drop_speculation()
        elif isinstance(event, ep.TurnEnd):
            attempt = self._attempt
            if (attempt is not None and not attempt.committed.is_set()
                    and attempt.task is not None and not attempt.task.done()
                    and attempt.speech_end_audio_t == event.speech_end_audio_t):
                self._commit(attempt)
            else:
                self._drop_speculation()
                self._start_attempt(event.audio, event.speech_end_audio_t, committed=True)
            if self._in_talk:
                self._end_talk()
        elif isinstance(event, ep.BargeIn):
            self._barge_in()

    def _drop_speculation(self) -> None:
        attempt = self._attempt
        if attempt is not None and not attempt.committed.is_set():
            self._cancel(attempt)
            self._attempt = None
            # The user never saw this attempt, so its turn number is reused.
            self.tracker.release_turn(attempt.turn)

    def _end_talk(self) -> None:
        """The audience persona's talk is over: from now on, questions and answers."""
        self._in_talk = False
        self._endpointer = self._new_endpointer()

    # -- attempts -----------------------------------------------------------------------------

    def _start_attempt(self, audio: bytes, speech_end_audio_t: float, *, committed: bool,
                       speech_end: float | None = None) -> None:
        """`speech_end_audio_t` is in the current endpointer's audio time."""
        if self._carry:
            gap = b"\x00" * (FRAME_BYTES * 15)  # 300 ms between the merged parts
            audio = self._carry + gap + audio
        if speech_end is None:
            speech_end = self._wall_time(self._endpointer_origin + speech_end_audio_t)
        attempt = _Attempt(
            turn=self.tracker.new_turn(), audio=audio,
            speech_end=speech_end, speech_end_audio_t=speech_end_audio_t,
        )
        attempt.marks["start"] = self.clock.now()
        self._attempt = attempt
        attempt.task = self._spawn(self._answer(attempt))
        if committed:
            self._commit(attempt)

    def _start_scripted_line(self, text: str, *, closing: bool = False) -> None:
        attempt = _Attempt(turn=self.tracker.new_turn(), audio=b"", speech_end=self.clock.now(),
                           closing=closing)
        attempt.task = self._spawn(self._say(attempt, text))
        self._commit(attempt)

    def _commit(self, attempt: _Attempt) -> None:
        """The turn really ended: the attempt's reply becomes the one the user hears."""
        if self._active is not None and self._active is not attempt:
            self._interrupt(self._active)
        attempt.marks["committed"] = self.clock.now()
        attempt.committed.set()
        self._active = attempt
        speaker = self._speaker()
        self.tracker.begin_reply(attempt.turn, speaker.name, None)
        self._emit(ev.StateChanged("thinking"))
        held, attempt.held = attempt.held, []
        for event in held:
            self._deliver(attempt, event)

    def _emit_for(self, attempt: _Attempt, event: ev.Event) -> None:
        if attempt.committed.is_set():
            self._deliver(attempt, event)
        else:
            attempt.held.append(event)

    def _deliver(self, attempt: _Attempt, event: ev.Event) -> None:
        if isinstance(event, ev.UserTranscript) and self.tracker.reply is not None:
            self.tracker.reply.user_text = event.text
            self.stats.user_turn(event.text, len(attempt.audio) / 2 / SAMPLE_RATE)
        elif isinstance(event, ev.AudioStart) and not attempt.delivered_audio:
            attempt.delivered_audio = True
            attempt.marks["audio_sent"] = self.clock.now()
            self._carry = b""
            self._emit(ev.StateChanged("speaking"))
        if isinstance(event, ev.AudioStart):
            attempt.piece_text = event.text
        elif isinstance(event, ev.AudioEnd):
            self.tracker.add_piece(attempt.piece_text, event.duration_ms)
            if attempt.playback is not None:
                attempt.playback.sent(event.duration_ms)
        self._emit(event)

    async def _answer(self, attempt: _Attempt) -> None:
        """STT, then the reply: everything for one user turn."""
        samples = pcm16_to_float(attempt.audio)
        if not attempt.committed.is_set() and self._in_talk:
            samples = samples[-int(self.options.talk_tail_s * SAMPLE_RATE):]
        t0 = self.clock.now()
        try:
            transcript = await asyncio.to_thread(
                self.models.transcribe, samples, language=self.persona.language,
                prompt=self.options.stt_prompt,
            )
        except SpeechRecognitionError as exc:  # a remote service failed: say so, go on
            self._emit_for(attempt, ev.ErrorEvent(exc.code, str(exc)))
            await attempt.committed.wait()
            self._finish_attempt(attempt, interrupted=False)
            return
        attempt.marks["stt_done"] = self.clock.now()
        attempt.marks["stt_s"] = attempt.marks["stt_done"] - t0
        text = transcript.text.strip()
        if not attempt.committed.is_set():
            self._endpointer.hint(text, speech_end_audio_t=attempt.speech_end_audio_t)
            if self._in_talk:
                if self.ending.talk_ended(text):
                    # An explicit closing phrase ends the talk without waiting for a long pause.
                    self._end_talk()
                    self._speculative_restart(attempt)
                return  # during a talk, nothing is said until it ends
            if not text or self._active is not None:
                # Nothing to answer yet, or a reply is still on and its place in the history
                # is not settled: the prompt waits for the turn end.
                await attempt.committed.wait()
        if not text:
            self._finish_attempt(attempt, interrupted=False)
            return
        attempt.user_text = text
        # Pauses and pitch come from the audio, measured off the event loop; a failure there
        # costs the feedback, never the conversation.
        audio = await asyncio.to_thread(answer_audio_or_none, samples)
        self._emit_for(attempt, ev.UserTranscript(turn=attempt.turn, text=text, audio=audio))
        closing = (self.ending.user_wants_to_end(text)
                   or self.ending.out_of_time(self.clock.now() - self.stats.started_at)
                   or self.ending.enough_questions(self.stats))
        if self.flow is not None:
            # Decided on a copy: a speculative attempt may be dropped; the copy becomes the
            # scenario's state only once its reply is heard (_finish_attempt).
            engine = copy.deepcopy(self.flow)
            step = engine.finish() if closing else engine.on_user_turn(text, self.clock.now())
            attempt.flow_after, attempt.step = engine, step
            closing = step.closing
        await self._reply(attempt, text, closing=closing, step=attempt.step)

    def _speculative_restart(self, attempt: _Attempt) -> None:
        """Re-run a talk-tail attempt on the whole talk, committed."""
        self._attempt = None
        self._start_attempt(attempt.audio, attempt.speech_end_audio_t, committed=True,
                            speech_end=attempt.speech_end)

    async def _say(self, attempt: _Attempt, text: str) -> None:
        await self._reply(attempt, None, scripted=text, closing=attempt.closing)

    async def _reply(self, attempt: _Attempt, user_text: str | None, *,
                     scripted: str | None = None, closing: bool = False,
                     step: Step | None = None) -> None:
        speaker = self._speaker()
        attempt.closing = closing
        attempt.playback = Playback(self.clock)
        piece_offset = [0.0]

        async def speak(piece: Piece, pcm: bytes, rate: int) -> None:
            duration_ms = len(pcm) / 2 / rate * 1000.0 if pcm else 0.0  # no pcm: text only
            self._emit_for(attempt, ev.AudioStart(attempt.turn, piece.index, piece.text,
                                                  speaker.name, rate, piece_offset[0]))
            if pcm:
                self._emit_for(attempt, ev.AudioChunk(attempt.turn, piece.index, pcm, rate))
            self._emit_for(attempt, ev.AudioEnd(attempt.turn, piece.index, duration_ms))
            piece_offset[0] += duration_ms
            # Before the turn end is confirmed only the first piece is made: the user may go on,
            # and the CPU is better spent on their next turn than on a reply nobody hears.
            await attempt.committed.wait()

        try:
            synth = await self._voices.for_speaker(speaker)
            hold = self.options.hold_after_s
            async with asyncio.timeout(self.options.turn_limit_s):
                chat, messages, generation = await self._reply_source(
                    user_text or "", speaker, scripted=scripted, closing=closing, step=step)
                scripted_reply = isinstance(chat, ScriptedChat)
                await speak_reply(
                    chat, messages, generation, synthesizer=synth, rate=speaker.voice.rate,
                    clock=self.clock, playback=attempt.playback, speak=speak,
                    chunk_policy=self.options.chunk_policy, max_ahead_s=self.options.max_ahead_s,
                    times=attempt.times,
                    labels=None if scripted_reply else
                    label_filter(self.persona, speaker, self.options.user_name),
                    hold_at=None if scripted_reply or hold is None
                    else attempt.speech_end + hold,
                    holding_text=holding_line(self.persona.language))
        except (LLMError, VoiceRPError, TimeoutError) as exc:
            error = exc if isinstance(exc, VoiceRPError) else LLMError(  # the turn's hard limit
                f"the reply took longer than {self.options.turn_limit_s:g} s and was cut short")
            self._emit_for(attempt, ev.ErrorEvent(error.code, str(error)))
            await attempt.committed.wait()
            self._finish_attempt(attempt, interrupted=False)
            return
        await attempt.committed.wait()
        # Hold the speaking state until the client has (by our estimate) played it all.
        remaining = attempt.playback.sent_ms / 1000.0 - (
            self.clock.now() - (attempt.playback.started_at or self.clock.now()))
        if remaining > 0:
            await asyncio.sleep(remaining)
        self._finish_attempt(attempt, interrupted=False)

    # -- endings of replies ---------------------------------------------------------------------

    def _finish_attempt(self, attempt: _Attempt, *, interrupted: bool,
                        played_ms: float | None = None) -> None:
        if self._active is not attempt:
            return
        self._active = None
        if attempt.flow_after is not None and (attempt.delivered_audio or not interrupted):
            self._adopt(attempt)
        if self._attempt is attempt:
            self._attempt = None
        reply = self.tracker.reply
        heard = self.tracker.finish_reply(interrupted=interrupted, played_ms=played_ms)
        if reply is not None and (reply.pieces or interrupted):
            self._assistant_turns += 1
            self.stats.assistant_turn(heard, interrupted=interrupted)
            audio_ms = None
            if attempt.playback is not None:
                audio_ms = round(min(attempt.playback.sent_ms, played_ms)
                                 if played_ms is not None else attempt.playback.sent_ms)
            self._emit(ev.ReplyDone(attempt.turn, heard, interrupted, reply.speaker, audio_ms))
            self._emit(turn_metrics(
                attempt.turn, attempt.speech_end, attempt.marks, attempt.times,
                user_turn=bool(attempt.audio), interrupted=interrupted))
        self._emit(ev.StateChanged("listening"))
        if attempt.closing and not interrupted:
            self._finish_session("scenario_complete")

    def _barge_in(self) -> None:
        attempt = self._active
        if attempt is None:
            return
        if not attempt.delivered_audio and attempt.audio:
            # The user went on before hearing anything: their speech continues the same turn.
            self._carry = attempt.audio
            self._cancel(attempt)
            self._finish_attempt(attempt, interrupted=True)
            return
        self._interrupt(attempt)

    def _interrupt(self, attempt: _Attempt) -> None:
        """One interruption path: cancel the work, clear the client, keep what was heard."""
        self._cancel(attempt)
        self._emit(ev.Clear(attempt.turn))
        attempt.marks["interrupted"] = self.clock.now()
        reply = self.tracker.reply
        played = None
        if reply is not None and attempt.playback is not None:
            # The client's report is exact but may lag; our estimate is an upper bound.
            estimate = attempt.playback.position_ms()
            played = reply.played_ms if reply.played_ms > 0 else estimate
        self._finish_attempt(attempt, interrupted=True, played_ms=played)

    def _cancel(self, attempt: _Attempt) -> None:
        if attempt.task is not None and not attempt.task.done():
            attempt.task.cancel()

    def _finish_session(self, reason: str) -> None:
        if self._ended:
            return
        self.tracker.end()
        summary = self.stats.summary(self.clock.now())
        self._emit(ev.StateChanged("ended"))
        self._emit(ev.SessionEnded(reason, summary))
        self._ended = True
        self._events.put_nowait(None)  # the queue is unbounded for this sentinel's sake
        self._closed.set()

    # -- models ---------------------------------------------------------------------------------

    async def _prepare_transcriber(self) -> None:
        try:
            await asyncio.to_thread(self.models.transcriber_for, self.persona.language)
        except VoiceRPError as exc:
            self._emit(ev.ErrorEvent(exc.code, str(exc)))

    async def _read_persona_prompt(self) -> None:
        """Let the embedded model read the persona's prompt while the opening line plays."""
        if capabilities_of(self.models.chat).reads_prompt_ahead:  # e.g. not a remote endpoint
            # The first turn's history holds the opening line as heard: read that too.
            line = speakable(self._opening)
            history = [ChatMessage("assistant", line)] if (
                self.options.speak_opening_line and line) else []
            await read_prompt_ahead(
                self.models.chat,
                build_messages(self.persona, history, "", speaker=self._speaker()),
                self.persona.llm)

    # -- helpers ---------------------------------------------------------------------------------

    def _messages(self, user_text: str, speaker: Speaker) -> list[ChatMessage]:
        """The prompt for a reply: the history that fits the budget, plus the session's memory."""
        return build_messages(self.persona, self._window.select(self.tracker.history), user_text,
                              speaker=speaker, memory=self.memory.render())

    async def _reply_source(self, user_text: str, speaker: Speaker, *, scripted: str | None,
                            closing: bool, step: Step | None
                            ) -> tuple[ChatModel, list[ChatMessage], GenerationOptions]:
        """Who writes the reply: a scripted line, the scenario's step, or the model freely."""
        if scripted is None and closing:
            scripted = (step.say if step is not None else "") or closing_line(
                self.persona, user_name=self.options.user_name) or None
        if scripted is None and step is not None:
            plan = await self._stage_replies.plan(
                step, self.models.chat, self._messages(user_text, speaker), user_text)
            if plan.scripted is None:
                return self.models.chat, plan.messages or [], plan.options or self.persona.llm
            scripted = plan.scripted
        if scripted is not None:
            return ScriptedChat(scripted), [], self.persona.llm
        messages = self._messages(user_text, speaker)
        if closing:
            # Said just before the user's last words, so the prompt prefix stays reusable.
            messages.insert(-1, ChatMessage("system", _CLOSING_INSTRUCTION))
        return self.models.chat, messages, self.persona.llm

    def _adopt(self, attempt: _Attempt) -> None:
        """The user heard this reply: its step is now where the scenario stands."""
        self.flow = attempt.flow_after
        if attempt.user_text:
            self.memory.note(attempt.user_text, question=self._last_question)
        if attempt.step is not None and attempt.step.question:
            self._last_question = attempt.step.question

    def _speaker(self) -> Speaker:
        return self.persona.speaker_for_turn(self._assistant_turns)

    def _emit(self, event: ev.Event) -> None:
        if self._ended:
            return
        self._events.put_nowait(event)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("conversation task failed", exc_info=exc)
            self._emit(ev.ErrorEvent("internal_error", f"internal error: {exc}"))
            for attempt in (self._active, self._attempt):
                if attempt is not None and attempt.task is task:
                    self._finish_attempt(attempt, interrupted=False)
