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
from .backends.seams import Checkable, Closable, Voices, capabilities_of
from .clock import Clock, MonotonicClock
from .errors import VoiceRPError
from .line_cache import LineCache
from .llm import ChatMessage, ChatModel, GenerationOptions
from .safety.moderation_endpoint import ModerationEndpoint
from .stt import Transcriber, Transcript
from .tts import Synthesizer

logger = logging.getLogger(__name__)


@dataclass
class Models:
    """Everything a session needs from the models. Safe to share between sessions."""

    transcriber: Transcriber
    voices: Voices
    chat: ChatModel
    default_voice: str
    load_multilingual: Callable[[], Transcriber]
    """Loads the multilingual transcriber; called at most once, on first need."""
    multilingual: bool = False
    """True if `transcriber` already understands every language."""
    capable_chat: bool = False
    """True if `chat` can phrase a scenario's questions itself (Settings.llm_capable)."""
    lines: LineCache = field(default_factory=LineCache)
    """Audio of the personas' scripted lines, made ahead and shared by all sessions."""
    moderation: ModerationEndpoint | None = None
    """Asked about the model's lines after the built-in check (Settings.moderation_url)."""
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

        Returns seconds per model. Remote services are left alone: warming them would cost
        the user money, and if one is down they hear about it on their first turn anyway.
        """
        clock = clock or MonotonicClock()
        took: dict[str, float] = {}
        if not capabilities_of(self.transcriber).remote:
            start = clock.now()
            noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE // 2).astype(np.float32)
            await asyncio.to_thread(self.transcriber.transcribe, noise)
            took["stt"] = clock.now() - start

        voice = await asyncio.to_thread(self.voice)
        if not capabilities_of(voice).remote:
            start = clock.now()
            await asyncio.to_thread(lambda: sum(len(c) for c in voice.synthesize("Hello.")))
            took["tts"] = clock.now() - start

        if capabilities_of(self.chat).reads_prompt_ahead:
            start = clock.now()
            hello = [ChatMessage("user", "Hello.")]
            stream = self.chat.stream(hello, GenerationOptions(max_tokens=2))
            async with contextlib.aclosing(stream):
                async for _ in stream:
                    pass
            took["llm"] = clock.now() - start
        logger.info("models warmed up in %s", ", ".join(f"{k} {v:.2f} s" for k, v in took.items()))
        return took

    async def check_services(self) -> list[str]:
        """What is wrong with the remote speech services (empty: all answer). For readiness:
        a server whose services are down should not be sent new sessions."""
        problems: list[str] = []
        voice = await asyncio.to_thread(self.voice)
        for backend in (self.transcriber, voice):
            if isinstance(backend, Checkable):
                try:
                    await asyncio.to_thread(backend.check)
                except VoiceRPError as exc:
                    problems.append(str(exc))
        return problems

    def close(self) -> None:
        """Free the chat model's engines and the remote services' connections."""
        for backend in (self.chat, self.transcriber, self._multilingual, self.voices,
                        self.moderation):
            if isinstance(backend, Closable):
                backend.close()


def _primary(language: str) -> str:
    return language.replace("-", "_").split("_", 1)[0].lower()
