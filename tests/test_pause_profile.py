"""The waits learn each user's own thinking pauses, across sessions and within one."""

from __future__ import annotations

import itertools

import pytest
from controller_harness import Harness, persona

from server.wiring import past_pauses_in
from voice_rp.pause_profile import (
    MAX_THINKING_WAIT_S,
    PastPauses,
    PauseLearning,
    learned,
)
from voice_rp.stores import open_store
from voice_rp.turn_policy import TurnPolicy


def test_a_user_who_pauses_long_gets_a_longer_wait_mid_thought() -> None:
    base = TurnPolicy()
    slow = learned(base, [1.2, 2.8, 3.1, 3.4, 3.6, 2.2, 4.0], [])
    assert slow.incomplete_silence_s > 4.0 > base.incomplete_silence_s
    assert slow.max_silence_s >= slow.incomplete_silence_s
    assert slow.complete_silence_s == base.complete_silence_s  # only the open wait learns


def test_short_pauses_never_shorten_the_preset_and_too_few_say_nothing() -> None:
    base = TurnPolicy()
    assert learned(base, [0.6, 0.7, 0.6, 0.8, 0.5, 0.9], []) == base
    assert learned(base, [5.0, 6.0], []) == base  # two pauses are not a habit yet
    assert learned(base, [30.0] * 10, []).incomplete_silence_s == MAX_THINKING_WAIT_S


def test_being_cut_off_makes_the_wait_after_complete_words_longer() -> None:
    base = TurnPolicy()
    after = learned(base, [], [0.45])
    assert base.complete_silence_s < after.complete_silence_s <= base.end_silence_s
    assert after.complete_silence_s > 0.45


def test_the_session_learns_as_it_goes_and_says_so_in_its_summary() -> None:
    learning = PauseLearning(TurnPolicy())
    for pause in (2.5, 3.2, 3.6, 3.9, 3.3, 0.2):
        learning.went_on(pause)
    learning.cut_off(0.5)
    summary = learning.summary()
    assert summary["pauses_s"] == [2.5, 3.2, 3.6, 3.9, 3.3, 0.5]  # 0.2 s is a breath
    assert summary["cut_pauses_s"] == [0.5]
    assert summary["thinking_wait_s"] > TurnPolicy().incomplete_silence_s
    assert summary["done_wait_s"] > TurnPolicy().complete_silence_s


def test_past_summaries_are_read_newest_first_and_older_ones_without_pauses_skipped() -> None:
    summaries = [{"turn_taking": {"pauses_s": [3.0, 3.5], "cut_pauses_s": [0.4]}},
                 {"words_per_minute": 120},  # a session from before pauses were kept
                 None,
                 {"turn_taking": {"pauses_s": [2.0, "bad", -1, 500]}}]
    past = PastPauses.from_summaries(summaries)
    assert (past.pauses_s, past.cut_s, past.sessions) == ((3.0, 3.5, 2.0), (0.4,), 2)
    many = PastPauses.from_summaries(itertools.repeat({"turn_taking": {"pauses_s": [1.0]}}, 50))
    assert many.sessions == 10 and len(many.pauses_s) == 10


def test_the_server_learns_from_the_users_saved_sessions_with_that_persona(tmp_path) -> None:
    store = open_store(tmp_path / "data", None)
    for pauses, who in (([3.4, 3.6], "english-partner"), ([3.5, 3.8, 3.9], "english-partner"),
                        ([9.0] * 6, "behavioural-interviewer")):
        log = store.open_session(persona=who)
        log.end("user_ended", {"turn_taking": {"pauses_s": pauses, "cut_pauses_s": []}})
    past = past_pauses_in(store)("english-partner")
    assert sorted(past.pauses_s) == [3.4, 3.5, 3.6, 3.8, 3.9] and past.sessions == 2
    h = Harness(persona("english-partner"), past_pauses=past)
    waits = h.ctl.turn_taking.endpointer.policy
    assert waits.incomplete_silence_s > TurnPolicy.patient().incomplete_silence_s
    assert h.ctl.stats.summary(h.clock.now())["turn_taking"]["learned_from_sessions"] == 2


@pytest.mark.parametrize("since_end_s", [0.8, 2.9])
def test_talking_over_the_reply_soon_after_a_pause_is_a_cut_off(since_end_s: float) -> None:
    h = Harness()
    h.ctl.turn_taking.talked_over(since_end_s)
    assert h.ctl.stats.cut_offs == 1


def test_talking_over_the_reply_long_after_is_an_interruption_not_a_cut_off() -> None:
    h = Harness()
    h.ctl.turn_taking.talked_over(6.0)
    assert h.ctl.stats.cut_offs == 0


def _session_with(store, summary: dict | None) -> str:
    log = store.open_session(persona="behavioural-interviewer")
    log.write("reply", turn=0, text="Tell me about a project you led?", interrupted=False,
              speaker="Maya", audio_ms=2000)
    log.write("user", turn=1, text="I led the billing migration, and um, it shipped on time.",
              audio={"duration_s": 6.0, "speech": [[0.2, 2.5], [4.1, 5.8]]})
    log.end("client_end", summary or {})
    return log.id


def test_the_report_says_how_often_the_partner_cut_in_and_not_measured_when_it_was_not(
        tmp_path) -> None:
    from voice_rp.feedback.report_html import render_html
    from voice_rp.feedback.service import Reports
    from voice_rp.personas import builtin_dirs

    store = open_store(tmp_path / "data", None)
    cut = _session_with(store, {"cut_offs": 2, "turn_taking": {
        "pauses_s": [1.6, 0.5], "cut_pauses_s": [0.5, 0.6], "thinking_wait_s": 3.5,
        "done_wait_s": 0.75, "learned_from_sessions": 0}})
    old = _session_with(store, None)  # saved before turn-taking was measured
    reports = Reports(store, builtin_dirs())
    report = reports.report(cut)
    assert report["turn_taking"]["cut_offs"] == 2
    assert report["turn_taking"]["longest_pause_s"] == report["delivery"]["longest_pause_s"]
    assert any("cut in 2 time(s)" in note for note in report["notes"])
    cut_in = "<span class='fig-label'>Times the partner cut in</span><span class='fig-value'>"
    assert cut_in + "2</span>" in render_html(report)
    before = reports.report(old)
    assert before["turn_taking"]["cut_offs"] is None
    assert cut_in + "not measured</span>" in render_html(before)
    assert not any("cut in" in note for note in before["notes"])


def test_an_interruption_after_hearing_the_reply_teaches_nothing_about_pauses() -> None:
    h = Harness()
    h.ctl.turn_taking.talked_over(1.6, heard_s=1.1)  # 0.8 s of the reply heard, then spoke
    assert h.ctl.stats.cut_offs == 0
    assert h.ctl.turn_taking.endpointer.policy == h.ctl.turn_taking.learning.base
    h.ctl.turn_taking.talked_over(1.2, heard_s=0.5)  # went on before hearing it to speak of
    assert h.ctl.stats.cut_offs == 1
