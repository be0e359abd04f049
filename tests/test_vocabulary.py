"""Hearing the words of the practice: a persona's vocabulary reaches every decode of the user.

"I mostly write Python and some Rust" was heard as "I mostly write, iPhone and some rest" by a
recogniser that did not know it was a technical screen. scripts/bench_vocabulary.py measures
what the hints buy; these tests hold the behaviour.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from speech import say, with_silence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from bench_vocabulary import heard_term, terms_in

from voice_rp import events as ev
from voice_rp.audio import FRAME_BYTES, SAMPLE_RATE, float_to_pcm16
from voice_rp.clock import MonotonicClock
from voice_rp.conversation import Conversation, ConversationOptions
from voice_rp.feedback import word_timer
from voice_rp.llm import ChatMessage, GenerationOptions
from voice_rp.models import Models
from voice_rp.personas import Persona, builtin_dirs, find_persona
from voice_rp.stt import (
    FILLER_PROMPT,
    HINTED_LANGUAGES,
    MAX_HINT_CHARS,
    Transcript,
    WhisperTranscriber,
    hint_list,
    recognition_prompt,
)
from voice_rp.wer import words

# --------------------------------------------------------------------------- the prompt


def test_the_practices_words_come_first_then_the_filler_prompt() -> None:
    assert recognition_prompt(["Python", "Rust"]) == "Python, Rust."
    assert recognition_prompt(["Python", "Rust"], FILLER_PROMPT) == f"Python, Rust. {FILLER_PROMPT}"


def test_without_words_the_prompt_is_unchanged() -> None:
    # A persona without vocabulary decodes exactly as before (no prompt: none at all).
    assert recognition_prompt([]) is None
    assert recognition_prompt((), FILLER_PROMPT) == FILLER_PROMPT
    assert recognition_prompt(["  ", ""]) is None


def test_words_are_tidied_and_kept_once() -> None:
    assert hint_list([" pull   request ", "Python", "python", "PYTHON"]) == "pull request, Python."


def test_a_long_vocabulary_is_cut_to_what_whisper_can_use() -> None:
    many = [f"term{n:03d}" for n in range(200)]
    hints = hint_list(many)
    assert hints is not None and len(hints) <= MAX_HINT_CHARS
    kept = hints.rstrip(".").split(", ")
    assert kept == many[: len(kept)]  # the first words, in the order the persona gives them


def test_only_languages_whose_ordinary_speech_loses_nothing_get_the_words() -> None:
    # The bundled multilingual model heard Spanish and French terms better with them, but
    # ordinary speech worse (scripts/bench_vocabulary.py): it is not given them.
    assert HINTED_LANGUAGES == ("en",)
    assert recognition_prompt(["Lyon"], language="en-GB") == "Lyon."
    assert recognition_prompt(["Valencia", "paella"], language="es") is None
    assert recognition_prompt(["Lyon"], FILLER_PROMPT, language="fr") == FILLER_PROMPT


def test_the_benchmark_counts_a_term_heard_only_as_whole_words() -> None:
    assert heard_term("Wi-Fi", "Is it on wifi?") and heard_term("Wi-Fi", "on Wi Fi")
    assert heard_term("REST API", "a rest API") and heard_term("Lucía", "Hola Lucia")
    assert not heard_term("Go", "going home") and not heard_term("Rust", "I mostly trust it")
    assert not heard_term("PostgreSQL", "Postgar SQL")
    # What was said is matched as written: "go" the verb is not "Go" the language.
    vocabulary = ["Go", "Kafka", "Lyon", "Vieux Lyon"]
    assert terms_in("The events go through Kafka.", vocabulary) == ["Kafka"]
    assert terms_in("J'aime le Vieux Lyon.", vocabulary) == ["Vieux Lyon"]


# --------------------------------------------------------------------------- the conversation


SPEECH = np.full(FRAME_BYTES // 2, 3000, dtype="<i2").tobytes()
SILENCE = bytes(FRAME_BYTES)


class RecordingTranscriber:
    """Hears the same words every time and remembers the prompt of every decode."""

    def __init__(self) -> None:
        self.prompts: list[str | None] = []

    def transcribe(self, samples: np.ndarray, *, language: str | None = None,
                   prompt: str | None = None) -> Transcript:
        self.prompts.append(prompt)
        return Transcript("I mostly write Python.", "en", len(samples) / SAMPLE_RATE)


class SilentChat:
    name = "fake"

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions):
        yield "Thanks."


class MuteVoice:
    sample_rate = 16_000

    def synthesize(self, text: str, *, rate: float = 1.0):
        yield bytes(3200)


class MuteVoices:
    def synthesizer(self, name: str) -> MuteVoice:
        return MuteVoice()


def screener() -> Persona:
    found = find_persona("technical-screener", builtin_dirs())
    return dataclasses.replace(found, flow=None)


async def decode_prompts(persona: Persona, **options: object) -> list[str | None]:
    """The prompts of the decodes of one user turn spoken with pauses in it."""
    stt = RecordingTranscriber()
    models = Models(transcriber=stt, voices=MuteVoices(), chat=SilentChat(),  # type: ignore[arg-type]
                    default_voice="fake", load_multilingual=lambda: stt, multilingual=True)
    conv = Conversation(models=models, persona=persona, clock=MonotonicClock(),
                        options=ConversationOptions(is_speech=any, speak_opening_line=False,
                                                    **options))  # type: ignore[arg-type]
    heard = asyncio.Event()

    async def collect() -> None:
        async for event in conv.events():
            if isinstance(event, ev.UserTranscript):
                heard.set()

    tasks = [asyncio.create_task(conv.run()), asyncio.create_task(collect())]
    try:
        # Five seconds of speech, a pause it goes on after, more speech, then the turn's end.
        for frame, seconds in ((SPEECH, 5.0), (SILENCE, 0.5), (SPEECH, 1.0), (SILENCE, 2.5)):
            for _ in range(round(seconds * 50)):
                conv.push_audio(frame)
                await asyncio.sleep(0.001)
        await asyncio.wait_for(heard.wait(), 10)
    finally:
        await conv.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return stt.prompts


async def test_every_decode_of_a_turn_is_told_the_personas_words() -> None:
    persona = screener()
    prompts = await decode_prompts(persona)
    assert len(prompts) >= 2  # at the pause, then the turn's end (its new audio only)
    hints = recognition_prompt(persona.vocabulary)
    assert hints is not None and "Python, Rust" in hints
    assert prompts[0] == hints
    # What followed the pause is decoded after the words heard before it, the hints first.
    assert prompts[1:] == [f"{hints} I mostly write Python."] * (len(prompts) - 1)


async def test_the_hints_go_before_the_filler_prompt_when_fillers_are_kept() -> None:
    persona = screener()
    prompts = await decode_prompts(persona, stt_prompt=FILLER_PROMPT)
    assert prompts and set(prompts) == {recognition_prompt(persona.vocabulary, FILLER_PROMPT)}


async def test_a_persona_without_vocabulary_decodes_without_a_prompt() -> None:
    prompts = await decode_prompts(dataclasses.replace(screener(), vocabulary=()))
    # The turn's first decode has no prompt; the decode of what followed the pause is prompted
    # only with the words heard before it, as before vocabularies.
    assert len(prompts) >= 2 and prompts[0] is None
    assert prompts[1:] == ["I mostly write Python."] * (len(prompts) - 1)


async def test_a_spanish_partner_is_heard_without_its_words() -> None:
    partner = dataclasses.replace(find_persona("spanish-partner", builtin_dirs()), flow=None)
    assert partner.vocabulary  # filled in, for a recogniser that gains from it
    prompts = await decode_prompts(partner)
    assert prompts and prompts[0] is None


async def test_the_word_timing_decode_is_told_the_personas_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    timed: list[str | None] = []
    done = asyncio.Event()

    def timing(transcriber: object, samples: np.ndarray, *, language: str | None = None,
               prompt: str | None = None) -> list[tuple[str, float, float]]:
        timed.append(prompt)
        done.set()
        return []

    monkeypatch.setattr(word_timer, "timed_words", timing)
    persona = screener()
    speech = with_silence(say("I mostly write Python and some Rust.", engine="espeak"), 0.3, 2.0)
    pcm = float_to_pcm16(speech)
    stt = RecordingTranscriber()
    models = Models(transcriber=stt, voices=MuteVoices(), chat=SilentChat(),  # type: ignore[arg-type]
                    default_voice="fake", load_multilingual=lambda: stt, multilingual=True)
    conv = Conversation(models=models, persona=persona, clock=MonotonicClock(),
                        options=ConversationOptions(speak_opening_line=False))

    async def drain() -> None:
        async for _ in conv.events():
            pass

    tasks = [asyncio.create_task(conv.run()), asyncio.create_task(drain())]
    try:
        for at in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
            conv.push_audio(pcm[at: at + FRAME_BYTES])
            await asyncio.sleep(0.001)
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await conv.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # The practice's words, then the prompt that keeps "um" and "uh" (the report counts
    # fillers from this decode).
    assert timed and set(timed) == {recognition_prompt(persona.vocabulary, FILLER_PROMPT)}


# --------------------------------------------------------------------------- the real model


MISHEARD = [
    # (what the user says, the persona's word tiny.en does not hear without the hints)
    ("I mostly write Python and some Rust.", "Rust"),
    ("Our services run on Kubernetes and we package everything with Docker.", "Kubernetes"),
    ("I used Redis as a cache in front of the main database.", "Redis"),
]


@pytest.fixture(scope="module")
def espeak_turns() -> list[np.ndarray]:
    """espeak-ng is deterministic: the same samples on every run, so no test flakes on them."""
    return [with_silence(say(text, engine="espeak"), 0.2, 0.2) for text, _ in MISHEARD]


@pytest.mark.models
@pytest.mark.parametrize("n", range(len(MISHEARD)))
def test_a_hinted_word_is_heard_where_it_was_not(
        transcriber: WhisperTranscriber, espeak_turns: list[np.ndarray], n: int) -> None:
    said, term = MISHEARD[n]
    hints = recognition_prompt(screener().vocabulary)
    before = transcriber.transcribe(espeak_turns[n], language="en").text
    after = transcriber.transcribe(espeak_turns[n], language="en", prompt=hints).text
    assert term.lower() not in words(before), before
    assert term.lower() in words(after), after
    assert len(words(after)) == len(words(said))  # the word is heard, not the list recited
