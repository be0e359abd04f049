"""An OpenAI-compatible chat endpoint that misbehaves on purpose, for fault tests and benchmarks.

`FaultEndpoint(mode)` listens on a free loopback port and answers every chat completion request
the way `mode` says:

- `ok`: streams `words` as SSE deltas, `delay_s` apart, then `[DONE]`.
- `slow`: the same with a long `delay_s` (one word every few seconds).
- `stall`: reads the request and never answers.
- `empty`: HTTP 200 with an event stream holding only `[DONE]`.
- `html`: HTTP 200 with an HTML page (a captive portal, a proxy's login page).
- `garbage`: HTTP 200, an event stream whose data is not JSON.
- `reset`: headers and one word, then the TCP connection is reset.
- `down`: nothing listens (the port was closed again): connection refused.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from dataclasses import dataclass, field

MODES = ("ok", "slow", "stall", "empty", "html", "garbage", "reset", "down")


@dataclass
class FaultEndpoint:
    mode: str = "ok"
    words: tuple[str, ...] = ("Sure,", " tell", " me", " more", " about", " that.")
    delay_s: float = 0.01
    requests: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def __aenter__(self) -> FaultEndpoint:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; one of {', '.join(MODES)}")
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        if self.mode == "down":
            self._server.close()
            await self._server.wait_closed()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()  # stalled answers end, rather than being cancelled mid-wait
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            w.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._answer(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            if not writer.is_closing():
                writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        await reader.readexactly(length)
        self.requests += 1
        if self.mode == "stall":
            await self._closing.wait()
            return
        if self.mode == "html":
            body = b"<html><body>Please log in to continue</body></html>"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")
        await writer.drain()
        if self.mode == "garbage":
            writer.write(b"data: this is not json\n\n")
        elif self.mode != "empty":
            for i, word in enumerate(self.words):
                if i:
                    await asyncio.sleep(self.delay_s)
                writer.write(b"data: " + json.dumps(_chunk(word)).encode() + b"\n\n")
                await writer.drain()
                if self.mode == "reset":
                    await asyncio.sleep(0.05)
                    _reset(writer)
                    return
        writer.write(b"data: [DONE]\n\n")
        await writer.drain()


def _chunk(word: str) -> dict[str, object]:
    return {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fault",
            "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN, as a crashed server or a dropped NAT entry looks."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
