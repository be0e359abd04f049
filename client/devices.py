"""Microphone and speaker through sounddevice, for `python -m client` without --input."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any

import numpy as np

from voice_rp.audio import FRAME_SAMPLES, SAMPLE_RATE, pcm16_to_float, resample


class NoAudioDevice(RuntimeError):
    """There is no usable microphone or speaker; the message says what to do instead."""


def check_devices() -> Any:
    """Return the sounddevice module if a default input and output device exist."""
    try:
        import sounddevice as sd
    except OSError as exc:  # the PortAudio library itself is missing
        raise NoAudioDevice(
            f"cannot use audio devices: {exc}. Install PortAudio (Debian/Ubuntu: "
            "apt install libportaudio2), or stream a file with --input FILE.wav") from None
    for kind, what in (("input", "microphone"), ("output", "speaker")):
        try:
            sd.query_devices(kind=kind)
        except (sd.PortAudioError, ValueError) as exc:
            raise NoAudioDevice(
                f"no audio {kind} device ({what}) found: {exc}. Connect a headset, or stream a "
                "WAV file instead: python -m client --persona NAME --input FILE.wav") from None
    return sd


class Microphone:
    """16 kHz mono PCM16 in 20 ms frames, delivered to an asyncio queue."""

    def __init__(self, sd: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.frames: asyncio.Queue[bytes] = asyncio.Queue(maxsize=500)
        self._loop = loop

        def callback(indata: Any, n: int, time: Any, status: Any) -> None:
            loop.call_soon_threadsafe(self._put, bytes(indata))

        self._stream = sd.RawInputStream(samplerate=SAMPLE_RATE, channels=1, dtype="int16",
                                         blocksize=FRAME_SAMPLES, callback=callback)

    def _put(self, frame: bytes) -> None:
        if self.frames.full():
            self.frames.get_nowait()  # the network stalled: keep the newest audio
        self.frames.put_nowait(frame)

    def __enter__(self) -> Microphone:
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.stop()
        self._stream.close()


class Speaker:
    """Plays reply audio as it arrives, knows how far each turn has played, drops it on clear.

    The output stream opens at the sample rate of the first reply audio (the persona's voice);
    audio at another rate is resampled to it.
    """

    def __init__(self, sd: Any) -> None:
        self._sd = sd
        self.sample_rate: int | None = None
        self._stream: Any = None
        self._lock = threading.Lock()
        self._queue: deque[tuple[int, np.ndarray]] = deque()
        self._played: dict[int, int] = {}  # turn -> samples played
        self._received: dict[int, int] = {}

    def _callback(self, outdata: np.ndarray, n: int, time: Any, status: Any) -> None:
        out = outdata[:, 0]
        filled = 0
        with self._lock:
            while filled < n and self._queue:
                turn, samples = self._queue[0]
                take = min(n - filled, len(samples))
                out[filled:filled + take] = samples[:take]
                filled += take
                self._played[turn] = self._played.get(turn, 0) + take
                if take == len(samples):
                    self._queue.popleft()
                else:
                    self._queue[0] = (turn, samples[take:])
        out[filled:] = 0

    def write(self, turn: int, pcm: bytes, sample_rate: int) -> None:
        if self._stream is None:
            self.sample_rate = sample_rate
            self._stream = self._sd.OutputStream(samplerate=sample_rate, channels=1,
                                                 dtype="int16", callback=self._callback)
            self._stream.start()
        assert self.sample_rate is not None
        samples = pcm16_to_float(pcm)
        if sample_rate != self.sample_rate:
            samples = resample(samples, sample_rate, self.sample_rate)
        ints = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        with self._lock:
            self._queue.append((turn, ints))
            self._received[turn] = self._received.get(turn, 0) + len(ints)

    def clear(self, turn: int) -> None:
        with self._lock:
            self._queue = deque((t, s) for t, s in self._queue if t != turn)
            self._received[turn] = self._played.get(turn, 0)

    def position_ms(self, turn: int) -> float:
        with self._lock:
            played = self._played.get(turn, 0)
        return played / self.sample_rate * 1000.0 if self.sample_rate else 0.0

    def remaining_s(self, turn: int) -> float:
        with self._lock:
            left = self._received.get(turn, 0) - self._played.get(turn, 0)
        return max(0, left) / self.sample_rate if self.sample_rate else 0.0

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
