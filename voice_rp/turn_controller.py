"""Every decision of one conversation, free of I/O: a plain object fed inputs, returning commands.

Inputs: audio frames (through its endpointer), a transcript, the answer's audio measured, a reply
piece, the reply made or failed, playback position, played out, a task failed, close. Each returns
commands (voice_rp.turn_commands) for the asyncio shell (voice_rp.conversation) to carry out. The
clock is an argument: tests drive it with a fake clock and scripted inputs. A transcript of a turn
still going on is also sent as a live caption (PartialTranscript).

Speculation: at the first short silence the endpointer emits SpeculativeEnd and an *attempt*
starts at once (STT, then the reply's first piece). Its events are held back until the turn end
is confirmed; if the user goes on, the attempt is cancelled and its turn number reused. Speech
that interrupts a reply before any of it was heard continues the same turn. A reply the user
talks over is cut where they stopped hearing it, and only that much enters the history.
"""

from __future__ import annotations

import copy
import random

from voice_rp import endpointer as ep
from voice_rp import events as ev
from voice_rp import turn_commands as cmd
from voice_rp.audio import FRAME_BYTES, SAMPLE_RATE
from voice_rp.chunker import speakable
from voice_rp.clock import Clock
from voice_rp.conversation_options import ConversationOptions
from voice_rp.errors import LLMError, VoiceRPError
from voice_rp.feedback import SessionStats
from voice_rp.feedback.stats import speaking_seconds
from voice_rp.flow import FlowEngine
from voice_rp.listening.respond import Listening, paced, quiet_line, respond
from voice_rp.listening.turn_kind import TurnKind, TurnReading
from voice_rp.memory import SessionMemory
from voice_rp.personas import Persona, Speaker
from voice_rp.prompt import opening_line
from voice_rp.reply import SpokenPiece
from voice_rp.reply_source import ReplyRequest
from voice_rp.session_end import EndingRules
from voice_rp.stage_reply import user_label
from voice_rp.timeline import TurnTimeline
from voice_rp.turn_attempt import Attempt
from voice_rp.turn_commands import Command, Phase
from voice_rp.turn_taking import TurnTaking
from voice_rp.turns import TurnTracker

_MERGE_GAP = b"\x00" * (FRAME_BYTES * 15)  # 300 ms of silence between merged parts of a turn


class TurnController:
    def __init__(self, persona: Persona, *, clock: Clock,
                 options: ConversationOptions | None = None) -> None:
        self.persona = persona
        self.clock = clock
        self.options = options or ConversationOptions()
        self.phase = Phase.LISTENING
        self.tracker = TurnTracker()
        self.ending = EndingRules.for_persona(persona)
        # The scenario's questions and its acknowledgements draw from one generator.
        self.rng = random.Random(self.options.flow_seed)
        self.flow = (FlowEngine(persona.flow, difficulty=persona.difficulty, rng=self.rng,
                                now=clock.now()) if persona.flow is not None else None)
        # The role is in the system prompt already; the memory holds what the user says.
        self.memory = SessionMemory(user_label=user_label(persona), language=persona.language)
        self.listening = Listening()  # paused for the user's safety, abuse so far, ...
        line = opening_line(persona, user_name=self.options.user_name)
        self.opening = self.flow.opening(line) if self.flow is not None else line
        self.turn_taking = TurnTaking(persona, clock=clock, policy=self.options.turn_policy,
                                      is_speech=self.options.is_speech,
                                      past=self.options.past_pauses)
        self.stats = SessionStats(started_at=clock.now(), pauses=self.turn_taking.learning)
        self._pending: Attempt | None = None  # the latest user-turn attempt, maybe speculative
        self._active: Attempt | None = None  # the committed reply being made or played
        self._carry = b""  # speech of a turn cancelled before any reply audio: merged into next
        self._next_id = 0
        self._assistant_turns = 0
        self._last_question = ""
        self._out: list[Command] = []

    # -- inputs ---------------------------------------------------------------------------------

    def begin(self) -> list[Command]:  # the session starts: the user sees it listening
        self._enter(Phase.LISTENING)
        return self._drain()

    def open(self) -> list[Command]:
        """Speak the opening line, if the session has one."""
        if self.options.speak_opening_line and self.opening:
            self._start_scripted_line(self.opening)
        return self._drain()

    def audio(self, frame: bytes) -> list[Command]:
        """One 20 ms PCM16 16 kHz mono frame (640 bytes) of the user's microphone."""
        if len(frame) != FRAME_BYTES:
            raise ValueError(f"audio frames must be {FRAME_BYTES} bytes, got {len(frame)}")
        if self.phase is Phase.ENDED:
            return []
        bot_speaking = self.phase in (Phase.THINKING, Phase.SPEAKING)
        for event in self.turn_taking.push(frame, bot_speaking=bot_speaking):
            self._on_endpoint(event)
        if self.turn_taking.quiet_too_long(waiting=self._active is None and not bot_speaking):
            self.listening, line = quiet_line(self.persona.language, self.listening, self.flow)
            self._start_scripted_line(line)
        return self._drain()

    def _on_endpoint(self, event: ep.EndpointEvent) -> None:
        """What the endpointer decided about the user's speech."""
        if (over := self.turn_taking.hold_over(event)) is not None:
            self._emit(over)
        if isinstance(event, ep.SpeechStart):
            self._emit(ev.SpeechStarted(turn=self.tracker.peek_turn(), t=event.t))
        elif isinstance(event, ep.SpeculativeEnd):
            if self.options.speculative:
                self._start_attempt(event.audio, event.speech_end_audio_t, committed=False)
                self.turn_taking.endpointer.expect_hint()
        elif isinstance(event, ep.SpeechResumed):
            self._drop_speculation()
        elif isinstance(event, ep.TurnEnd):
            a = self._pending
            if a is not None and not a.committed and a.working and \
                    a.speech_end_audio_t == event.speech_end_audio_t:
                self._commit(a)  # the user did not go on: the prepared reply is the one
            else:
                self._drop_speculation()
                self._start_attempt(event.audio, event.speech_end_audio_t, committed=True)
            if self.turn_taking.in_talk:
                self.turn_taking.end_talk()
        elif isinstance(event, ep.BargeIn):
            self._barge_in()

    def transcribed(self, attempt: int, text: str, *, started: float) -> list[Command]:
        """Recognition of the attempt's audio, begun at clock time `started`, is done."""
        a = self._live(attempt)
        if a is None:
            return []
        a.timeline.transcribed(started=started, done=self.clock.now())
        if not a.committed:
            if text:  # in a talk, only the last seconds were decoded: the caption says so
                self._emit(ev.PartialTranscript(a.turn, f"… {text}" if self.turn_taking.in_talk
                                                else text))
            if (held := self.turn_taking.hint(text, a.speech_end_audio_t, turn=a.turn)):
                self._emit(held)  # the user asked for time: the page counts it down
            if self.turn_taking.in_talk:
                a.working = False  # during a talk, nothing is said until it ends
                if self.ending.talk_ended(text):
                    # An explicit closing phrase ends the talk without waiting for a long pause.
                    self.turn_taking.end_talk()
                    self._restart_committed(a)
                return self._drain()
            if not text or self._active is not None:
                # Nothing to answer yet, or a reply is still on and its place in the history
                # is not settled: the prompt waits for the turn end.
                a.user_text, a.waiting = text, True
                return self._drain()
        self._answer(a, text)
        return self._drain()

    def analysed(self, attempt: int, audio: dict | None, reading: TurnReading) -> list[Command]:
        """The answer's audio measures (None: they could not be taken) and what kind of turn it
        is; now the reply."""
        a = self._live(attempt)
        if a is None or a.user_text is None:
            return []
        text, now = a.user_text, self.clock.now()
        a.kind = reading.kind
        self._emit_for(a, ev.UserTranscript(turn=a.turn, text=text, audio=audio,
                                            kind=reading.kind.value))
        closing = (self.ending.user_wants_to_end(text)
                   or self.ending.out_of_time(now - self.stats.started_at)
                   or self.ending.enough_questions(self.stats))
        # Decided on a copy: a speculative attempt may be dropped; the copy becomes the
        # scenario's state only once its reply is heard (_finish).
        engine = copy.deepcopy(self.flow) if self.flow is not None else None
        plan = respond(reading, text, persona=self.persona, state=self.listening, flow=engine,
                       memory=self.memory, now=now, closing=closing, locale=self.options.locale,
                       last_line=self.tracker.last_said() or self.opening_heard)
        a.flow_after, a.step, a.listening_after = engine, plan.step, plan.listening
        a.end_reason = plan.end_reason
        closing = plan.closing or (plan.step is not None and plan.step.closing)
        if plan.safety is not None:
            self._emit_for(a, ev.SafetyNotice(a.turn, plan.safety.to_dict()))
        speaker = paced(self.speaker(), plan.rate_scale)
        hold = self.options.hold_after_s
        # The model's acknowledgement must be ready when the turn end can come at the earliest.
        ack_due = a.timeline.speech_end + self.turn_taking.endpointer.policy.complete_silence_s
        self._speak(a, ReplyRequest(
            speaker, user_text=text, closing=closing, step=a.step, scripted=plan.say,
            note=plan.note, history=tuple(self.tracker.history), memory=self.memory.render(),
            hold_at=None if hold is None else a.timeline.speech_end + hold,
            ack_within_s=None if not self.options.ack_in_time
            else max(self.options.ack_min_s, ack_due - self.clock.now())))
        return self._drain()

    def piece_ready(self, attempt: int, piece: SpokenPiece) -> list[Command]:
        """The reply stream made a piece: send it (or hold it until the turn end)."""
        a = self._live(attempt)
        if a is None or a.speaker is None:
            return []
        a.timeline.piece(piece.timing)
        if piece.audio == b"":
            return []  # the voice made no sound of it: nothing to say
        duration_ms = piece.duration_ms
        self._emit_for(a, ev.AudioStart(a.turn, piece.index, piece.text, a.speaker.name,
                                        piece.sample_rate, a.made_ms))
        if piece.audio:
            self._emit_for(a, ev.AudioChunk(a.turn, piece.index, piece.audio, piece.sample_rate))
        self._emit_for(a, ev.AudioEnd(a.turn, piece.index, duration_ms))
        a.made_ms += duration_ms
        return self._drain()

    def reply_made(self, attempt: int) -> list[Command]:
        """The reply is all made: it ends once the client has played it."""
        a = self._live(attempt)
        if a is not None:
            a.made = True
            if a.committed:
                self._await_playback(a)
        return self._drain()

    def model_failed(self, attempt: int, error: VoiceRPError) -> list[Command]:
        """The chat model failed; a scripted line stands in and the user is told, with it."""
        a = self._live(attempt)
        if a is not None:
            self._emit_for(a, ev.ErrorEvent(error.code, f"{error}; the scenario goes on"))
        return self._drain()

    def reply_failed(self, attempt: int, error: VoiceRPError | None) -> list[Command]:
        """No reply: recognition or the model failed, or (None) time ran out; the user is told."""
        a = self._live(attempt)
        if a is not None:
            error = error or LLMError(f"the reply took longer than "
                                      f"{self.options.turn_limit_s:g} s and was cut short")
            self._emit_for(a, ev.ErrorEvent(error.code, str(error)))
            a.made = a.failed = True
            if a.committed:
                self._finish(a, interrupted=False)
        return self._drain()

    def played_out(self, attempt: int) -> list[Command]:
        """By our estimate, the client has played all of the attempt's reply."""
        a = self._live(attempt)
        if a is not None:
            self._finish(a, interrupted=False)
        return self._drain()

    def played(self, turn: int, played_ms: float) -> list[Command]:
        """The client's report of how far the reply of `turn` has played."""
        self.tracker.played(turn, played_ms)
        return []

    def queued_s(self, attempt: int) -> float:
        """Seconds of the attempt's reply sent but not yet played, by our estimate."""
        a = self._live(attempt)
        return 0.0 if a is None else (a.sent_ms - a.played_ms(self.clock.now())) / 1000.0

    def task_failed(self, attempt: int | None, error: BaseException) -> list[Command]:
        """Work crashed: tell the user; an attempt it belonged to ends with what it had."""
        self._emit(ev.ErrorEvent("internal_error", f"internal error: {error}"))
        a = self._live(attempt) if attempt is not None else None
        if a is not None:
            a.working = False
            self._finish(a, interrupted=False)
        return self._drain()

    def notice(self, event: ev.Event) -> list[Command]:
        """Something to tell the user that no turn owns (a missing voice, a model that failed)."""
        self._emit(event)
        return self._drain()

    def close(self) -> list[Command]:
        """The session is closing: a reply under way counts as far as it was heard."""
        a = self._active
        if a is not None:
            reported = self.tracker.reply.played_ms if self.tracker.reply else 0.0
            estimate = a.played_ms(self.clock.now()) if a.speaker is not None else None
            self._finish(a, interrupted=True, played_ms=reported or estimate)
        return self._drain()

    def end(self, reason: str) -> list[Command]:
        """End the session (if the scenario has not ended it already)."""
        self._finish_session(reason)
        return self._drain()

    # -- what the controller knows -----------------------------------------------------------

    def lines_ahead(self) -> list[str]:  # said word for word: the opening, the flow's lines
        return [self.opening, *(self.flow.upcoming() if self.flow is not None else [])]

    def speaker(self) -> Speaker:  # who speaks the next reply (panels take turns)
        return self.persona.speaker_for_turn(self._assistant_turns)

    @property
    def opening_heard(self) -> str:
        """The opening line as the user hears it ("" if none is spoken)."""
        line = speakable(self.opening)
        return line if self.options.speak_opening_line and line else ""

    # -- attempts -------------------------------------------------------------------------------

    def _start_attempt(self, audio: bytes, speech_end_audio_t: float, *, committed: bool,
                       speech_end: float | None = None) -> None:
        """`speech_end_audio_t` is in the current endpointer's audio time."""
        if self._carry:
            audio = self._carry + _MERGE_GAP + audio
        if speech_end is None:
            speech_end = self.turn_taking.clock_time(speech_end_audio_t)
        a = self._new_attempt(audio, speech_end)
        a.speech_end_audio_t = speech_end_audio_t
        a.timeline.start = self.clock.now()
        self._pending = a
        if self.turn_taking.in_talk and not committed:
            # During a talk, a look at a pause covers only its last seconds: it is cheap.
            audio = audio[-int(self.options.talk_tail_s * SAMPLE_RATE) * 2:]
        self._out.append(cmd.Transcribe(a.id, audio))
        if committed:
            self._commit(a)

    def _start_scripted_line(self, text: str) -> None:
        a = self._new_attempt(b"", self.clock.now())
        self._speak(a, ReplyRequest(self.speaker(), scripted=text))
        self._commit(a)

    def _new_attempt(self, audio: bytes, speech_end: float) -> Attempt:
        self._next_id += 1
        return Attempt(self._next_id, self.tracker.new_turn(), audio, TurnTimeline(speech_end))

    def _restart_committed(self, a: Attempt) -> None:
        """Re-run a look at a talk's tail on the whole talk, committed."""
        self._out.append(cmd.Cancel(a.id))
        self._pending = None
        self._start_attempt(a.audio, a.speech_end_audio_t, committed=True,
                            speech_end=a.timeline.speech_end)

    def _answer(self, a: Attempt, text: str) -> None:
        """The attempt's words are known and its reply may be made."""
        a.waiting = False
        if not text:
            self._finish(a, interrupted=False)
            return
        a.user_text = text
        # Pauses and pitch come from the audio, and the turn's kind from its words, off the loop.
        self._out.append(cmd.Analyse(a.id, a.audio, text, self._last_question))

    def _speak(self, a: Attempt, request: ReplyRequest) -> None:
        a.speaker, a.closing = request.speaker, request.closing
        self._out.append(cmd.Speak(a.id, request))

    def _commit(self, a: Attempt) -> None:
        """The turn really ended: the attempt's reply becomes the one the user hears."""
        if self._active is not None and self._active is not a:
            self._interrupt(self._active)
        a.timeline.committed = self.clock.now()
        a.committed = True
        self._active = a
        self.tracker.begin_reply(a.turn, self.speaker().name, None)
        self._enter(Phase.THINKING)
        self._out.append(cmd.Release(a.id))
        held, a.held = a.held, []
        for event in held:
            self._deliver(a, event)
        if a.waiting:
            self._answer(a, a.user_text or "")
        elif a.failed:
            self._finish(a, interrupted=False)
        elif a.made:
            self._await_playback(a)

    def _drop_speculation(self) -> None:
        a = self._pending
        if a is not None and not a.committed:
            self._out.append(cmd.Cancel(a.id))
            self._pending = None
            # The user never saw this attempt, so its turn number is reused.
            self.tracker.release_turn(a.turn)

    def _await_playback(self, a: Attempt) -> None:
        """Hold the speaking state until the client has (by our estimate) played it all."""
        remaining = a.sent_ms / 1000.0 - (self.clock.now() - (a.playing_since or self.clock.now()))
        if remaining > 0:
            self._out.append(cmd.WaitPlayback(a.id, remaining))
        else:
            self._finish(a, interrupted=False)

    def _live(self, attempt: int) -> Attempt | None:
        for a in (self._active, self._pending):
            if a is not None and a.id == attempt:
                return a
        return None

    # -- events ---------------------------------------------------------------------------------

    def _emit_for(self, a: Attempt, event: ev.Event) -> None:
        if a.committed:
            self._deliver(a, event)
        else:
            a.held.append(event)

    def _deliver(self, a: Attempt, event: ev.Event) -> None:
        if isinstance(event, ev.UserTranscript) and self.tracker.reply is not None:
            self.tracker.reply.user_text = event.text
            speech = (event.audio or {}).get("speech") or []
            self.stats.user_turn(event.text, len(a.audio) / 2 / SAMPLE_RATE,
                                 speaking_s=speaking_seconds(speech))
        elif isinstance(event, ev.AudioStart) and not a.delivered_audio:
            a.timeline.audio_sent = self.clock.now()
            self._carry = b""
            self._enter(Phase.SPEAKING)
        if isinstance(event, ev.AudioStart):
            a.piece_text = event.text
        elif isinstance(event, ev.AudioEnd):
            self.tracker.add_piece(a.piece_text, event.duration_ms)
            if a.playing_since is None:
                a.playing_since = self.clock.now()
            a.sent_ms += event.duration_ms
        self._emit(event)

    def _enter(self, phase: Phase) -> None:
        if self.phase is Phase.ENDED:
            return  # an ended session stays ended, whatever finishes after
        self._emit(ev.StateChanged(phase.value))
        self.phase = phase

    def _emit(self, event: ev.Event) -> None:
        if self.phase is not Phase.ENDED:
            self._out.append(cmd.Emit(event))

    def _drain(self) -> list[Command]:
        out, self._out = self._out, []
        return out

    # -- endings of replies ---------------------------------------------------------------------

    def _finish(self, a: Attempt, *, interrupted: bool, played_ms: float | None = None) -> None:
        if self._active is not a:
            return
        self._active = None
        self._out.append(cmd.Cancel(a.id))  # whatever work it has left is no longer wanted
        if a.listening_after is not None and (a.delivered_audio or not interrupted):
            self._adopt(a)
        if self._pending is a:
            self._pending = None
        reply = self.tracker.reply
        heard = self.tracker.finish_reply(interrupted=interrupted, played_ms=played_ms)
        if reply is not None and (reply.pieces or interrupted):
            self._assistant_turns += 1
            self.stats.assistant_turn(heard, interrupted=interrupted)
            audio_ms = None
            if a.speaker is not None:
                audio_ms = round(min(a.sent_ms, played_ms) if played_ms is not None
                                 else a.sent_ms)
            self._emit(ev.ReplyDone(a.turn, heard, interrupted, reply.speaker, audio_ms))
            self._emit(a.timeline.metrics(a.turn, user_turn=bool(a.audio),
                                          interrupted=interrupted))
        self._enter(Phase.LISTENING)
        if a.closing and not interrupted:
            self._finish_session(a.end_reason or "scenario_complete")
        elif a.audio:  # (the opening line's prompt is read ahead while it plays)
            self._out.append(cmd.ReadAhead(ReplyRequest(
                self.speaker(), history=tuple(self.tracker.history), memory=self.memory.render())))

    def _barge_in(self) -> None:
        a = self._active
        if a is None:
            return
        if a.audio:  # were they done? (not if they heard some of the reply first)
            self.turn_taking.talked_over(*a.since_end_and_heard_s(self.clock.now()))
        if a.delivered_audio or not a.audio:
            return self._interrupt(a)
        self._carry = a.audio  # they went on before hearing anything: the same turn goes on
        self._finish(a, interrupted=True)

    def _interrupt(self, a: Attempt) -> None:
        """One interruption path: cancel the work, clear the client, keep what was heard."""
        self._emit(ev.Clear(a.turn))
        a.timeline.interrupted = self.clock.now()
        reply = self.tracker.reply
        played = None
        if reply is not None and a.speaker is not None:
            # The client's report is exact but may lag; our estimate is an upper bound.
            estimate = a.played_ms(self.clock.now())
            played = reply.played_ms if reply.played_ms > 0 else estimate
        self._finish(a, interrupted=True, played_ms=played)

    def _adopt(self, a: Attempt) -> None:
        """The user heard this reply: its step is now where the scenario stands."""
        self.flow = a.flow_after or self.flow
        self.listening = a.listening_after or self.listening
        if a.user_text and a.kind not in (TurnKind.DISTRESS, TurnKind.ABUSE):
            self.memory.note(a.user_text, question=self._last_question)
        if a.step is not None and a.step.question:
            self._last_question = a.step.question

    def _finish_session(self, reason: str) -> None:
        if self.phase is Phase.ENDED:
            return
        self.tracker.end()
        summary = self.stats.summary(self.clock.now())
        self._enter(Phase.ENDED)
        self._out.append(cmd.Emit(ev.SessionEnded(reason, summary)))
        self._out.append(cmd.EndSession())
