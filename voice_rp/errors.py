"""The voice-rp exception tree. Each error carries a stable `code` the server sends to clients."""

from __future__ import annotations


class VoiceRPError(Exception):
    code = "internal_error"


class ModelError(VoiceRPError):
    """A bundled or configured model could not be found or loaded."""

    code = "model_unavailable"


class LLMError(VoiceRPError):
    """The chat model endpoint failed: unreachable, refused, timed out or returned garbage."""

    code = "llm_unavailable"


class PersonaError(VoiceRPError):
    """A persona or character card is missing or invalid. The message names file, field, problem."""

    code = "persona_invalid"

    def __init__(self, message: str, *, source: str = "", field: str = "") -> None:
        self.source = source
        self.field = field
        where = ": ".join(p for p in (source, field) if p)
        super().__init__(f"{where}: {message}" if where else message)


class UnknownPersona(PersonaError):
    code = "persona_unknown"


class VoiceMissing(ModelError):
    """A persona asks for a Piper voice that is not installed."""

    code = "voice_missing"


class SpeechRecognitionError(VoiceRPError):
    """The speech recognition service failed: unreachable, timed out or answered garbage.

    The turn is lost, the session goes on: the user is told and may say it again.
    """

    code = "stt_unavailable"


class SpeechSynthesisError(VoiceRPError):
    """The speech synthesis service failed: unreachable, timed out or answered garbage.

    The reply stops where the audio stopped; the session goes on.
    """

    code = "tts_unavailable"
