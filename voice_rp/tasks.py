"""The explicit owner of a conversation's tasks: every task it starts is known, a failure is
reported, and closing cancels them all with a timeout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskRegistry:
    """Tasks started with `spawn`; one that fails is logged and handed to `failed` with the
    attempt it worked for (None: the session's own work)."""

    def __init__(self, failed: Callable[[int | None, BaseException], None]) -> None:
        self._failed = failed
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], *, attempt: int | None = None
              ) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, attempt))
        return task

    async def cancel_all(self, *, wait_s: float) -> None:
        """Cancel every task and wait up to `wait_s` for them to end."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=wait_s)

    def _done(self, task: asyncio.Task[None], attempt: int | None) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("conversation task failed", exc_info=exc)
            self._failed(attempt, exc)
