"""Speech recognition and synthesis through an OpenAI-compatible audio API
(`POST /v1/audio/transcriptions`, `POST /v1/audio/speech`): OpenAI, speaches, vLLM's Whisper
support, Kokoro-FastAPI, LocalAI and gateways in front of them.

Blocking, like the embedded backends (called from worker threads). One `httpx.Client` per
backend keeps connections alive across turns and sessions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np

from ..audio import SAMPLE_RATE
from ..capabilities import Capabilities
from ..errors import SpeechRecognitionError, SpeechSynthesisError, VoiceRPError
from ..stt import Transcript
from .pcm import PCMFormatError, Rechunker, float_to_wav, wav_or_pcm
from .service import RemoteSynthesizer, SpeechService

OPENAI_PCM_RATE = 24000  # OpenAI's `pcm` response format: raw 24 kHz mono 16-bit LE
DEFAULT_STT_MODEL = "whisper-1"
DEFAULT_TTS_MODEL = "tts-1"
DEFAULT_TTS_VOICE = "alloy"
_MAX_TRANSCRIPT_BYTES = 1024 * 1024


def api_base(url: str) -> str:
    """`http://host:8000` and `http://host:8000/v1/` both become `http://host:8000/v1`."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _client(service: SpeechService, transport: httpx.BaseTransport | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {service.api_key}"} if service.api_key else {}
    return httpx.Client(
        base_url=api_base(service.url), headers=headers,
        # `read` bounds each wait for the next bytes: a stalled service fails, a slow stream not.
        timeout=httpx.Timeout(service.timeout_s, connect=service.connect_s),
        # No transport retries of our own beyond the one connect retry below.
        limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=30.0),
        transport=transport)


def _answers(http: httpx.Client) -> str | None:
    """None if the service answers HTTP at all (`GET /v1/models`; a 404 still means it is up),
    else what is wrong."""
    try:
        status = http.get("/models").status_code
    except httpx.HTTPError as exc:
        return f"it does not answer ({type(exc).__name__})"
    return f"it answers HTTP {status}" if status >= 500 else None


def _status_problem(response: httpx.Response) -> str:
    detail = response.read()[:300].decode("utf-8", "replace").strip()
    if response.status_code in (401, 403):
        return f"refused (HTTP {response.status_code}): check VOICE_RP_SPEECH_API_KEY"
    return f"HTTP {response.status_code}" + (f": {detail}" if detail else "")


class OpenAITranscriber:
    """Speech recognition through `POST {base}/v1/audio/transcriptions`.

    Transcribing is idempotent, so a failed connect is retried once; a request that reached the
    service and failed is reported, not repeated (the user is waiting).
    """

    def __init__(self, service: SpeechService, *, transport: httpx.BaseTransport | None = None
                 ) -> None:
        self.service = service
        self.model = service.model or DEFAULT_STT_MODEL
        self.name = f"{self.model} @ {service.display}"
        self.multilingual = True
        self.capabilities = Capabilities(f"openai stt {self.name}", remote=True)
        self._http = _client(service, transport)

    def transcribe(self, samples: np.ndarray, *, language: str | None = None,
                   prompt: str | None = None) -> Transcript:
        """Raises SpeechRecognitionError naming the service and what went wrong."""
        audio = np.asarray(samples, dtype=np.float32).reshape(-1)
        seconds = len(audio) / SAMPLE_RATE
        form = {"model": self.model, "response_format": "json"}
        if language:
            form["language"] = language.replace("-", "_").split("_", 1)[0].lower()
        if prompt:
            form["prompt"] = prompt
        files = {"file": ("speech.wav", float_to_wav(audio), "audio/wav")}
        try:
            response = self._post(form, files)
        except httpx.TimeoutException as exc:
            raise self._error(f"no answer within {self.service.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise self._error(f"cannot reach it ({exc})") from exc
        if response.status_code != 200:
            raise self._error(_status_problem(response))
        body = response.content[:_MAX_TRANSCRIPT_BYTES]
        try:
            text = json.loads(body)["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
        except (ValueError, KeyError, TypeError) as exc:
            raise self._error(f"the answer was not a transcript ({exc})") from exc
        return Transcript(text.strip(), form.get("language", ""), seconds)

    def _post(self, form: dict[str, str], files: dict[str, tuple[str, bytes, str]]
              ) -> httpx.Response:
        try:
            return self._http.post("/audio/transcriptions", data=form, files=files)
        except httpx.ConnectError:
            # Nothing reached the service: asking again cannot transcribe anything twice.
            return self._http.post("/audio/transcriptions", data=form, files=files)

    def check(self) -> None:
        """Raise SpeechRecognitionError unless the service answers (readiness)."""
        problem = _answers(self._http)
        if problem:
            raise self._error(problem)

    def _error(self, problem: str) -> SpeechRecognitionError:
        return SpeechRecognitionError(
            f"speech recognition at {self.service.display} failed: {problem}. "
            "Please say that again in a moment.")

    def close(self) -> None:
        self._http.close()


class OpenAISynthesizer(RemoteSynthesizer):
    """Speech synthesis through `POST {base}/v1/audio/speech`, streamed as the body arrives.

    Asks for `pcm` (24 kHz raw); a WAV answer is understood too. A connect failure is retried
    once (nothing was spoken); once audio has arrived a failure is reported, never replayed.
    """

    def __init__(self, service: SpeechService, *, transport: httpx.BaseTransport | None = None
                 ) -> None:
        self.service = service
        self.model = service.model or DEFAULT_TTS_MODEL
        self.voice = service.voice or DEFAULT_TTS_VOICE
        self.name = f"{self.model}/{self.voice} @ {service.display}"
        self._rate = service.sample_rate or OPENAI_PCM_RATE
        self.capabilities = Capabilities(f"openai tts {self.name}", remote=True)
        self._http = _client(service, transport)

    def _stream(self, text: str, rate: float) -> Iterator[bytes]:
        request = {"model": self.model, "input": text, "voice": self.voice,
                   "response_format": "pcm", "speed": min(4.0, max(0.25, rate))}
        heard = False
        try:
            response = self._open(request)
            try:
                if response.status_code != 200:
                    raise self._error(_status_problem(response), heard)
                kind = response.headers.get("content-type", "")
                if kind.startswith(("application/json", "text/")):
                    raise PCMFormatError(f"a {kind.split(';')[0]} answer instead of audio")
                for pcm in wav_or_pcm(response.iter_bytes(), Rechunker(self._rate),
                                      pcm_rate=OPENAI_PCM_RATE):
                    if pcm:
                        heard = True
                        yield pcm
            finally:
                response.close()  # also when the reply is cut short: the rest is not wanted
        except VoiceRPError:
            raise
        except httpx.TimeoutException as exc:
            raise self._error(f"no audio for {self.service.timeout_s:g} s", heard) from exc
        except httpx.HTTPError as exc:
            raise self._error(f"the connection failed ({exc})", heard) from exc
        except PCMFormatError as exc:
            raise self._error(f"the answer was not audio: {exc}", heard) from exc

    def _open(self, request: dict[str, object]) -> httpx.Response:
        """The streamed response (the caller closes it)."""
        try:
            response = self._http.send(self._http.build_request(
                "POST", "/audio/speech", json=request), stream=True)
        except httpx.ConnectError:
            response = self._http.send(self._http.build_request(
                "POST", "/audio/speech", json=request), stream=True)
        return response

    def check(self) -> None:
        """Raise SpeechSynthesisError unless the service answers (readiness)."""
        problem = _answers(self._http)
        if problem:
            raise self._error(problem, heard=False)

    def _error(self, problem: str, heard: bool) -> SpeechSynthesisError:
        cut = " mid-sentence" if heard else ""
        return SpeechSynthesisError(
            f"speech synthesis at {self.service.display} failed{cut}: {problem}")

    def close(self) -> None:
        self._http.close()
