"""Real human speech with reference transcripts, for measuring recognition beyond synthetic voices.

Synthetic speech (Piper, espeak-ng) is too clean to show how Whisper fails on people. Two sources
of recorded human speech install from the package registries, nothing from a model hub:

- Debian's Asterisk prompt packages (`asterisk-core-sounds-{en,es,fr}` for the transcripts and
  `-wav` for the audio, installed by scripts/setup): professional voice talent reading telephone
  prompts, 8 kHz, US English and Mexican Spanish (Allison Smith) and Canadian French (June Wallack),
  each prompt's text in `core-sounds-LANG.txt`. Sentences of four words or more, without digits
  or sound descriptions, are used.
- The pocketsphinx source distribution on PyPI ships LibriVox audiobook sentences and a few read
  commands by other speakers (16 kHz, with transcripts). It is fetched with `pip download` into a
  cache once, when pip can reach the registry; without it the set is the Asterisk prompts alone.

Every clip is resampled to 16 kHz mono float32, as the server receives it.
"""

from __future__ import annotations

import gzip
import logging
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice_rp.audio import read_wav
from voice_rp.wer import words

logger = logging.getLogger(__name__)

SOUNDS = Path("/usr/share/asterisk/sounds")
DOCS = Path("/usr/share/doc")
ASTERISK_VOICES = {"en": "en_US_f_Allison", "es": "es_MX_f_Allison", "fr": "fr_CA_f_June"}
"""The voice directory of each language's prompts (the packages' own names for them)."""
DEBIAN_PACKAGES = tuple(f"asterisk-core-sounds-{lang}{kind}"
                        for lang in ASTERISK_VOICES for kind in ("", "-wav"))
"""What scripts/setup installs for this corpus: transcripts and WAV audio per language."""

POCKETSPHINX = "pocketsphinx==5.1.1"
_LIBRIVOX = re.compile(r"test/data/librivox/(.+)\.wav$")
_CARDS = "test/data/cards/"
_MIN_WORDS = 4
_MAX_SECONDS = 20.0
_UNSPEAKABLE = re.compile(r"[\d\[\]#*<>()/_=+@%&]")


@dataclass(frozen=True)
class RealClip:
    """One recorded utterance and what was said in it."""

    name: str
    speaker: str
    language: str
    text: str
    samples: np.ndarray  # 16 kHz mono float32

    @property
    def seconds(self) -> float:
        return len(self.samples) / 16_000


def _prompt_texts(language: str, docs: Path) -> dict[str, str]:
    """Prompt name -> text, from the package's `core-sounds-LANG.txt(.gz)`."""
    base = docs / f"asterisk-core-sounds-{language}" / f"core-sounds-{language}.txt"
    if base.with_suffix(".txt.gz").is_file():
        with gzip.open(base.with_suffix(".txt.gz"), "rt", encoding="utf-8",
                       errors="replace") as raw:
            lines = raw.read().splitlines()
    elif base.is_file():
        lines = base.read_text(encoding="utf-8", errors="replace").splitlines()
    else:
        return {}
    texts = {}
    for line in lines:
        name, sep, text = line.partition(":")
        if sep and not line.startswith(";"):
            texts[name.strip()] = " ".join(text.split())
    return texts


def asterisk_clips(language: str = "en", *, limit: int | None = None, sounds: Path = SOUNDS,
                   docs: Path = DOCS) -> list[RealClip]:
    """The prompts of one language that make a sentence to recognise, every k-th up to `limit`."""
    voice = ASTERISK_VOICES[language]
    chosen = []
    for name, text in sorted(_prompt_texts(language, docs).items()):
        path = sounds / voice / f"{name}.wav"
        if len(words(text)) < _MIN_WORDS or _UNSPEAKABLE.search(text) or not path.is_file():
            continue
        audio = read_wav(str(path))
        if audio.samples.size and audio.samples.size / 16_000 <= _MAX_SECONDS:
            chosen.append(RealClip(f"{language}/{name}", voice, language, text, audio.samples))
    if limit is not None and len(chosen) > limit:
        step = len(chosen) / limit
        chosen = [chosen[int(i * step)] for i in range(limit)]
    return chosen


def pocketsphinx_sdist(cache_dir: Path) -> Path | None:
    """The pocketsphinx source archive in `cache_dir`, downloaded with pip once (None if pip
    cannot)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    found = sorted(cache_dir.glob("pocketsphinx-*.tar.gz"))
    if found:
        return found[-1]
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "pocketsphinx",
             "--quiet", "--dest", tmp, POCKETSPHINX],
            capture_output=True, text=True, check=False)
        archives = list(Path(tmp).glob("pocketsphinx-*.tar.gz"))
        if not archives:
            logger.warning("could not download %s: %s", POCKETSPHINX, done.stderr.strip()[-300:])
            return None
        target = cache_dir / archives[0].name
        archives[0].rename(target)
        return target


def pocketsphinx_clips(archive: Path) -> list[RealClip]:
    """LibriVox sentences and read commands from the pocketsphinx sources' test data."""
    out = []
    with tarfile.open(archive) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers()
                   if "/" in m.name and m.isfile()}

        def read(name: str) -> bytes:
            handle = tar.extractfile(members[name])
            assert handle is not None
            return handle.read()

        for name in sorted(members):
            match = _LIBRIVOX.match(name)
            txt = name[:-4] + ".txt"
            if match and txt in members:
                text = read(txt).decode("utf-8", "replace").strip()
                samples = read_wav(read(name)).samples
                out.append(RealClip(f"librivox/{match.group(1)}", "librivox-austen", "en",
                                    text, samples))
        cards = _CARDS + "cards.transcription"
        if cards in members:
            for line in read(cards).decode("utf-8", "replace").splitlines():
                m = re.match(r"\s*(.*?)\s*\((\w+)\)\s*$", line)
                wav = f"{_CARDS}{m.group(2)}.wav" if m else ""
                if m and wav in members:
                    text = m.group(1).replace("<s>", "").replace("</s>", "").strip()
                    out.append(RealClip(f"cards/{m.group(2)}", "cards", "en", text,
                                        read_wav(read(wav)).samples))
    return out


def real_clips(language: str, *, cache_dir: Path, limit: int | None = None) -> list[RealClip]:
    """The real-speech set of one language: Asterisk prompts, plus pocketsphinx's for English."""
    clips = asterisk_clips(language, limit=limit)
    if language == "en":
        archive = pocketsphinx_sdist(cache_dir)
        if archive is not None:
            clips += pocketsphinx_clips(archive)
    return clips


def missing_packages() -> list[str]:
    """The Debian packages of this corpus that are not installed (by the files they bring)."""
    missing = []
    for lang, voice in ASTERISK_VOICES.items():
        if not _prompt_texts(lang, DOCS):
            missing.append(f"asterisk-core-sounds-{lang}")
        if not (SOUNDS / voice).is_dir():
            missing.append(f"asterisk-core-sounds-{lang}-wav")
    return missing


@dataclass(frozen=True)
class PipelineCut:
    """A clip as the server's endpointer hands it to speech recognition."""

    turn: np.ndarray
    """The turn's audio at its end: pre-roll, speech, post-roll, over-hang trimmed."""
    speculative: tuple[np.ndarray, ...]
    """The audio of each speculative decode at a pause the speaker then talked through."""


def pipeline_cut(samples: np.ndarray, *, noise_dbfs: float = -60.0) -> PipelineCut:
    """Stream `samples` over a noise floor through voice-rp's Endpointer, frame by frame.

    The turn-end waits are stretched (1.5 s) so a prompt's pause between two sentences does not
    split it; where the audio is cut at the start and end, and at pauses for speculation, is
    exactly what a conversation does.
    """
    from voice_rp.audio import float_to_pcm16, frames, pcm16_to_float
    from voice_rp.clock import FakeClock
    from voice_rp.endpointer import Endpointer, SpeculativeEnd, TurnEnd, TurnPolicy

    from .utterances import noise_floor

    lead, tail = np.zeros(8000, np.float32), np.zeros(40_000, np.float32)
    audio = np.concatenate([lead, samples.astype(np.float32), tail])
    audio = audio + noise_floor(len(audio) / 16_000 + 0.1, dbfs=noise_dbfs)[: len(audio)]
    policy = TurnPolicy(end_silence_s=1.5, incomplete_silence_s=1.5, max_silence_s=2.0)
    endpointer = Endpointer(policy, clock=FakeClock())
    turns: list[bytes] = []
    speculative: list[bytes] = []
    for frame in frames(float_to_pcm16(audio)):
        for event in endpointer.push(frame):
            if isinstance(event, SpeculativeEnd):
                speculative.append(event.audio)
            elif isinstance(event, TurnEnd):
                turns.append(event.audio)
    if not turns:
        return PipelineCut(samples.astype(np.float32), ())
    turn = b"".join(turns)
    talked_through = tuple(pcm16_to_float(a) for a in speculative if a != turns[-1])
    return PipelineCut(pcm16_to_float(turn), talked_through)
