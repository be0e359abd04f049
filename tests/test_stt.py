"""Speech recognition with the real bundled Whisper models, on speech whose text we know."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from speech import concat_with_pause, say, wer, with_silence, words

from voice_rp.backends.factory import load_models
from voice_rp.clock import FakeClock
from voice_rp.config import Settings
from voice_rp.errors import ModelError, VoiceMissing
from voice_rp.llm import ChatMessage, GenerationOptions, OpenAIChatModel
from voice_rp.llm_embedded import EmbeddedChatModel
from voice_rp.models import Models
from voice_rp.stt import (
    FILLER_PROMPT,
    Transcript,
    WhisperOptions,
    WhisperTranscriber,
    assemble_whisper_base,
    base_model_parts,
    resolve_whisper_model,
)
from voice_rp.tts import VoiceCatalog

SENTENCES = [
    "I have worked as a nurse for five years.",
    "Could you tell me more about the team I would be working with?",
    "My biggest strength is that I stay calm under pressure.",
    "Good morning, thank you for having me today.",
    "We moved to a new office near the station last spring.",
]


def corpus_wer(transcriber: WhisperTranscriber, engine: str, **kwargs: object) -> float:
    errors = total = 0.0
    for sentence in SENTENCES:
        audio = with_silence(say(sentence, engine=engine), 0.2, 0.4)  # type: ignore[arg-type]
        heard = transcriber.transcribe(audio, **kwargs).text  # type: ignore[arg-type]
        errors += wer(sentence, heard) * len(words(sentence))
        total += len(words(sentence))
    return errors / total


@pytest.mark.models
@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_tiny_en_understands_known_sentences(transcriber: WhisperTranscriber, engine: str) -> None:
    assert corpus_wer(transcriber, engine) <= 0.20


@pytest.fixture(scope="module")
def standard(transcriber: WhisperTranscriber) -> WhisperTranscriber:
    """The same model decoding the standard way: every clip padded to a 30 s window."""
    twin = WhisperTranscriber.__new__(WhisperTranscriber)
    twin.__dict__.update(transcriber.__dict__)
    twin.options = WhisperOptions(fit_window=False)
    return twin


def count_standard_decodes(transcriber: WhisperTranscriber, monkeypatch: pytest.MonkeyPatch
                           ) -> list[int]:
    calls: list[int] = []
    real = transcriber._model.transcribe

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transcriber._model, "transcribe", counting)
    return calls


@pytest.mark.models
@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_the_fitted_window_hears_as_well_as_the_full_one(
    transcriber: WhisperTranscriber, standard: WhisperTranscriber, engine: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert transcriber.options.fit_window  # the default
    standard_wer = corpus_wer(standard, engine)
    calls = count_standard_decodes(transcriber, monkeypatch)
    fitted_wer = corpus_wer(transcriber, engine)
    assert fitted_wer <= standard_wer + 0.05, (fitted_wer, standard_wer)
    assert len(calls) <= 1, "the fitted window was not used: every clip took the standard path"


@pytest.mark.models
def test_a_clip_too_long_for_one_window_takes_the_standard_path(
    transcriber: WhisperTranscriber, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_standard_decodes(transcriber, monkeypatch)
    sentence = SENTENCES[0]
    long_clip = with_silence(say(sentence), 0.2, 26.0)
    assert wer(sentence, transcriber.transcribe(long_clip).text) <= 0.2
    assert calls == [1]


def test_the_fitted_window_needs_a_sane_minimum() -> None:
    with pytest.raises(ValueError, match="min_window_s"):
        WhisperOptions(min_window_s=0.5)


@pytest.mark.models
def test_transcript_reports_language_and_duration(transcriber: WhisperTranscriber) -> None:
    audio = with_silence(say("Tell me about yourself."), 0.5, 0.5)
    transcript = transcriber.transcribe(audio)
    assert wer("Tell me about yourself.", transcript.text) <= 0.25
    assert transcript.language == "en"
    assert transcript.audio_seconds == pytest.approx(len(audio) / 16_000)


@pytest.mark.models
def test_a_turn_with_a_pause_in_it_is_transcribed_whole(transcriber: WhisperTranscriber) -> None:
    first, second = "I was not sure at first.", "Then I took the job anyway."
    audio = concat_with_pause([say(first), say(second)], 0.6)
    assert wer(f"{first} {second}", transcriber.transcribe(audio).text) <= 0.20


@pytest.mark.models
def test_filler_prompt_keeps_hesitations(transcriber: WhisperTranscriber) -> None:
    spoken = ["So, um, I guess, uh, I like working with people.", "Well, um, that is hard."]
    heard = " ".join(
        transcriber.transcribe(with_silence(say(s), 0.2, 0.3), prompt=FILLER_PROMPT).text
        for s in spoken
    )
    fillers = [w for w in words(heard) if w in {"um", "umm", "uh", "uhh"}]
    assert len(fillers) >= 2, heard


@pytest.mark.models
def test_filler_prompt_does_not_invent_hesitations(transcriber: WhisperTranscriber) -> None:
    sentence = "I have worked as a nurse for five years."
    heard = transcriber.transcribe(with_silence(say(sentence), 0.2, 0.3), prompt=FILLER_PROMPT)
    assert not {"um", "umm", "uh", "uhh", "er", "erm"} & set(words(heard.text)), heard.text
    # Piper's speech varies from run to run; "a nurse" is now and then heard as "an erst".
    assert wer(sentence, heard.text) <= 0.25, heard.text


@pytest.mark.models
def test_silence_and_empty_audio_give_no_words(transcriber: WhisperTranscriber) -> None:
    assert transcriber.transcribe(np.zeros(0, np.float32)) == Transcript("", "en", 0.0)
    assert len(words(transcriber.transcribe(np.zeros(16_000, np.float32)).text)) <= 1


@pytest.mark.models
def test_english_only_model_refuses_other_languages(transcriber: WhisperTranscriber) -> None:
    with pytest.raises(ModelError, match=r"English only.*'base'"):
        transcriber.transcribe(say("Hola."), language="es")


def test_unknown_model_name_is_refused_without_a_hub() -> None:
    with pytest.raises(ModelError) as caught:
        resolve_whisper_model("large-v3", cache_dir=Path("/nonexistent"))
    message = str(caught.value)
    assert "large-v3" in message and "tiny.en" in message and "base" in message


def test_a_directory_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no model\.bin"):
        resolve_whisper_model(str(tmp_path), cache_dir=tmp_path)


def test_a_model_directory_is_used_as_given(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    assert resolve_whisper_model(str(tmp_path), cache_dir=tmp_path / "cache") == tmp_path


@pytest.fixture(scope="module")
def base_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.mark.models
def test_base_is_assembled_once_from_its_halves(base_cache: Path) -> None:
    parts, _ = base_model_parts()
    target = base_cache / "whisper-base"
    assert assemble_whisper_base(target) == target
    model = target / "model.bin"
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    with open(model, "rb") as f:  # first half first, then the second
        head = f.read(4096)
        f.seek(parts[0].stat().st_size)
        seam = f.read(4096)
    with open(parts[0], "rb") as a, open(parts[1], "rb") as b:
        assert (head, seam) == (a.read(4096), b.read(4096))
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (target / name).is_file()

    inode = model.stat().st_ino
    assemble_whisper_base(target)
    assert model.stat().st_ino == inode, "a complete model must not be rebuilt"
    assert sorted(p.name for p in base_cache.iterdir()) == ["whisper-base"], "temp dirs left"


@pytest.mark.models
def test_a_truncated_base_model_is_rebuilt(base_cache: Path) -> None:
    target = base_cache / "whisper-base"
    assemble_whisper_base(target)
    expected = (target / "model.bin").stat().st_size
    os.truncate(target / "model.bin", expected // 3)  # as if the first run was killed mid-copy
    assemble_whisper_base(target)
    assert (target / "model.bin").stat().st_size == expected
    assert sorted(p.name for p in base_cache.iterdir()) == ["whisper-base"]


@pytest.mark.models
def test_what_a_killed_assembly_left_behind_is_cleared(base_cache: Path) -> None:
    target = base_cache / "whisper-base"
    assemble_whisper_base(target)
    stale, fresh = base_cache / ".whisper-base-k1ll3d", base_cache / ".whisper-base-busy"
    for leftover in (stale, fresh):
        leftover.mkdir()
        (leftover / "model.bin").write_bytes(b"half a model")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    assemble_whisper_base(target)
    # The old one was a killed run's; the new one may be another process copying right now.
    assert sorted(p.name for p in base_cache.iterdir()) == [".whisper-base-busy", "whisper-base"]
    shutil.rmtree(fresh)


@pytest.mark.models
def test_base_transcribes_english_with_the_language_pinned(base_cache: Path) -> None:
    base = WhisperTranscriber.load("base", cache_dir=base_cache)
    assert base.multilingual
    sentence = SENTENCES[2]
    heard = base.transcribe(with_silence(say(sentence), 0.2, 0.4), language="en")
    assert heard.language == "en"
    assert wer(sentence, heard.text) <= 0.20


# --- Models routes each conversation to a transcriber that knows its language ------------------


class RecordingTranscriber:
    def __init__(self, label: str) -> None:
        self.label = label
        self.calls: list[str | None] = []

    def transcribe(
        self, samples: np.ndarray, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        self.calls.append(language)
        return Transcript(self.label, language or "", len(samples) / 16_000)


class SilentChat:
    name = "silent"

    async def stream(
        self, messages: list[ChatMessage], options: GenerationOptions
    ) -> AsyncIterator[str]:
        for _ in ():
            yield ""


def make_models(english: RecordingTranscriber, loads: list[RecordingTranscriber]) -> Models:
    def load_multilingual() -> RecordingTranscriber:
        loads.append(RecordingTranscriber("multilingual"))
        return loads[-1]

    return Models(
        transcriber=english,
        voices=VoiceCatalog(),
        chat=SilentChat(),
        default_voice="joe",
        load_multilingual=load_multilingual,
    )


def test_english_conversations_never_load_the_multilingual_model() -> None:
    english, loads = RecordingTranscriber("english"), []
    models = make_models(english, loads)
    audio = np.zeros(1600, np.float32)
    for language in ("en", "en-US", "en_GB", None):
        assert models.transcribe(audio, language=language).text == "english"
    assert loads == []
    assert english.calls == ["en", "en", "en", None]


def test_another_language_loads_the_multilingual_model_once() -> None:
    english, loads = RecordingTranscriber("english"), []
    models = make_models(english, loads)
    audio = np.zeros(1600, np.float32)
    assert models.transcribe(audio, language="es-ES").text == "multilingual"
    assert models.transcribe(audio, language="fr").text == "multilingual"
    assert len(loads) == 1
    assert loads[0].calls == ["es", "fr"]  # Whisper wants bare ISO 639-1 codes


# --- loading everything for the server ---------------------------------------------------------


@pytest.mark.models
async def test_loaded_models_are_ready_for_a_first_turn(tmp_path: Path) -> None:
    settings = Settings(stt_cache_dir=tmp_path / "cache", voices_dirs=(tmp_path / "voices",))
    models = load_models(settings)
    try:
        took = await models.warm_up(clock=FakeClock())
        assert set(took) == {"stt", "tts", "llm"}
        assert isinstance(models.chat, EmbeddedChatModel)
        assert models.voice() is models.voice("joe")
        sentence = "My biggest strength is that I stay calm under pressure."
        heard = models.transcribe(with_silence(say(sentence), 0.2, 0.3), language="en-US")
        assert wer(sentence, heard.text) <= 0.2
    finally:
        models.close()
    assert not (tmp_path / "cache").exists(), "English-only use must not assemble the base model"


def test_a_missing_default_voice_fails_before_any_model_loads(tmp_path: Path) -> None:
    settings = Settings(stt_model="no-such-model", voices_dirs=(tmp_path,), tts_voice="nobody")
    with pytest.raises(VoiceMissing, match="nobody"):
        load_models(settings)


@pytest.mark.models
def test_an_endpoint_setting_loads_no_local_chat_model(tmp_path: Path) -> None:
    settings = Settings(
        stt_cache_dir=tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="m"
    )
    models = load_models(settings)
    assert isinstance(models.chat, OpenAIChatModel)
    assert models.chat.name == "m @ http://127.0.0.1:9/v1"
