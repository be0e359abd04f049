"""Endpointer turn policy on scripted speech/silence timelines (no audio model, no wall clock)."""

from __future__ import annotations

import pytest

from voice_rp.audio import FRAME_BYTES
from voice_rp.clock import FakeClock
from voice_rp.completeness import looks_complete
from voice_rp.endpointer import (
    BargeIn,
    Endpointer,
    SpeculativeEnd,
    SpeechResumed,
    SpeechStart,
    TurnEnd,
    TurnPolicy,
)

FRAME_S = 0.02
# The frame bytes carry the scripted VAD verdict, so the audio in events can be checked too.
VOICE = b"\x01" * FRAME_BYTES
QUIET = b"\x00" * FRAME_BYTES


def scripted_vad(frame: bytes) -> bool:
    return frame[0] == 1


def timeline(*segments: tuple[str, float]) -> list[bytes]:
    """("speech", 1.0), ("silence", 0.4), ... as frames."""
    out: list[bytes] = []
    for kind, seconds in segments:
        assert kind in ("speech", "silence")
        out += [VOICE if kind == "speech" else QUIET] * round(seconds / FRAME_S)
    return out


class Listener:
    """An endpointer on a FakeClock that advances one frame per push, like a live microphone."""

    def __init__(self, policy: TurnPolicy | None = None, *, realtime: bool = True) -> None:
        self.clock = FakeClock(100.0)
        self.ep = Endpointer(policy, clock=self.clock, is_speech=scripted_vad)
        self.realtime = realtime
        self.events: list[object] = []

    def feed(self, frames: list[bytes], on_event=None) -> list[object]:
        new: list[object] = []
        for frame in frames:
            if self.realtime:
                self.clock.advance(FRAME_S)
            for event in self.ep.push(frame):
                new.append(event)
                if on_event is not None:
                    on_event(self.ep, event)
        self.events += new
        return new

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


LEAD = ("silence", 0.5)


def test_speech_start_is_reported_once_speech_lasted_min_speech_with_its_true_start():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0)))
    [start] = lis.of(SpeechStart)
    assert start.speech_start_audio_t == pytest.approx(0.5)
    # decided as soon as min_speech_s of voice was heard, not later
    assert start.audio_t - start.speech_start_audio_t == pytest.approx(0.25, abs=FRAME_S)
    assert start.t == pytest.approx(100.0 + start.audio_t)
    assert lis.ep.state == "speaking"


def test_a_100ms_blip_is_ignored_and_leaves_no_turn():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 0.1), ("silence", 2.0)))
    assert lis.events == []
    assert lis.ep.state == "idle"


def test_speech_just_over_min_speech_starts_a_turn():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 0.3), ("silence", 2.0)))
    assert lis.kinds() == ["SpeechStart", "SpeculativeEnd", "TurnEnd"]


def test_vad_misfire_in_the_first_100ms_does_not_start_a_turn():
    # 300 ms of "voice" right at stream start would pass min_speech_s if the first 100 ms counted
    lis = Listener()
    lis.feed(timeline(("speech", 0.3), ("silence", 2.0)))
    assert lis.events == []


def test_one_noisy_frame_in_the_pause_neither_resumes_nor_delays_the_turn_end():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 0.3), ("speech", 0.02), ("silence", 1.5)))
    assert lis.kinds() == ["SpeechStart", "SpeculativeEnd", "TurnEnd"]
    [end] = lis.of(TurnEnd)
    assert end.speech_end_audio_t == pytest.approx(1.5)
    assert end.wait_s == pytest.approx(TurnPolicy().end_silence_s, abs=FRAME_S)


def test_a_short_word_broken_by_a_60ms_stop_consonant_still_starts_a_turn():
    lis = Listener()
    word = timeline(LEAD, ("speech", 0.16), ("silence", 0.06), ("speech", 0.16))
    lis.feed(word + timeline(("silence", 1.5)))
    assert lis.kinds() == ["SpeechStart", "SpeculativeEnd", "TurnEnd"]
    end = lis.of(TurnEnd)[0]
    assert (end.speech_start_audio_t, end.speech_end_audio_t) == pytest.approx((0.5, 0.88))


def test_speculative_end_at_first_short_silence_then_resume_discards_it():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 0.3), ("speech", 1.0)))
    assert lis.kinds() == ["SpeechStart", "SpeculativeEnd", "SpeechResumed"]
    spec = lis.of(SpeculativeEnd)[0]
    assert spec.speech_end_audio_t == pytest.approx(1.5)
    assert spec.wait_s == pytest.approx(TurnPolicy().speculative_silence_s, abs=FRAME_S)
    resumed = lis.of(SpeechResumed)[0]
    # the user is heard going on within ~100 ms of voice, so stale work stops early
    assert 1.8 < resumed.audio_t <= 1.8 + 0.1 + FRAME_S
    assert lis.of(TurnEnd) == []


def test_turn_end_after_resume_covers_both_parts_and_reports_the_true_speech_end():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 0.3), ("speech", 1.0), ("silence", 2.0)))
    [end] = lis.of(TurnEnd)
    assert (end.speech_start_audio_t, end.speech_end_audio_t) == pytest.approx((0.5, 2.8))


def test_400ms_mid_sentence_pause_does_not_end_the_turn_with_the_default_policy():
    lis = Listener(TurnPolicy())
    lis.feed(timeline(LEAD, ("speech", 1.2), ("silence", 0.4), ("speech", 1.0), ("silence", 2.0)))
    [end] = lis.of(TurnEnd)
    assert end.speech_start_audio_t == pytest.approx(0.5)
    assert end.speech_end_audio_t == pytest.approx(3.1)
    assert len(lis.of(SpeechStart)) == 1


def _pause_with_hint(text: str | None, policy: TurnPolicy | None = None) -> TurnEnd:
    def hint_on_speculation(ep: Endpointer, event: object) -> None:
        if isinstance(event, SpeculativeEnd) and text is not None:
            ep.hint(text, speech_end_audio_t=event.speech_end_audio_t)

    lis = Listener(policy)
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 6.0)), on_event=hint_on_speculation)
    [end] = lis.of(TurnEnd)
    return end


def test_complete_words_end_the_turn_sooner_than_words_that_trail_off():
    complete = _pause_with_hint("I worked there for three years.")
    trailing = _pause_with_hint("I worked there for three years and")
    assert complete.wait_s < trailing.wait_s
    assert (complete.reason, complete.hinted) == ("complete", True)
    assert complete.wait_s == pytest.approx(TurnPolicy().complete_silence_s, abs=FRAME_S)
    assert trailing.reason == "incomplete_timeout"
    assert trailing.wait_s == pytest.approx(TurnPolicy().incomplete_silence_s, abs=FRAME_S)


def test_without_a_hint_the_turn_ends_on_end_silence():
    end = _pause_with_hint(None)
    assert (end.reason, end.hinted) == ("complete", False)
    assert end.wait_s == pytest.approx(TurnPolicy().end_silence_s, abs=FRAME_S)


def test_max_silence_caps_the_wait_whatever_the_words():
    policy = TurnPolicy(end_silence_s=0.6, incomplete_silence_s=4.0, max_silence_s=1.5)
    end = _pause_with_hint("so I was thinking, um", policy)
    assert end.reason == "max_silence"
    assert end.wait_s == pytest.approx(1.5, abs=FRAME_S)


def test_a_late_hint_from_an_earlier_pause_is_ignored():
    first_pause_end: list[float] = []

    def late_hint(ep: Endpointer, event: object) -> None:
        if isinstance(event, SpeculativeEnd):
            if first_pause_end:  # second pause: the transcript of the first one arrives now
                ep.hint("and then", speech_end_audio_t=first_pause_end[0])
            first_pause_end.append(event.speech_end_audio_t)

    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 0.3), ("speech", 1.0), ("silence", 3.0)),
             on_event=late_hint)
    [end] = lis.of(TurnEnd)
    assert end.hinted is False
    assert end.wait_s == pytest.approx(TurnPolicy().end_silence_s, abs=FRAME_S)


def test_a_hint_is_forgotten_when_the_user_goes_on():
    hints = ["I applied because"]  # for the first pause only

    def hint(ep: Endpointer, event: object) -> None:
        if isinstance(event, SpeculativeEnd) and hints:
            ep.hint(hints.pop())

    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 0.3), ("speech", 1.0), ("silence", 3.0)),
             on_event=hint)
    [end] = lis.of(TurnEnd)
    assert (end.reason, end.hinted) == ("complete", False)


def test_turn_end_audio_is_the_speculative_audio_when_the_user_did_not_go_on():
    lis = Listener(TurnPolicy(speculative_silence_s=0.2))  # the tail is at most this wait
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 2.0)))
    [spec], [end] = lis.of(SpeculativeEnd), lis.of(TurnEnd)
    assert end.audio == spec.audio
    frames = [end.audio[i : i + FRAME_BYTES] for i in range(0, len(end.audio), FRAME_BYTES)]
    # 200 ms pre-roll, all the speech, 200 ms tail; not the long silence that ended the turn
    assert frames == [QUIET] * 10 + [VOICE] * 50 + [QUIET] * 10


def test_barge_in_only_while_the_bot_speaks_and_only_after_barge_in_s():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0), ("silence", 2.0)))
    assert lis.of(BargeIn) == []

    lis.ep.bot_speaking = True
    lis.feed(timeline(("speech", 0.2), ("silence", 1.0)))  # a cough while the bot talks
    assert lis.of(BargeIn) == []

    start = lis.ep.audio_t
    lis.feed(timeline(("speech", 1.0)))
    [barge] = lis.of(BargeIn)
    assert barge.audio_t - start == pytest.approx(TurnPolicy().barge_in_s, abs=FRAME_S)
    lis.feed(timeline(("silence", 0.3), ("speech", 1.0)))
    assert len(lis.of(BargeIn)) == 1  # once per turn


def test_speech_before_the_bot_started_does_not_count_towards_barge_in():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0)))
    lis.ep.bot_speaking = True
    start = lis.ep.audio_t
    lis.feed(timeline(("speech", 1.0)))
    [barge] = lis.of(BargeIn)
    assert barge.audio_t - start == pytest.approx(0.3, abs=FRAME_S)


def test_monologue_survives_2s_pauses_in_a_60s_talk_and_ends_on_a_long_pause():
    talk: list[tuple[str, float]] = [LEAD]
    for i in range(7):  # 7 x 8 s of speech with 1 s and 2 s pauses between: a 65 s talk
        talk += [("speech", 8.0), ("silence", 2.0 if i % 2 else 1.0)]
    talk[-1] = ("silence", 5.0)
    lis = Listener(TurnPolicy.monologue())
    lis.feed(timeline(*talk))
    [end] = lis.of(TurnEnd)
    assert end.speech_start_audio_t == pytest.approx(0.5)
    assert end.speech_end_audio_t == pytest.approx(sum(s for _, s in talk[:-1]))
    assert end.speech_end_audio_t > 60.0
    assert end.wait_s == pytest.approx(3.0, abs=FRAME_S)
    assert len(lis.of(SpeechStart)) == 1


def test_patient_policy_waits_through_a_pause_that_ends_a_conversational_turn():
    frames = timeline(LEAD, ("speech", 1.0), ("silence", 0.8), ("speech", 1.0), ("silence", 3.0))
    quick, patient = Listener(TurnPolicy.conversational()), Listener(TurnPolicy.patient())
    quick.feed(frames)
    patient.feed(frames)
    assert len(quick.of(TurnEnd)) == 2
    assert len(patient.of(TurnEnd)) == 1


def test_a_long_turn_ends_at_its_next_short_pause():
    lis = Listener(TurnPolicy(max_turn_s=10.0))
    lis.feed(timeline(LEAD, ("speech", 4.0), ("silence", 0.3), ("speech", 7.0), ("silence", 0.3)))
    [end] = lis.of(TurnEnd)
    assert end.reason == "max_turn"
    assert end.speech_end_audio_t == pytest.approx(11.8)
    assert end.wait_s == pytest.approx(TurnPolicy().speculative_silence_s, abs=FRAME_S)


def test_endless_voice_is_cut_after_max_turn_plus_grace():
    lis = Listener(TurnPolicy(max_turn_s=10.0))
    lis.feed(timeline(LEAD, ("speech", 30.0)))
    ends = lis.of(TurnEnd)
    assert ends and ends[0].reason == "max_turn"
    assert ends[0].speech_end_audio_t - ends[0].speech_start_audio_t == pytest.approx(20.0, abs=0.1)


def test_decisions_use_audio_time_so_faster_than_real_time_input_behaves_the_same():
    frames = timeline(LEAD, ("speech", 1.0), ("silence", 0.4), ("speech", 1.0), ("silence", 2.0))
    live, batch = Listener(realtime=True), Listener(realtime=False)
    live.feed(frames)
    batch.feed(frames)
    assert live.kinds() == batch.kinds()
    assert [e.audio_t for e in live.events] == [e.audio_t for e in batch.events]
    assert {e.t for e in batch.events} == {100.0}


def test_reset_drops_the_turn_in_progress():
    lis = Listener()
    lis.feed(timeline(LEAD, ("speech", 1.0)))
    lis.ep.reset()
    lis.feed(timeline(("silence", 2.0)))
    assert lis.of(TurnEnd) == []
    assert lis.ep.state == "idle"


@pytest.mark.parametrize("size", [0, FRAME_BYTES - 1, FRAME_BYTES + 2, 2 * FRAME_BYTES])
def test_wrong_frame_size_is_a_clear_value_error(size):
    ep = Endpointer(clock=FakeClock(), is_speech=scripted_vad)
    with pytest.raises(ValueError, match=rf"exactly 640 bytes.*got {size}\b"):
        ep.push(b"\x00" * size)


def test_default_vad_is_webrtcvad_and_hears_no_speech_in_silence():
    ep = Endpointer(clock=FakeClock())
    assert [e for _ in range(100) for e in ep.push(QUIET)] == []


@pytest.mark.parametrize(
    "fields",
    [
        {"end_silence_s": 0.1, "speculative_silence_s": 0.2},
        {"incomplete_silence_s": 0.5, "end_silence_s": 0.6},
        {"max_silence_s": 0.5},
        {"min_speech_s": 0.0},
        {"vad_mode": 4},
    ],
)
def test_inconsistent_policy_is_rejected(fields):
    with pytest.raises(ValueError, match="TurnPolicy"):
        TurnPolicy(**fields)


@pytest.mark.parametrize(
    "text",
    [
        "he was not an ill disposed young man",
        "He was not an ill-disposed young man.",
        "I worked there for three years.",
        "Where are you from?",
        "That's what I'm here for.",
        "I think so.",
        "Yes",
        "thank you",
        'She said "no."',
        "Yes, I did...",  # Whisper's ellipsis after a short complete answer
        "Sure, why not…",
    ],
)
def test_looks_complete(text):
    assert looks_complete(text)


@pytest.mark.parametrize(
    "text",
    [
        "I worked there and",
        "I applied because",
        "but",
        "I went to the",
        "it was a",
        "I want to",
        "the first thing of",
        "so um",
        "I was, uh",
        "it was like",
        "and so",
        "first of all,",
        "my goal is -",
        "I was thinking that...",
        "and then…",
        "...",
        "I went there and.",  # STT punctuation does not close a dangling "and"
        "I'm",
        "",
        "   ",
    ],
)
def test_looks_incomplete(text):
    assert not looks_complete(text)


def test_quiet_frames_the_vad_calls_speech_are_trimmed_off_the_end_but_only_its_over_hang():
    # Frames at the noise floor that the VAD still calls speech (its over-hang) are silence;
    # at most 120 ms of them are trimmed, so a long soft ending is never cut away.
    noise = b"\x02\x01" * (FRAME_BYTES // 2)  # about -42 dBFS, unvoiced (first byte 2)
    faint = b"\x01\x01" * (FRAME_BYTES // 2)  # as loud as the noise, yet voiced (first byte 1)
    loud = b"\x01\x40" * (FRAME_BYTES // 2)  # about -6 dBFS, voiced
    for tail_s, expected_end in ((0.1, 1.0), (0.3, 1.18)):
        ep = Endpointer(TurnPolicy(), clock=FakeClock(), is_speech=scripted_vad)
        frames = [noise] * 25 + [loud] * 25 + [faint] * round(tail_s / FRAME_S) + [noise] * 50
        events = [e for f in frames for e in ep.push(f)]
        [turn] = [e for e in events if isinstance(e, TurnEnd)]
        assert turn.speech_end_audio_t == pytest.approx(expected_end)
