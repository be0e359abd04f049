"""Shared fixtures. The model fixtures load each real model once per test run, on first use.

Tests that use them should be marked `@pytest.mark.models` (deselect with `-m "not models"`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_backends import BACKENDS, LocalPostgres, StoreMaker, start_postgres, store_maker

from voice_rp.llm_embedded import EmbeddedChatModel
from voice_rp.storage import SessionStore
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Callable[[], LocalPostgres]]:
    """A PostgreSQL server started on first use (skips if it cannot be installed here)."""
    servers: list[LocalPostgres] = []

    def get() -> LocalPostgres:
        if not servers:
            servers.append(start_postgres())
        return servers[0]
    yield get
    for server in servers:
        server.close()


@pytest.fixture(params=BACKENDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path,
               postgres_server: Callable[[], LocalPostgres]) -> Iterator[StoreMaker]:
    """Opens session stores of each backend in turn: the same test proves both behave alike."""
    opened: list[SessionStore] = []
    yield store_maker(request.param, tmp_path, postgres_server, opened)
    for store in opened:
        store.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which test speech was synthesised fresh (no fixed clip held it): those inputs change
    from run to run. `scripts/record-clips` keeps them."""
    import speech

    fresh = sorted(set(speech.SYNTHESISED))
    if fresh:
        recorded = os.environ.get("VOICE_RP_RECORD_CLIPS") == "1"
        what = ("recorded as fixed clips" if recorded
                else "synthesised fresh (no fixed clip: run scripts/record-clips)")
        terminalreporter.write_sep("-", f"{len(fresh)} Piper test texts {what}")
        for line in fresh[:20]:
            terminalreporter.write_line(f"  {line}")
