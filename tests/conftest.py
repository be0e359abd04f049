"""Shared fixtures. The model fixtures load each real model once per test run, on first use.

Tests that use them should be marked `@pytest.mark.models` (deselect with `-m "not models"`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice_rp.llm_embedded import EmbeddedChatModel
from voice_rp.stt import WhisperTranscriber
from voice_rp.tts import PiperSynthesizer, VoiceCatalog

# The suite must never reach for a model hub, even when run without scripts/test.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def transcriber(tmp_path_factory: pytest.TempPathFactory) -> WhisperTranscriber:
    """The bundled English tiny.en model with voice-rp's default options."""
    return WhisperTranscriber.load("tiny.en", cache_dir=tmp_path_factory.mktemp("stt-cache"))


@pytest.fixture(scope="session")
def voices() -> VoiceCatalog:
    """A catalog with only the bundled voice (no user voice directories)."""
    return VoiceCatalog()


@pytest.fixture(scope="session")
def synthesizer(voices: VoiceCatalog) -> PiperSynthesizer:
    """The bundled en_US-joe-medium Piper voice (22,050 Hz)."""
    return voices.synthesizer("joe")


@pytest.fixture(scope="session")
def embedded_llm() -> Iterator[EmbeddedChatModel]:
    """The bundled SmolLM2-135M-Instruct, in-process."""
    model = EmbeddedChatModel.load()
    yield model
    model.close()


@pytest.fixture
def voices_dir(tmp_path: Path) -> Path:
    """An empty voices directory for a test to drop Piper voice files into."""
    path = tmp_path / "voices"
    path.mkdir()
    return path
