"""The loaded models, shared by every session: load them once, warm them up, hand them around."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .audio import SAMPLE_RATE
from .clock import Clock, MonotonicClock
from .config import Settings
from .llm import ChatMessage, ChatModel, GenerationOptions, OpenAIChatModel
from .llm_embedded import EmbeddedChatModel
from .stt import BUNDLED_MULTILINGUAL, Transcriber, Transcript, WhisperTranscriber
from .tts import Synthesizer, VoiceCatalog

logger = logging.getLogger(__name__)


@dataclass
class Models:
    """Everything a session needs from the models. Safe to share between sessions."""

    transcriber: Transcriber
    voices: VoiceCatalog
    chat: ChatModel
    default_voice: str
    load_multilingual: Callable[[], Transcriber]
    """Loads the multilingual transcriber; called at most once, on first need."""
    multilingual: bool = False
    """True if `transcriber` already understands every language."""
    capable_chat: bool = False
    """True if `chat` can phrase a scenario's questions itself (Settings.llm_capable)."""
    _multilingual: Transcriber | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def transcribe(
        self, samples: np.ndarray, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Transcribe with the model that understands `language` ("es", "es-ES", None: guess).

        Blocking (and slow the first time a language other than English is used): call it from a
        worker thread.
        """
        code = _primary(language) if language else None
        return self.transcriber_for(code).transcribe(samples, language=code, prompt=prompt)

    def voice(self, name: str | None = None) -> Synthesizer:
        """The loaded Piper voice `name` (None or "": the default voice). Raises VoiceMissing."""
        return self.voices.synthesizer(name or self.default_voice)

    def transcriber_for(self, language: str | None) -> Transcriber:
        """The transcriber for a conversation in `language` (None or "en": the default one).

        Blocking the first time another language is asked for (the model is loaded, and
        assembled on the very first run): call it from a worker thread.
        """
        if self.multilingual or language is None or _primary(language) == "en":
            return self.transcriber
        with self._lock:
            if self._multilingual is None:
                self._multilingual = self.load_multilingual()
            return self._multilingual

    async def warm_up(self, *, clock: Clock | None = None) -> dict[str, float]:
        """Run each model once so the user's first turn is not the slow one.

        Returns seconds per model. A remote chat endpoint is left alone: warming it would cost
        the user money, and if it is down they hear about it on their first turn anyway.
        """
        clock = clock or MonotonicClock()
        took: dict[str, float] = {}
        start = clock.now()
        noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE // 2).astype(np.float32)
        await asyncio.to_thread(self.transcriber.transcribe, noise)
        took["stt"] = clock.now() - start

        start = clock.now()
        voice = await asyncio.to_thread(self.voice)
        await asyncio.to_thread(lambda: sum(len(c) for c in voice.synthesize("Hello.")))
        took["tts"] = clock.now() - start

        if isinstance(self.chat, EmbeddedChatModel):
            start = clock.now()
            hello = [ChatMessage("user", "Hello.")]
            stream = self.chat.stream(hello, GenerationOptions(max_tokens=2))
            async with contextlib.aclosing(stream):
                async for _ in stream:
                    pass
            took["llm"] = clock.now() - start
        logger.info("models warmed up in %s", ", ".join(f"{k} {v:.2f} s" for k, v in took.items()))
        return took

    def close(self) -> None:
        if isinstance(self.chat, EmbeddedChatModel):
            self.chat.close()


def _primary(language: str) -> str:
    return language.replace("-", "_").split("_", 1)[0].lower()


def load_models(settings: Settings, *, clock: Clock | None = None) -> Models:
    """Load the transcriber, voice catalog and chat model the settings ask for. Blocking.

    Raises ModelError (or LLMError for a bad endpoint setting) with a message for the user.
    """
    clock = clock or MonotonicClock()
    voices = VoiceCatalog(settings.voices_dirs)
    voices.find(settings.tts_voice)  # a missing voice fails at start-up, before slow loading

    start = clock.now()
    transcriber = WhisperTranscriber.load(
        settings.stt_model, cache_dir=settings.stt_cache_dir, options=settings.whisper
    )
    if transcriber.multilingual:  # known once loaded: a directory may hold either kind
        transcriber.options = settings.whisper_multilingual
    logger.info("speech recognition %s loaded in %.2f s", transcriber.name, clock.now() - start)

    def load_multilingual() -> Transcriber:
        start = clock.now()
        model = WhisperTranscriber.load(
            BUNDLED_MULTILINGUAL, cache_dir=settings.stt_cache_dir,
            options=settings.whisper_multilingual,
        )
        logger.info("multilingual speech recognition loaded in %.2f s", clock.now() - start)
        return model

    start = clock.now()
    chat: ChatModel
    if settings.llm_base_url is None:
        chat = EmbeddedChatModel.load(engines=settings.llm_engines)
    else:
        chat = OpenAIChatModel(
            settings.llm_base_url,
            settings.llm_api_key,
            settings.llm_model or "",
            deadlines=settings.llm_deadlines,
        )
    logger.info("chat model %s ready in %.2f s", chat.name, clock.now() - start)
    return Models(
        transcriber=transcriber,
        voices=voices,
        chat=chat,
        default_voice=settings.tts_voice,
        load_multilingual=load_multilingual,
        multilingual=transcriber.multilingual,
        capable_chat=settings.llm_capable,
    )
