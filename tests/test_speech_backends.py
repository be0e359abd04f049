"""Choosing backends from settings, their declared capabilities, and Wyoming services that are
down, stalled or not Wyoming at all (real sockets, no models)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from voice_rp.backends import UNDECLARED, capabilities_of
from voice_rp.backends.factory import load_models
from voice_rp.backends.pcm import PCMFormatError, Rechunker, wav_or_pcm
from voice_rp.backends.service import SpeechService
from voice_rp.backends.wyoming import WyomingSynthesizer, WyomingTranscriber
from voice_rp.config import Settings
from voice_rp.errors import ModelError, SpeechRecognitionError, SpeechSynthesisError

REPO = Path(__file__).resolve().parents[1]
ONE_SECOND = np.zeros(16000, np.float32)


def test_settings_read_the_speech_services() -> None:
    settings = Settings.from_env({
        "VOICE_RP_STT_URL": "wyoming://stt.local:10300", "VOICE_RP_STT_MODEL": "large-v3",
        "VOICE_RP_TTS_URL": "https://speech.example/v1", "VOICE_RP_TTS_MODEL": "kokoro",
        "VOICE_RP_TTS_VOICE": "af_bella", "VOICE_RP_SPEECH_API_KEY": "sk-1",
        "VOICE_RP_SPEECH_TIMEOUT_S": "4", "VOICE_RP_TTS_SAMPLE_RATE": "16000"})
    stt, tts = settings.stt_service, settings.tts_service
    assert stt is not None and tts is not None
    assert (stt.protocol, stt.address, stt.model, stt.timeout_s) == (
        "wyoming", ("stt.local", 10300), "large-v3", 4.0)
    assert (tts.protocol, tts.model, tts.voice, tts.sample_rate) == (
        "http", "kokoro", "af_bella", 16000)
    assert "sk-1" not in repr(settings)  # keys stay out of logs
    assert settings.stt_model == "tiny.en"  # VOICE_RP_STT_MODEL named the remote model
    unset = Settings.from_env({})
    assert unset.stt_service is None and unset.tts_service is None


@pytest.mark.parametrize(("env", "problem"), [
    ({"VOICE_RP_STT_URL": "grpc://host:1"}, "must look like"),
    ({"VOICE_RP_TTS_URL": "wyoming://host"}, "needs a port"),
    ({"VOICE_RP_STT_URL": "http://h", "VOICE_RP_SPEECH_TIMEOUT_S": "soon"}, "TIMEOUT_S"),
    ({"VOICE_RP_TTS_URL": "http://h", "VOICE_RP_TTS_SAMPLE_RATE": "5"}, "SAMPLE_RATE"),
])
def test_unusable_speech_settings_are_clear(env, problem) -> None:
    with pytest.raises(ModelError, match=problem):
        Settings.from_env(env)


def test_factory_chooses_by_scheme_and_loads_no_local_model(tmp_path: Path) -> None:
    settings = Settings(
        stt_service=SpeechService("wyoming://127.0.0.1:1"),
        tts_service=SpeechService("http://127.0.0.1:1"),
        llm_base_url="http://127.0.0.1:1/v1", llm_model="m", data_dir=tmp_path)
    models = load_models(settings)
    heard, spoken, chat = (capabilities_of(models.transcriber),
                           capabilities_of(models.voice("any-persona-voice")),
                           capabilities_of(models.chat))
    assert heard.remote and heard.name.startswith("wyoming stt") and heard.languages is None
    assert spoken.remote and spoken.name.startswith("openai tts")
    assert chat.remote and not chat.reads_prompt_ahead
    # Every language goes to the service: no multilingual model is loaded for Spanish.
    assert models.transcriber_for("es") is models.transcriber
    models.close()


def test_capabilities_of_a_backend_that_declares_none() -> None:
    class Fake:
        def transcribe(self, samples: np.ndarray) -> str:
            return ""

    assert capabilities_of(Fake()) is UNDECLARED
    assert not UNDECLARED.remote and not UNDECLARED.reads_prompt_ahead
    assert UNDECLARED.speaks("es")


def test_rechunker_keeps_samples_whole_and_reads_wav_headers() -> None:
    pcm = (np.arange(1000) % 200).astype("<i2").tobytes()
    header = (b"RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
              + (24000).to_bytes(4, "little") + (48000).to_bytes(4, "little")
              + b"\x02\x00\x10\x00LIST\x04\x00\x00\x00abcddata\x00\x00\x00\x00")
    body = header + pcm
    pieces = [body[i:i + 7] for i in range(0, len(body), 7)]  # odd splits, header split too
    out = b"".join(wav_or_pcm(iter(pieces), Rechunker(24000), pcm_rate=16000))
    assert out == pcm
    stereo = header.replace(b"\x01\x00\x01\x00", b"\x01\x00\x02\x00", 1)
    with pytest.raises(PCMFormatError, match="2 channel"):
        b"".join(wav_or_pcm(iter([stereo + pcm]), Rechunker(24000), pcm_rate=16000))


# --- Wyoming services that misbehave -------------------------------------------------------


@pytest.fixture
def misbehaving() -> Iterator[Callable[[Callable[[socket.socket], None]], SpeechService]]:
    """A TCP service on a free port that answers each connection with `behave(conn)`."""
    listeners: list[socket.socket] = []

    def start(behave: Callable[[socket.socket], None]) -> SpeechService:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=behave, args=(conn,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        port = listener.getsockname()[1]
        return SpeechService(f"wyoming://127.0.0.1:{port}", connect_s=1.0, timeout_s=0.5)

    yield start
    for listener in listeners:
        listener.close()


def garbage(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    conn.shutdown(socket.SHUT_WR)
    # Read the rest of the request before closing: closing with it unread resets the connection,
    # and the client would then see a reset instead of the garbage this test is about.
    with contextlib.suppress(OSError):
        while conn.recv(65536):
            pass
    conn.close()


def stalls(conn: socket.socket) -> None:
    conn.recv(65536)  # reads the request, never answers


def endless_header(conn: socket.socket) -> None:
    conn.recv(65536)
    with contextlib.suppress(OSError):
        conn.sendall(b"{" + b"x" * 200_000)  # no newline, ever


@pytest.mark.parametrize(("behave", "problem"), [
    (garbage, "not a transcript"),
    (stalls, "no transcript within 0.5 s"),
    (endless_header, "not a transcript"),
])
def test_wyoming_stt_that_misbehaves_is_stt_unavailable(misbehaving, behave, problem) -> None:
    stt = WyomingTranscriber(misbehaving(behave))
    with pytest.raises(SpeechRecognitionError, match=problem) as caught:
        stt.transcribe(ONE_SECOND, language="en")
    assert caught.value.code == "stt_unavailable"


@pytest.mark.parametrize(("behave", "problem"), [
    (garbage, "not audio"),
    (stalls, "no audio for 0.5 s"),
])
def test_wyoming_tts_that_misbehaves_is_tts_unavailable(misbehaving, behave, problem) -> None:
    tts = WyomingSynthesizer(misbehaving(behave))
    with pytest.raises(SpeechSynthesisError, match=problem) as caught:
        b"".join(tts.synthesize("Hello."))
    assert caught.value.code == "tts_unavailable"


async def test_wyoming_service_that_is_down(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = SpeechService(f"wyoming://127.0.0.1:{s.getsockname()[1]}", connect_s=1.0)
    models = load_models(Settings(stt_service=down, tts_service=down, data_dir=tmp_path,
                                  llm_base_url="http://127.0.0.1:1/v1", llm_model="m"))
    problems = await models.check_services()  # what readiness reports
    assert len(problems) == 2 and "does not answer" in problems[1], problems
    with pytest.raises(SpeechRecognitionError, match="cannot connect"):
        WyomingTranscriber(down).transcribe(ONE_SECOND)
    with pytest.raises(SpeechSynthesisError, match="unreachable"):
        b"".join(WyomingSynthesizer(down).synthesize("Hello."))


def test_speech_servers_run_with_network_access_refused() -> None:
    """The guard the Wyoming servers run under: a download attempt fails, loudly."""
    code = ("import sys; sys.path.insert(0, 'scripts'); import speech_servers as s; "
            "s._install_network_guard(); import socket; "
            "socket.create_connection(('198.51.100.7', 443), timeout=1)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "blocked network access to 198.51.100.7" in done.stderr
    assert "PermissionError" in done.stderr
