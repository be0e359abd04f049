"""Driving a Conversation in tests like the server does, and recording what it emits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np

from voice_rp import events as ev
from voice_rp.audio import float_to_pcm16, frames
from voice_rp.conversation import Conversation
from voice_rp.personas import Persona, builtin_dirs, find_persona


def persona(name: str) -> Persona:
    return find_persona(name, builtin_dirs())


# --------------------------------------------------------------------------- driving a session


_SILENT_FRAME = bytes(640)


class Session:
    """Runs a Conversation like the server does and records every event it emits.

    With `idle_mic` the microphone stays open between pushes, as a browser's does: silence
    comes in real time, so a turn whose words are still being recognised when the pushed audio
    ran out ends when they come, as it would live (tests with real models). Without it, only
    the pushed audio exists (tests that count every frame)."""

    def __init__(self, conv: Conversation, *, frame_sleep_s: float = 0.002,
                 on_frame: Callable[[], object] | None = None, idle_mic: bool = False) -> None:
        self.conv = conv
        self.events: list[ev.Event] = []
        self.frame_sleep_s = frame_sleep_s
        self.on_frame = on_frame
        self._pushing = False
        self._tasks = [asyncio.create_task(conv.run()), asyncio.create_task(self._collect())]
        if idle_mic:
            self._tasks.append(asyncio.create_task(self._idle_mic()))

    async def _idle_mic(self) -> None:
        while True:
            await asyncio.sleep(0.02)
            if not self._pushing:
                self.conv.push_audio(_SILENT_FRAME)

    async def _collect(self) -> None:
        async for event in self.conv.events():
            self.events.append(event)

    async def push(self, samples: np.ndarray) -> None:
        """Stream speech faster than real time (20 ms of audio every couple of ms)."""
        self._pushing = True
        try:
            for frame in frames(float_to_pcm16(samples)):
                if self.on_frame is not None:
                    self.on_frame()
                self.conv.push_audio(frame)
                await asyncio.sleep(self.frame_sleep_s)
        finally:
            self._pushing = False
        await asyncio.sleep(0.05)  # let the collector catch up with what the frames decided

    async def wait_for(self, pred: Callable[[ev.Event], bool], within: float = 120.0,
                       *, after: int = 0) -> Any:
        """The first event (from index `after` on) that `pred` accepts."""
        async with asyncio.timeout(within):
            while True:
                for event in self.events[after:]:
                    if pred(event):
                        return event
                await asyncio.sleep(0.01)

    def of(self, kind: type, events: list[ev.Event] | None = None) -> list:
        return [e for e in (self.events if events is None else events) if isinstance(e, kind)]

    def thinking(self) -> int:
        """How many turns the persona has taken up (the client shows "thinking")."""
        return sum(isinstance(e, ev.StateChanged) and e.state == "thinking" for e in self.events)

    async def close(self) -> None:
        await self.conv.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def is_done(e: ev.Event) -> bool:
    return isinstance(e, ev.ReplyDone)
