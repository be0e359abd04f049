"""Each user's own thinking pauses, learned across sessions, set how long the partner waits.

People pause differently: a fluent speaker's mid-sentence pause is half a second, a learner
looking for a word may go quiet for four. The endpointer's waits (voice_rp.turn_policy) are set for
most people; this learns from one user's sessions with a practice:

- the pauses they went on after (inside a turn): the wait for words that leave a thought open
  becomes longer than nearly all of them (their 90th percentile plus a margin), never shorter than
  the preset's, at most `MAX_THINKING_WAIT_S`;
- the pauses at which the partner cut in (the user went on talking over the start of the reply):
  the wait after words that look complete grows past them, at most to the preset's wait for
  words that give no sign either way.

It learns within a session too, so the second time a user is cut off is less likely than the
first. I/O-free: the server reads the past sessions' summaries (`from_summaries`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voice_rp.turn_policy import TurnPolicy

PAST_SESSIONS = 10
"""How many of the user's latest sessions with a practice are learned from."""
MIN_PAUSES = 5
"""Fewer thinking pauses than this say nothing yet: the preset stands."""
THINKING_PAUSE_S = 0.5
"""Shorter silences inside a turn are breaths and word gaps, not thinking pauses."""
MAX_THINKING_WAIT_S = 8.0
"""The longest wait after open words, however long the user's pauses: past it, a holding
request ("give me a moment") is the way to more time."""
_MARGIN_S = 0.75
_KEPT = 200  # pauses kept per session in its summary


@dataclass(frozen=True)
class PastPauses:
    """What earlier sessions measured: pauses the user went on after, and those cut into."""

    pauses_s: tuple[float, ...] = ()
    cut_s: tuple[float, ...] = ()
    sessions: int = 0

    @classmethod
    def from_summaries(cls, summaries: Iterable[Mapping[str, Any] | None]) -> PastPauses:
        """From session-end summaries, newest first (`turn_taking` of `PauseLearning.summary`);
        summaries without it (older sessions) are skipped."""
        pauses: list[float] = []
        cuts: list[float] = []
        sessions = 0
        for summary in summaries:
            tt = (summary or {}).get("turn_taking")
            if not isinstance(tt, Mapping) or sessions >= PAST_SESSIONS:
                continue
            sessions += 1
            pauses += _floats(tt.get("pauses_s"))
            cuts += _floats(tt.get("cut_pauses_s"))
        return cls(tuple(pauses), tuple(cuts), sessions)


@dataclass
class PauseLearning:
    """One session's pauses on top of the past ones, and the waits they call for."""

    base: TurnPolicy
    past: PastPauses = field(default_factory=PastPauses)
    pauses_s: list[float] = field(default_factory=list)
    cut_pauses_s: list[float] = field(default_factory=list)

    def went_on(self, pause_s: float) -> None:
        """The user paused this long inside a turn and went on."""
        if pause_s >= THINKING_PAUSE_S and len(self.pauses_s) < _KEPT:
            self.pauses_s.append(round(pause_s, 2))

    def cut_off(self, pause_s: float) -> None:
        """The partner took the turn after this pause, and the user was not done."""
        if len(self.cut_pauses_s) < _KEPT:
            self.cut_pauses_s.append(round(max(pause_s, 0.0), 2))
            self.went_on(pause_s)

    def policy(self) -> TurnPolicy:
        """The base policy with the waits this user's pauses call for."""
        return learned(self.base, [*self.past.pauses_s, *self.pauses_s],
                       [*self.past.cut_s, *self.cut_pauses_s])

    def summary(self) -> dict[str, Any]:
        """For the session's summary: what the next session learns from, and the waits used."""
        policy = self.policy()
        return {"pauses_s": list(self.pauses_s), "cut_pauses_s": list(self.cut_pauses_s),
                "thinking_wait_s": round(policy.incomplete_silence_s, 2),
                "done_wait_s": round(policy.complete_silence_s, 2),
                "learned_from_sessions": self.past.sessions}


def learned(base: TurnPolicy, pauses_s: Sequence[float], cut_s: Sequence[float]) -> TurnPolicy:
    """`base` with waits past the user's own pauses (see the module's docstring)."""
    thinking = sorted(p for p in pauses_s if p >= THINKING_PAUSE_S)
    policy = base
    if len(thinking) >= MIN_PAUSES:
        wait = min(MAX_THINKING_WAIT_S, max(base.incomplete_silence_s,
                                            _quantile(thinking, 0.9) + _MARGIN_S))
        policy = dataclasses.replace(policy, incomplete_silence_s=wait,
                                     max_silence_s=max(policy.max_silence_s, wait))
    cuts = sorted(p for p in cut_s if p > 0)
    if cuts:
        # Past the pauses the user was cut off at (their median), within the "unsure" wait.
        wait = min(policy.end_silence_s,
                   max(policy.complete_silence_s, _quantile(cuts, 0.5) + 0.15))
        policy = dataclasses.replace(policy, complete_silence_s=wait,
                                     flowing_silence_s=max(policy.flowing_silence_s, wait))
    return policy


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    at = q * (len(sorted_values) - 1)
    low = int(at)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (at - low)


def _floats(values: Any) -> list[float]:
    if not isinstance(values, list):
        return []
    return [float(v) for v in values if isinstance(v, int | float) and 0 < v < 120]
