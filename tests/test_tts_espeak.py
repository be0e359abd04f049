"""The espeak-ng fallback voice: a Spanish or French partner speaks on a fresh install, labelled
as a basic voice, and a language nothing speaks still says plainly that replies are text only."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from speech import install_voice

from server.personas_http import gallery_entry, persona_voice_note
from voice_rp.audio import SAMPLE_RATE, pcm16_to_float, resample
from voice_rp.models import Models
from voice_rp.personas import Persona, builtin_dirs, find_persona, parse_persona
from voice_rp.stt import BUNDLED_MULTILINGUAL, WhisperTranscriber
from voice_rp.tts import BUNDLED_VOICE, VoiceCatalog
from voice_rp.tts_espeak import EspeakVoices, VoicesWithFallback
from voice_rp.voice_choice import choose_voice
from voice_rp.wer import wer

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng is not installed (scripts/setup installs it)")


def fresh_install(voices_dir: Path) -> VoicesWithFallback:
    """The voices of a fresh install: the bundled English Piper voice, espeak-ng for the rest."""
    return VoicesWithFallback(VoiceCatalog([voices_dir]))


def models_with(voices: VoicesWithFallback) -> Models:
    """Models for choosing a voice only: nothing is transcribed or generated."""
    return Models(transcriber=None, voices=voices, chat=None,  # type: ignore[arg-type]
                  default_voice=BUNDLED_VOICE, load_multilingual=lambda: None)  # type: ignore[arg-type,return-value]


def builtin(persona_id: str) -> Persona:
    return find_persona(persona_id, builtin_dirs())


def stranger(language: str) -> Persona:
    return parse_persona({
        "language": language,
        "voice": {"name": f"{language}-nobody-medium"},
        "character": {"name": "Tlaloc", "background": "A guide.", "personality": "Calm."},
        "scenario": {"setting": "A market.", "objective": "Chat.", "opening_line": "Hello."},
    }, source="stranger.yaml", persona_id="stranger")


def spoken(voices: VoicesWithFallback, persona: Persona, text: str) -> tuple[bytes, int]:
    synth, _ = choose_voice(models_with(voices), persona, persona.voice.name)
    assert synth is not None
    return b"".join(synth.synthesize(text, rate=persona.voice.rate)), synth.sample_rate


def test_the_spanish_partner_speaks_with_the_labelled_fallback_on_a_fresh_install(
        voices_dir: Path) -> None:
    spanish = builtin("spanish-partner")
    synth, notice = choose_voice(models_with(fresh_install(voices_dir)), spanish,
                                 spanish.voice.name)
    assert synth is not None and getattr(synth, "name", "") == "espeak-ng-es"
    # The user is still told their persona's own voice is missing, and what speaks instead.
    assert notice is not None and notice.code == "voice_missing"
    assert spanish.voice.name in notice.message and "espeak-ng-es is used" in notice.message
    line = "¡Hola! Soy Lucía. ¿Qué tal tu semana? ¿Qué hiciste el fin de semana?"
    pcm = b"".join(synth.synthesize(line, rate=spanish.voice.rate))
    samples = np.frombuffer(pcm, dtype=np.int16)
    seconds = len(samples) / synth.sample_rate
    assert synth.sample_rate == 22_050 and len(pcm) % 2 == 0
    assert 2.0 < seconds < 10.0, f"{len(line.split())} words took {seconds:.1f} s"
    assert np.abs(samples).max() > 3000, "the line was synthesised as silence"


@pytest.mark.parametrize(("language", "voice"), [
    ("es", "espeak-ng-es"), ("fr", "espeak-ng-fr-fr"), ("es-MX", "espeak-ng-es-419"),
    ("fr_CA", "espeak-ng-fr-fr"), ("de", "espeak-ng-de")])
def test_each_language_is_spoken_by_espeaks_voice_for_it(
        voices_dir: Path, language: str, voice: str) -> None:
    [found] = fresh_install(voices_dir).for_language(language)
    assert found.name == voice and found.fallback and found.speaks(language)


def test_a_slower_persona_is_spoken_slower(voices_dir: Path) -> None:
    voices = fresh_install(voices_dir)
    french = builtin("french-partner")
    line = "Salut ! Moi, c'est Camille. Qu'est-ce que tu as fait ce week-end ?"
    slow, rate = spoken(voices, french, line)
    normal = b"".join(voices.synthesizer("espeak-ng-fr-fr").synthesize(line))
    assert french.voice.rate < 1 and len(slow) > 1.1 * len(normal)
    assert rate == 22_050


def test_a_piper_voice_of_the_language_wins_over_the_fallback(voices_dir: Path) -> None:
    voices = fresh_install(voices_dir)
    install_voice(voices_dir, "es_MX-test-medium", language="es_MX", espeak="es")
    spanish = builtin("spanish-partner")
    assert [v.name for v in voices.for_language("es")] == ["es_MX-test-medium"]
    assert persona_voice_note(spanish, voices) is None
    assert [v.name for v in voices.for_language("en")] == [BUNDLED_VOICE]


def test_a_language_espeak_does_not_speak_is_text_only_with_a_clear_error(
        voices_dir: Path) -> None:
    voices = fresh_install(voices_dir)
    klingon = stranger("zz")
    assert voices.for_language("zz") == []
    synth, notice = choose_voice(models_with(voices), klingon, klingon.voice.name)
    assert synth is None and notice is not None and notice.code == "voice_missing"
    for needed in ("zz-nobody-medium", "docs/personas.md", "text only"):
        assert needed in notice.message
    assert "Text only" in (persona_voice_note(klingon, voices) or "")


def test_without_espeak_ng_there_is_no_fallback_and_nothing_fails(voices_dir: Path) -> None:
    voices = VoicesWithFallback(VoiceCatalog([voices_dir]),
                                EspeakVoices(executable=str(voices_dir / "no-espeak-ng")))
    assert voices.for_language("es") == []
    synth, notice = choose_voice(models_with(voices), builtin("spanish-partner"),
                                 "es_ES-davefx-medium")
    assert synth is None and notice is not None and "text only" in notice.message


def test_the_gallery_labels_a_practice_spoken_by_the_fallback(voices_dir: Path) -> None:
    voices = fresh_install(voices_dir)
    entries = {pid: gallery_entry(builtin(pid),
                                  voice_note=lambda p: persona_voice_note(p, voices))
               for pid in ("spanish-partner", "french-partner", "english-partner",
                           "interview-panel")}
    assert "basic fallback voice (espeak-ng)" in entries["spanish-partner"]["voice_note"]
    assert "Spanish Piper voice" in entries["spanish-partner"]["voice_note"]
    assert "French Piper voice" in entries["french-partner"]["voice_note"]
    assert entries["english-partner"]["voice_note"] is None
    assert entries["interview-panel"]["voice_note"] is None
    # A server speaking through a remote service has no fallback to label.
    assert persona_voice_note(builtin("spanish-partner"), None) is None


def test_stopping_a_reply_early_stops_espeak(voices_dir: Path) -> None:
    synth = fresh_install(voices_dir).synthesizer("espeak-ng-es")
    pieces = synth.synthesize("Esta es una frase larga. " * 40)
    assert next(pieces)  # the first audio comes before the whole text is spoken
    pieces.close()  # an interruption: the subprocess is ended, not left to finish
    with pytest.raises(ValueError, match="positive"):
        synth.synthesize("Hola.", rate=0)
    assert list(synth.synthesize("   ")) == []


@pytest.mark.models
def test_the_fallback_is_understood_as_spanish(voices_dir: Path, tmp_path: Path) -> None:
    """Robotic but clear: Whisper, pinned to Spanish, hears what the partner said."""
    spanish = builtin("spanish-partner")
    line = "Hola, me llamo Lucía. Vivo en Valencia y me gusta mucho la paella."
    pcm, rate = spoken(fresh_install(voices_dir), spanish, line)
    whisper = WhisperTranscriber.load(BUNDLED_MULTILINGUAL, cache_dir=tmp_path / "stt")
    heard = whisper.transcribe(resample(pcm16_to_float(pcm), rate, SAMPLE_RATE), language="es")
    assert wer(line, heard.text) <= 0.35, heard.text
