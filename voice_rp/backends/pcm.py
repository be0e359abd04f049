"""Audio format helpers shared by the remote speech backends: WAV in, PCM16 out."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterator

import numpy as np

from ..audio import SAMPLE_RATE


def float_to_wav(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """A mono 16-bit WAV file of float samples in [-1, 1]."""
    pcm = (np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
           * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def float_to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
            * 32767.0).astype("<i2").tobytes()


class PCMFormatError(ValueError):
    """Audio a service sent is not mono 16-bit PCM (or not audio at all)."""


class Rechunker:
    """Turns a service's audio (any chunking, its own rate) into whole PCM16 samples at `rate`.

    Streams: each `push` returns what is ready now, so the first words are heard before the
    service has finished the sentence.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._odd = b""
        self._stream: object | None = None
        self._source_rate: int | None = None

    def start(self, source_rate: int, *, width: int = 2, channels: int = 1) -> None:
        if width != 2 or channels != 1:
            raise PCMFormatError(f"expected mono 16-bit audio, got {channels} channel(s) of "
                                 f"{width * 8}-bit samples")
        if not 4000 <= source_rate <= 192000:
            raise PCMFormatError(f"implausible sample rate {source_rate}")
        self._source_rate = source_rate
        if source_rate != self.rate:
            import soxr

            self._stream = soxr.ResampleStream(source_rate, self.rate, 1, dtype="int16")

    def push(self, data: bytes, *, last: bool = False) -> bytes:
        if self._source_rate is None:
            raise PCMFormatError("audio arrived before its format")
        data = self._odd + data
        cut = len(data) - len(data) % 2
        self._odd = data[cut:]
        samples = np.frombuffer(data[:cut], dtype="<i2")
        if self._stream is None:
            return samples.tobytes()
        out = self._stream.resample_chunk(samples, last=last)  # type: ignore[attr-defined]
        return np.asarray(out, dtype="<i2").tobytes()


def wav_or_pcm(chunks: Iterator[bytes], rechunker: Rechunker, *, pcm_rate: int
               ) -> Iterator[bytes]:
    """PCM16 at `rechunker.rate` from a streamed body that is raw PCM at `pcm_rate` or a WAV
    file (some OpenAI-compatible servers answer WAV whatever format was asked for)."""
    body = iter(chunks)
    head = b""
    while len(head) < 4 and (more := next(body, None)) is not None:
        head += more
    if head[:4] == b"RIFF":
        head = _skip_wav_header(head, body, rechunker)
    else:
        rechunker.start(pcm_rate)
    if head:
        yield rechunker.push(head)
    for chunk in body:
        if chunk:
            yield rechunker.push(chunk)
    yield rechunker.push(b"", last=True)


def _skip_wav_header(head: bytes, body: Iterator[bytes], rechunker: Rechunker) -> bytes:
    """Reads the RIFF header up to the `data` chunk; returns the audio bytes after it."""
    pos, seen_fmt = 12, False

    def need(n: int) -> bytes:
        nonlocal head
        while len(head) < n:
            more = next(body, None)
            if more is None:
                raise PCMFormatError("the WAV answer ends inside its header")
            head += more
        return head

    while True:
        need(pos + 8)
        kind, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if kind == b"data":
            if not seen_fmt:
                raise PCMFormatError("the WAV answer has no fmt chunk before its data")
            return head[pos + 8:]
        if pos + size > 64 * 1024:
            raise PCMFormatError("the WAV answer's header is implausibly long")
        need(pos + 8 + size)
        if kind == b"fmt ":
            if size < 16:
                raise PCMFormatError("the WAV answer's fmt chunk is too short")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", head[pos + 8:pos + 24])
            if tag != 1:
                raise PCMFormatError(f"the WAV answer is not PCM (format tag {tag})")
            rechunker.start(rate, width=bits // 8, channels=channels)
            seen_fmt = True
        pos += 8 + size + size % 2
