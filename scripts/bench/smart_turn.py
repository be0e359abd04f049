"""Smart Turn v3: an 8 MB audio model's probability that the user has finished their turn.

It hears how the speech ends (pitch, lengthening, a trailing "and") rather than the words, so it
can be asked at a pause before any transcript exists. The model is optional: it ships inside
Pipecat's wheel on PyPI (`pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx`,
BSD-2-Clause, Copyright Daily), and is never downloaded at run time; copy it to
`<cache>/models/smart-turn/` (see `model_path`). Without it the app runs as before.

Inputs are made as Pipecat's `LocalSmartTurnAnalyzerV3` makes them: the last 8 s of 16 kHz
audio, zero-padded at the start, normalised to zero mean and unit variance, then Whisper's
80-bin log-mel spectrogram (transformers' `WhisperFeatureExtractor(chunk_length=8)`), here
computed by faster-whisper's numpy extractor so transformers is not needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE

MODEL_FILE = "smart-turn-v3.2-cpu.onnx"
WINDOW_S = 8
"""The model hears the last 8 s of the turn; earlier audio is dropped."""
_WINDOW = WINDOW_S * SAMPLE_RATE
_NORM_EPS = 1e-7  # transformers' zero-mean unit-variance normalisation


def model_path(models_dir: Path) -> Path | None:
    """The Smart Turn model under `models_dir` (Settings.stt_cache_dir), or None if absent."""
    path = models_dir / "smart-turn" / MODEL_FILE
    return path if path.is_file() else None


class SmartTurn:
    """Smart Turn v3 on onnxruntime, one thread: `predict(samples)` -> P(turn complete).

    Not safe to call from two threads at once on one instance (the feature extractor keeps no
    state, but an onnxruntime session with one intra-op thread would only serialise them).
    """

    def __init__(self, path: Path, *, threads: int = 1) -> None:
        import onnxruntime as ort
        from faster_whisper.feature_extractor import FeatureExtractor

        options = ort.SessionOptions()
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), sess_options=options,
                                             providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._extractor = FeatureExtractor(feature_size=80, chunk_length=WINDOW_S)

    def features(self, samples: np.ndarray) -> np.ndarray:
        """The model's input for a turn's audio so far: float32 (80, 800)."""
        x = np.asarray(samples, dtype=np.float32)[-_WINDOW:]
        if len(x) < _WINDOW:
            x = np.concatenate([np.zeros(_WINDOW - len(x), np.float32), x])
        x = (x - x.mean()) / np.sqrt(x.var() + _NORM_EPS)
        # padding=0: the window is exactly 8 s, so the frames match transformers' 800.
        return np.asarray(self._extractor(x, padding=0), dtype=np.float32)[:, : _WINDOW // 160]

    def predict(self, samples: np.ndarray) -> float:
        """Probability in [0, 1] that the speech in `samples` (16 kHz float32) is a finished
        turn; pass the turn from its start up to now, trailing silence included."""
        feats = self.features(samples)[np.newaxis]
        out = self._session.run(None, {self._input: feats})[0]
        return float(np.asarray(out).reshape(-1)[0])
