"""Settings: everything configurable, read from the environment once, at the entry points.

Environment variables (empty counts as unset):

- `OPENAI_BASE_URL`: use this OpenAI-compatible chat endpoint instead of the embedded SmolLM2,
  e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama),
  `http://localhost:1234/v1` (LM Studio), `http://localhost:8080/v1` (llama.cpp server).
  Only this variable switches the endpoint: an `OPENAI_API_KEY` left in the shell for other tools
  never sends conversations to a paid service by itself.
- `OPENAI_API_KEY`: the key for that endpoint (local servers usually need none).
- `VOICE_RP_LLM_MODEL` (or `OPENAI_MODEL`): the model name at that endpoint. Defaults to
  `gpt-4o-mini` for api.openai.com; any other endpoint needs it, because only the user knows what
  their server has loaded.
- `VOICE_RP_LLM_TIMEOUT_S`: the longest a whole reply from that endpoint may take (default 30);
  `VOICE_RP_LLM_FIRST_TOKEN_S` (default 10), `VOICE_RP_LLM_IDLE_S` (longest pause mid-reply,
  default 6) and `VOICE_RP_LLM_CONNECT_S` (default 5) bound its parts. See `llm.Deadlines`.
- `VOICE_RP_LLM_ENGINES`: copies of the embedded model that answer at the same time (default 2:
  one session's turn does not wait behind another's whole reply; each copy adds ~60 MB).
- `VOICE_RP_HOLD_AFTER_S`: when no reply can start this long after the user stops speaking, the
  persona says a short holding line ("Hmm, let me think.") first (default 2.5; `off`: never).
- `VOICE_RP_TURN_LIMIT_S`: a reply still being made after this is cut short with an error, and
  the conversation goes on (default 60).
- `VOICE_RP_LLM_CAPABLE`: `1` or `0`. A capable model phrases a scenario's questions in its own
  words and reacts freely; a small one only adds a short acknowledgement to the question the
  scenario asks (see docs/personas.md, "Scenario flows"). Default: `0` for the embedded SmolLM2,
  `1` for an endpoint.
- `VOICE_RP_STT_MODEL`: `tiny.en` (default, bundled, English), `base` (bundled, multilingual) or the
  path of a CTranslate2 Whisper model directory.
- `VOICE_RP_STT_MULTILINGUAL`: how the multilingual model decodes (language partners):
  `accurate` (default: Whisper's standard decode, within a point of the bare model's word error
  rate on recorded speech) or `fast` (a fitted window: ~0.5 s sooner a turn on a 2-core laptop,
  about 1.4 points more word errors; docs/latency.md).
- `VOICE_RP_STT_URL`, `VOICE_RP_TTS_URL`: a remote speech recognition / synthesis service instead
  of the embedded faster-whisper / Piper. The scheme names the protocol: `wyoming://HOST:PORT`
  (Wyoming: wyoming-faster-whisper, wyoming-piper) or `http(s)://HOST[:PORT][/v1]` (an
  OpenAI-compatible `/v1/audio/transcriptions`, `/v1/audio/speech`). With `VOICE_RP_STT_URL`,
  `VOICE_RP_STT_MODEL` names the model at that service (HTTP default `whisper-1`);
  `VOICE_RP_TTS_MODEL` (HTTP default `tts-1`), `VOICE_RP_TTS_VOICE` (HTTP default `alloy`;
  Wyoming: the service's default voice), `VOICE_RP_TTS_SAMPLE_RATE` (the rate replies are sent
  at; default 22050 for Wyoming, 24000 for HTTP), `VOICE_RP_SPEECH_API_KEY` (sent to HTTP
  services only), `VOICE_RP_SPEECH_CONNECT_S` (default 3) and `VOICE_RP_SPEECH_TIMEOUT_S` (a
  whole transcription, or each wait for more synthesized audio; default 15).
- `VOICE_RP_MODERATION_URL`: an OpenAI-compatible moderation service (`POST {URL}/moderations`,
  e.g. `https://api.openai.com/v1`), asked about each line the model writes once the built-in
  check (voice_rp.safety.moderation) passed it; a flagged line is not spoken. Unset: the built-in
  check only. `VOICE_RP_MODERATION_MODEL` names its model (default `omni-moderation-latest`);
  the key is `VOICE_RP_MODERATION_API_KEY`, else `OPENAI_API_KEY`.
  `VOICE_RP_MODERATION_TIMEOUT_S` (default 1.5) bounds each check: a service that is slow or
  down never silences the character, the built-in verdict stands.
- `VOICE_RP_THREADS`: threads per model runtime, e.g. `stt=2,llm=2,tts=1,tts_spin=0` (default:
  one per core, at most four each, Piper's not spinning; see voice_rp.threads).
- `VOICE_RP_VOICES`: extra Piper voice directories, separated by `:` (`;` on Windows), searched
  before `~/.local/share/voice-rp/voices`.
- `VOICE_RP_DATA_DIR`: where transcripts are saved (default `~/.local/share/voice-rp`).
- `VOICE_RP_DATABASE_URL`: `postgresql://user:password@host:port/db` keeps sessions in that
  PostgreSQL database instead, shared by every session server (docs/storage.md).
- `XDG_DATA_HOME`, `XDG_CACHE_HOME`: move the default data and cache directories, as usual.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .backends.service import SpeechService, speech_services_from_env
from .errors import LLMError, ModelError
from .llm import DEFAULT_OPENAI_MODEL, Deadlines
from .stt import (
    BUNDLED_ENGLISH,
    FAST_MULTILINGUAL_OPTIONS,
    MULTILINGUAL_OPTIONS,
    WhisperOptions,
)
from .threads import ThreadPlan, usable_cores
from .tts import BUNDLED_VOICE


def _data_home(environ: Mapping[str, str]) -> Path:
    if environ.get("XDG_DATA_HOME"):
        return Path(environ["XDG_DATA_HOME"]) / "voice-rp"
    return _home(environ) / ".local" / "share" / "voice-rp"


def _cache_home(environ: Mapping[str, str]) -> Path:
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]) / "voice-rp"
    return _home(environ) / ".cache" / "voice-rp"


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ["HOME"]) if environ.get("HOME") else Path.home()


@dataclass(frozen=True)
class Settings:
    """What to load and where to keep things. Defaults need no network and no configuration."""

    stt_model: str = BUNDLED_ENGLISH
    """"tiny.en", "base" or a CTranslate2 model directory."""
    stt_cache_dir: Path = field(default_factory=lambda: _cache_home({}) / "models")
    """Where the multilingual model is assembled (`<stt_cache_dir>/whisper-base`)."""
    whisper: WhisperOptions = field(default_factory=WhisperOptions)
    """How an English-only model decodes."""
    whisper_multilingual: WhisperOptions = MULTILINGUAL_OPTIONS
    """How a multilingual model decodes (the one `stt_model` names, or base on first need)."""
    llm_base_url: str | None = None
    """None: the embedded SmolLM2 model. Otherwise an OpenAI-compatible endpoint."""
    llm_api_key: str | None = field(default=None, repr=False)
    llm_model: str | None = None
    llm_deadlines: Deadlines = field(default_factory=Deadlines)
    """How long the endpoint may take to connect, to start answering, to pause and in all."""
    llm_engines: int = 2
    """Copies of the embedded model, so sessions share it token by token, not reply by reply."""
    hold_after_s: float | None = 2.5
    """No reply audio this long after the end of speech: a holding line first (None: never)."""
    turn_limit_s: float = 60.0
    """The hard limit of one reply."""
    llm_capable: bool = False
    """The chat model may phrase a scenario's questions itself (False: scripted questions)."""
    voices_dirs: tuple[Path, ...] = field(default_factory=lambda: (_data_home({}) / "voices",))
    tts_voice: str = BUNDLED_VOICE
    """Voice for personas that name none."""
    data_dir: Path = field(default_factory=lambda: _data_home({}))
    """Where transcripts are saved."""
    database_url: str | None = field(default=None, repr=False)
    """A postgresql:// URL: sessions are kept there instead of in data_dir (None: SQLite)."""
    stt_service: SpeechService | None = None
    """A remote speech recognition service instead of the embedded faster-whisper."""
    tts_service: SpeechService | None = None
    """A remote speech synthesis service instead of the embedded Piper voices."""
    threads: ThreadPlan = field(default_factory=lambda: ThreadPlan.for_cores(usable_cores()))
    """Threads for Whisper, the embedded chat model and Piper."""
    moderation_url: str | None = None
    """An OpenAI-compatible moderation endpoint asked about the model's lines (None: none)."""
    moderation_model: str = "omni-moderation-latest"
    moderation_api_key: str | None = field(default=None, repr=False)
    moderation_timeout_s: float = 1.5
    """The longest a line waits for the moderation endpoint; then the built-in check stands."""

    @property
    def embedded_llm(self) -> bool:
        return self.llm_base_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from environment variables (see the module docstring).

        Raises LLMError when an endpoint other than OpenAI is configured without a model name,
        ModelError when a speech service setting is unusable.
        """
        env = {k: v.strip() for k, v in environ.items() if v.strip()}
        base_url = env.get("OPENAI_BASE_URL")
        model = env.get("VOICE_RP_LLM_MODEL") or env.get("OPENAI_MODEL")
        if base_url and not model:
            if urlsplit(base_url).hostname != "api.openai.com":
                raise LLMError(
                    f"OPENAI_BASE_URL points at {urlsplit(base_url).netloc or base_url}; set "
                    "VOICE_RP_LLM_MODEL to the name of a model that server provides"
                )
            model = DEFAULT_OPENAI_MODEL
        data_home = _data_home(env)
        capable = env.get("VOICE_RP_LLM_CAPABLE", "1" if base_url else "0").lower()
        if capable not in ("1", "0", "true", "false", "yes", "no"):
            raise LLMError(f"VOICE_RP_LLM_CAPABLE must be 1 or 0, got {capable!r}")
        stt_service, tts_service = speech_services_from_env(env)
        decode = env.get("VOICE_RP_STT_MULTILINGUAL", "accurate").lower()
        if decode not in ("accurate", "fast"):
            raise ModelError(f"VOICE_RP_STT_MULTILINGUAL must be accurate or fast, got {decode!r}")
        extra_voices = [Path(p).expanduser() for p in env.get("VOICE_RP_VOICES", "").split(
            os.pathsep) if p]
        moderation_url = env.get("VOICE_RP_MODERATION_URL")
        if moderation_url and urlsplit(moderation_url).scheme not in ("http", "https"):
            raise ModelError("VOICE_RP_MODERATION_URL must be an http(s):// URL such as "
                             f"https://api.openai.com/v1, got {moderation_url!r}")
        return cls(
            # With a remote service, VOICE_RP_STT_MODEL names the model there instead.
            stt_model=BUNDLED_ENGLISH if stt_service else env.get("VOICE_RP_STT_MODEL",
                                                                  BUNDLED_ENGLISH),
            stt_cache_dir=_cache_home(env) / "models",
            whisper_multilingual=FAST_MULTILINGUAL_OPTIONS if decode == "fast"
            else MULTILINGUAL_OPTIONS,
            llm_base_url=base_url,
            llm_api_key=env.get("OPENAI_API_KEY") if base_url else None,
            llm_model=model if base_url else None,
            llm_deadlines=_deadlines(env),
            llm_engines=_count("VOICE_RP_LLM_ENGINES", env.get("VOICE_RP_LLM_ENGINES", "2")),
            hold_after_s=None if env.get("VOICE_RP_HOLD_AFTER_S", "").lower() == "off" else
            positive_seconds("VOICE_RP_HOLD_AFTER_S", env.get("VOICE_RP_HOLD_AFTER_S", "2.5")),
            turn_limit_s=positive_seconds("VOICE_RP_TURN_LIMIT_S",
                                          env.get("VOICE_RP_TURN_LIMIT_S", "60")),
            llm_capable=capable in ("1", "true", "yes"),
            voices_dirs=(*extra_voices, data_home / "voices"),
            data_dir=Path(env["VOICE_RP_DATA_DIR"]).expanduser()
            if "VOICE_RP_DATA_DIR" in env
            else data_home,
            database_url=env.get("VOICE_RP_DATABASE_URL"),
            stt_service=stt_service,
            tts_service=tts_service,
            threads=ThreadPlan.from_env(env),
            moderation_url=moderation_url,
            moderation_model=env.get("VOICE_RP_MODERATION_MODEL", "omni-moderation-latest"),
            moderation_api_key=(env.get("VOICE_RP_MODERATION_API_KEY")
                                or env.get("OPENAI_API_KEY")) if moderation_url else None,
            moderation_timeout_s=positive_seconds(
                "VOICE_RP_MODERATION_TIMEOUT_S", env.get("VOICE_RP_MODERATION_TIMEOUT_S", "1.5")),
        )


_DEADLINE_VARS = {"connect_s": "VOICE_RP_LLM_CONNECT_S",
                  "first_token_s": "VOICE_RP_LLM_FIRST_TOKEN_S",
                  "idle_s": "VOICE_RP_LLM_IDLE_S", "total_s": "VOICE_RP_LLM_TIMEOUT_S"}


def _deadlines(env: Mapping[str, str]) -> Deadlines:
    values: dict[str, float] = {}
    for name, var in _DEADLINE_VARS.items():
        if var in env:
            values[name] = positive_seconds(var, env[var])
    return Deadlines(**values)


def positive_seconds(name: str, text: str) -> float:
    """A duration setting; a clear error naming the variable when it is not one."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 24 * 3600:  # NaN fails too
        raise LLMError(f"{name} must be a number of seconds above 0, got {text!r}")
    return value


def _count(name: str, text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 16:
        raise LLMError(f"{name} must be a whole number from 1 to 16, got {text!r}")
    return int(text)
