"""What a backend (speech recognition, chat model, speech synthesis) declares about itself.

A leaf module: the backends themselves import it, and the seams in `voice_rp.backends` use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    """What a speech recognition, chat or speech synthesis backend declares about itself."""

    name: str
    """Shown in logs and /healthz, e.g. "faster-whisper tiny.en", "wyoming://stt:10300"."""
    languages: tuple[str, ...] | None = None
    """Primary language codes it handles ("en", "es"); None: any language."""
    remote: bool = False
    """Runs in another process or machine: calls may fail, time out and cost money."""
    reads_prompt_ahead: bool = False
    """Reading the persona's prompt before the first turn makes later replies start sooner
    (llama.cpp reuses its cached prefix; a remote endpoint caches its own way, if at all)."""

    def speaks(self, language: str | None) -> bool:
        """True if it handles `language` ("es-ES" matches "es"); None asks for the default."""
        if self.languages is None or language is None:
            return True
        return language.replace("-", "_").split("_", 1)[0].lower() in self.languages


UNDECLARED = Capabilities("undeclared")
"""For a backend that declares nothing (a test fake, a scripted line): local, no read-ahead."""
