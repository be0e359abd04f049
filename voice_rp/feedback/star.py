"""STAR parts of an interview answer, found by meaning, sentence by sentence.

Each sentence the user said is put in one of six classes: situation, task, action, result, a vague
outcome ("it went well": not a result) or other, by a small linear classifier over the sentence's
meaning (voice_rp.feedback.encoder: all-MiniLM-L6-v2) and where it stands in the answer. The
classifier's weights (`star_model.json`, a few thousand numbers) are trained by
scripts/train_star.py on the labelled answers in tests/data/star_answers.jsonl and measured by
scripts/eval_star.py on those and on answers written apart (tests/data/star_heldout.jsonl).

Cue-phrase lists could not see STAR parts said in words they did not list ("In my last job I
coordinated a website launch" was "no situation") and took any number for a result ("two weeks
before the deadline"). Here a number only makes a result measurable inside a sentence that is a
result.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from voice_rp.feedback.encoder import SentenceEncoder

CLASSES = ("situation", "task", "action", "result", "vague", "other")
PARTS = ("situation", "task", "action", "result")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=\S)")
_NUMBER = (r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
           r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
           r"half|double|doubled|twice|triple|tripled|halved|percent|dozen)\b")
_QUANTITY = re.compile(rf"(?:{_NUMBER})", re.IGNORECASE)
_WORD = re.compile(r"[\w']+")
_I = frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "my", "myself"})
_WE = frozenset({"we", "we're", "we've", "we'd", "we'll", "us", "our", "ourselves"})
_MODAL = frozenset({"would", "should", "could", "might", "usually", "always", "generally"})
# Obligation and assignment: what makes "I had to get the pages done" a task where "I got the
# pages done" is an action. Averaged over a sentence's words, the meaning vector barely moves
# for two words, so the grammar is given to the classifier as one more input (it learns how
# much it counts; it is never a verdict on its own).
_OBLIGED = re.compile(
    r"\b(?:had to|have to|has to|having to|needed to|need to|needs to|must|supposed to|"
    r"meant to|asked (?:me |us )?to|told (?:me|us) to|wanted (?:me|us) to|expected to|tasked|"
    r"responsib\w+|in charge|up to me|fell to me|down to me|on me|job was|role was|task was|"
    r"bit was|part was|goal|aim|target|brief|the ask)\b", re.IGNORECASE)
_CONTEXT = 0.5
"""Weight of the sentences before and after in a sentence's features: "I had to fix it" after
a situation is a task, the same words after an action are often an action."""


def split_sentences(text: str) -> list[str]:
    """Sentences as speech recognition punctuates them; a long run-on stays one sentence."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if _WORD.search(s)]


def extra_features(sentence: str, index: int, count: int) -> np.ndarray:
    """Where the sentence stands and its grammatical person, beside its meaning: a situation
    tends to come first and a result last, an action is "I"/"we" in the past."""
    words = [w.lower() for w in _WORD.findall(sentence)]
    n = max(len(words), 1)
    pos = index / (count - 1) if count > 1 else 0.5
    return np.array([
        pos, float(index == 0), float(index == count - 1),
        float(bool(_QUANTITY.search(sentence))),
        sum(w in _I for w in words) / n * 5, sum(w in _WE for w in words) / n * 5,
        float(any(w in _MODAL for w in words)),
        sum(w.endswith("ed") for w in words) / n * 5,
        min(len(words), 40) / 40,
        float(bool(_OBLIGED.search(sentence))),
    ], dtype=np.float32)


def features(encoder: SentenceEncoder, sentences: Sequence[str]) -> np.ndarray:
    """One row per sentence: its meaning and how it opens (encoder.encode_with_opening),
    `extra_features`, and the meaning of the sentences before and after it (zeros at the
    ends), weighted by `_CONTEXT`."""
    width = 4 * encoder.dim + len(extra_features("", 0, 1))
    if not sentences:
        return np.zeros((0, width), dtype=np.float32)
    both = encoder.encode_with_opening(sentences)
    meaning = both[:, :encoder.dim]
    extra = np.stack([extra_features(s, i, len(sentences)) for i, s in enumerate(sentences)])
    edge = np.zeros((1, encoder.dim), dtype=np.float32)
    before = np.vstack([edge, meaning[:-1]]) * _CONTEXT
    after = np.vstack([meaning[1:], edge]) * _CONTEXT
    return np.concatenate([both, extra, before, after], axis=1).astype(np.float32)


@dataclass(frozen=True)
class StarModel:
    """Softmax regression over `features`: weights (features, classes) and bias (classes)."""

    weights: np.ndarray
    bias: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    trained_on: int = 0
    version: str = ""
    """A digest of the weights: saved readings are trusted only from the same model."""

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return np.asarray(z / z.sum(axis=1, keepdims=True))

    def to_json(self) -> dict[str, Any]:
        return {"classes": list(CLASSES), "trained_on": self.trained_on,
                "weights": np.round(self.weights, 5).tolist(),
                "bias": np.round(self.bias, 5).tolist(),
                "mean": np.round(self.mean, 5).tolist(), "scale": np.round(self.scale, 5).tolist()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StarModel:
        if tuple(data["classes"]) != CLASSES:
            raise ValueError(f"star model classes {data['classes']} are not {CLASSES}")
        return cls(np.asarray(data["weights"], dtype=np.float32),
                   np.asarray(data["bias"], dtype=np.float32),
                   np.asarray(data["mean"], dtype=np.float32),
                   np.asarray(data["scale"], dtype=np.float32), int(data.get("trained_on", 0)))

    @classmethod
    def train(cls, x: np.ndarray, labels: Sequence[str], *, l2: float = 0.1,
              steps: int = 600, rate: float = 0.5) -> StarModel:
        """Full-batch gradient descent; classes weighted so rare parts (task) are not drowned
        out by common ones (action)."""
        y = np.array([CLASSES.index(label) for label in labels])
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-3
        xs = (x - mean) / scale
        k = len(CLASSES)
        counts = np.bincount(y, minlength=k).astype(np.float64)
        weight = np.where(counts > 0, len(y) / (k * np.maximum(counts, 1)), 0.0)[y]
        onehot = np.eye(k)[y]
        w = np.zeros((x.shape[1], k))
        b = np.zeros(k)
        for _ in range(steps):
            z = xs @ w + b
            z = np.exp(z - z.max(axis=1, keepdims=True))
            p = z / z.sum(axis=1, keepdims=True)
            g = (p - onehot) * weight[:, None] / weight.sum()
            w -= rate * (xs.T @ g + l2 * w)
            b -= rate * g.sum(axis=0)
        return cls(w.astype(np.float32), b.astype(np.float32), mean.astype(np.float32),
                   scale.astype(np.float32), len(y))


@cache
def bundled_model() -> StarModel:
    text = resources.files("voice_rp.feedback").joinpath("star_model.json").read_text()
    model = StarModel.from_json(json.loads(text))
    return replace(model, version=hashlib.sha256(text.encode()).hexdigest()[:16])


@dataclass(frozen=True)
class SentencePart:
    text: str
    part: str  # one of CLASSES
    confidence: float
    measurable: str | None = None  # the words that measure a result ("from forty to five")


def label_sentences(sentences: Sequence[str], encoder: SentenceEncoder,
                    model: StarModel | None = None) -> list[SentencePart]:
    """Each sentence's class, with the classifier's confidence in it."""
    if not sentences:
        return []
    probs = (model or bundled_model()).probabilities(features(encoder, sentences))
    out = []
    for s, p in zip(sentences, probs, strict=True):
        part = CLASSES[int(p.argmax())]
        out.append(SentencePart(s, part, round(float(p.max()), 2),
                                measurable_words(s) if part == "result" else None))
    return out


_AMOUNT = (r"\d[\d.,]*\s*%?|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
           r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
           r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|half|halved|double|"
           r"doubled|twice|triple|tripled|quarter|third|tenth|percent|dozen|zero)\b")
# Not a measure of an outcome: a date, a year, a time of day ("in March 2021", "at seven") or
# a time reference ("two weeks before the deadline", "six months later", "a year into it").
_NOT_AMOUNT = re.compile(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|"
    r"a couple of)\s+(?:days?|weeks?|months?|years?|hours?|minutes?)\s+(?:before|later|after|"
    r"ago|earlier|into)\b|"
    r"\b(?:in|since|by|until|from)\s+(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*"
    r"\s+)?(?:19|20)\d\d\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\s+"
    r"(?:19|20)\d\d\b|\bat\s+(?:\d{1,2}(?::\d\d)?|one|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve)\b(?:\s*(?:am|pm|o'clock))?", re.IGNORECASE)
_MEASURE = re.compile(
    rf"(?:from\s+\S+(?:\s+\S+)?\s+to\s+\S+(?:\s+\S+)?|(?:\S+\s+)?(?:{_AMOUNT})[\w.,%]*"
    r"(?:\s+(?:percent|per\s?cent|%|\w+))?)", re.IGNORECASE)


def measurable_words(sentence: str) -> str | None:
    """The words with a quantity in a result sentence, or None if it has none."""
    m = _MEASURE.search(_NOT_AMOUNT.sub(" ", sentence))
    return m.group(0).strip(" ,.") if m else None
