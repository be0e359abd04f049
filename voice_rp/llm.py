"""Chat models: the ChatModel seam, any OpenAI-compatible endpoint, and the embedded default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    temperature: float = 0.7
    max_tokens: int = 120


class ChatModel(Protocol):
    name: str

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncIterator[str]:
        """Yield reply text deltas as they arrive. Raises LLMError when the model fails.

        Cancelling the consuming task stops generation promptly.
        """
        ...
