"""A conversation's tuning knobs, read by its turn controller and its asyncio shell."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from voice_rp import endpointer as ep
from voice_rp.chunker import ChunkPolicy
from voice_rp.pause_profile import PastPauses


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
    locale: str = ""  # the user's locale ("en-GB"): which crisis lines to offer; "" : by language
    is_speech: Callable[[bytes], bool] | None = None  # None: webrtcvad
    hold_after_s: float | None = None  # no reply piece this long after speech: a holding line
    turn_limit_s: float = 60.0  # a reply still being made after this is cut short, with an error
    flow_seed: int | None = None  # draws the scenario's questions; None: differ every session
    capable_model: bool | None = None  # phrase questions freely; None: Models.capable_chat
    history_budget_tokens: int = 700  # older turns leave the prompt; SessionMemory keeps facts
    incremental_stt: bool = True  # a turn's end decodes only what its pauses' decodes did not
    read_ahead: bool = True  # the model reads the next prompt while the user thinks and speaks
    lines_ahead: bool = True  # scripted lines' audio is made in idle time, kept per voice
    ack_in_time: bool = True  # a model acknowledgement not ready at the turn end: a fixed one
    ack_min_s: float = 0.15  # the least time the model gets for an acknowledgement
    past_pauses: PastPauses | None = None  # the user's pauses in earlier sessions: the waits learn

    def transcribes_incrementally(self, turn_taking: str) -> bool:
        """Whether a persona with this turn-taking gets incremental STT: not for a talk (its
        looks at pauses cover only its last seconds) nor when fillers are kept for feedback (a
        tail read after the earlier words as prompt drops some "um"s)."""
        return self.incremental_stt and self.stt_prompt is None and turn_taking != "monologue"
