"""Audio pace: a token bucket over audio time, shared by the server (to drop a flood) and the
clients (to send recorded audio as fast as the server allows, and no faster)."""

from __future__ import annotations

from voice_rp.audio import FRAME_MS


class FrameRateLimiter:
    """A token bucket over audio time: allows `rate` x real time sustained plus a burst.

    Frames over the limit are dropped, not queued: queuing would let a client grow server memory.
    """

    def __init__(self, *, rate: float = 3.0, burst_ms: float = 10_000.0,
                 frame_ms: float = FRAME_MS, error_interval_s: float = 1.0) -> None:
        self.rate = rate
        self.burst_ms = burst_ms
        self.frame_ms = frame_ms
        self.error_interval_s = error_interval_s
        self._tokens = burst_ms
        self._last: float | None = None
        self._last_report: float | None = None
        self.dropped = 0
        self._dropped_since_report = 0

    def allow(self, now: float) -> bool:
        """Account for one frame arriving at `now` (seconds); False means drop it."""
        if self._last is not None:
            elapsed_ms = max(0.0, now - self._last) * 1000.0
            self._tokens = min(self.burst_ms, self._tokens + elapsed_ms * self.rate)
        self._last = now
        if self._tokens >= self.frame_ms:
            self._tokens -= self.frame_ms
            return True
        self.dropped += 1
        self._dropped_since_report += 1
        return False

    def wait_s(self, now: float) -> float:
        """Seconds from `now` until one more frame would be allowed (0 if it would be now)."""
        tokens = self._tokens
        if self._last is not None:
            tokens = min(self.burst_ms, tokens + max(0.0, now - self._last) * 1000.0 * self.rate)
        return max(0.0, (self.frame_ms - tokens) / self.rate / 1000.0)

    def take_dropped(self, now: float) -> int:
        """Frames dropped since the last report, reported now whatever the interval."""
        self._last_report = now
        n, self._dropped_since_report = self._dropped_since_report, 0
        return n

    @property
    def unreported(self) -> int:
        return self._dropped_since_report

    def report_due(self, now: float) -> int:
        """Frames dropped since the last report if it is time to tell the client, else 0."""
        if not self._dropped_since_report:
            return 0
        if self._last_report is not None and now - self._last_report < self.error_interval_s:
            return 0
        self._last_report = now
        n, self._dropped_since_report = self._dropped_since_report, 0
        return n
