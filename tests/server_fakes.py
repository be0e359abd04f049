"""A scripted conversation and factory for server tests that are about the protocol, not models.

The fake answers every `FRAMES_PER_TURN` frames of audio with a transcript naming the number of
frames it got, a short reply (one piece of 100 ms at 24 kHz) and metrics: enough to see that each
session gets its own audio and its own answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from server.session import Opened
from voice_rp import events as ev
from voice_rp.audio import FRAME_BYTES
from voice_rp.errors import PersonaError, UnknownPersona

FRAMES_PER_TURN = 25
REPLY_RATE = 24_000
REPLY_PCM = b"\x01\x02" * (REPLY_RATE // 10)  # 100 ms


class FakeConversation:
    def __init__(self, persona: str, *, crash: bool = False, opening: bool = False) -> None:
        self.persona = persona
        self.crash = crash
        self.opening = opening
        self.frames: list[bytes] = []
        self.played_reports: list[tuple[int, float]] = []
        self.closed_with: str | None = None
        self._queue: asyncio.Queue[ev.Event | None] = asyncio.Queue()
        self.closed = asyncio.Event()
        self._turn = 0

    async def run(self) -> None:
        self._queue.put_nowait(ev.StateChanged("listening"))
        if self.crash:
            raise RuntimeError("scripted failure")
        if self.opening:
            self._reply(f"Hello, I am {self.persona}.")
        await self.closed.wait()

    def push_audio(self, frame: bytes) -> None:
        if len(frame) != FRAME_BYTES:
            raise ValueError("bad frame")
        self.frames.append(frame)
        if len(self.frames) % FRAMES_PER_TURN == 0:
            self._turn += 1
            self._queue.put_nowait(ev.StateChanged("thinking"))
            self._queue.put_nowait(ev.UserTranscript(self._turn, f"{len(self.frames)} frames"))
            self._reply(f"{self.persona} heard {len(self.frames)} frames.")

    def _reply(self, text: str) -> None:
        turn = self._turn
        q = self._queue
        q.put_nowait(ev.StateChanged("speaking"))
        q.put_nowait(ev.AudioStart(turn, 0, text, self.persona, REPLY_RATE, 0.0))
        q.put_nowait(ev.AudioChunk(turn, 0, REPLY_PCM, REPLY_RATE))
        q.put_nowait(ev.AudioEnd(turn, 0, 100.0))
        q.put_nowait(ev.ReplyDone(turn, text, False, self.persona))
        q.put_nowait(ev.TurnMetrics(turn, 0.0, {"response_ms": 12.5}))
        q.put_nowait(ev.StateChanged("listening"))

    def played(self, turn: int, played_ms: float) -> None:
        self.played_reports.append((turn, played_ms))

    async def events(self) -> AsyncIterator[ev.Event]:
        while (event := await self._queue.get()) is not None:
            yield event

    async def close(self, reason: str = "closed") -> None:
        if self.closed.is_set():
            return
        self.closed_with = reason
        self._queue.put_nowait(ev.SessionEnded(reason, {"frames": len(self.frames)}))
        self._queue.put_nowait(None)
        self.closed.set()


class FakeFactory:
    """Personas: any name; "broken" is an invalid file, "nobody" does not exist, "crash" fails."""

    def __init__(self, *, opening: bool = False) -> None:
        self.opening = opening
        self.opened: list[FakeConversation] = []

    async def open(self, persona: str, options: dict[str, Any]) -> Opened:
        if persona == "nobody":
            raise UnknownPersona("unknown persona 'nobody'; available: anyone")
        if persona == "broken":
            raise PersonaError("must be a mapping", source="broken.yaml", field="character")
        conv = FakeConversation(persona, crash=persona == "crash", opening=self.opening)
        self.opened.append(conv)
        return Opened(conv, {"id": persona, "name": persona, "speaks_first": self.opening})


# --------------------------------------------------------------------------- a server on fakes


async def start_fake_server(data_dir: Any, *, factory: FakeFactory | None = None,
                            limits: Any = None) -> Any:
    """A VoiceServer on a free port, whose conversations are FakeConversations, saving to
    `data_dir`; stop it with `await server.stop()`."""
    from server.app import ServerConfig, VoiceServer
    from server.limits import ServerLimits
    from voice_rp.storage import TranscriptStore

    fakes = factory or FakeFactory()

    async def load() -> FakeFactory:
        return fakes

    server = VoiceServer(ServerConfig(host="127.0.0.1", port=0, limits=limits or ServerLimits()),
                         load=load, store=TranscriptStore(data_dir))
    await server.start()
    await server.wait_ready()
    return server


async def next_message(ws: Any, kind: str | None = None, *, within_s: float = 5.0
                       ) -> dict[str, Any]:
    """The next text message on a client connection (of type `kind`: others and audio are
    skipped)."""
    import json

    async with asyncio.timeout(within_s):
        while True:
            message = await ws.recv()
            if isinstance(message, bytes):
                continue
            data: dict[str, Any] = json.loads(message)
            if kind is None or data["type"] == kind:
                return data
