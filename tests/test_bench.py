"""The latency benchmark's own arithmetic and test speech (scripts/bench_latency.py).

A benchmark that miscounts reports a latency nobody can trust, so its pure parts are checked
here: percentiles, the real-time player's gap accounting, the stage breakdown, and the known end
of speech of the utterances it plays.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from bench.cpu import CpuMonitor
from bench.report import build_summary, turn_row
from bench.runner import TurnRecord
from bench.stats import openings, percentile, playback_gaps, stage_segments, summarize, wer
from bench.tuned_server import split_tuning
from bench.utterances import (
    INTERRUPTIONS,
    LONG_ANSWERS,
    LONG_GAPS_S,
    SETS,
    UTTERANCES,
    Line,
    Utterance,
    assemble,
    long_answer,
    synthesize,
    trim_speech,
)

from voice_rp.audio import FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE, pcm16_to_float

# --- percentiles ---------------------------------------------------------------------------------


def test_percentiles_interpolate_between_ranks() -> None:
    xs = [500.0, 100.0, 300.0, 200.0, 400.0]
    assert percentile(xs, 50) == 300.0
    assert percentile(xs, 95) == pytest.approx(480.0)  # 95% of the way from 400 to 500
    assert percentile(xs, 100) == 500.0
    assert percentile([], 50) is None


def test_summary_ignores_turns_without_a_value() -> None:
    s = summarize([700.0, None, 900.0, 800.0])
    assert s == {"p50": 800.0, "p95": 890.0, "max": 900.0, "n": 3}
    assert summarize([None]) == {"p50": None, "p95": None, "max": None, "n": 0}


# --- audio gaps ----------------------------------------------------------------------------------


def test_audio_that_arrives_ahead_of_playback_has_no_gap() -> None:
    # Three 1 s pieces, each sent well before the previous one finishes playing.
    dry, end = playback_gaps([(10.0, 1.0), (10.5, 1.0), (11.2, 1.0)])
    assert dry == 0.0
    assert end == pytest.approx(13.0)


def test_a_late_piece_counts_as_the_time_the_player_ran_dry() -> None:
    # The first piece ends at 11.0; the second comes at 11.3 (0.3 s of silence), then plays to
    # 12.3; the third arrives at 12.5 (another 0.2 s).
    dry, end = playback_gaps([(10.0, 1.0), (11.3, 1.0), (12.5, 0.5)])
    assert dry == pytest.approx(0.5)
    assert end == pytest.approx(13.0)


def test_gaps_are_counted_in_arrival_order_whatever_the_input_order() -> None:
    assert playback_gaps([(11.3, 1.0), (10.0, 1.0)])[0] == pytest.approx(0.3)


def test_nothing_after_a_clear_counts_as_a_gap() -> None:
    # Barge-in at 10.6: the reply is cut; a piece that came later is never played.
    dry, end = playback_gaps([(10.0, 1.0), (12.0, 1.0)], stop_at=10.6)
    assert dry == 0.0
    assert end == pytest.approx(10.6)
    # Cleared while the player was already dry: only the silence before the clear counts.
    dry, _ = playback_gaps([(10.0, 1.0), (12.0, 1.0)], stop_at=11.5)
    assert dry == pytest.approx(0.5)


def test_no_audio_no_gap() -> None:
    assert playback_gaps([])[0] == 0.0


# --- where the time went -------------------------------------------------------------------------


def test_segments_of_a_speculative_turn_add_up_to_the_measured_latency() -> None:
    # STT started at the first short pause (200 ms), the reply was ready at 650 ms but held
    # until the turn end was confirmed at 700 ms; the client got it at 730 ms.
    stages = {"endpoint_ms": 700.0, "speculative_lead_ms": 500.0, "stt_done_ms": 450.0,
              "llm_first_token_ms": 480.0, "first_piece_ms": 520.0, "tts_first_audio_ms": 650.0,
              "response_ms": 701.0}
    seg = stage_segments(stages, 730.0)
    assert seg == {"wait": 200.0, "stt": 250.0, "llm": 30.0, "piece": 40.0, "tts": 130.0,
                   "held": 50.0, "send": 1.0, "transport": 29.0}
    assert sum(seg.values()) == pytest.approx(730.0)


def test_segments_without_speculation_start_at_the_turn_end() -> None:
    stages = {"endpoint_ms": 600.0, "speculative_lead_ms": 0.0, "stt_done_ms": 950.0,
              "llm_first_token_ms": 1000.0, "first_piece_ms": 1100.0,
              "tts_first_audio_ms": 1250.0, "response_ms": 1250.0}
    seg = stage_segments(stages, 1260.0)
    assert seg["wait"] == 600.0 and seg["stt"] == 350.0 and seg["held"] == 0.0
    assert sum(seg.values()) == pytest.approx(1260.0)


def test_missing_milestones_add_nothing() -> None:
    seg = stage_segments({}, 900.0)
    assert seg["transport"] == 900.0
    assert sum(seg.values()) == pytest.approx(900.0)


def test_word_error_rate() -> None:
    assert wer("I have five years of experience.", "I have 5 years of experience") == 0.0
    assert wer("I have five years", "I had five years ago") == pytest.approx(0.5)


# --- the utterances ------------------------------------------------------------------------------


def _burst(seconds: float, lead_s: float, tail_s: float) -> np.ndarray:
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    z = np.zeros
    return np.concatenate([z(round(lead_s * SAMPLE_RATE)), tone, z(round(tail_s * SAMPLE_RATE))])


def test_trimming_keeps_exactly_the_sound() -> None:
    trimmed = trim_speech(_burst(0.5, 0.3, 0.7))
    assert len(trimmed) / SAMPLE_RATE == pytest.approx(0.5, abs=0.01)
    assert len(trim_speech(np.zeros(SAMPLE_RATE, np.float32))) == 0


def test_parts_are_joined_by_an_exact_pause_and_speech_ends_with_the_samples() -> None:
    line = Line("two-parts", ("first half", "second half"), pause_s=0.4)
    utt = assemble(line, [_burst(1.0, 0.2, 0.5), _burst(0.8, 0.1, 0.3)])
    assert utt.speech_end_s == pytest.approx(1.0 + 0.4 + 0.8, abs=0.02)
    assert utt.speech_end_s == len(utt.samples) / SAMPLE_RATE
    (start, end), = utt.pauses
    assert end - start == pytest.approx(0.4)
    s0, s1 = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
    assert not utt.samples[s0:s1].any()  # the pause is silent
    assert np.abs(utt.samples[s1: s1 + 160]).max() > 0.1  # and speech resumes right after it


def test_the_last_speech_frame_holds_the_last_speech_sample() -> None:
    samples = np.full(FRAME_SAMPLES * 3 + 10, 0.5, np.float32)  # 3 frames and 10 samples
    utt = Utterance(Line("x", ("x",)), samples, len(samples) / SAMPLE_RATE)
    assert utt.last_speech_frame == 3
    pcm = utt.pcm_frames()
    assert len(pcm) == 4 and all(len(f) == FRAME_BYTES for f in pcm)
    last = pcm16_to_float(pcm[3])
    assert last[:10].min() > 0.4 and not last[10:].any()  # padded with silence, not speech
    whole = samples[: FRAME_SAMPLES * 3]
    exact = Utterance(Line("x", ("x",)), whole, len(whole) / SAMPLE_RATE)
    assert exact.last_speech_frame == 2


def test_the_utterance_set_covers_what_the_benchmark_claims() -> None:
    assert len(UTTERANCES) >= 10
    assert {u.engine for u in UTTERANCES} == {"piper", "espeak"}
    assert sum(len(u.parts) > 1 for u in UTTERANCES) >= 3  # mid-sentence pauses
    assert all(u.pause_s == pytest.approx(0.4) for u in UTTERANCES if len(u.parts) > 1)
    assert any(u.barge_in for u in UTTERANCES) and INTERRUPTIONS
    assert len({u.name for u in UTTERANCES}) == len(UTTERANCES)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_spoken_lines_are_1_to_10_s_and_end_where_they_say(tmp_path: Path) -> None:
    lines = [u for u in UTTERANCES if u.engine == "espeak"]
    for utt in synthesize(lines, tmp_path):
        assert 1.0 <= utt.speech_end_s <= 10.0, utt.line.name
        # Speech right up to the known end: the last 30 ms are not silence...
        tail = utt.samples[round((utt.speech_end_s - 0.03) * SAMPLE_RATE):]
        assert np.sqrt(np.mean(tail ** 2)) > 1e-3, utt.line.name
        # ...and nothing of the utterance is sent after it.
        assert len(utt.samples) == round(utt.speech_end_s * SAMPLE_RATE)
        for start, end in utt.pauses:
            gap = utt.samples[round(start * SAMPLE_RATE): round(end * SAMPLE_RATE)]
            assert not gap.any()
    # The cache gives the same audio back.
    again = synthesize(lines[:1], tmp_path)[0]
    assert again.speech_end_s == synthesize(lines[:1], tmp_path)[0].speech_end_s


def test_a_long_answer_ends_where_its_last_sentence_ends_and_breathes_between_sentences(
) -> None:
    line = long_answer("long", ("one.", "two.", "three."), "espeak", seed=7)
    gaps = line.gaps_s
    assert len(gaps) == 2 and all(LONG_GAPS_S[0] <= g <= LONG_GAPS_S[1] for g in gaps)
    assert long_answer("long", ("one.", "two.", "three."), "espeak", seed=7) == line  # seeded
    # Silence around each burst is trimmed away; only the chosen gaps remain between them.
    utt = assemble(line, [_burst(2.0, 0.3, 0.4), _burst(3.0, 0.1, 0.6), _burst(1.5, 0.2, 0.2)])
    assert utt.speech_end_s == pytest.approx(2.0 + gaps[0] + 3.0 + gaps[1] + 1.5, abs=0.03)
    assert utt.speech_end_s == len(utt.samples) / SAMPLE_RATE  # nothing after the last word
    (a0, a1), (b0, b1) = utt.pauses
    assert a0 == pytest.approx(2.0, abs=0.01) and a1 - a0 == pytest.approx(gaps[0])
    assert b0 - a1 == pytest.approx(3.0, abs=0.01) and b1 - b0 == pytest.approx(gaps[1])
    for start, end in utt.pauses:
        s0, s1 = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        assert not utt.samples[s0:s1].any()
        assert np.abs(utt.samples[s0 - 160: s0]).max() > 0.1  # speech right up to the gap
        assert np.abs(utt.samples[s1: s1 + 160]).max() > 0.1  # and right after it


def test_a_line_needs_one_gap_between_each_two_parts() -> None:
    with pytest.raises(ValueError, match="gaps"):
        Line("x", ("a", "b", "c"), gaps_s=(0.3,))
    assert Line("x", ("a", "b")).gap_after(0) == pytest.approx(0.4)  # the default set's pause


def test_the_long_set_spans_ten_to_sixty_seconds_in_the_default_sets_voices() -> None:
    assert SETS["default"] is UTTERANCES and SETS["long"] is LONG_ANSWERS
    assert {u.engine for u in LONG_ANSWERS} == {u.engine for u in UTTERANCES}
    assert all(len(u.parts) >= 3 for u in LONG_ANSWERS[1:])
    gaps = [g for u in LONG_ANSWERS for g in u.gaps_s]
    assert all(LONG_GAPS_S[0] <= g <= LONG_GAPS_S[1] for g in gaps)
    assert len(set(gaps)) > len(gaps) // 2  # breaths vary, not one fixed pause
    assert len({u.name for u in LONG_ANSWERS}) == len(LONG_ANSWERS)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_spoken_long_answers_stay_within_ten_to_sixty_seconds(tmp_path: Path) -> None:
    # Under 60 s: the conversational TurnPolicy.max_turn_s would cut a longer turn on purpose.
    lines = [u for u in LONG_ANSWERS if u.engine == "espeak"]
    for utt in synthesize(lines, tmp_path):
        assert 10.0 <= utt.speech_end_s < 59.0, utt.line.name
        assert len(utt.pauses) == len(utt.line.parts) - 1


# --- per-turn accounting -------------------------------------------------------------------------


def _record(transcripts: list[str], *, speech_starts: int = 1, first_audio: float = 11.0,
            line: Line | None = None) -> TurnRecord:
    line = line or Line("team", ("I worked with the team", "on the launch."))
    utt = Utterance(line, np.zeros(10, np.float32), 2.0, ((1.0, 1.4),))
    rec = TurnRecord(utt, "line", 1, first_speech_at=8.0, speech_end_at=10.0)
    rec.transcripts, rec.speech_starts, rec.first_audio_at = transcripts, speech_starts, first_audio
    rec.reply_turn = 0
    rec.chunks = [(first_audio, 2.0), (first_audio + 2.5, 1.0)]
    rec.metrics = {"response_ms": 950.0}
    return rec


def test_a_turn_split_at_its_pause_is_a_premature_end() -> None:
    assert not _record(["I worked with the team on the launch."]).premature
    assert _record(["I worked with the team.", "On the launch."]).premature
    assert _record(["I worked with the team on the launch."], speech_starts=2).premature
    assert _record(["I worked with the team on the launch."], first_audio=9.5).premature


def test_the_summary_reports_the_figures_the_json_promises() -> None:
    rows = [turn_row(1, _record(["I worked with the team on the launch."])),
            turn_row(2, _record(["I worked with the team.", "On the launch."]))]
    assert rows[0]["response_ms"] == 1000.0
    assert rows[0]["stages"]["transport_ms"] == 50.0
    assert rows[0]["gaps_ms"] == pytest.approx(500.0)
    s = build_summary(rows, rss_mb=700.0, config={})
    assert s["response_latency_ms"]["p50"] == 1000.0
    assert s["gaps_ms_total"] == pytest.approx(1000.0)
    assert s["premature_ends"] == 1 and s["premature_ends_mid_pause"] == 1
    assert s["barge_in_ms"]["p50"] is None
    assert s["targets"]["premature_ends"]["met"] is False
    assert s["targets"]["server_rss_mb"]["met"] is True


# --- the replies' first words ------------------------------------------------------------------


def test_openings_count_distinct_first_pieces_whatever_their_case_and_punctuation() -> None:
    o = openings(["That's a great way to start.", "that's a great way to start",
                  "Tell me more.", "THAT'S A GREAT WAY TO START!"])
    assert o == {"replies": 4, "distinct": 2, "most_repeated": "That's a great way to start.",
                 "most_repeated_count": 3}
    assert openings([]) == {"replies": 0, "distinct": 0, "most_repeated": None,
                            "most_repeated_count": 0}
    assert openings(["Good.", "Fine."])["most_repeated"] == "Good."  # a tie: the first heard


def test_a_canned_opening_shows_in_the_summary_and_the_table() -> None:
    import io

    from bench.report import print_report

    said = ["I worked with the team on the launch."]
    firsts = ["That's a great way to start.", "That's a great way to start!",
              "Tell me about the launch.", "that's a great way to start."]
    records = []
    for first in firsts:
        rec = _record(said)
        rec.first_piece = first
        records.append(rec)
    unanswered = _record(said)
    unanswered.first_audio_at, unanswered.first_piece = None, ""
    rows = [turn_row(i, rec) for i, rec in enumerate([*records, unanswered], 1)]
    s = build_summary(rows, rss_mb=None, config={})
    assert s["openings"] == {"replies": 4, "distinct": 2,
                             "most_repeated": "That's a great way to start.",
                             "most_repeated_count": 3}
    assert [r["first_piece"] for r in s["per_turn"]][:2] == firsts[:2]
    out = io.StringIO()
    print_report(s, out)
    table = out.getvalue()
    assert table.lower().count("that's a great way to start") == 3 + 1  # 3 turns, the summary
    assert "openings: 2 distinct over 4 replies" in table
    assert "(3 of 4)" in table


def test_tuning_keys_name_a_group_and_a_field() -> None:
    groups = split_tuning({"turn.end_silence_s": 0.5, "whisper.temperature": [0.0]})
    assert groups["turn"] == {"end_silence_s": 0.5}
    assert groups["whisper"] == {"temperature": (0.0,)}
    with pytest.raises(ValueError, match="group"):
        split_tuning({"end_silence_s": 0.5})


def test_cpu_of_other_processes_is_busy_time_minus_ours() -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    monitor = CpuMonitor([])
    # Each second the machine was busy for 1.5 cores' worth; the server and the benchmark
    # took 0.5 of it in the first second and all of it in the second.
    monitor.samples = [(10.0, 0, 0), (11.0, int(1.5 * ticks), int(0.5 * ticks)),
                       (12.0, int(3.0 * ticks), int(2.0 * ticks))]
    assert monitor.others_between(10.0, 11.0) == 1.0
    assert monitor.others_between(11.0, 12.0) == 0.0
    assert monitor.others_between(10.0, 12.0) == 0.5
    assert monitor.others_between(10.2, 10.4) == 1.0  # widened to the samples around it
    assert CpuMonitor([]).others_between(0.0, 1.0) is None


def test_the_benchmark_says_which_machine_and_how_fast_each_model_runs_there() -> None:
    from bench.machine import cpu_facts, line

    facts = cpu_facts()
    assert facts["cores"] == os.cpu_count() and facts["cpu"]
    text = line({**facts, "stt_ms_3s": 120.4, "llm_prompt_tokens_per_s": 900,
                 "llm_tokens_per_s": 95, "tts_first_audio_ms": 88.0, "tts_rtf": 0.06})
    assert text.startswith(f"machine: {facts['cpu']}, {facts['cores']} cores")
    assert "STT 120 ms per 3 s clip" in text and "writes 95 tok/s" in text
    assert "TTS first audio 88 ms (RTF 0.06)" in text


@pytest.mark.models
def test_each_models_speed_is_measured_on_this_machine() -> None:
    from bench.machine import stage_speeds

    speeds = stage_speeds()
    assert 0 < speeds["stt_ms_3s"] < 5000 and 0 < speeds["tts_first_audio_ms"] < 5000
    assert speeds["llm_prompt_tokens_per_s"] > speeds["llm_tokens_per_s"] > 0
