"""A synchronous stand-in for the conversation shell: drives a TurnController with a fake clock.

Frames go in 20 ms of fake time apart; the work the controller asks for (transcribe, measure,
speak, wait for playback) is done only when a test says so, so every interleaving of the user's
speech and the models' progress can be scripted exactly. No event loop, no sleeps, no models.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from voice_rp import events as ev
from voice_rp import turn_commands as cmd
from voice_rp.audio import FRAME_BYTES, SAMPLE_RATE
from voice_rp.clock import FakeClock
from voice_rp.conversation_options import ConversationOptions
from voice_rp.listening.turn_kind import read_turn
from voice_rp.personas import Persona, builtin_dirs, find_persona
from voice_rp.prompt import closing_line
from voice_rp.reply import SpokenPiece
from voice_rp.timeline import PieceTiming
from voice_rp.turn_controller import TurnController

VOICED = np.full(FRAME_BYTES // 2, 3000, dtype="<i2").tobytes()
QUIET = bytes(FRAME_BYTES)
RATE = 16_000


def persona(name: str = "behavioural-interviewer", *, flow: bool = False) -> Persona:
    found = find_persona(name, builtin_dirs())
    return found if flow else dataclasses.replace(found, flow=None)


def spoke_for(audio: bytes) -> str:
    """What the fake recogniser hears: how much speech the audio holds."""
    samples = np.frombuffer(audio, dtype="<i2")
    ms = int(round(np.count_nonzero(samples) / SAMPLE_RATE * 1000 / 20) * 20)
    return f"I spoke for {ms} milliseconds."


class Harness:
    def __init__(self, who: Persona | None = None, **options: Any) -> None:
        self.clock = FakeClock(100.0)
        options.setdefault("speak_opening_line", False)
        self.ctl = TurnController(who or persona(), clock=self.clock,
                                  options=ConversationOptions(is_speech=any, **options))
        self.commands: list[cmd.Command] = []
        self.todo: list[cmd.Command] = []  # work asked for and not done yet
        self.released: set[int] = set()
        self.cancelled: set[int] = set()
        self.parked: dict[int, Iterator[SpokenPiece]] = {}  # replies waiting for Release
        self.playing: list[cmd.WaitPlayback] = []
        self.ended = False
        self.hear: Callable[[bytes], str] = spoke_for
        self.measure: Callable[[bytes], dict[str, Any] | None] = lambda audio: None
        self.reply = ["Thanks.", "Tell me about your last project?"]
        self.ms_per_word = 100.0
        self.take(self.ctl.begin())

    # -- what the controller said ---------------------------------------------------------------

    def take(self, commands: list[cmd.Command]) -> list[cmd.Command]:
        for c in commands:
            self.commands.append(c)
            if isinstance(c, cmd.Transcribe | cmd.Analyse | cmd.Speak):
                self.todo.append(c)
            elif isinstance(c, cmd.WaitPlayback):
                self.playing.append(c)
            elif isinstance(c, cmd.Release):
                self.released.add(c.attempt)
            elif isinstance(c, cmd.Cancel):
                self.cancelled.add(c.attempt)
                self.todo = [t for t in self.todo if getattr(t, "attempt", None) != c.attempt]
                self.parked.pop(c.attempt, None)
                self.playing = [p for p in self.playing if p.attempt != c.attempt]
            elif isinstance(c, cmd.EndSession):
                self.ended = True
        return commands

    @property
    def events(self) -> list[ev.Event]:
        return [c.event for c in self.commands if isinstance(c, cmd.Emit)]

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def asked(self, kind: type) -> list[Any]:
        return [c for c in self.commands if isinstance(c, kind)]

    def states(self) -> list[str]:
        return [e.state for e in self.of(ev.StateChanged)]

    # -- the user ---------------------------------------------------------------------------------

    def say(self, seconds: float, frame: bytes = VOICED, *, work: bool = False) -> None:
        """Frames of `seconds`, 20 ms of clock apart; `work`: the models keep up between them."""
        for _ in range(round(seconds * 50)):
            self.clock.advance(0.02)
            self.take(self.ctl.audio(frame))
            if work:
                self.work()

    def pause(self, seconds: float, *, work: bool = False) -> None:
        self.say(seconds, QUIET, work=work)

    # -- the models -------------------------------------------------------------------------------

    def work(self, *, speak: bool = True) -> None:
        """Do all work asked for, as far as it can go (a reply waits for its Release);
        `speak=False`: stop where a reply would start."""
        for attempt in [a for a in self.parked if a in self.released]:
            self._speak_on(attempt, self.parked.pop(attempt))
        while self.todo and (speak or not isinstance(self.todo[0], cmd.Speak)):
            c = self.todo.pop(0)
            if isinstance(c, cmd.Transcribe):
                self.take(self.ctl.transcribed(c.attempt, self.hear(c.audio),
                                               started=self.clock.now()))
            elif isinstance(c, cmd.Analyse):
                reading = read_turn(c.text, language=self.ctl.persona.language,
                                    persona_kind=self.ctl.persona.kind, question=c.question)
                self.take(self.ctl.analysed(c.attempt, self.measure(c.audio), reading))
            elif isinstance(c, cmd.Speak):
                self._speak_on(c.attempt, self._pieces(c))

    def play_out(self) -> None:
        """The client has played every reply sent."""
        while self.playing:
            c = self.playing.pop(0)
            self.clock.advance(c.seconds)
            self.take(self.ctl.played_out(c.attempt))

    def _pieces(self, c: cmd.Speak) -> Iterator[SpokenPiece]:
        # As the reply writer does: a closing reply with nothing scripted is the closing line.
        line = c.request.scripted or (closing_line(self.ctl.persona) if c.request.closing
                                      else None)
        texts = [line] if line else list(self.reply)
        for i, text in enumerate(texts):
            n = int(len(text.split()) * self.ms_per_word / 1000 * RATE)
            now = self.clock.now()
            yield SpokenPiece(i, text, bytes(2 * n), RATE, PieceTiming(
                now, synth_started=now, synth_done=now, llm_first_token=now))

    def _speak_on(self, attempt: int, pieces: Iterator[SpokenPiece]) -> None:
        for piece in pieces:
            self.take(self.ctl.piece_ready(attempt, piece))
            if attempt not in self.released:
                self.parked[attempt] = pieces  # only the first piece before the turn end
                return
        self.take(self.ctl.reply_made(attempt))

    def replying(self, *sentences: str) -> int:
        """A user turn whose reply (250 ms a word) has just started playing; its turn number."""
        self.reply = list(sentences or ["One two three four five six seven eight."])
        self.ms_per_word = 250
        self.say(0.6, work=True)
        self.pause(1.0, work=True)
        return int(self.of(ev.AudioStart)[0].turn)

    def turn(self, speech_s: float = 1.0, *, work: bool = True) -> None:
        """A whole user turn, answered and played out."""
        self.say(speech_s, work=work)
        self.pause(1.5, work=work)
        self.work()
        self.play_out()
