"""What an answer's audio shows: when the user spoke, where they paused, how their pitch moved.

Measured on the 16 kHz turn audio the endpointer cut out, so it needs no word timestamps from
Whisper (the fitted-window decode that keeps turns fast has none). Speech is where webrtcvad hears
a voice *and* the frame is loud relative to the answer's own level: webrtcvad alone runs on for
40-120 ms after the voice stops, which would shorten every pause.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from voice_rp.audio import SAMPLE_RATE

log = logging.getLogger(__name__)

FRAME_S = 0.02
_FRAME = int(FRAME_S * SAMPLE_RATE)
_MERGE_GAP_S = 0.25
"""Gaps shorter than this are between words or syllables (stop closures), not pauses."""
_MIN_RUN_S = 0.06
"""Shorter bursts are clicks or breaths."""
_FLOOR_DB = -70.0
_RELATIVE_DB = 30.0
"""A frame is quiet when it is this far below the answer's loud frames (its 95th percentile)."""
_PITCH_WIN = 640  # 40 ms: two periods of a 50 Hz voice
_PITCH_HOP = 160  # 10 ms
_F0_MIN, _F0_MAX = 70.0, 400.0
_VOICING = 0.5
"""Normalised autocorrelation peak above which a frame counts as voiced."""


@dataclass(frozen=True)
class AnswerAudio:
    """Speech runs (seconds from the start of the turn audio) and pitch of one answer."""

    duration_s: float
    speech: tuple[tuple[float, float], ...]
    pitch_median_hz: float | None = None
    pitch_range_st: float | None = None
    """Spread of the voice's pitch: 10th to 90th percentile, in semitones."""
    voiced_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration_s, 2),
            "speech": [[round(a, 2), round(b, 2)] for a, b in self.speech],
            "pitch_median_hz": None if self.pitch_median_hz is None
            else round(self.pitch_median_hz, 1),
            "pitch_range_st": None if self.pitch_range_st is None
            else round(self.pitch_range_st, 1),
            "voiced_s": round(self.voiced_s, 2),
        }


def answer_audio(samples: np.ndarray) -> AnswerAudio:
    """Analyse one answer's 16 kHz mono float32 samples."""
    audio = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    duration = len(audio) / SAMPLE_RATE
    n = len(audio) // _FRAME
    if n == 0:
        return AnswerAudio(duration, ())
    frames = audio[: n * _FRAME].reshape(n, _FRAME)
    loud = _loud_frames(frames)
    voiced = loud & _vad_frames(frames)
    speech = _runs(voiced)
    f0 = pitch_track(audio)
    median, spread, voiced_s = _pitch_summary(f0)
    return AnswerAudio(duration, speech, median, spread, voiced_s)


def answer_audio_or_none(samples: np.ndarray) -> dict[str, Any] | None:
    """`answer_audio(...).to_dict()`, or None if the analysis fails (logged)."""
    try:
        return answer_audio(samples).to_dict()
    except Exception:  # feedback is a by-product: it must never stop the conversation
        log.exception("analysing the answer's audio failed")
        return None


def _loud_frames(frames: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    db = 20.0 * np.log10(np.maximum(rms, 1e-9))
    ref = float(np.percentile(db, 95))
    return np.asarray(db > max(_FLOOR_DB, ref - _RELATIVE_DB))


def _vad_frames(frames: np.ndarray) -> np.ndarray:
    try:
        import webrtcvad
    except ImportError:  # energy alone still finds pauses; webrtcvad only sharpens it
        return np.ones(len(frames), dtype=bool)
    vad = webrtcvad.Vad(2)
    pcm = (np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
    return np.array([vad.is_speech(f.tobytes(), SAMPLE_RATE) for f in pcm], dtype=bool)


def _runs(flags: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Speech runs from per-frame flags, with short gaps closed and short bursts dropped."""
    runs: list[list[float]] = []
    start = None
    for i, on in enumerate([*flags.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            runs.append([start * FRAME_S, i * FRAME_S])
            start = None
    merged: list[list[float]] = []
    for run in runs:
        if merged and run[0] - merged[-1][1] < _MERGE_GAP_S:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    return tuple((a, b) for a, b in merged if b - a >= _MIN_RUN_S)


_PITCH_BLOCK = 1000
"""Frames analysed at once (10 s): a 10-minute talk in one go would take ~300 MB."""


def pitch_track(audio: np.ndarray) -> np.ndarray:
    """F0 in Hz every 10 ms (NaN where unvoiced), by normalised autocorrelation."""
    if len(audio) < _PITCH_WIN:
        return np.array([], dtype=np.float64)
    idx = np.arange(0, len(audio) - _PITCH_WIN + 1, _PITCH_HOP)
    # The loudness gate is relative to the whole answer, not to each block.
    energy = np.array([float(np.sum(audio[i:i + _PITCH_WIN].astype(np.float64) ** 2))
                       for i in idx[:: max(1, len(idx) // 2000)]])
    gate = max(1e-7 * _PITCH_WIN, float(np.percentile(energy, 90)) * 1e-3)
    return np.concatenate([_pitch_block(audio, idx[i:i + _PITCH_BLOCK], gate)
                           for i in range(0, len(idx), _PITCH_BLOCK)])


def _pitch_block(audio: np.ndarray, idx: np.ndarray, gate: float) -> np.ndarray:
    frames = audio[idx[:, None] + np.arange(_PITCH_WIN)].astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    energy = np.sum(frames ** 2, axis=1)
    frames *= np.hanning(_PITCH_WIN)
    spec = np.fft.rfft(frames, n=2 * _PITCH_WIN, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :_PITCH_WIN]
    lo, hi = int(SAMPLE_RATE / _F0_MAX), int(SAMPLE_RATE / _F0_MIN)
    # Normalise by the window's own autocorrelation so long lags are not penalised.
    win_ac = np.correlate(np.hanning(_PITCH_WIN), np.hanning(_PITCH_WIN), "full")[
        _PITCH_WIN - 1: _PITCH_WIN - 1 + _PITCH_WIN]
    norm = ac / np.maximum(ac[:, :1], 1e-12) / np.maximum(win_ac / win_ac[0], 1e-3)
    band = norm[:, lo:hi]
    rows = np.arange(len(band))
    # The first lag close to the best one, not the best itself: multiples of the period score
    # nearly as high, and picking them halves the pitch (octave errors).
    near = band >= 0.9 * band.max(axis=1, keepdims=True)
    first = np.argmax(near, axis=1)
    span = np.clip(first[:, None] + np.arange(12), 0, band.shape[1] - 1)
    local = band[rows[:, None], span]
    lag = span[rows, np.argmax(local, axis=1)] + lo
    peak = band[rows, lag - lo]
    loud = energy > gate
    f0 = np.where((peak > _VOICING) & loud, SAMPLE_RATE / _refine(norm, lag), np.nan)
    return np.asarray(f0, dtype=np.float64)


def _refine(norm: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Parabolic interpolation around the peak: whole-sample lags are ~1% steps at 200 Hz."""
    rows = np.arange(len(lag))
    left = norm[rows, np.maximum(lag - 1, 0)]
    mid = norm[rows, lag]
    right = norm[rows, np.minimum(lag + 1, norm.shape[1] - 1)]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(
        np.abs(denom) > 1e-12, denom, 1.0), 0.0)
    return np.asarray(lag + np.clip(shift, -0.5, 0.5), dtype=np.float64)


def _pitch_summary(f0: np.ndarray) -> tuple[float | None, float | None, float]:
    voiced = f0[~np.isnan(f0)]
    voiced_s = len(voiced) * _PITCH_HOP / SAMPLE_RATE
    if len(voiced) < 20:  # under 0.2 s of voice: no honest figure
        return None, None, voiced_s
    median = float(np.median(voiced))
    # Octave errors of the autocorrelation (half or double the true pitch) would fake a wide
    # range: keep frames within an octave of the median.
    st = 12.0 * np.log2(voiced / median)
    st = st[np.abs(st) < 10.0]
    if len(st) < 20:
        return median, None, voiced_s
    spread = float(np.percentile(st, 90) - np.percentile(st, 10))
    return median, spread, voiced_s
