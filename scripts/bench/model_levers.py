"""Experimental model settings for the benchmark's `models.*` levers (tuned_server only).

These are prototypes measured by the benchmark before anyone changes voice_rp: how many threads
each runtime gets (on 2 cores, three runtimes with 2 spinning threads each slow one another
down), and a Whisper transcription that encodes only as much audio as the clip holds instead of
30 s. Keys (group `models`):

- `llm_threads`: llama.cpp threads for the embedded chat model (voice-rp loads it with 2);
- `tts_threads`: onnxruntime intra-op threads for Piper voices (default: one per core);
- `tts_spinning`: whether those threads busy-wait for work (onnxruntime's default: true);
- `stt_threads`: CTranslate2 threads for Whisper (voice-rp uses 2);
- `stt_window`: true to encode a short window (see `ShortWindowTranscriber`);
- `llm_verbose`: true to have llama.cpp log prefix-cache hits and timings to the server log.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from voice_rp.audio import SAMPLE_RATE
from voice_rp.models import Models
from voice_rp.stt import Transcript, WhisperTranscriber

_WORD = re.compile(r"[\w']+")


def looks_looped(text: str, *, n: int = 4) -> bool:
    """Whisper's failure on a short window: the same phrase over and over."""
    words = _WORD.findall(text.lower())
    grams = [tuple(words[i: i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) < len(grams)


class ShortWindowTranscriber(WhisperTranscriber):
    """Prototype: Whisper's encoder on the clip plus a margin (at least `min_window_s`), not on
    30 s of padding. faster-whisper 1.2 always pads to 30 s, even with `chunk_length` (its
    `pad_or_trim` ignores it), and the encoder is ~75% of tiny.en's time on a short clip.
    Short windows sometimes make Whisper repeat itself; such a decode (or one that runs past a
    length bound) is redone the standard way."""

    min_window_s = 10.0
    margin_s = 1.0
    max_tokens_per_s = 8.0  # speech is ~3-4 tokens/s; more means a loop

    def transcribe(self, samples: np.ndarray, *, language: str | None = None,
                   prompt: str | None = None) -> Transcript:
        audio = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        seconds = len(audio) / SAMPLE_RATE
        prompt = prompt if prompt is not None else self.options.initial_prompt
        if self.multilingual or prompt or not len(audio) or seconds > 25:
            return super().transcribe(samples, language=language, prompt=prompt)
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        feats = model.feature_extractor(audio, chunk_length=30)
        frames = min(3000, max(round(self.min_window_s * 100),
                               math.ceil((feats.shape[-1] + self.margin_s * 100) / 100) * 100))
        feats = np.pad(feats[:, :frames], ((0, 0), (0, max(0, frames - feats.shape[-1]))))
        tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
        start = model.get_prompt(tokenizer, [], without_timestamps=True)
        budget = int(self.max_tokens_per_s * seconds) + 8
        result = model.model.generate(model.encode(feats), [start], beam_size=1,
                                      max_length=len(start) + budget, suppress_blank=True,
                                      suppress_tokens=[-1])
        tokens = [t for t in result[0].sequences_ids[0] if t < tokenizer.eot]
        text = tokenizer.decode(tokens).strip()
        if len(tokens) >= budget or looks_looped(text):
            return super().transcribe(samples, language=language, prompt=prompt)
        return Transcript(text, "en", seconds)


def apply_model_levers(models: Models, levers: dict[str, Any]) -> Models:
    """Reload or reconfigure the loaded models as `levers` say. Blocking."""
    known = {"llm_threads", "tts_threads", "tts_spinning", "stt_threads", "stt_window",
             "llm_verbose"}
    unknown = sorted(set(levers) - known)
    if unknown:
        raise ValueError(f"unknown models lever(s) {', '.join(unknown)}; known: {sorted(known)}")
    if "llm_threads" in levers:
        from voice_rp.llm_embedded import EmbeddedChatModel

        if isinstance(models.chat, EmbeddedChatModel):
            models.chat.close()
            models.chat = EmbeddedChatModel.load(n_threads=int(levers["llm_threads"]))
    if levers.get("llm_verbose"):
        models.chat._engine.verbose = True  # type: ignore[attr-defined]
    if "tts_threads" in levers or "tts_spinning" in levers:
        import onnxruntime

        synth = models.voice()  # the default voice, loaded and cached by the catalog
        voice = synth._voice  # the benchmark pokes at Piper's session on purpose
        opts = onnxruntime.SessionOptions()
        if "tts_threads" in levers:
            opts.intra_op_num_threads = int(levers["tts_threads"])
        if not levers.get("tts_spinning", True):
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        info = models.voices.find(models.default_voice)
        voice.session = onnxruntime.InferenceSession(str(info.model_path), sess_options=opts,
                                                     providers=["CPUExecutionProvider"])
    if "stt_threads" in levers or levers.get("stt_window"):
        old = models.transcriber
        assert isinstance(old, WhisperTranscriber)
        cls = ShortWindowTranscriber if levers.get("stt_window") else WhisperTranscriber
        model_dir = _model_dir(old)
        models.transcriber = cls(model_dir, options=old.options,
                                 cpu_threads=int(levers.get("stt_threads", 2)), name=old.name)
    return models


def _model_dir(transcriber: WhisperTranscriber) -> Any:
    from voice_rp.stt import bundled_tiny_en_dir

    if transcriber.name != "tiny.en":
        raise ValueError("the stt levers are only wired for the bundled tiny.en")
    return bundled_tiny_en_dir()
