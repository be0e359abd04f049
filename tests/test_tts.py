"""Speech synthesis with the real bundled Piper voice, and finding voices by name and language."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from speech import install_voice, wer

from voice_rp.audio import SAMPLE_RATE, pcm16_to_float, resample
from voice_rp.errors import VoiceMissing
from voice_rp.stt import WhisperTranscriber
from voice_rp.tts import BUNDLED_VOICE, PiperSynthesizer, VoiceCatalog


def spoken_seconds(synth: PiperSynthesizer, text: str, rate: float = 1.0) -> float:
    return len(b"".join(synth.synthesize(text, rate=rate))) / 2 / synth.sample_rate


@pytest.mark.models
def test_joe_speaks_text_that_whisper_understands(
    synthesizer: PiperSynthesizer, transcriber: WhisperTranscriber
) -> None:
    text = "Thanks for coming in. Could you start by telling me about your last job?"
    chunks = list(synthesizer.synthesize(text))
    pcm = b"".join(chunks)
    assert synthesizer.sample_rate == 22_050
    assert all(len(c) % 2 == 0 for c in chunks) and len(pcm) > 22_050  # over half a second
    heard = transcriber.transcribe(resample(pcm16_to_float(pcm), 22_050, SAMPLE_RATE)).text
    assert wer(text, heard) <= 0.20, heard


@pytest.mark.models
def test_each_sentence_arrives_as_its_own_chunk(synthesizer: PiperSynthesizer) -> None:
    # The first sentence can play while the rest is still being synthesized.
    chunks = list(synthesizer.synthesize("Hello there. How are you today? I am fine."))
    assert len(chunks) == 3


@pytest.mark.models
def test_rate_changes_how_fast_joe_speaks(synthesizer: PiperSynthesizer) -> None:
    text = "I would like to hear about your experience with customers."
    fast, normal, slow = (spoken_seconds(synthesizer, text, r) for r in (1.5, 1.0, 0.75))
    assert fast < normal < slow
    # Not exactly half: pauses around the speech do not scale as much as the words do.
    assert fast < 0.8 * slow


@pytest.mark.models
def test_a_bad_rate_is_refused_before_any_work(synthesizer: PiperSynthesizer) -> None:
    with pytest.raises(ValueError, match="rate"):
        synthesizer.synthesize("Hello.", rate=0)


@pytest.mark.models
def test_empty_text_gives_no_audio(synthesizer: PiperSynthesizer) -> None:
    assert b"".join(synthesizer.synthesize("")) == b""


# --- the voice catalog -------------------------------------------------------------------------


def test_the_bundled_voice_is_found_by_name_and_alias() -> None:
    catalog = VoiceCatalog()
    assert catalog.find("joe") == catalog.find(BUNDLED_VOICE)
    joe = catalog.find("joe")
    assert joe.model_path.is_file() and joe.config_path.is_file()
    assert joe.sample_rate == 22_050
    assert joe.speaks("en") and joe.speaks("en-US") and not joe.speaks("es")


def test_a_missing_voice_says_how_to_install_it(voices_dir: Path) -> None:
    with pytest.raises(VoiceMissing) as caught:
        VoiceCatalog([voices_dir]).find("es_ES-davefx-medium")
    message = str(caught.value)
    assert "es_ES-davefx-medium.onnx" in message
    assert "es_ES-davefx-medium.onnx.json" in message
    assert str(voices_dir) in message
    assert caught.value.code == "voice_missing"


def test_a_voice_dropped_into_the_directory_is_found_by_language(voices_dir: Path) -> None:
    catalog = VoiceCatalog([voices_dir])
    assert catalog.for_language("es") == []
    install_voice(voices_dir, "es_ES-test-medium", language="es_ES", espeak="es")
    spanish = catalog.find("es_ES-test-medium")  # no restart needed
    assert spanish.language == "es_ES"
    assert [v.name for v in catalog.for_language("es-MX")] == ["es_ES-test-medium"]
    assert [v.name for v in catalog.for_language("en")] == [BUNDLED_VOICE]


def test_language_falls_back_to_the_espeak_voice(voices_dir: Path) -> None:
    install_voice(voices_dir, "fr-test", language="", espeak="fr-fr")
    assert VoiceCatalog([voices_dir]).find("fr-test").speaks("fr")


def test_earlier_directories_win_and_half_installed_voices_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    install_voice(first, "de-test", language="de_DE", espeak="de")
    install_voice(second, "de-test", language="de_AT", espeak="de")
    (second / "lonely.onnx").write_bytes(b"")  # no config next to it
    (second / "broken.onnx").write_bytes(b"")
    (second / "broken.onnx.json").write_text("{not json", encoding="utf-8")
    catalog = VoiceCatalog([first, second, tmp_path / "missing"])
    with caplog.at_level(logging.WARNING, logger="voice_rp.tts"):
        names = {v.name: v for v in catalog.available()}
    assert set(names) == {"de-test", BUNDLED_VOICE}
    assert names["de-test"].language == "de_DE"
    assert "broken" in caplog.text


@pytest.mark.models
def test_loaded_voices_are_shared_and_an_installed_voice_speaks(voices_dir: Path) -> None:
    install_voice(voices_dir, "es_ES-test-medium", language="es_ES", espeak="es")
    catalog = VoiceCatalog([voices_dir])
    assert catalog.synthesizer("joe") is catalog.synthesizer(BUNDLED_VOICE)
    spanish = catalog.synthesizer("es_ES-test-medium")
    assert spanish is not catalog.synthesizer("joe")
    assert spoken_seconds(spanish, "Buenos días, ¿cómo está usted?") > 0.5
