"""Chat models: the ChatModel seam, any OpenAI-compatible endpoint, and the embedded default."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from .capabilities import Capabilities
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


@dataclass(frozen=True)
class Deadlines:
    """How long a remote chat model may take. One policy for every call to an endpoint.

    A user waiting in silence notices after a second or two; the conversation covers the first
    seconds (a holding line) but a stalled or crawling endpoint must end in a clear error, not
    in a turn that never finishes.
    """

    connect_s: float = 5.0
    """Connecting to the endpoint (a server that is down fails at once; a black hole here)."""
    first_token_s: float = 10.0
    """From the request to the first text of the reply."""
    idle_s: float = 6.0
    """Between two pieces of text once the reply flows."""
    total_s: float = 30.0
    """The whole reply."""


async def within_deadlines(
    stream: AsyncIterator[str], deadlines: Deadlines, *, describe: str,
    now: Callable[[], float] | None = None,
) -> AsyncGenerator[str, None]:
    """`stream`'s deltas, raising LLMError naming `describe` when a deadline passes."""
    loop = asyncio.get_running_loop()
    clock = now or loop.time
    end = clock() + deadlines.total_s
    first = True
    try:
        while True:
            step = deadlines.first_token_s if first else deadlines.idle_s
            limit = min(step, end - clock())
            try:
                async with asyncio.timeout(max(0.0, limit)):
                    delta = await anext(stream)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if limit < step:
                    why = f"did not finish its reply within {deadlines.total_s:g} s"
                elif first:
                    why = f"did not start answering within {deadlines.first_token_s:g} s"
                else:
                    why = f"stopped answering for {deadlines.idle_s:g} s mid-reply"
                raise LLMError(f"the chat model at {describe} {why}") from None
            first = False
            yield delta
    finally:
        if isinstance(stream, AsyncGenerator):
            with contextlib.suppress(Exception):
                await stream.aclose()


def _kind_of(exc: BaseException | None, names: tuple[str, ...]) -> bool:
    """Whether `exc` is one of the HTTP library's errors named `names` (or a subclass). By name:
    the openai package has shipped on more than one HTTP library (httpx, httpx2)."""
    return exc is not None and any(c.__name__ in names for c in type(exc).__mro__)


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
        deadlines: Deadlines | None = None,
        max_retries: int = 0,
    ) -> None:
        """`deadlines` bound every request (see Deadlines); `max_retries` defaults to 0
        because in a live conversation a quick, clear failure beats a silent backoff."""
        self.endpoint = display_endpoint(base_url)
        self.model = model
        self.name = f"{model} @ {self.endpoint}"
        self.capabilities = Capabilities(self.name, remote=True)
        self.deadlines = deadlines or Deadlines()
        self._secret = api_key or ""
        self._client: Any = None
        # Importing the openai package takes about a second of CPU: done on a thread of its
        # own, so a server without local models is ready at once. The first reply waits for it
        # only if it comes sooner (an opening line usually plays first).
        self._client_made = threading.Event()
        self._client_failed: BaseException | None = None
        threading.Thread(target=self._make_client, args=(base_url, api_key, max_retries),
                         name="voice-rp-openai-client", daemon=True).start()

    def _make_client(self, base_url: str, api_key: str | None, max_retries: int) -> None:
        try:
            import openai

            d = self.deadlines
            # Local servers need no key, but the client insists on one.
            self._client = openai.AsyncOpenAI(
                base_url=base_url,
                api_key=api_key or "not-needed",
                # The transport's own bounds are a backstop; `within_deadlines` is the policy.
                timeout=openai.Timeout(d.total_s, connect=d.connect_s),
                max_retries=max_retries,
            )
        except BaseException as exc:  # handed to the first caller, who reports it
            self._client_failed = exc
        finally:
            self._client_made.set()

    def stream(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncGenerator[str, None]:
        return within_deadlines(self._stream(messages, options), self.deadlines,
                                describe=self.endpoint)

    async def _stream(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncGenerator[str, None]:
        if not self._client_made.is_set():
            await asyncio.to_thread(self._client_made.wait)
        if self._client_failed is not None:
            raise LLMError(f"cannot set up the chat client for {self.endpoint}: "
                           f"{self._client_failed}") from self._client_failed
        import openai  # already imported by _make_client: instant

        wire: Any = to_wire(messages)  # the client's TypedDicts add nothing over our dataclass
        words = 0
        answered = False
        try:
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=wire,
                temperature=options.temperature,
                max_tokens=options.max_tokens,
                stream=True,
            )
            answered = True
            try:
                async for chunk in response:
                    if chunk.choices and chunk.choices[0].delta.content:
                        words += 1
                        yield chunk.choices[0].delta.content
            finally:
                await response.close()  # frees the connection when the consumer is cancelled
        except openai.APITimeoutError as exc:
            raise LLMError(
                f"the chat model at {self.endpoint} did not answer in time"
            ) from exc
        except openai.APIConnectionError as exc:
            if _kind_of(exc.__cause__, ("ConnectError", "ConnectTimeout")):
                raise LLMError(
                    f"cannot reach the chat model at {self.endpoint}: is the server running?"
                ) from exc
            raise LLMError(self._broken(exc.__cause__ or exc, answered, words)) from exc
        except openai.APIStatusError as exc:
            raise LLMError(self._status_message(exc)) from exc
        except Exception as exc:
            if not (isinstance(exc, OSError) or _kind_of(exc, ("TransportError",))):
                raise LLMError(  # e.g. an event stream that is not JSON
                    f"the chat model at {self.endpoint} sent something that is not a chat "
                    f"reply: {type(exc).__name__}: {self._scrub(str(exc))[:200]}") from exc
            raise LLMError(self._broken(exc, answered, words)) from exc  # cut mid-reply
        if not words:
            # HTTP 200 with nothing in it: an empty stream, or an HTML page from a proxy.
            kind = getattr(getattr(response, "response", None), "headers", {}).get(
                "content-type", "?")
            raise LLMError(f"the chat model at {self.endpoint} answered with no text "
                           f"(content type {kind}): check the base URL and the model name")

    def _broken(self, exc: BaseException, answered: bool, words: int) -> str:
        when = (f"after {words} piece(s) of its reply" if words else
                "before any text" if answered else "before it answered")
        return (f"the connection to the chat model at {self.endpoint} broke {when} "
                f"({type(exc).__name__})")

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
