"""Text to speech: the Synthesizer seam and its Piper implementation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class Synthesizer(Protocol):
    @property
    def sample_rate(self) -> int: ...

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        """Yield mono PCM16 for `text` at `sample_rate`. Blocking: call from a worker thread.

        `rate` > 1 speaks faster, < 1 slower.
        """
        ...
