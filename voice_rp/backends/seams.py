"""The three backend seams and what each backend declares about itself.

A conversation asks a backend what it can do (`capabilities_of`), never which class it is: the
factory (`backends.factory`) is the only place that knows the concrete classes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..capabilities import UNDECLARED, Capabilities
from ..llm import ChatModel
from ..stt import Transcriber
from ..tts import Synthesizer, VoiceInfo


@runtime_checkable
class Capable(Protocol):
    @property
    def capabilities(self) -> Capabilities: ...


def capabilities_of(backend: object) -> Capabilities:
    """What `backend` declares, or UNDECLARED."""
    return backend.capabilities if isinstance(backend, Capable) else UNDECLARED


class SpeechRecognition(Transcriber, Capable, Protocol):
    """Speech to text (`Transcriber.transcribe`, blocking) with its capabilities.

    Raises SpeechRecognitionError (code `stt_unavailable`) when a service fails.
    """


class ChatBackend(ChatModel, Capable, Protocol):
    """A chat model (`ChatModel.stream`) with its capabilities. Raises LLMError."""


class SpeechSynthesis(Synthesizer, Capable, Protocol):
    """Text to speech (`Synthesizer.synthesize`, blocking) with its capabilities.

    Raises SpeechSynthesisError (code `tts_unavailable`) when a service fails.
    """


class Voices(Protocol):
    """Where a conversation gets the synthesizer for a persona's voice."""

    def synthesizer(self, name: str) -> Synthesizer:
        """The voice `name`; raises VoiceMissing when there is no such voice."""
        ...

    def for_language(self, language: str) -> list[VoiceInfo]:
        """Installed voices that speak `language`, offered when the one asked for is missing."""
        ...


@runtime_checkable
class Checkable(Protocol):
    def check(self) -> None:
        """Blocking. Raise the backend's typed error unless its remote service answers."""
        ...


@runtime_checkable
class Closable(Protocol):
    def close(self) -> None: ...
