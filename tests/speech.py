"""Test speech with known text, and word error rate: for tests that need a user speaking.

Use from any test module (pytest puts `tests/` on the path):

    from speech import concat_with_pause, say, wer, with_silence

    audio = with_silence(say("I have five years of experience."), 0.3, 0.8)

Everything returns mono float32 samples at 16 kHz, the rate voice-rp takes user audio at.

Fixed clips: Piper speaks a text differently on every synthesis (its noise is random), so a
live-model test fed fresh speech gets a different input every run and can fail in CI where it
passed locally. `say` therefore reads Piper's speech for a text from `tests/clips/` (16 kHz
FLAC, lossless, about 18 KB a second, listed with their texts in `tests/clips/index.tsv`) and
synthesises only a text no clip holds. espeak-ng speaks a text the same way every time, so its
speech is made afresh (and not kept: a lossy copy would not be the same input).
`scripts/record-clips` (VOICE_RP_RECORD_CLIPS=1) runs the suite and keeps every text it
synthesised; the spread of synthesis is measured by the benchmarks, not left to CI luck.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from voice_rp.audio import SAMPLE_RATE, pcm16_to_float, read_wav, resample
from voice_rp.tts import PiperSynthesizer, VoiceCatalog, bundled_voice
from voice_rp.wer import wer, words  # noqa: F401 - re-exported for the tests


@functools.lru_cache(maxsize=4)
def _piper(voice: str | None) -> PiperSynthesizer:
    # Loading a voice takes seconds; the tests ask for the same one over and over.
    if voice is not None and voice.endswith(".onnx"):
        model = Path(voice)
        return PiperSynthesizer.load(model, model.with_name(model.name + ".json"))
    return VoiceCatalog().synthesizer(voice or "joe")


def say(
    text: str,
    *,
    engine: Literal["piper", "espeak"] = "piper",
    voice: str | None = None,
    rate: float = 1.0,
) -> np.ndarray:
    """`text` spoken as 16 kHz float32 samples.

    engine "piper": the bundled Piper voice (or `voice`: a voice name, or an .onnx path).
    engine "espeak": Debian's espeak-ng, a robotic second speaker (`voice`: an espeak voice such
    as "en-us" or "es"). `rate` > 1 speaks faster.
    """
    if engine not in ("piper", "espeak"):
        raise ValueError(f"unknown speech engine {engine!r}")
    # A voice given as a file is a test's own (a temporary path): its speech is not kept.
    kept = engine == "piper" and (voice is None or not voice.endswith(".onnx"))
    if kept:
        clip = _clip(engine, voice, rate, text)
        if clip is not None:
            return clip
    if engine == "piper":
        synth = _piper(voice)
        pcm = b"".join(synth.synthesize(text, rate=rate))
        samples = resample(pcm16_to_float(pcm), synth.sample_rate, SAMPLE_RATE)
    else:
        samples = _espeak(text, voice or "en-us", words_per_minute=round(150 * rate))
    if kept:
        samples = _keep_clip(engine, voice, rate, text, samples)
    return samples


CLIPS = Path(__file__).with_name("clips")
SYNTHESISED: list[str] = []
"""Texts spoken fresh in this run because no clip held them (reported at the end of the run)."""


def clip_key(engine: str, voice: str | None, rate: float, text: str) -> str:
    what = json.dumps([engine, voice or "", round(float(rate), 3), text], ensure_ascii=False)
    return hashlib.sha256(what.encode("utf-8")).hexdigest()[:16]


def _clip(engine: str, voice: str | None, rate: float, text: str) -> np.ndarray | None:
    path = CLIPS / f"{clip_key(engine, voice, rate, text)}.flac"
    if not path.exists():
        return None
    import soundfile

    samples, rate_hz = soundfile.read(str(path), dtype="float32")
    if rate_hz != SAMPLE_RATE:
        raise ValueError(f"{path} is at {rate_hz} Hz, not {SAMPLE_RATE}")
    return np.asarray(samples, dtype=np.float32)


def _keep_clip(engine: str, voice: str | None, rate: float, text: str,
               samples: np.ndarray) -> np.ndarray:
    """The fresh speech; when recording, written to the clip store and returned as the clip reads
    back (16-bit), so a recording run hears exactly what later runs will."""
    SYNTHESISED.append(f"{engine}/{voice or '-'}/{rate:g}: {text}")
    if os.environ.get("VOICE_RP_RECORD_CLIPS") != "1":
        return samples
    import soundfile

    key = clip_key(engine, voice, rate, text)
    CLIPS.mkdir(exist_ok=True)
    path = CLIPS / f"{key}.flac"
    soundfile.write(str(path), np.clip(samples, -1.0, 1.0), SAMPLE_RATE, format="FLAC",
                    subtype="PCM_16")
    heard = _clip(engine, voice, rate, text)
    assert heard is not None
    with (CLIPS / "index.tsv").open("a", encoding="utf-8") as index:
        flat = " ".join(text.split())
        index.write(f"{key}\t{engine}\t{voice or ''}\t{rate:g}\t{len(heard) / SAMPLE_RATE:.2f}"
                    f"\t{flat}\n")
    return heard


def _espeak(text: str, voice: str, *, words_per_minute: int) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        subprocess.run(
            # A 20 ms gap between words: espeak's run-together words otherwise confuse tiny.en
            # (measured WER ~24% without, ~4% with), and the tests are about voice-rp, not espeak.
            [exe, "-v", voice, "-s", str(words_per_minute), "-g", "2", "-w", str(wav), text],
            check=True,
            capture_output=True,
        )
        return read_wav(str(wav), to_rate=SAMPLE_RATE).samples


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.float32)


def with_silence(samples: np.ndarray, before_s: float, after_s: float) -> np.ndarray:
    """`samples` with silence before and after (e.g. the pause that ends a turn)."""
    return np.concatenate([silence(before_s), samples, silence(after_s)]).astype(np.float32)


def concat_with_pause(parts: Sequence[np.ndarray], pause_s: float) -> np.ndarray:
    """Utterances joined by `pause_s` of silence: a speaker pausing mid-turn."""
    if not parts:
        return silence(0)
    out: list[np.ndarray] = [parts[0]]
    for part in parts[1:]:
        out += [silence(pause_s), part]
    return np.concatenate(out).astype(np.float32)


def install_voice(directory: Path, name: str, *, language: str, espeak: str) -> None:
    """Install a voice the way a user would: the two Piper files dropped into a directory.

    The model is the bundled one (linked, not copied); the config says which language it speaks.
    """
    joe = bundled_voice()
    (directory / f"{name}.onnx").symlink_to(joe.model_path)
    config = json.loads(joe.config_path.read_text(encoding="utf-8"))
    config["language"] = {"code": language}
    config["espeak"] = {"voice": espeak}
    (directory / f"{name}.onnx.json").write_text(json.dumps(config), encoding="utf-8")
