"""Test speech with known text, and word error rate: for tests that need a user speaking.

Use from any test module (pytest puts `tests/` on the path):

    from speech import concat_with_pause, say, wer, with_silence

    audio = with_silence(say("I have five years of experience."), 0.3, 0.8)

Everything returns mono float32 samples at 16 kHz, the rate voice-rp takes user audio at.
"""

from __future__ import annotations

import functools
import json
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
    if engine == "piper":
        synth = _piper(voice)
        pcm = b"".join(synth.synthesize(text, rate=rate))
        return resample(pcm16_to_float(pcm), synth.sample_rate, SAMPLE_RATE)
    if engine == "espeak":
        return _espeak(text, voice or "en-us", words_per_minute=round(150 * rate))
    raise ValueError(f"unknown speech engine {engine!r}")


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
