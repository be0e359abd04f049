"""Where reply audio is in playback, and the recording of everything the server said.

`SimulatedPlayer` stands in for a speaker in file mode: it plays nothing but tracks where a
real-time player would be, so the client reports honest `played` positions and barge-in
truncation behaves as with a person listening. Both are I/O-free and take a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice_rp.audio import float_to_pcm16, pcm16_to_float, resample, wav_bytes
from voice_rp.clock import Clock


@dataclass
class _TurnAudio:
    first_at: float
    received_ms: float = 0.0
    cleared_at_ms: float | None = None


class SimulatedPlayer:
    """A virtual speaker: playback starts with a turn's first audio and runs at real time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._turns: dict[int, _TurnAudio] = {}

    def write(self, turn: int, pcm: bytes, sample_rate: int) -> None:
        state = self._turns.get(turn)
        if state is None:
            state = self._turns[turn] = _TurnAudio(first_at=self._clock.now())
        if state.cleared_at_ms is None:
            state.received_ms += len(pcm) / 2 / sample_rate * 1000.0

    def clear(self, turn: int) -> None:
        """Barge-in: drop what is buffered; the position stops where it is."""
        state = self._turns.get(turn)
        if state is not None and state.cleared_at_ms is None:
            state.cleared_at_ms = self.position_ms(turn)

    def position_ms(self, turn: int) -> float:
        """Audio of `turn` played so far: wall time since its first audio, capped at what came."""
        state = self._turns.get(turn)
        if state is None:
            return 0.0
        if state.cleared_at_ms is not None:
            return state.cleared_at_ms
        elapsed = (self._clock.now() - state.first_at) * 1000.0
        return min(elapsed, state.received_ms)

    def remaining_s(self, turn: int) -> float:
        """Seconds until everything received for `turn` has been played (0 if cleared)."""
        state = self._turns.get(turn)
        if state is None or state.cleared_at_ms is not None:
            return 0.0
        return max(0.0, state.received_ms - self.position_ms(turn)) / 1000.0


class Recorder:
    """Everything the server said, in order, as one mono track at the first voice's rate."""

    def __init__(self) -> None:
        self.sample_rate: int | None = None
        self._parts: list[np.ndarray] = []

    def write(self, pcm: bytes, sample_rate: int) -> None:
        if not pcm:
            return
        if self.sample_rate is None:
            self.sample_rate = sample_rate
        samples = pcm16_to_float(pcm)
        if sample_rate != self.sample_rate:
            samples = resample(samples, sample_rate, self.sample_rate)
        self._parts.append(samples)

    @property
    def duration_s(self) -> float:
        if self.sample_rate is None:
            return 0.0
        return sum(len(p) for p in self._parts) / self.sample_rate

    def wav(self, *, default_rate: int = 22_050) -> bytes:
        samples = np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)
        return wav_bytes(float_to_pcm16(samples), self.sample_rate or default_rate)
