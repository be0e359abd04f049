"""Backends behind seams: speech recognition, chat model and speech synthesis.

`seams` holds the Protocols and `capabilities_of`; `factory.load_models` is the one place that
chooses concrete backends from the settings; `wyoming` and `openai_audio` talk to remote speech
services (`service.SpeechService` says where and how).
"""

from ..capabilities import UNDECLARED, Capabilities
from .seams import (
    ChatBackend,
    Checkable,
    Closable,
    SpeechRecognition,
    SpeechSynthesis,
    Voices,
    capabilities_of,
)

__all__ = [
    "UNDECLARED",
    "Capabilities",
    "ChatBackend",
    "Checkable",
    "Closable",
    "SpeechRecognition",
    "SpeechSynthesis",
    "Voices",
    "capabilities_of",
]
