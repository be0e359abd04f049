"""The turn controller alone: a fake clock, scripted frames and model results, no event loop.

Every decision the conversation makes is checked here: speculation and commit, merging speech
into an unanswered turn, barge-in and what was heard, closing and endings, turn numbers.
"""

from __future__ import annotations

import dataclasses

import pytest
from controller_harness import Harness, persona
from test_persona_turns import with_turn_taking

from voice_rp import events as ev
from voice_rp import turn_commands as cmd
from voice_rp.errors import LLMError, SpeechRecognitionError
from voice_rp.llm import ChatMessage
from voice_rp.timeline import PieceTiming, TurnTimeline
from voice_rp.turn_commands import Phase


def test_one_turn_gives_transcript_reply_audio_metrics_and_history():
    h = Harness()
    h.turn(1.0)
    assert h.of(ev.SpeechStarted)[0].turn == 0
    assert [t.text for t in h.of(ev.UserTranscript)] == ["I spoke for 1000 milliseconds."]
    done, = h.of(ev.ReplyDone)
    assert done.text == "Thanks. Tell me about your last project?" and not done.interrupted
    assert done.audio_ms == 700  # seven words of 100 ms
    metrics, = h.of(ev.TurnMetrics)
    for stage in ("endpoint_ms", "stt_ms", "stt_done_ms", "llm_first_token_ms",
                  "first_piece_ms", "tts_first_audio_ms", "response_ms", "speculative_lead_ms"):
        assert metrics.stages[stage] is not None, stage
    # The reply was prepared in the pause: it went out as the turn end was confirmed.
    assert metrics.stages["response_ms"] == metrics.stages["endpoint_ms"]
    assert metrics.stages["speculative_lead_ms"] > 0
    assert h.ctl.tracker.history == [
        ChatMessage("user", "I spoke for 1000 milliseconds."),
        ChatMessage("assistant", "Thanks. Tell me about your last project?"),
    ]
    assert h.states() == ["listening", "thinking", "speaking", "listening"]
    assert h.ctl.phase is Phase.LISTENING


def test_reply_audio_comes_in_order_start_chunk_end():
    h = Harness()
    h.turn(0.6)
    kinds = [type(e).__name__ for e in h.events
             if isinstance(e, ev.AudioStart | ev.AudioChunk | ev.AudioEnd)]
    assert kinds == ["AudioStart", "AudioChunk", "AudioEnd"] * 2
    starts = h.of(ev.AudioStart)
    assert [s.offset_ms for s in starts] == [0.0, 100.0]  # "Thanks." is 100 ms


def test_the_reply_is_prepared_in_the_pause_and_released_at_the_turn_end():
    h = Harness()
    h.say(0.8, work=True)
    h.pause(0.2, work=True)  # past the first short pause, before the turn end
    speak, = h.asked(cmd.Speak)
    assert speak.attempt in h.parked  # its first piece is made, and no more than that
    assert not h.of(ev.UserTranscript) and not h.of(ev.AudioStart)  # nothing reached the user
    assert h.ctl.phase is Phase.LISTENING
    h.pause(0.4, work=True)
    assert speak.attempt in h.released
    assert [t.text for t in h.of(ev.UserTranscript)] == ["I spoke for 800 milliseconds."]
    assert len(h.asked(cmd.Transcribe)) == 1  # nothing was redone
    h.work()
    h.play_out()
    assert h.of(ev.ReplyDone)[0].text == "Thanks. Tell me about your last project?"


def test_user_going_on_after_a_pause_is_one_turn_and_numbers_have_no_holes():
    h = Harness()
    h.say(0.6, work=True)
    h.pause(0.2, work=True)  # a speculative reply is prepared...
    first, = h.asked(cmd.Speak)
    h.say(0.4, work=True)  # ...and dropped when the user goes on
    assert first.attempt in h.cancelled
    h.pause(1.5, work=True)
    h.play_out()
    assert [t.text for t in h.of(ev.UserTranscript)] == ["I spoke for 1000 milliseconds."]
    assert h.of(ev.SpeechStarted)[0].turn == h.of(ev.UserTranscript)[0].turn == 0
    assert len(h.of(ev.ReplyDone)) == 1 and h.of(ev.ReplyDone)[0].turn == 0
    assert {e.turn for e in h.of(ev.AudioStart)} == {0}


def test_a_late_transcript_of_a_dropped_attempt_is_ignored():
    h = Harness()
    h.say(0.6)
    h.pause(0.3)
    stale, = h.asked(cmd.Transcribe)
    h.say(0.4)  # the user goes on before recognition returns
    assert h.ctl.transcribed(stale.attempt, "I spoke", started=h.clock.now()) == []


def test_barge_in_clears_audio_and_keeps_only_what_was_heard():
    h = Harness()
    turn = h.replying("One two three four five six seven eight.", "Nine ten eleven twelve.")
    h.clock.advance(0.6)
    h.take(h.ctl.played(turn, 1000.0))  # the client heard one second: four words
    h.say(0.5)
    clear, = h.of(ev.Clear)
    done, = h.of(ev.ReplyDone)
    assert clear.turn == turn and done.interrupted
    assert done.text == "One two three four" and done.audio_ms == 1000
    assert h.ctl.tracker.history[-1] == ChatMessage("assistant", "One two three four")
    assert h.of(ev.TurnMetrics)[0].stages["interrupted"] == 1.0
    assert not h.playing  # the interrupted reply's wait for playback is cancelled


def test_without_a_playback_report_the_estimate_counts():
    h = Harness()
    h.replying()
    h.clock.advance(0.3)
    h.say(0.5)
    done, = h.of(ev.ReplyDone)
    # Played since the turn end (the reply was ready then), by the clock: eight words in 2 s.
    assert 900 <= done.audio_ms <= 1500
    words = ["One", "two", "three", "four", "five", "six", "seven", "eight"]
    heard = int(done.audio_ms / 250)  # (less a word if the float clock falls just short)
    assert done.interrupted and done.text in (" ".join(words[:heard]), " ".join(words[:heard - 1]))


def test_speech_while_thinking_continues_the_same_turn():
    h = Harness()
    h.say(0.6)
    h.pause(4.2)  # the turn ends; the models have not answered yet...
    assert h.ctl.phase is Phase.THINKING
    h.say(0.6)  # ...and the user goes on before hearing anything
    assert not h.of(ev.Clear)  # nothing to clear; the unanswered turn leaves no trace
    assert [(d.text, d.interrupted) for d in h.of(ev.ReplyDone)] == [("", True)]
    assert h.ctl.phase is Phase.LISTENING and h.ctl.tracker.history == []
    h.pause(4.2)
    h.work()
    h.play_out()
    # The new turn's recognition covers both parts, joined by a short silence.
    assert [t.text for t in h.of(ev.UserTranscript)] == ["I spoke for 1200 milliseconds."]
    assert not h.of(ev.ReplyDone)[-1].interrupted


def test_a_failed_reply_is_reported_and_the_next_turn_works():
    h = Harness()
    h.say(0.6)
    h.pause(4.2)
    h.work(speak=False)  # transcribed, measured: the reply starts...
    speak, = h.asked(cmd.Speak)
    h.todo.clear()  # ...and the model fails instead
    h.take(h.ctl.reply_failed(speak.attempt, LLMError("cannot reach http://127.0.0.1:9/v1")))
    err, = h.of(ev.ErrorEvent)
    assert err.code == "llm_unavailable" and "127.0.0.1:9" in err.message
    assert h.states()[-1] == "listening" and not h.of(ev.ReplyDone)
    h.turn(0.6)
    assert h.of(ev.ReplyDone)[-1].text == "Thanks. Tell me about your last project?"


def test_a_failed_transcription_is_reported_and_the_next_turn_works():
    h = Harness()
    h.say(0.6)
    h.pause(4.2)
    transcribe, = h.asked(cmd.Transcribe)
    h.todo.clear()  # the speech service is down
    h.take(h.ctl.reply_failed(
        transcribe.attempt, SpeechRecognitionError("cannot reach wyoming://127.0.0.1:9")))
    err, = h.of(ev.ErrorEvent)
    assert err.code == "stt_unavailable" and not err.fatal and "127.0.0.1:9" in err.message
    assert h.states()[-1] == "listening" and not h.of(ev.ReplyDone)
    h.turn(0.6)
    assert h.of(ev.ReplyDone)[-1].text == "Thanks. Tell me about your last project?"


def test_a_reply_over_its_time_limit_ends_with_an_error():
    h = Harness(turn_limit_s=1.0)
    h.say(0.6)
    h.pause(4.2)
    h.work()
    speak, = h.asked(cmd.Speak)
    h.take(h.ctl.reply_failed(speak.attempt, None))
    err, = h.of(ev.ErrorEvent)
    assert err.code == "llm_unavailable" and "1 s" in err.message and not err.fatal


def test_a_failure_held_for_a_speculative_reply_comes_out_at_the_turn_end():
    h = Harness()
    h.say(0.6, work=True)
    h.pause(0.2, work=True)
    speak, = h.asked(cmd.Speak)
    h.parked.clear()
    h.take(h.ctl.reply_failed(speak.attempt, LLMError("down")))
    assert not h.of(ev.ErrorEvent)  # the user has not finished: nothing reaches them yet
    h.pause(1.0)
    assert [e.code for e in h.of(ev.ErrorEvent)] == ["llm_unavailable"]
    # The piece made before the failure is heard; then the error; then the user's turn.
    assert h.states()[-3:] == ["thinking", "speaking", "listening"]
    assert h.of(ev.ReplyDone)[0].text == "Thanks."


def test_a_crashed_step_is_an_internal_error_and_the_turn_end_starts_afresh():
    h = Harness()
    h.say(0.6)
    h.pause(0.3)
    crashed, = h.asked(cmd.Transcribe)
    h.todo.clear()
    h.take(h.ctl.task_failed(crashed.attempt, RuntimeError("boom")))
    assert h.of(ev.ErrorEvent)[0].code == "internal_error"
    h.pause(4.2)
    assert len(h.asked(cmd.Transcribe)) == 2  # the turn end did not wait for the dead attempt
    h.work()
    h.play_out()
    assert h.of(ev.ReplyDone)


def test_opening_line_is_spoken_first_with_no_user_turn():
    h = Harness(speak_opening_line=True)
    h.take(h.ctl.open())
    speak, = h.asked(cmd.Speak)
    assert speak.request.scripted == h.ctl.opening and speak.attempt in h.released
    h.work()
    h.play_out()
    done, = h.of(ev.ReplyDone)
    assert done.turn == 0 and done.text.split() == h.ctl.opening.split()
    assert h.ctl.tracker.history == [ChatMessage("assistant", h.ctl.opening)]
    metrics, = h.of(ev.TurnMetrics)
    assert metrics.stages["endpoint_ms"] is None and metrics.stages["speculative_lead_ms"] is None
    assert h.ctl.opening_heard == h.ctl.opening


def test_user_speech_during_the_opening_line_interrupts_it():
    h = Harness(speak_opening_line=True)
    h.take(h.ctl.open())
    h.work()  # the opening line is sent and playing
    h.say(0.5)
    assert h.of(ev.Clear) and h.of(ev.ReplyDone)[0].interrupted


def test_end_phrase_closes_the_scenario_with_a_summary():
    p = persona()
    h = Harness(p)
    h.hear = lambda audio: f"I think {p.scenario.ending.phrases[0]}."
    h.say(0.8)
    h.pause(4.2)
    h.work()
    speak, = h.asked(cmd.Speak)
    assert speak.request.closing
    h.play_out()
    end, = h.of(ev.SessionEnded)
    assert end.reason == "scenario_complete" and end.summary["user_turns"] == 1
    assert h.ended and h.ctl.phase is Phase.ENDED and h.states()[-1] == "ended"
    assert h.ctl.audio(bytes(640)) == []  # an ended session hears nothing more
    assert h.ctl.end("closed") == []


def test_the_scenario_closes_after_the_persona_has_asked_enough_questions():
    interviewer = with_turn_taking(persona(), "conversational", after_questions=1)
    interviewer = dataclasses.replace(interviewer, scenario=dataclasses.replace(
        interviewer.scenario, opening_line="Hi, I'm Maya. What drew you to this role?"))
    h = Harness(interviewer, speak_opening_line=True)
    h.take(h.ctl.open())
    h.work()
    h.play_out()
    h.turn(1.0)
    closing = h.asked(cmd.Speak)[-1]
    assert closing.request.closing and closing.request.scripted is None
    end, = h.of(ev.SessionEnded)
    assert end.reason == "scenario_complete" and end.summary["questions_asked"] == 1


def test_bad_frame_size_is_a_clear_error():
    with pytest.raises(ValueError, match="640 bytes"):
        Harness().ctl.audio(b"\x00" * 100)


def test_closing_mid_reply_records_what_was_heard():
    h = Harness()
    h.take(h.ctl.played(h.replying(), 500.0))
    h.take(h.ctl.close())
    done, = h.of(ev.ReplyDone)
    assert done.interrupted and done.text == "One two"
    h.take(h.ctl.end("closed"))
    assert h.of(ev.SessionEnded)[0].reason == "closed" and h.ended


def test_a_late_reply_gets_a_holding_deadline_from_the_end_of_speech():
    h = Harness(hold_after_s=0.4)
    h.turn(0.6)
    speak, = h.asked(cmd.Speak)
    metrics, = h.of(ev.TurnMetrics)
    assert speak.request.hold_at == pytest.approx(metrics.speech_end + 0.4)
    assert "holding_line_ms" not in metrics.stages
    plain = Harness()
    plain.turn(0.6)
    assert plain.asked(cmd.Speak)[0].request.hold_at is None


def test_a_holding_line_shows_in_the_turns_metrics():
    timeline = TurnTimeline(speech_end=10.0, start=10.2, committed=10.6)
    timeline.piece(PieceTiming(12.5, synth_started=12.5, synth_done=12.6, holding_line=12.5))
    timeline.piece(PieceTiming(13.0, synth_started=13.0, synth_done=13.1, llm_first_token=12.9))
    stages = timeline.metrics(3, user_turn=True, interrupted=False).stages
    assert stages["holding_line_ms"] == 2500.0 and stages["first_piece_ms"] == 2500.0
    assert stages["llm_first_token_ms"] == 2900.0 and stages["tts_ms"] == 100.0
    assert stages["speculative_lead_ms"] == 400.0 and "interrupted" not in stages


def test_a_dropped_speculative_turn_does_not_move_the_scenario_on():
    h = Harness(persona(flow=True), speak_opening_line=True, flow_seed=7)
    h.take(h.ctl.open())
    h.work()
    h.play_out()
    flow = h.ctl.flow
    assert flow is not None and len(flow.asked) == 1
    h.hear = lambda audio: "We"
    h.say(0.6, work=True)
    h.pause(0.3, work=True)  # a speculative reply to "We" is planned...
    assert h.asked(cmd.Speak)[-1].request.step is not None
    h.say(0.4, work=True)  # ...and dropped
    assert h.ctl.flow is flow and len(flow.asked) == 1
    h.hear = lambda audio: ("In my last job a colleague kept missing deadlines. I talked to "
                            "him, set up weekly check-ins, and we delivered on time.")
    h.pause(1.5, work=True)
    h.play_out()
    assert h.ctl.flow is not flow and len(h.ctl.flow.asked) == 2


def test_the_talk_is_heard_out_then_its_questions_are_quick():
    audience = persona("talk-audience")
    h = Harness(audience)
    h.hear = lambda audio: "and this is where the story gets good"
    h.say(20.0, work=True)
    h.pause(3.0, work=True)  # a long pause in a talk: a look at its tail, no reply
    looks = h.asked(cmd.Transcribe)
    assert looks and all(len(t.audio) <= 8 * 32_000 for t in looks)
    assert not h.asked(cmd.Speak) and "thinking" not in h.states()
    h.hear = lambda audio: "That is all. Thank you for listening."
    h.say(1.0, work=True)
    h.pause(2.0, work=True)  # the end phrase is heard at the pause: the whole talk, committed
    whole = h.asked(cmd.Transcribe)[-1]
    assert len(whole.audio) > 20 * 32_000 and whole.attempt in h.released
    h.play_out()
    first = h.of(ev.TurnMetrics)[0]
    h.hear = lambda audio: "Could you say more about the second part?"
    h.turn(1.0)  # a question-and-answer turn, taken conversationally
    metrics = h.of(ev.TurnMetrics)[-1]
    assert metrics is not first
    assert 0.2 <= metrics.stages["endpoint_ms"] / 1000 <= 1.0, metrics.stages


def test_a_talk_ends_on_the_personas_long_pause():
    h = Harness(persona("talk-audience"))
    h.hear = lambda audio: "and this is where the story gets good"
    h.say(3.0, work=True)
    h.pause(6.0, work=True)  # past the monologue preset's 3 s: still the talk
    assert "thinking" not in h.states()
    h.pause(2.5, work=True)
    assert h.states().count("thinking") == 1


def test_a_pause_mid_turn_sends_the_words_so_far_as_a_caption_the_transcript_replaces():
    h = Harness()
    h.say(0.6, work=True)
    h.pause(0.2, work=True)  # a short pause: the turn so far is decoded
    [caption] = h.of(ev.PartialTranscript)
    assert caption.text == "I spoke for 600 milliseconds." and caption.turn == 0
    assert not h.of(ev.UserTranscript)  # the turn is not over
    h.say(0.4, work=True)  # the user goes on; the end of the turn is transcribed
    h.pause(1.5, work=True)
    h.work()
    [final] = h.of(ev.UserTranscript)
    assert final.turn == caption.turn and final.text == "I spoke for 1000 milliseconds."


def test_no_caption_for_a_pause_heard_as_nothing():
    h = Harness()
    h.hear = lambda audio: ""
    h.say(0.6, work=True)
    h.pause(0.2, work=True)
    assert not h.of(ev.PartialTranscript)
