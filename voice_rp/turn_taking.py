"""A persona's turn-taking: which endpointer policy applies, during a talk and after it, and the
user's audio run through it."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable

from voice_rp import endpointer as ep
from voice_rp import events as ev
from voice_rp.audio import FRAME_MS
from voice_rp.clock import Clock
from voice_rp.completeness import Ending
from voice_rp.pause_profile import PastPauses, PauseLearning
from voice_rp.personas import Persona

QUIET_MARGIN_S = 10.0
"""Silence past the hold (`hold_s`) before a holding line, when the user asked for no time."""
MAX_QUIET_LINES = 2
"""Holding lines in one silence: after them, the persona waits quietly for the user."""
CUT_OFF_S = 3.0
"""A user talking over a reply this soon after their pause had not finished their turn..."""
CUT_OFF_HEARD_S = 0.5
"""...unless they had heard more of the reply than this before they spoke (an interruption)."""


def policy_for(persona: Persona, *, talk: bool = True) -> ep.TurnPolicy:
    """The persona's turn-taking preset with the waits its file sets (docs/personas.md).

    A monologue persona has two phases: the talk, where `end_pause_s` is the pause that ends
    it, and (`talk=False`) the questions afterwards, taken conversationally. `silence_ms` is the
    end-of-turn wait of every other turn.
    """
    presets = {
        "conversational": ep.TurnPolicy.conversational,
        "patient": ep.TurnPolicy.patient,
        "monologue": ep.TurnPolicy.monologue,
    }
    in_talk = talk and persona.turn_taking == "monologue"
    name = "conversational" if persona.turn_taking == "monologue" and not talk else \
        persona.turn_taking
    policy = presets.get(name, ep.TurnPolicy.conversational)()
    if in_talk and persona.talk_end_pause_s is not None:
        wait = persona.talk_end_pause_s  # exactly this pause ends the talk, whatever the words
        return dataclasses.replace(
            policy, speculative_silence_s=min(policy.speculative_silence_s, wait),
            complete_silence_s=wait, flowing_silence_s=wait, end_silence_s=wait,
            incomplete_silence_s=wait, max_silence_s=wait)
    if not in_talk and persona.turn_silence_ms is not None:
        wait = persona.turn_silence_ms / 1000.0
        return dataclasses.replace(
            policy, speculative_silence_s=min(policy.speculative_silence_s, wait),
            complete_silence_s=wait, flowing_silence_s=wait, end_silence_s=wait,
            incomplete_silence_s=max(policy.incomplete_silence_s, wait),
            max_silence_s=max(policy.max_silence_s, wait))
    return policy


class TurnTaking:
    """The user's microphone frames through the persona's endpointer (a talk's, then the one for
    the questions after it), with each frame's arrival on the clock: a turn's speech end is found
    in audio time and measured from in clock time."""

    def __init__(self, persona: Persona, *, clock: Clock, policy: ep.TurnPolicy | None = None,
                 is_speech: Callable[[bytes], bool] | None = None,
                 past: PastPauses | None = None) -> None:
        self._persona, self._clock = persona, clock
        self._policy, self._is_speech = policy, is_speech  # policy None: the persona's
        base = policy or policy_for(persona, talk=False)
        self.learning = PauseLearning(base, past or PastPauses())
        """The user's thinking pauses (past sessions' and this one's) and the waits they set."""
        self.in_talk = persona.turn_taking == "monologue"
        self._audio_t = 0.0
        self._wall: deque[tuple[float, float]] = deque(maxlen=30_000 // FRAME_MS)
        self._holding: int | None = None  # the turn whose request for time holds the floor
        self._quiet_s, self._nudges = 0.0, 0  # silence while the persona waits; lines said
        self.endpointer = self._new_endpointer()

    def push(self, frame: bytes, *, bot_speaking: bool) -> list[ep.EndpointEvent]:
        """One 20 ms frame (FRAME_BYTES): what the endpointer decided about it."""
        self._audio_t += FRAME_MS / 1000.0
        self._wall.append((self._audio_t, self._clock.now()))
        self.endpointer.bot_speaking = bot_speaking
        events = self.endpointer.push(frame)
        if self.endpointer.state != "idle":
            self._quiet_s = 0.0
        for event in events:
            if isinstance(event, ep.SpeechStart):
                self._nudges = 0
            if isinstance(event, ep.SpeechResumed) and not self.in_talk:
                self.learning.went_on(event.pause_s)
                self.endpointer.policy = self.learning.policy()
        return events

    def quiet_too_long(self, *, waiting: bool) -> bool:
        """Whether the user's silence while the persona waits for them (`waiting`) has lasted
        long enough for a holding line: `hold_s` plus `QUIET_MARGIN_S`, twice at most until
        they speak. Neither cutting in nor waiting forever."""
        if not waiting or self.in_talk or self._nudges >= MAX_QUIET_LINES:
            self._quiet_s = 0.0
            return False
        self._quiet_s += FRAME_MS / 1000.0
        if self._quiet_s < self.endpointer.policy.hold_s + QUIET_MARGIN_S:
            return False
        self._quiet_s, self._nudges = 0.0, self._nudges + 1
        return True

    def talked_over(self, since_end_s: float, heard_s: float = 0.0) -> None:
        """The user spoke over (or before) the reply to their turn, which ended `since_end_s`
        ago, of which `heard_s` had played: if they went on before hearing any of it to speak
        of, they had not finished. Counted as a cut-off, and the waits learn from it. One who
        heard some of the reply first is interrupting it, which teaches nothing about pauses."""
        barge_in_s = self.endpointer.policy.barge_in_s
        if (since_end_s > CUT_OFF_S or heard_s - barge_in_s > CUT_OFF_HEARD_S
                or self.in_talk):
            return
        self.learning.cut_off(since_end_s - barge_in_s)
        self.endpointer.policy = self.learning.policy()

    def hint(self, text: str, speech_end_audio_t: float, *, turn: int) -> ev.Holding | None:
        """The words up to the pause at `speech_end_audio_t` pick the endpointer's wait; if they
        ask for time ("give me a moment"), the floor is held: returns what to tell the page."""
        ending = self.endpointer.hint(text, speech_end_audio_t=speech_end_audio_t,
                                      language=self._persona.language)
        if ending is not Ending.HOLD or self.in_talk:
            return None
        self._holding = turn
        return ev.Holding(turn, self.endpointer.policy.hold_s)

    def hold_over(self, event: ep.EndpointEvent) -> ev.Holding | None:
        """After `event`, is a hold over (the user went on, or the held turn ended)?"""
        if self._holding is None or not isinstance(event, ep.SpeechResumed | ep.TurnEnd):
            return None
        turn, self._holding = self._holding, None
        return ev.Holding(turn, 0.0)

    def end_talk(self) -> None:
        """The audience persona's talk is over: from now on, questions and answers."""
        self.in_talk = False
        self.endpointer = self._new_endpointer()

    def clock_time(self, audio_t: float) -> float:
        """Clock time at which the frame ending at `audio_t` (in the current endpointer's audio
        time) arrived."""
        audio_t += self._endpointer_origin
        for t_audio, t_wall in reversed(self._wall):
            if t_audio <= audio_t + 1e-6:
                return t_wall
        return self._wall[0][1] if self._wall else self._clock.now()

    def _new_endpointer(self) -> ep.Endpointer:
        policy = self._policy or policy_for(self._persona, talk=self.in_talk)
        if not self.in_talk:
            self.learning.base = policy
            policy = self.learning.policy()
        # A new endpointer counts audio from zero: remember where, to map its times to ours.
        self._endpointer_origin = self._audio_t
        return ep.Endpointer(policy, clock=self._clock, is_speech=self._is_speech)
