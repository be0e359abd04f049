"""Persona turn-taking and endings with fake models: policies, end phrases, metrics, closing."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator

import numpy as np
from sessions import Session, is_done, persona
from speech import words

from voice_rp import events as ev
from voice_rp.audio import FRAME_BYTES, SAMPLE_RATE
from voice_rp.clock import Clock, FakeClock, MonotonicClock
from voice_rp.conversation import Conversation, ConversationOptions, policy_for
from voice_rp.models import Models
from voice_rp.personas import Persona, parse_persona
from voice_rp.prompt import closing_line
from voice_rp.session_end import EndingRules
from voice_rp.stt import Transcript


def with_turn_taking(base: Persona, turn_taking: object, **ending) -> Persona:
    """`base` re-parsed with another turn_taking section (and ending fields), as if edited."""
    data = {
        "kind": base.kind,
        "character": {"name": base.name, "background": base.character.background,
                      "personality": base.character.personality},
        "scenario": {"setting": base.scenario.setting, "objective": base.scenario.objective,
                     "opening_line": base.scenario.opening_line,
                     "ending": {"closing_line": base.scenario.ending.closing_line, **ending}},
        "turn_taking": turn_taking,
    }
    if base.level:
        data["level"] = base.level
    return parse_persona(data, source="edited.yaml", persona_id=base.id)


def test_policy_uses_the_waits_a_persona_file_sets():
    audience = persona("talk-audience")
    talk = policy_for(audience)
    assert talk.end_silence_s == talk.max_silence_s == audience.talk_end_pause_s
    questions = policy_for(audience, talk=False)
    assert questions.end_silence_s < 1.0, "questions after a talk are taken conversationally"

    slow = with_turn_taking(persona("technical-screener"),
                            {"policy": "conversational", "silence_ms": 1500})
    assert policy_for(slow).end_silence_s == 1.5
    assert policy_for(slow).max_silence_s >= 1.5
    quick = with_turn_taking(persona("english-partner"), {"policy": "patient", "silence_ms": 200})
    assert policy_for(quick).speculative_silence_s <= policy_for(quick).end_silence_s == 0.2
    # Without settings, the presets stand.
    assert policy_for(persona("english-partner")).end_silence_s > policy_for(
        persona("behavioural-interviewer")).end_silence_s


def test_end_phrases_match_whole_words_only():
    rules = EndingRules(phrases=("bye", "end the interview"),
                        talk_end_phrases=("thanks for listening",))
    assert rules.user_wants_to_end("Okay, bye!")
    assert rules.user_wants_to_end("I think we can END the interview now.")
    assert not rules.user_wants_to_end("Maybe we could talk about my last job.")
    assert not rules.user_wants_to_end("I want to extend the interview.")
    assert rules.talk_ended("...and that's it. Thanks for listening.")


VOICED = np.full(FRAME_BYTES // 2, 3000, dtype="<i2").tobytes()
QUIET = bytes(FRAME_BYTES)


class ScriptedTranscriber:
    multilingual = True

    def __init__(self, text: str = "Thank you for the chance to talk about it.") -> None:
        self.text = text

    def transcribe(self, samples: np.ndarray, *, language=None, prompt=None) -> Transcript:
        return Transcript(self.text, language or "en", len(samples) / SAMPLE_RATE)


class WordChat:
    name = "fake"

    def __init__(self, reply: str = "What made you choose that approach?") -> None:
        self.reply = reply

    async def stream(self, messages, options) -> AsyncIterator[str]:
        for word in self.reply.split(" "):
            await asyncio.sleep(0)
            yield word + " "


class ShortVoice:
    sample_rate = 16_000

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        yield bytes(2 * 160 * len(text.split()))  # 10 ms a word: replies play back quickly


class ShortVoices:
    def synthesizer(self, name: str) -> ShortVoice:
        return ShortVoice()

    def for_language(self, language: str) -> list:
        return []


def fake_models(stt: ScriptedTranscriber | None = None) -> Models:
    stt = stt or ScriptedTranscriber()
    return Models(transcriber=stt, voices=ShortVoices(), chat=WordChat(),  # type: ignore[arg-type]
                  default_voice="fake", load_multilingual=lambda: stt, multilingual=True)


def fake_start(who: Persona, *, clock: Clock | None = None, opening: bool = False,
               stt: ScriptedTranscriber | None = None) -> Session:
    clock = clock or MonotonicClock()
    conv = Conversation(models=fake_models(stt), persona=who, clock=clock,
                        options=ConversationOptions(is_speech=any, speak_opening_line=opening))
    # With a fake clock, 20 ms pass per frame: clock time and audio time agree, as live.
    tick = (lambda: clock.advance(0.02)) if isinstance(clock, FakeClock) else None
    return Session(conv, frame_sleep_s=0.0005, on_frame=tick)


def pcm(frame: bytes, seconds: float) -> np.ndarray:
    n = round(seconds * 50)
    return np.frombuffer(frame * n, dtype="<i2").astype(np.float32) / 32768.0


async def test_a_talk_ends_on_the_personas_long_pause_not_the_presets():
    audience = persona("talk-audience")
    assert audience.talk_end_pause_s == 8
    s = fake_start(audience, stt=ScriptedTranscriber("and this is where the story gets good"))
    await s.push(pcm(VOICED, 3.0))
    await s.push(pcm(QUIET, 6.0))  # past the monologue preset's 3 s: still the talk
    assert s.thinking() == 0
    await s.push(pcm(QUIET, 2.5))
    assert s.thinking() == 1
    await s.wait_for(is_done, within=10)
    await s.close()


async def test_reply_latency_after_a_talk_is_measured_from_the_end_of_the_question():
    clock = FakeClock(100.0)
    stt = ScriptedTranscriber("That is all. Thank you for listening.")
    s = fake_start(persona("talk-audience"), clock=clock, stt=stt)
    await s.push(pcm(VOICED, 20.0))  # the talk
    await s.push(pcm(QUIET, 2.0))  # the end phrase is heard at the pause
    await s.wait_for(lambda e: isinstance(e, ev.TurnMetrics), within=10)
    await s.wait_for(lambda e: isinstance(e, ev.StateChanged) and e.state == "listening",
                     within=10, after=len(s.events) - 1)
    stt.text = "Could you say more about the second part?"
    await s.push(pcm(VOICED, 1.0))  # a question-and-answer turn
    await s.push(pcm(QUIET, 1.0))
    metrics = await s.wait_for(lambda e: isinstance(e, ev.TurnMetrics), within=10,
                               after=s.events.index(s.of(ev.TurnMetrics)[0]) + 1)
    # The turn ended on a conversational pause: well under a second after the speech ended,
    # not the ~20 s a time measured from the start of the talk would give.
    assert 0.2 <= metrics.stages["endpoint_ms"] / 1000 <= 1.0, metrics.stages
    await s.close()


async def test_the_scenario_closes_after_the_persona_has_asked_enough_questions():
    # A persona without a flow (the built-in's own flow closes by its stages instead).
    interviewer = with_turn_taking(persona("behavioural-interviewer"), "conversational",
                                   after_questions=1)
    interviewer = dataclasses.replace(interviewer, scenario=dataclasses.replace(
        interviewer.scenario, opening_line="Hi, I'm Maya. What drew you to this role?"))
    assert interviewer.flow is None
    s = fake_start(interviewer, opening=True)
    await s.wait_for(is_done, within=10)
    await s.wait_for(lambda e: isinstance(e, ev.StateChanged) and e.state == "listening",
                     within=10)
    await s.push(pcm(VOICED, 1.0))
    await s.push(pcm(QUIET, 1.0))
    end = await s.wait_for(lambda e: isinstance(e, ev.SessionEnded), within=10)
    assert end.reason == "scenario_complete" and end.summary["questions_asked"] == 1
    assert words(s.of(ev.ReplyDone)[-1].text) == words(closing_line(interviewer))
    await s.close()


def test_an_end_phrase_inside_a_story_does_not_end_the_session():
    rules = EndingRules(phrases=("goodbye", "end the interview"))
    assert not rules.user_wants_to_end("I said goodbye to my grandmother at the station.")
    assert rules.user_wants_to_end("Thanks so much, goodbye for now.")
    assert rules.user_wants_to_end("Can we end the interview here?")


def test_an_end_phrase_is_heard_however_recognition_spells_it():
    rules = EndingRules(phrases=("let's stop here", "end the interview"),
                        talk_end_phrases=("that's all",))
    # A contraction comes back as "lets", or its "'s" is lost.
    assert rules.user_wants_to_end("Okay, lets stop here.")
    assert rules.user_wants_to_end("Umm, you know, uh, we should let stop here now.")
    # Fillers inside or after the phrase do not hide it.
    assert rules.user_wants_to_end("I think we should end the, uh, interview, um, now.")
    assert rules.talk_ended("And, um, that's, uh, all.")
    # Other words are not stretched to fit.
    assert not rules.user_wants_to_end("I think we should let's start here.")
    assert not rules.user_wants_to_end("I was nervous before the phone screen and the interview.")
    assert not rules.user_wants_to_end("Let me stop here and think, then tell you about the move.")
