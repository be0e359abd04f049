"""A small OpenAI-compatible audio API for tests: `/v1/audio/transcriptions` and
`/v1/audio/speech` on a real loopback HTTP server, with switchable faults.

    with FakeAudioAPI() as api:
        api.base_url               # http://127.0.0.1:PORT (no /v1: the client adds it)
        api.mode = "slow"          # ok | wav | slow | garbage | status | cut
        api.requests[-1]           # what the client sent (path, headers, form fields, audio)

Transcription answers with `transcribe(samples)` (default: the duration it heard, so a test
can check the audio arrived whole). Speech answers with a tone as long as the text is, in
`pcm` (24 kHz raw, chunked) or, in mode "wav", a 22,050 Hz WAV.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    samples: np.ndarray | None = None
    rate: int = 0
    json: dict[str, Any] = field(default_factory=dict)


def tone(seconds: float, rate: int) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 220 * t) * 8000).astype("<i2").tobytes()


class FakeAudioAPI:
    def __init__(self, *, transcribe: Callable[[np.ndarray], str] | None = None,
                 slow_s: float = 1.5) -> None:
        self.mode = "ok"
        self.speech_mode: str | None = None  # set: speech answers so, transcription by `mode`
        self.status = 500
        self.slow_s = slow_s
        self.transcribe = transcribe or (lambda s: f"I heard {len(s) / 16000:.2f} seconds.")
        self.requests: list[Request] = []
        self.connections = 0
        self.first_chunk_sent = threading.Event()
        self.release = threading.Event()  # speech: hold the rest until set (see `hold`)
        self.release.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A client that gave up (timeout tests) leaves a broken pipe behind: expected here.
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def hold(self) -> None:
        """Make the next speech answer wait after its first chunk until `release` is set."""
        self.first_chunk_sent.clear()
        self.release.clear()

    def __enter__(self) -> FakeAudioAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, chunked answers
            mode = "ok"

            def setup(self) -> None:
                super().setup()
                api.connections += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status = api.status if api.mode == "status" else 200
                self._send(status, b'{"object": "list", "data": []}', "application/json")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                api.requests.append(request)
                self.mode = (api.speech_mode if self.path.endswith("/speech")
                             and api.speech_mode else api.mode)
                if self.mode == "slow":
                    time.sleep(api.slow_s)
                if self.mode == "status":
                    return self._send(api.status, b'{"error": {"message": "overloaded"}}',
                                      "application/json")
                if self.path == "/v1/audio/transcriptions":
                    return self._transcription(request, body)
                if self.path == "/v1/audio/speech":
                    return self._speech(request, body)
                self._send(404, b"not found", "text/plain")

            def _transcription(self, request: Request, body: bytes) -> None:
                kind = self.headers["Content-Type"]
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {kind}\r\n\r\n".encode() + body)
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    data = part.get_payload(decode=True)
                    if name == "file":
                        with wave.open(io.BytesIO(data)) as w:
                            request.rate = w.getframerate()
                            pcm = w.readframes(w.getnframes())
                        request.samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
                    else:
                        request.form[str(name)] = data.decode()
                if self.mode == "garbage":
                    return self._send(200, b"<html>Service starting</html>", "text/html")
                text = api.transcribe(request.samples if request.samples is not None
                                      else np.zeros(0, np.float32))
                self._send(200, json.dumps({"text": text}).encode(), "application/json")

            def _speech(self, request: Request, body: bytes) -> None:
                request.json = json.loads(body)
                if self.mode == "garbage":
                    return self._send(200, b'{"detail": "voice not found"}', "application/json")
                seconds = 0.06 * len(request.json.get("input", ""))
                if self.mode == "wav":
                    out = io.BytesIO()
                    with wave.open(out, "wb") as w:
                        w.setnchannels(1)
                        w.setsampwidth(2)
                        w.setframerate(22050)
                        w.writeframes(tone(seconds, 22050))
                    audio, kind = out.getvalue(), "audio/wav"
                else:
                    audio, kind = tone(seconds, 24000), "audio/pcm"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                step = 4801  # odd: the client must keep samples whole across chunks
                for i, start in enumerate(range(0, len(audio), step)):
                    chunk = audio[start:start + step]
                    if i == 0:
                        api.first_chunk_sent.set()  # before the client can possibly see it
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                    if i == 0:
                        api.release.wait(10)
                    if self.mode == "cut" and i == 1:
                        self.close_connection = True
                        self.connection.shutdown(2)  # dies mid-answer
                        return
                self.wfile.write(b"0\r\n\r\n")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
