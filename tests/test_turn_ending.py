"""Quick when the user is done, patient when they think, held when they ask for time.

The words before a pause pick the wait (voice_rp.completeness), in English, Spanish and French;
the endpointer acts on them in audio time; the controller tells the page when the floor is held
and speaks a holding line when the hold runs out. Timing here is audio time (exact), never wall
clock: the speed itself is measured by scripts/bench_turn_taking.py.
"""

from __future__ import annotations

import pytest
from controller_harness import Harness, persona

from voice_rp import events as ev
from voice_rp import turn_commands as cmd
from voice_rp.clock import FakeClock
from voice_rp.completeness import Ending, read_ending
from voice_rp.endpointer import Endpointer, SpeculativeEnd, TurnEnd, TurnPolicy

FRAME_S = 0.02
VOICED, QUIET = b"\x01" * 640, b"\x00" * 640


def scripted_vad(frame: bytes) -> bool:
    return frame[0] == 1


@pytest.mark.parametrize(("text", "language"), [
    ("I worked there for three years.", "en"),
    ("What does the team look like?", "en"),
    ("Yes, I did.", "en"),
    ("I think so.", "en"),
    ("I visited my son.", "en"),
    ("Fui al cine con mi hermano.", "es"),
    ("Yo también.", "es"),
    ("Creo que sí.", "es"),
    ("¿Y tú?", "es"),
    ("Je suis allé au cinéma.", "fr"),
    ("Il y en a.", "fr"),
    ("Moi aussi.", "fr"),
])
def test_words_that_end_a_thought_are_complete(text: str, language: str) -> None:
    assert read_ending(text, language=language) is Ending.COMPLETE


@pytest.mark.parametrize(("text", "language"), [
    ("I worked there for three years and", "en"),
    ("I went there and.", "en"),  # Whisper's full stop does not close a dangling "and"
    ("So the main reason was, um", "en"),
    ("My goal is -", "en"),
    ("I was,", "en"),
    ("Trabajé allí tres años y", "es"),
    ("Fui al cine con mi", "es"),
    ("Lo hice porque.", "es"),
    ("Eh, pues", "es"),
    ("Je suis allé au cinéma avec mon", "fr"),
    ("Je l'ai fait parce que", "fr"),
    ("C'était, euh", "fr"),
    ("Fui al cine and", "es"),  # a learner's English "and" leaves the thought open too
])
def test_words_that_leave_a_thought_open_are_open(text: str, language: str) -> None:
    assert read_ending(text, language=language) is Ending.OPEN


@pytest.mark.parametrize(("text", "language"), [
    ("Give me a moment.", "en"),
    ("Hmm, let me think about that.", "en"),
    ("That's a hard one. Let me think.", "en"),
    ("Can I have a second to think?", "en"),
    ("Just a moment, please.", "en"),
    ("Un momento.", "es"),
    ("Déjame pensar.", "es"),
    ("Dame un momento para pensar, por favor.", "es"),
    ("Laisse-moi réfléchir.", "fr"),
    ("Attends, je réfléchis.", "fr"),
    ("Un instant, s'il vous plaît.", "fr"),
])
def test_a_request_for_time_holds(text: str, language: str) -> None:
    assert read_ending(text, language=language) is Ending.HOLD


@pytest.mark.parametrize("text", [
    "I had to wait.", "Let me think about the question you asked: what was the result?",
    "I gave them a moment of my time.", "He said hold on to the data.",
])
def test_the_same_words_inside_a_sentence_do_not_hold(text: str) -> None:
    assert read_ending(text, language="en") is not Ending.HOLD


def _wait_after(text: str, policy: TurnPolicy | None = None, *, silence_s: float = 40.0
                ) -> TurnEnd:
    ep = Endpointer(policy or TurnPolicy(), clock=FakeClock(), is_speech=scripted_vad)
    frames = [QUIET] * 25 + [VOICED] * 50 + [QUIET] * round(silence_s / FRAME_S)
    ends: list[TurnEnd] = []
    for frame in frames:
        for event in ep.push(frame):
            if isinstance(event, SpeculativeEnd):
                ep.hint(text, speech_end_audio_t=event.speech_end_audio_t)
            elif isinstance(event, TurnEnd):
                ends.append(event)
    [end] = ends
    return end


def test_the_wait_follows_the_words() -> None:
    p = TurnPolicy()
    done, unsure = _wait_after("I led the migration."), _wait_after("I led the migration")
    thinking = _wait_after("I led the migration and")
    held = _wait_after("Give me a moment.")
    assert done.wait_s == pytest.approx(p.complete_silence_s, abs=FRAME_S)
    assert unsure.wait_s == pytest.approx(p.end_silence_s, abs=FRAME_S)
    assert thinking.wait_s == pytest.approx(p.incomplete_silence_s, abs=FRAME_S)
    assert (held.reason, held.wait_s) == ("hold_timeout", pytest.approx(p.hold_s, abs=FRAME_S))
    assert done.wait_s < unsure.wait_s < thinking.wait_s <= p.max_silence_s < held.wait_s
    assert thinking.wait_s >= 3.0, "a 3 s thinking pause mid-sentence keeps the turn"


def test_learners_get_more_time_at_every_kind_of_pause() -> None:
    quick, patient = TurnPolicy.conversational(), TurnPolicy.patient()
    for field in ("complete_silence_s", "end_silence_s", "incomplete_silence_s", "hold_s"):
        assert getattr(patient, field) > getattr(quick, field), field


def test_the_user_who_goes_on_after_asking_for_time_keeps_one_turn() -> None:
    ep = Endpointer(TurnPolicy(), clock=FakeClock(), is_speech=scripted_vad)
    frames = ([QUIET] * 25 + [VOICED] * 50 + [QUIET] * 400  # "Give me a moment." and 8 s
              + [VOICED] * 100 + [QUIET] * 50)                # then the answer
    ends: list[TurnEnd] = []
    for frame in frames:
        for event in ep.push(frame):
            if isinstance(event, SpeculativeEnd):
                ep.hint("Give me a moment." if not ends and event.speech_end_audio_t < 2
                        else "So my answer is yes.", speech_end_audio_t=event.speech_end_audio_t)
            elif isinstance(event, TurnEnd):
                ends.append(event)
    [end] = ends
    assert end.speech_start_audio_t == pytest.approx(0.5)
    assert end.speech_end_audio_t == pytest.approx(11.5)


# --- the controller: the page is told, the character waits, then a holding line ----------------


def _asking_for_time(h: Harness, text: str = "Give me a moment.") -> None:
    h.hear = lambda audio: text
    h.say(0.8, work=True)
    h.pause(1.0, work=True)


def test_asking_for_time_tells_the_page_and_nothing_is_said_meanwhile() -> None:
    h = Harness(persona("behavioural-interviewer", flow=True))
    _asking_for_time(h)
    [hold] = h.of(ev.Holding)
    assert hold.seconds == h.ctl.turn_taking.endpointer.policy.hold_s
    h.pause(10.0, work=True)
    assert not h.of(ev.AudioStart) and not h.of(ev.UserTranscript)
    h.hear = lambda audio: "Give me a moment. I once led a migration of our billing system."
    h.say(1.0, work=True)
    assert [e.seconds for e in h.of(ev.Holding)] == [hold.seconds, 0.0]  # the hold is over
    h.pause(1.0, work=True)
    [said] = h.of(ev.UserTranscript)
    assert said.kind == "answer"


def test_a_hold_that_runs_out_gets_a_holding_line_and_the_question_stands() -> None:
    h = Harness(persona("behavioural-interviewer", flow=True))
    asked_before = list(h.ctl.flow.asked) if h.ctl.flow else []
    _asking_for_time(h)
    h.pause(h.ctl.turn_taking.endpointer.policy.hold_s, work=True)
    [said] = h.of(ev.UserTranscript)
    assert said.kind == "hold"
    said_first = h.asked(cmd.Speak)[-1].request.step.say
    assert "take your time" in said_first.lower()
    h.work()
    h.play_out()
    assert h.ctl.flow is not None and list(h.ctl.flow.asked) == asked_before
    assert h.ctl.listening.holds == 1
    _asking_for_time(h)
    h.pause(h.ctl.turn_taking.endpointer.policy.hold_s, work=True)
    again = h.asked(cmd.Speak)[-1].request.step.say
    assert again != said_first and "next question" in again.lower(), "asked again: a way on"
    h.work()
    h.play_out()
    assert h.ctl.phase.value == "listening" and not h.ended


def test_a_reply_the_user_talks_into_before_hearing_it_counts_as_a_cut_off() -> None:
    h = Harness()
    h.say(0.8, work=True)
    h.pause(0.4, work=True)  # the turn ended: a reply is being made, none of it heard yet
    assert h.of(ev.UserTranscript)
    h.say(0.6, work=True)  # ...but the user was not done
    h.pause(1.0, work=True)
    assert h.ctl.stats.cut_offs == 1
    assert h.ctl.stats.summary(h.clock.now())["cut_offs"] == 1



def test_a_long_silence_gets_a_holding_line_twice_at_most_and_never_a_new_question() -> None:
    h = Harness(persona("behavioural-interviewer", flow=True))
    policy = h.ctl.turn_taking.endpointer.policy
    h.pause(policy.hold_s + 5.0, work=True)
    assert not h.asked(cmd.Speak), "a silence shorter than the hold gets nothing"
    said = []
    for _ in range(4):
        h.pause(policy.hold_s + 12.0, work=True)
        h.play_out()
        said = [c.request.scripted for c in h.asked(cmd.Speak)]
    assert len(said) == 2 and "take your time" in said[0].lower()
    assert "next question" in said[1].lower()
    assert not h.of(ev.UserTranscript) and not h.ended
    h.hear = lambda audio: "I once led the migration of our billing system."
    h.say(1.0, work=True)  # the user speaks: a later silence may get a line again
    h.pause(1.0, work=True)
    h.play_out()
    h.pause(policy.hold_s + 12.0, work=True)
    assert len(h.asked(cmd.Speak)) == 4


@pytest.mark.parametrize(("words", "late_s", "ends_after_s"), [
    ("I led the migration and", 1.5, TurnPolicy().incomplete_silence_s),  # open: waits on
    ("I led the migration.", 1.5, TurnPolicy().speculative_silence_s + 1.5),  # when they come
    (None, 0.0, TurnPolicy().max_silence_s),  # the words never came: the hard cap
])
def test_a_slow_transcript_is_waited_for_not_guessed(words: str | None, late_s: float,
                                                     ends_after_s: float) -> None:
    ep = Endpointer(TurnPolicy(), clock=FakeClock(), is_speech=scripted_vad)
    pending: list[tuple[int, float]] = []
    ends: list[TurnEnd] = []
    frames = [QUIET] * 25 + [VOICED] * 50 + [QUIET] * 300
    for i, frame in enumerate(frames):
        for event in ep.push(frame):
            if isinstance(event, SpeculativeEnd):
                ep.expect_hint()  # recognition started; its words come `late_s` later
                pending.append((i + round(late_s / FRAME_S), event.speech_end_audio_t))
            elif isinstance(event, TurnEnd):
                ends.append(event)
        if words is not None and pending and pending[0][0] == i:
            ep.hint(words, speech_end_audio_t=pending.pop()[1])
    [end] = ends
    assert end.wait_s == pytest.approx(ends_after_s, abs=3 * FRAME_S)
