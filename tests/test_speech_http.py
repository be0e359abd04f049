"""Remote speech over an OpenAI-compatible audio API, against a real loopback HTTP server
(`openai_audio_fake`): what is sent, streaming, connection reuse, and every way it can fail."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from openai_audio_fake import FakeAudioAPI

from voice_rp.backends.openai_audio import OpenAISynthesizer, OpenAITranscriber, api_base
from voice_rp.backends.service import SpeechService
from voice_rp.errors import SpeechRecognitionError, SpeechSynthesisError

TWO_SECONDS = np.sin(np.arange(32000) / 16000 * 2 * np.pi * 200).astype(np.float32) * 0.3


@pytest.fixture
def api() -> Iterator[FakeAudioAPI]:
    with FakeAudioAPI() as fake:
        yield fake


def service(url: str, **kw: object) -> SpeechService:
    return SpeechService(url, **{"connect_s": 1.0, "timeout_s": 1.0, **kw})  # type: ignore


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # closed: connections are refused


def test_api_base_adds_v1_once() -> None:
    assert api_base("http://h:8000") == "http://h:8000/v1"
    assert api_base("https://api.openai.com/v1/") == "https://api.openai.com/v1"
    assert api_base("http://gw/openai/v1") == "http://gw/openai/v1"


def test_transcription_sends_the_whole_clip_with_model_language_prompt_and_key(api):
    stt = OpenAITranscriber(service(api.base_url, model="whisper-large", api_key="sk-test"))
    result = stt.transcribe(TWO_SECONDS, language="es-ES", prompt="Um, uh.")
    assert result.text == "I heard 2.00 seconds."
    assert result.language == "es" and result.audio_seconds == pytest.approx(2.0)
    sent = api.requests[-1]
    assert sent.path == "/v1/audio/transcriptions"
    assert sent.form == {"model": "whisper-large", "response_format": "json", "language": "es",
                         "prompt": "Um, uh."}
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.rate == 16000 and sent.samples is not None
    assert np.abs(sent.samples - TWO_SECONDS).max() < 1e-3  # the audio arrived intact


def test_transcriptions_reuse_one_connection(api):
    stt = OpenAITranscriber(service(api.base_url))
    for _ in range(3):
        stt.transcribe(TWO_SECONDS)
    assert api.connections == 1
    assert "authorization" not in api.requests[-1].headers  # no key configured, none sent


@pytest.mark.parametrize(("mode", "problem"), [
    ("slow", "no answer within 1 s"),
    ("garbage", "not a transcript"),
    ("status", "HTTP 500"),
])
def test_transcription_failures_are_stt_unavailable(api, mode, problem):
    api.mode = mode
    stt = OpenAITranscriber(service(api.base_url))
    with pytest.raises(SpeechRecognitionError, match=problem) as caught:
        stt.transcribe(TWO_SECONDS)
    assert caught.value.code == "stt_unavailable"
    assert api.base_url.removeprefix("http://") in str(caught.value)  # names the service
    api.mode = "ok"  # the same backend works again once the service does
    assert stt.transcribe(TWO_SECONDS).text == "I heard 2.00 seconds."


def test_rejected_key_says_which_setting(api):
    api.mode, api.status = "status", 401
    with pytest.raises(SpeechRecognitionError, match="VOICE_RP_SPEECH_API_KEY"):
        OpenAITranscriber(service(api.base_url)).transcribe(TWO_SECONDS)


def test_unreachable_service_is_stt_unavailable():
    with pytest.raises(SpeechRecognitionError, match="cannot reach"):
        OpenAITranscriber(service(dead_url())).transcribe(TWO_SECONDS)


def test_speech_streams_pcm_as_it_arrives(api):
    tts = OpenAISynthesizer(service(api.base_url, model="kokoro", voice="af_bella"))
    api.hold()  # the service sends one chunk, then waits until the client has played it
    text = "Tell me about a project you are proud of."
    chunks = tts.synthesize(text, rate=1.25)
    first = next(chunks)
    assert first and api.first_chunk_sent.is_set() and not api.release.is_set()
    api.release.set()
    audio = first + b"".join(chunks)
    assert tts.sample_rate == 24000
    assert len(audio) % 2 == 0
    assert len(audio) / 2 / 24000 == pytest.approx(0.06 * len(text), abs=0.01)
    assert api.requests[-1].json == {"model": "kokoro", "input": text, "voice": "af_bella",
                                     "response_format": "pcm", "speed": 1.25}


def test_speech_answered_as_wav_is_resampled(api):
    api.mode = "wav"
    tts = OpenAISynthesizer(service(api.base_url))
    audio = b"".join(tts.synthesize("Hello there, nice to meet you."))
    assert len(audio) / 2 / 24000 == pytest.approx(0.06 * 30, abs=0.01)
    samples = np.frombuffer(audio, "<i2").astype(np.float32)
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 24000 / len(samples) == pytest.approx(220, abs=3)  # same pitch


def test_speech_reuses_connections_across_sentences(api):
    tts = OpenAISynthesizer(service(api.base_url))
    for text in ("One.", "Two.", "Three."):
        assert b"".join(tts.synthesize(text))
    assert api.connections == 1


@pytest.mark.parametrize(("mode", "problem"), [
    ("slow", "no audio for 1 s"),
    ("garbage", "not audio"),
    ("status", "HTTP 500"),
    ("cut", "mid-sentence"),
])
def test_speech_failures_are_tts_unavailable(api, mode, problem):
    api.mode = mode
    tts = OpenAISynthesizer(service(api.base_url))
    with pytest.raises(SpeechSynthesisError, match=problem) as caught:
        b"".join(tts.synthesize("A sentence long enough to come in several chunks, surely."))
    assert caught.value.code == "tts_unavailable"
    assert sum(r.path == "/v1/audio/speech" for r in api.requests) == 1  # never replayed


def test_speech_cut_short_by_the_listener_frees_the_answer(api):
    tts = OpenAISynthesizer(service(api.base_url))
    chunks = tts.synthesize("A long sentence that the user interrupts before it ends, sadly.")
    next(chunks)
    chunks.close()  # an interruption: the rest is not wanted
    assert b"".join(tts.synthesize("Next."))  # the backend goes on


def test_unreachable_speech_service_is_tts_unavailable():
    with pytest.raises(SpeechSynthesisError, match="connection failed"):
        b"".join(OpenAISynthesizer(service(dead_url())).synthesize("Hello."))


def test_concurrent_sessions_share_one_backend(api):
    stt = OpenAITranscriber(service(api.base_url))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(stt.transcribe(TWO_SECONDS).text))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["I heard 2.00 seconds."] * 4


def test_readiness_check_asks_whether_the_service_answers(api):
    stt, tts = OpenAITranscriber(service(api.base_url)), OpenAISynthesizer(service(api.base_url))
    stt.check()
    tts.check()
    api.mode = "status"
    with pytest.raises(SpeechRecognitionError, match="HTTP 500"):
        stt.check()
    with pytest.raises(SpeechSynthesisError, match="does not answer"):
        OpenAISynthesizer(service(dead_url())).check()
