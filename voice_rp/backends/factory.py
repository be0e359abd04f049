"""The one place that turns settings into concrete backends. Nothing else names their classes:
the rest of voice-rp asks a backend for its `capabilities` (see `seams`)."""

from __future__ import annotations

import logging

from ..clock import Clock, MonotonicClock
from ..config import Settings
from ..llm import ChatModel, OpenAIChatModel
from ..llm_embedded import EmbeddedChatModel
from ..models import Models
from ..safety.moderation_endpoint import ModerationEndpoint
from ..stt import BUNDLED_MULTILINGUAL, Transcriber, WhisperTranscriber
from ..tts import Synthesizer, VoiceCatalog, VoiceInfo
from ..tts_espeak import VoicesWithFallback
from .openai_audio import OpenAISynthesizer, OpenAITranscriber
from .seams import Closable, Voices, capabilities_of
from .service import SpeechService
from .wyoming import WyomingSynthesizer, WyomingTranscriber

logger = logging.getLogger(__name__)


def remote_transcriber(service: SpeechService) -> Transcriber:
    """The speech recognition client for `service`'s protocol (its URL scheme)."""
    if service.protocol == "wyoming":
        return WyomingTranscriber(service)
    return OpenAITranscriber(service)


def remote_synthesizer(service: SpeechService) -> Synthesizer:
    """The speech synthesis client for `service`'s protocol (its URL scheme)."""
    if service.protocol == "wyoming":
        return WyomingSynthesizer(service)
    return OpenAISynthesizer(service)


class RemoteVoices:
    """Every persona speaks with the remote service's voice (VOICE_RP_TTS_VOICE, else the
    service's default): the Piper voice names in persona files are for the embedded engine."""

    def __init__(self, synthesizer: Synthesizer) -> None:
        self._synthesizer = synthesizer

    def synthesizer(self, name: str) -> Synthesizer:
        return self._synthesizer

    def for_language(self, language: str) -> list[VoiceInfo]:
        return []

    def close(self) -> None:
        if isinstance(self._synthesizer, Closable):
            self._synthesizer.close()


def load_chat(settings: Settings) -> ChatModel:
    """The embedded SmolLM2, or the OpenAI-compatible endpoint the settings name. Blocking."""
    if settings.llm_base_url is None:
        return EmbeddedChatModel.load(engines=settings.llm_engines,
                                      n_threads=settings.threads.llm)
    return OpenAIChatModel(settings.llm_base_url, settings.llm_api_key,
                           settings.llm_model or "", deadlines=settings.llm_deadlines)


def load_moderation(settings: Settings) -> ModerationEndpoint | None:
    """The moderation endpoint the settings name, if any. Not contacted here."""
    if settings.moderation_url is None:
        return None
    return ModerationEndpoint(settings.moderation_url, model=settings.moderation_model,
                              api_key=settings.moderation_api_key,
                              timeout_s=settings.moderation_timeout_s)


def load_models(settings: Settings, *, clock: Clock | None = None) -> Models:
    """Load or connect the transcriber, voices and chat model the settings ask for. Blocking.

    Remote services are not contacted here: a server starts even while they are down, and the
    first turn reports them (stt_unavailable, tts_unavailable). Raises ModelError (or LLMError
    for a bad endpoint setting) with a message for the user.
    """
    clock = clock or MonotonicClock()
    voices: Voices
    if settings.tts_service is not None:
        voices = RemoteVoices(remote_synthesizer(settings.tts_service))
    else:
        catalog = VoiceCatalog(settings.voices_dirs, threads=settings.threads.tts,
                               spin=settings.threads.tts_spin)
        catalog.find(settings.tts_voice)  # a missing voice fails at start-up, before loading
        # A language no Piper voice speaks (Spanish and French on a fresh install) is spoken
        # by Debian's espeak-ng, labelled as a fallback, rather than shown as text only.
        voices = VoicesWithFallback(catalog)

    start = clock.now()
    transcriber: Transcriber
    if settings.stt_service is not None:
        transcriber = remote_transcriber(settings.stt_service)
    else:
        whisper = WhisperTranscriber.load(
            settings.stt_model, cache_dir=settings.stt_cache_dir, options=settings.whisper,
            cpu_threads=settings.threads.stt)
        if whisper.multilingual:  # known once loaded: a directory may hold either kind
            whisper.options = settings.whisper_multilingual
        transcriber = whisper
    heard_by = capabilities_of(transcriber)
    logger.info("speech recognition %s ready in %.2f s", heard_by.name, clock.now() - start)

    def load_multilingual() -> Transcriber:
        if settings.stt_service is not None:
            return transcriber  # the service handles every language it knows
        start = clock.now()
        model = WhisperTranscriber.load(
            BUNDLED_MULTILINGUAL, cache_dir=settings.stt_cache_dir,
            options=settings.whisper_multilingual, cpu_threads=settings.threads.stt)
        logger.info("multilingual speech recognition loaded in %.2f s", clock.now() - start)
        return model

    start = clock.now()
    chat = load_chat(settings)
    logger.info("chat model %s ready in %.2f s", chat.name, clock.now() - start)
    return Models(
        transcriber=transcriber,
        voices=voices,
        chat=chat,
        default_voice=settings.tts_voice,
        load_multilingual=load_multilingual,
        multilingual=heard_by.languages is None,
        capable_chat=settings.llm_capable,
        moderation=load_moderation(settings),
    )
