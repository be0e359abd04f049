"""Who gets a session: a count of started sessions against the capacity the server can serve."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Admission:
    """Started sessions against `capacity`. Connections are admitted when they send `start`,
    not when they connect: an idle socket must not lock others out."""

    capacity: int
    retry_after_s: float = 15.0
    _admitted: set[str] = field(default_factory=set)

    def try_admit(self, session_id: str) -> bool:
        """Take a slot for `session_id`; False if the server is full."""
        if session_id in self._admitted:
            return True
        if len(self._admitted) >= self.capacity:
            return False
        self._admitted.add(session_id)
        return True

    def release(self, session_id: str) -> None:
        self._admitted.discard(session_id)

    @property
    def in_use(self) -> int:
        return len(self._admitted)
