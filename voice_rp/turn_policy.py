"""How long the endpointer waits at each kind of pause, per kind of practice (voice_rp.endpointer).

A pause after words that end a thought is answered at once; one after words that are mid-thought
is waited through; a request for time holds the floor. Presets: `conversational` (interviews,
everyday talk), `patient` (language learners), `monologue` (a talk of minutes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TurnPolicy:
    """How long to wait at each kind of pause. Use a preset or override single fields."""

    min_speech_s: float = 0.25
    """Speech shorter than this never starts a turn (coughs, clicks, a chair)."""
    min_resume_s: float = 0.1
    """Speech needed after a pause to count as the user going on (shorter blips leave the pause)."""
    speculative_silence_s: float = 0.15
    """The first short silence: SpeculativeEnd, so STT/LLM can start while we wait to be sure.
    The reply is ready this much sooner (scripts/bench_latency.py: 0.2 s -> 0.15 s took ~50 ms
    off the response latency); a pause the user talks through only costs discarded work."""
    complete_silence_s: float = 0.3
    """Silence that ends a turn whose words end a thought ("...and it worked." "Yes, I did."):
    people answer each other in about 200 ms; the reply is already being made by then."""
    flowing_silence_s: float = 0.55
    """The same after `flowing_after_s` of speech in the turn: a long answer goes on after
    pauses of 0.2-0.5 s between its sentences, each of which ends a thought."""
    flowing_after_s: float = 4.0
    """Speech in a turn past which the user is in a long answer."""
    end_silence_s: float = 0.7
    """Silence that ends a turn when the words give no sign either way, when they end a thought
    but the voice does not (no final fall: voice_rp.voice_end), or when no hint came."""
    incomplete_silence_s: float = 3.5
    """Silence needed when the words are mid-thought ("and", "um", a trailing comma): a thinking
    pause of up to 3 s must not cost the user the turn."""
    max_silence_s: float = 4.0
    """Hard cap on any wait, whatever the words (a request for time excepted)."""
    voice_cue: bool = False
    """Whether the pitch at a pause (voice_rp.voice_end) may overrule words that end a thought.
    On the end-of-turn benchmark's dev clips it spared Spanish and French learners a few
    cut-offs (12 of 44 paused turns cut, against 14) for ~0.2 s more on complete turns, and did
    nothing for English interviews but slow them (docs/turn_taking.md): on for learners only."""
    hold_s: float = 20.0
    """How long the floor is held after the user asks for time ("give me a moment")."""
    barge_in_s: float = 0.3
    """Speech this long while the bot speaks is a barge-in (never less than min_speech_s)."""
    vad_mode: int = 3
    """webrtcvad aggressiveness 0-3; 3 holds up best in noise."""
    max_turn_s: float = 60.0
    """A turn this long ends at its next short (speculative) silence."""

    def __post_init__(self) -> None:
        for name in ("min_speech_s", "min_resume_s", "speculative_silence_s",
                     "complete_silence_s", "flowing_silence_s", "flowing_after_s",
                     "end_silence_s", "incomplete_silence_s",
                     "max_silence_s", "hold_s", "barge_in_s", "max_turn_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"TurnPolicy.{name} must be > 0, got {getattr(self, name)!r}")
        if not (self.speculative_silence_s <= self.complete_silence_s
                <= self.flowing_silence_s <= self.end_silence_s <= self.incomplete_silence_s):
            raise ValueError(
                "TurnPolicy needs speculative_silence_s <= complete_silence_s <= "
                "flowing_silence_s <= end_silence_s <= incomplete_silence_s, got "
                f"{self.speculative_silence_s}, {self.complete_silence_s}, "
                f"{self.flowing_silence_s}, {self.end_silence_s}, {self.incomplete_silence_s}"
            )
        if self.max_silence_s < self.end_silence_s:
            raise ValueError(
                f"TurnPolicy.max_silence_s ({self.max_silence_s}) must be >= end_silence_s "
                f"({self.end_silence_s})"
            )
        if self.vad_mode not in (0, 1, 2, 3):
            raise ValueError(f"TurnPolicy.vad_mode must be 0, 1, 2 or 3, got {self.vad_mode!r}")

    @classmethod
    def conversational(cls) -> TurnPolicy:
        """Interviews and everyday talk: quick turn-taking (the default)."""
        return cls()

    @classmethod
    def patient(cls) -> TurnPolicy:
        """Language learners: long pauses to find a word must not cost them the turn."""
        return cls(speculative_silence_s=0.2, complete_silence_s=0.5, flowing_silence_s=0.8,
                   end_silence_s=1.0, incomplete_silence_s=4.5, max_silence_s=5.0, hold_s=30.0,
                   voice_cue=True, barge_in_s=0.4, max_turn_s=90.0)

    @classmethod
    def monologue(cls) -> TurnPolicy:
        """A talk of minutes: breaths and 1-2 s pauses never end it; ~3 s of silence does.

        Speculation waits for a real pause: transcribing minutes of audio at every breath is waste.
        """
        return cls(speculative_silence_s=1.5, complete_silence_s=3.0, flowing_silence_s=3.0,
                   end_silence_s=3.0,
                   incomplete_silence_s=4.0, max_silence_s=5.0, barge_in_s=0.5,
                   max_turn_s=1200.0)
