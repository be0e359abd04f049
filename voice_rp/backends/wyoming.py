"""Speech recognition and synthesis over the Wyoming protocol (Home Assistant's voice services:
wyoming-faster-whisper, wyoming-piper, and any other Wyoming ASR/TTS server).

Blocking, like the embedded backends: the conversation calls them from worker threads. Each
event is a JSON line, optionally followed by data and a binary payload (`wyoming.event`).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
from wyoming.asr import Transcribe
from wyoming.asr import Transcript as WyomingTranscript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error as WyomingError
from wyoming.event import Event, read_event, write_event
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeVoice

from ..audio import SAMPLE_RATE
from ..capabilities import Capabilities
from ..errors import SpeechRecognitionError, SpeechSynthesisError, VoiceRPError
from ..stt import Transcript
from .pcm import PCMFormatError, Rechunker, float_to_pcm16
from .service import RemoteSynthesizer, SpeechService

log = logging.getLogger(__name__)

_MAX_LINE = 64 * 1024  # an event header; anything longer is not a Wyoming service
_MAX_BLOCK = 16 * 1024 * 1024  # one event's data or audio payload
_SEND_BYTES = SAMPLE_RATE * 2  # one second of audio per chunk event
PIPER_RATE = 22050


class NotWyoming(Exception):
    """The service's answer is not the Wyoming protocol."""


class _Reader:
    """A bounded view of the socket for `wyoming.event.read_event`: a peer that sends garbage
    (no newline, absurd lengths) costs an error, not the server's memory."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readline(self) -> bytes:
        line = self._stream.readline(_MAX_LINE)
        if line and not line.endswith(b"\n"):
            raise NotWyoming("an event header longer than 64 KiB")
        return line

    def read(self, size: int) -> bytes:
        if size > _MAX_BLOCK:
            raise NotWyoming(f"an event of {size} bytes")
        return self._stream.read(size)


class _Connection:
    """One TCP connection to a Wyoming service."""

    def __init__(self, service: SpeechService) -> None:
        self.sock = socket.create_connection(service.address, timeout=service.connect_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._out = self.sock.makefile("wb")
        self._in = _Reader(self.sock.makefile("rb"))

    def send(self, *events: Event) -> None:
        for event in events:
            write_event(event, self._out)  # flushes

    def receive(self, timeout_s: float) -> Event:
        self.sock.settimeout(timeout_s)
        try:
            event = read_event(self._in)  # type: ignore[arg-type]  # duck-typed reader
        except (NotWyoming, AttributeError, KeyError, TypeError) as exc:
            raise NotWyoming(str(exc) or type(exc).__name__) from exc
        if event is None:
            raise NotWyoming("the connection closed mid-answer (or the answer was not JSON)")
        if WyomingError.is_type(event.type):
            raise _ServiceSaid(WyomingError.from_event(event).text)
        return event

    def close(self) -> None:
        for closable in (self._out, self.sock):
            with contextlib.suppress(OSError):
                closable.close()


class _ServiceSaid(Exception):
    """The service answered with a Wyoming `error` event."""


def describe(service: SpeechService) -> Info:
    """Ask a Wyoming service what it offers (its readiness check). Raises OSError or NotWyoming."""
    conn = _Connection(service)
    try:
        conn.send(Describe().event())
        while True:
            event = conn.receive(service.timeout_s)
            if Info.is_type(event.type):
                return Info.from_event(event)
    finally:
        conn.close()


class WyomingTranscriber:
    """Speech recognition by a Wyoming ASR service (`wyoming://host:port`).

    wyoming-faster-whisper closes the connection after each transcript, so each turn opens one.
    A refused or failed connect is retried once (nothing was sent, so it is safe); a service
    that accepts and then fails is reported, never asked twice.
    """

    def __init__(self, service: SpeechService) -> None:
        self.service = service
        self.name = service.display
        self.multilingual = True  # the service decides; a wrong language is its error to report
        self.capabilities = Capabilities(f"wyoming stt {service.display}", remote=True)

    def transcribe(self, samples: np.ndarray, *, language: str | None = None,
                   prompt: str | None = None) -> Transcript:
        """16 kHz float samples to text. `prompt` is not part of the Wyoming protocol: the
        service's own initial prompt (if any) applies. Raises SpeechRecognitionError."""
        pcm = float_to_pcm16(samples)
        seconds = len(pcm) / 2 / SAMPLE_RATE
        try:
            conn = _connect_with_retry(self.service)
        except OSError as exc:
            raise self._error(f"cannot connect ({exc})") from exc
        try:
            conn.send(Transcribe(name=self.service.model, language=language).event(),
                      AudioStart(rate=SAMPLE_RATE, width=2, channels=1).event())
            for start in range(0, len(pcm), _SEND_BYTES):
                conn.send(AudioChunk(rate=SAMPLE_RATE, width=2, channels=1,
                                     audio=pcm[start:start + _SEND_BYTES]).event())
            conn.send(AudioStop().event())
            while True:
                event = conn.receive(self.service.timeout_s)
                if WyomingTranscript.is_type(event.type):
                    found = WyomingTranscript.from_event(event)
                    return Transcript(found.text.strip(), found.language or language or "",
                                      seconds)
        except TimeoutError as exc:
            raise self._error(f"no transcript within {self.service.timeout_s:g} s") from exc
        except _ServiceSaid as exc:
            raise self._error(f"the service reported an error: {exc}") from exc
        except NotWyoming as exc:
            raise self._error(f"the answer was not a transcript: {exc}") from exc
        except OSError as exc:
            raise self._error(f"the connection failed ({exc})") from exc
        finally:
            conn.close()

    def check(self) -> None:
        """Raise SpeechRecognitionError unless the service answers `describe` (readiness)."""
        try:
            describe(self.service)
        except (OSError, NotWyoming, _ServiceSaid) as exc:
            raise self._error(f"it does not answer ({exc})") from exc

    def _error(self, problem: str) -> SpeechRecognitionError:
        return SpeechRecognitionError(
            f"speech recognition at {self.service.display} failed: {problem}. "
            "Please say that again in a moment.")


class WyomingSynthesizer(RemoteSynthesizer):
    """Speech synthesis by a Wyoming TTS service, streamed as its audio chunks arrive.

    Connections are kept and reused (wyoming-piper answers many requests on one). A reused
    connection that turns out closed before any audio arrived is replaced once; once audio has
    arrived a failure is reported, never replayed (the user may have heard half of it).
    The speaking rate is not part of the protocol: the service's own rate applies.
    """

    def __init__(self, service: SpeechService, *, pool_size: int = 4) -> None:
        self.service = service
        self.name = service.display
        self._rate = service.sample_rate or PIPER_RATE
        self._idle: list[_Connection] = []
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self.capabilities = Capabilities(f"wyoming tts {service.display}", remote=True)

    def _stream(self, text: str, rate: float) -> Iterator[bytes]:
        # Wyoming's synthesize event has no speaking rate: the voice's own pace is used.
        voice = SynthesizeVoice(name=self.service.voice) if self.service.voice else None
        request = Synthesize(text=text, voice=voice).event()
        conn, fresh = self._take()
        heard = False
        try:
            try:
                conn.send(request)
                first = conn.receive(self.service.timeout_s)
            except (OSError, NotWyoming) as exc:
                if fresh or isinstance(exc, TimeoutError):
                    raise
                conn.close()  # the service closed an idle connection: nothing was spoken yet
                conn, fresh = self._connect(), True
                conn.send(request)
                first = conn.receive(self.service.timeout_s)
            rechunker = Rechunker(self._rate)
            event: Event | None = first
            while True:
                if event is None:
                    event = conn.receive(self.service.timeout_s)
                if AudioStart.is_type(event.type):
                    start = AudioStart.from_event(event)
                    rechunker.start(start.rate, width=start.width, channels=start.channels)
                elif AudioChunk.is_type(event.type):
                    pcm = rechunker.push(event.payload or b"")
                    if pcm:
                        heard = True
                        yield pcm
                elif AudioStop.is_type(event.type):
                    tail = rechunker.push(b"", last=True) if heard else b""
                    if tail:
                        yield tail
                    self._give_back(conn)
                    return
                event = None
        except GeneratorExit:
            conn.close()  # the reply was cut short: this connection still has audio coming
            raise
        except VoiceRPError:
            conn.close()
            raise
        except Exception as exc:
            conn.close()
            raise self._error(exc, heard) from exc

    def _take(self) -> tuple[_Connection, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), False
        return self._connect(), True

    def _connect(self) -> _Connection:
        try:
            return _connect_with_retry(self.service)
        except OSError as exc:
            raise SpeechSynthesisError(
                f"speech synthesis at {self.service.display} is unreachable ({exc}); "
                "replies come as text until it is back") from exc

    def _give_back(self, conn: _Connection) -> None:
        with self._lock:
            if len(self._idle) < self._pool_size:
                self._idle.append(conn)
                return
        conn.close()

    def _error(self, exc: Exception, heard: bool) -> SpeechSynthesisError:
        if isinstance(exc, TimeoutError):
            problem = f"no audio for {self.service.timeout_s:g} s"
        elif isinstance(exc, _ServiceSaid):
            problem = f"the service reported an error: {exc}"
        elif isinstance(exc, (NotWyoming, PCMFormatError)):
            problem = f"the answer was not audio: {exc}"
        else:
            problem = f"the connection failed ({exc})"
        cut = " mid-sentence" if heard else ""
        return SpeechSynthesisError(f"speech synthesis at {self.service.display} failed{cut}: "
                                    f"{problem}")

    def check(self) -> None:
        """Raise SpeechSynthesisError unless the service answers `describe` (readiness)."""
        try:
            describe(self.service)
        except (OSError, NotWyoming, _ServiceSaid) as exc:
            raise SpeechSynthesisError(
                f"speech synthesis at {self.service.display} does not answer ({exc})") from exc

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _connect_with_retry(service: SpeechService) -> _Connection:
    """Connect; once more after a failure (a restarting service, a dropped SYN). Safe: no
    request has been sent on a connection that was never made."""
    try:
        return _Connection(service)
    except OSError as exc:
        log.info("connecting to %s failed (%s), retrying once", service.display, exc)
        return _Connection(service)
