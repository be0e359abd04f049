"""Speech to text: the Transcriber seam and its faster-whisper implementation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    audio_seconds: float


class Transcriber(Protocol):
    def transcribe(
        self, samples: np.ndarray, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 samples. Blocking: call it from a worker thread."""
        ...
