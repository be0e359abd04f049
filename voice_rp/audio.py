"""PCM16 audio frames and conversions shared by the pipeline, server and clients."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
"""Sample rate of user audio everywhere in voice-rp (what webrtcvad and Whisper want)."""
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * 2


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] with their sample rate."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: np.ndarray) -> bytes:
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate:
        return samples.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(samples.astype(np.float32, copy=False), from_rate, to_rate).astype(
        np.float32
    )


def read_wav(data: bytes | str, *, to_rate: int | None = SAMPLE_RATE) -> Audio:
    """Read any PCM WAV (8/16/24/32-bit, any rate, any channel count) as mono float32.

    Raises ValueError with a readable message for anything that is not a PCM WAV.
    """
    try:
        src = io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ValueError(f"cannot open WAV file {data!r}: {exc.strerror}") from exc
    with src, wave.open(src, "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        ints = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8)
                | (b[:, 2].astype(np.int32) << 16))
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        x = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        x = np.frombuffer(raw, "<i4").astype(np.float32) / float(1 << 31)
    else:
        raise ValueError(f"unsupported WAV sample width: {width} bytes")
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    if to_rate is not None and rate != to_rate:
        x, rate = resample(x, rate, to_rate), to_rate
    return Audio(x.astype(np.float32), rate)


def wav_bytes(pcm16: bytes, sample_rate: int) -> bytes:
    """Wrap mono PCM16 in a WAV container."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm16)
    return buf.getvalue()


def frames(pcm16: bytes, frame_bytes: int = FRAME_BYTES) -> list[bytes]:
    """Split PCM16 into whole frames, zero-padding the last one."""
    out = [pcm16[i : i + frame_bytes] for i in range(0, len(pcm16), frame_bytes)]
    if out and len(out[-1]) < frame_bytes:
        out[-1] = out[-1] + b"\x00" * (frame_bytes - len(out[-1]))
    return out
