"""Where a remote speech service is and how long it may take: one setting per service.

The URL's scheme names the protocol: `wyoming://HOST:PORT` (Home Assistant's Wyoming protocol,
e.g. wyoming-faster-whisper, wyoming-piper) or `http://` / `https://` (an OpenAI-compatible API:
`/v1/audio/transcriptions`, `/v1/audio/speech`; OpenAI, speaches, vLLM, Kokoro-FastAPI).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import ModelError

SCHEMES = ("wyoming", "http", "https")


@dataclass(frozen=True)
class SpeechService:
    """One remote speech recognition or synthesis service."""

    url: str
    """`wyoming://host:port`, or the base URL of an OpenAI-compatible API (`/v1` is added when
    the path does not already end in it)."""
    model: str | None = None
    """Model name at the service (HTTP: required by the API, default whisper-1 / tts-1;
    Wyoming: optional, the service's own default when unset)."""
    voice: str | None = None
    """Synthesis only: the voice at the service (HTTP default "alloy"; Wyoming: its default)."""
    api_key: str | None = field(default=None, repr=False)
    """Sent as `Authorization: Bearer` to an HTTP service; never to a Wyoming one."""
    connect_s: float = 3.0
    """Connecting. A service that is down fails at once; a black hole fails here."""
    timeout_s: float = 15.0
    """A whole transcription, or the wait for each next piece of synthesized audio."""
    sample_rate: int | None = None
    """Synthesis only: the rate replies are sent to clients at; audio the service sends at
    another rate is resampled. Default: 22,050 Hz (Piper) for Wyoming, 24,000 Hz for HTTP
    (the rate of OpenAI's `pcm` format)."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ModelError(
                f"speech service URL {self.url!r} must look like wyoming://HOST:PORT or "
                "http(s)://HOST[:PORT][/v1]")
        try:
            port = parts.port
        except ValueError as exc:
            raise ModelError(f"speech service URL {self.url!r}: {exc}") from exc
        if parts.scheme == "wyoming" and port is None:
            raise ModelError(f"speech service URL {self.url!r} needs a port (wyoming://HOST:PORT)")

    @property
    def protocol(self) -> str:
        """"wyoming" or "http" (https included)."""
        return "wyoming" if self.url.startswith("wyoming:") else "http"

    @property
    def address(self) -> tuple[str, int]:
        """Host and port of a Wyoming service."""
        parts = urlsplit(self.url)
        return parts.hostname or "", parts.port or 0

    @property
    def display(self) -> str:
        """The URL without credentials or query, for logs and error messages."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def speech_services_from_env(env: dict[str, str]
                             ) -> tuple[SpeechService | None, SpeechService | None]:
    """The speech recognition and synthesis services the environment names (None: embedded).

    Called by `Settings.from_env` with the stripped, non-empty variables. Raises ModelError
    naming the variable when a value is unusable.
    """
    key = env.get("VOICE_RP_SPEECH_API_KEY")
    connect_s = _seconds(env, "VOICE_RP_SPEECH_CONNECT_S", "3")
    timeout_s = _seconds(env, "VOICE_RP_SPEECH_TIMEOUT_S", "15")
    stt = tts = None
    if "VOICE_RP_STT_URL" in env:
        stt = SpeechService(env["VOICE_RP_STT_URL"], model=env.get("VOICE_RP_STT_MODEL"),
                            api_key=key, connect_s=connect_s, timeout_s=timeout_s)
    if "VOICE_RP_TTS_URL" in env:
        rate = env.get("VOICE_RP_TTS_SAMPLE_RATE")
        if rate is not None and not (rate.isdigit() and 8000 <= int(rate) <= 48000):
            raise ModelError(f"VOICE_RP_TTS_SAMPLE_RATE must be 8000-48000 Hz, got {rate!r}")
        tts = SpeechService(env["VOICE_RP_TTS_URL"], model=env.get("VOICE_RP_TTS_MODEL"),
                            voice=env.get("VOICE_RP_TTS_VOICE"), api_key=key,
                            sample_rate=int(rate) if rate else None, connect_s=connect_s,
                            timeout_s=timeout_s)
    return stt, tts


def _seconds(env: dict[str, str], name: str, default: str) -> float:
    text = env.get(name, default)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 600:  # NaN fails too
        raise ModelError(f"{name} must be a number of seconds from 0 to 600, got {text!r}")
    return value


class RemoteSynthesizer:
    """What the remote voices share: the rate their PCM comes at, and a checked speaking rate."""

    _rate: int

    @property
    def sample_rate(self) -> int:
        return self._rate

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        if rate <= 0:
            raise ValueError(f"speaking rate must be positive, got {rate}")
        return self._stream(text, rate)

    def _stream(self, text: str, rate: float) -> Iterator[bytes]:
        raise NotImplementedError
