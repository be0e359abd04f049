"""When an answer's words are timed: after its reply is made, in pieces cut at pauses, waiting
while a user turn is live, for the right turn even when speculative attempts come and go."""

from __future__ import annotations

from voice_rp import events as ev
from voice_rp.audio import SAMPLE_RATE
from voice_rp.feedback.timing import AnswerTimer, pieces, shift

PCM = b"\x00\x00" * SAMPLE_RATE * 4  # 4 s


def test_an_answer_is_timed_for_its_turn_once_its_reply_is_made():
    timer = AnswerTimer()
    analysis = {"speech": [[0.2, 3.5]]}
    timer.seen(ev.SpeechStarted(3, 0.0))
    assert timer.user_turn_live
    timer.analysed(7, PCM, analysis)
    timer.analysed(8, PCM, {"speech": [[0.1, 2.0]]})  # a speculative attempt, dropped later
    timer.seen(ev.UserTranscript(3, "hello there", dict(analysis)))  # an equal dict: not it
    assert timer.reply_made(7) is None and not timer.user_turn_live
    timer.analysed(7, PCM, analysis)
    timer.seen(ev.UserTranscript(3, "hello there", analysis))
    timer.dropped(8)
    job = timer.reply_made(7)
    assert job is not None and job.turn == 3 and job.pcm == PCM
    assert job.pieces == ((0.0, 4.0),)
    assert timer.reply_made(7) is None  # timed once


def test_answers_without_speech_runs_are_not_timed_and_few_are_kept():
    timer = AnswerTimer()
    timer.analysed(1, PCM, None)
    timer.analysed(2, PCM, {"speech": []})
    timer.seen(ev.UserTranscript(1, "x", None))
    assert timer.reply_made(1) is None and timer.reply_made(2) is None
    for attempt in range(20):  # dropped speculative attempts must not pile up
        timer.analysed(attempt, PCM, {"speech": [[0.0, 1.0]]})
    assert len(timer._answers) <= 8


def test_long_answers_are_cut_in_silences():
    speech = [[0.0, 12.0], [12.6, 26.0], [27.0, 40.0], [41.2, 70.0]]
    cut = pieces(speech, 70.0, longest=28.0)
    assert cut[0] == (0.0, 26.5) and cut[1][0] == 26.5
    assert all(b - a <= 28.0 for a, b in cut) and cut[-1][1] == 70.0
    # No silence in reach: a hard cut at the longest piece.
    assert pieces([[0.0, 70.0]], 70.0, longest=28.0)[0] == (0.0, 28.0)
    assert shift([("um", 0.5, 0.7)], 26.5) == [["um", 27.0, 27.2]]
