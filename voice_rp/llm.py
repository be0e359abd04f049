"""Chat models: the ChatModel seam, any OpenAI-compatible endpoint, and the embedded default."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from .errors import LLMError


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
    ) -> AsyncGenerator[str, None]:
        """Yield reply text deltas as they arrive. Raises LLMError when the model fails.

        Cancelling the consuming task stops generation promptly.
        """
        ...


# --- any OpenAI-compatible endpoint ------------------------------------------------------------

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
"""The model used when the endpoint is api.openai.com and no model name is configured."""


def to_wire(messages: list[ChatMessage]) -> list[dict[str, str]]:
    """The OpenAI chat message format. Rendered the same way every time, so a server (or the
    embedded model) can reuse the cached persona + history prefix of the previous turn."""
    return [{"role": m.role, "content": m.content} for m in messages]


def display_endpoint(base_url: str) -> str:
    """`base_url` without user:password or query string, safe to show in errors and logs."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class OpenAIChatModel:
    """Streams replies from any OpenAI-compatible chat endpoint (OpenAI, Ollama, LM Studio, vLLM,
    llama.cpp server, a gateway). Every failure surfaces as LLMError naming the endpoint."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout_s: float = 20.0,
        max_retries: int = 0,
    ) -> None:
        """`timeout_s` bounds connecting and each wait for data; `max_retries` defaults to 0
        because in a live conversation a quick, clear failure beats a silent backoff."""
        import openai

        self.endpoint = display_endpoint(base_url)
        self.model = model
        self.name = f"{model} @ {self.endpoint}"
        self.timeout_s = timeout_s
        self._secret = api_key or ""
        # Local servers need no key, but the client insists on one.
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout_s,
            max_retries=max_retries,
        )

    async def stream(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncGenerator[str, None]:
        import openai

        wire: Any = to_wire(messages)  # the client's TypedDicts add nothing over our dataclass
        try:
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=wire,
                temperature=options.temperature,
                max_tokens=options.max_tokens,
                stream=True,
            )
            try:
                async for chunk in response:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
            finally:
                await response.close()  # frees the connection when the consumer is cancelled
        except openai.APITimeoutError as exc:
            raise LLMError(
                f"the chat model at {self.endpoint} did not answer within {self.timeout_s:g} s"
            ) from exc
        except openai.APIConnectionError as exc:
            raise LLMError(
                f"cannot reach the chat model at {self.endpoint}: is the server running?"
            ) from exc
        except openai.APIStatusError as exc:
            raise LLMError(self._status_message(exc)) from exc
        except Exception as exc:  # a stream cut mid-reply surfaces as a raw transport error
            raise LLMError(
                f"the chat model at {self.endpoint} failed: {type(exc).__name__}: "
                f"{self._scrub(str(exc))[:200]}"
            ) from exc

    def _status_message(self, exc: Any) -> str:
        status = exc.status_code
        if status in (401, 403):
            return f"the chat model at {self.endpoint} rejected the API key (HTTP {status})"
        if status == 404:
            return (
                f"the chat model at {self.endpoint} answered HTTP 404: check the model name "
                f"{self.model!r} and that the base URL is the API root (often ending in /v1)"
            )
        detail = self._scrub(str(exc.message))[:200]
        return f"the chat model at {self.endpoint} answered HTTP {status}: {detail}"

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text
