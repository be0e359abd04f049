"""Who gets a session: started sessions against what the server can serve at its latency target.

Two limits, whichever refuses first:
- `capacity`: a number of sessions, from `--max-sessions` or measured by scripts/bench_load.py
  (docs/reliability.md): above it every user's replies slow down.
- the latency target: the server watches the response latency of its own turns (end of speech to
  first reply audio, from each turn's metrics). Turns served while one session ran alone give the
  single-user p95; while the recent p95 is above `slowdown` times that (or above an explicit
  target), new sessions are refused, so the ones running stay within the target.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

SESSIONS_PER_CORE_EMBEDDED = 1.0
"""Measured (scripts/bench_load.py, docs/reliability.md): on 2 cores with the embedded models,
2 users kept their p95 response latency within twice the single-user p95 (1.16 s vs 0.82 s);
4 users did not (3.0 s)."""
SESSIONS_REMOTE_LLM = 4
"""With a remote chat endpoint only speech recognition and synthesis run here (not measured
under load yet): the earlier fixed limit."""


def default_capacity(cores: int, *, embedded_llm: bool) -> int:
    """Sessions this machine serves at the latency target, when `--max-sessions` is not given."""
    if not embedded_llm:
        return SESSIONS_REMOTE_LLM
    return max(1, int(cores * SESSIONS_PER_CORE_EMBEDDED))


def p95(values: list[float]) -> float:
    xs = sorted(values)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


@dataclass
class Admission:
    """Started sessions against `capacity` and the latency target. Connections are admitted
    when they send `start`, not when they connect: an idle socket must not lock others out."""

    capacity: int
    retry_after_s: float = 15.0
    target_ms: float | None = None
    """Refuse new sessions while the recent p95 is above this (None: learn it, see `slowdown`)."""
    slowdown: float = 2.0
    """Learned target: this many times the p95 of turns served to a single session."""
    min_samples: int = 5
    window: int = 20
    _admitted: set[str] = field(default_factory=set)
    _alone: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    _recent: deque[float] = field(default_factory=lambda: deque(maxlen=20))

    def try_admit(self, session_id: str) -> bool:
        """Take a slot for `session_id`; False if the server is full or running late."""
        if session_id in self._admitted:
            return True
        if len(self._admitted) >= self.capacity:
            return False
        if self._admitted and self.running_late():
            return False  # a lone user is always served: refusing them helps no one
        self._admitted.add(session_id)
        return True

    def release(self, session_id: str) -> None:
        self._admitted.discard(session_id)
        if not self._admitted:
            self._recent.clear()  # the load that made replies late is gone

    def record_turn(self, response_ms: float) -> None:
        """A turn's response latency, as the server measured it."""
        if not 0 <= response_ms < 600_000:
            return
        if len(self._admitted) <= 1:
            self._alone.append(response_ms)
        self._recent.append(response_ms)

    def running_late(self) -> bool:
        target = self.target()
        recent = list(self._recent)[-self.window:]
        return (target is not None and len(recent) >= self.min_samples
                and p95(recent) > target)

    def target(self) -> float | None:
        if self.target_ms is not None:
            return self.target_ms
        if len(self._alone) < self.min_samples:
            return None
        return self.slowdown * p95(list(self._alone))

    def why_busy(self) -> str:
        if len(self._admitted) >= self.capacity:
            return f"already {len(self._admitted)} sessions"
        target = self.target()
        return (f"replies are running late (p95 {p95(list(self._recent)[-self.window:]):.0f} ms,"
                f" target {target or 0:.0f} ms)")

    @property
    def in_use(self) -> int:
        return len(self._admitted)
