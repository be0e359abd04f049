"""The end-of-turn benchmark: its clips (pauses where they are said to be, the true end of
speech, stable splits) and its scoring (a cut-off is not a latency), on tones and fakes; then
the whole bench on a few espeak-ng clips."""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from bench.turn_clips import (
    LEAD_S,
    LONG_MAX_S,
    SENTENCES,
    TAIL_S,
    ClipPlan,
    Piece,
    TurnClip,
    Word,
    boundaries,
    in_room,
    pick_cut,
    plan_clips,
    realise,
    split_of,
    with_pause,
)
from bench.turn_replay import Outcome, clip_frames, replay, score, summarize

from voice_rp.audio import SAMPLE_RATE
from voice_rp.endpointer import TurnPolicy
from voice_rp.personas import find_persona

ROOT = Path(__file__).resolve().parents[1]
SR = SAMPLE_RATE


def tone(seconds: float, freq: float = 220.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def words_with_gaps(durations: list[float], gap_s: float = 0.06) -> tuple[np.ndarray, list[Word]]:
    """Tone 'words' separated by silent gaps, and their times: speech whose boundaries we know."""
    parts, words, at = [], [], 0.0
    for i, d in enumerate(durations):
        if i:
            parts.append(np.zeros(round(gap_s * SR), np.float32))
            at += gap_s
        parts.append(tone(d))
        words.append(Word(f"w{i}", at, at + d))
        at += d
    return np.concatenate(parts), words


class FakeSpeech:
    """Tones for every piece; the first piece's words are known."""

    def __init__(self, samples: dict[str, np.ndarray], words: list[Word]) -> None:
        self.samples, self._words = samples, words

    def audio(self, piece: Piece) -> np.ndarray:
        return self.samples[piece.text]

    def words(self, piece: Piece) -> list[Word]:
        return self._words


def quiet(x: np.ndarray) -> bool:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) < 0.01


# --- clips -------------------------------------------------------------------------------------


def test_split_is_stable_and_holds_out_about_a_third() -> None:
    texts = [s for lang in SENTENCES.values() for s in lang]
    assert [split_of(t) for t in texts] == [split_of(t) for t in texts]
    share = sum(split_of(t) == "heldout" for t in texts) / len(texts)
    assert 0.2 < share < 0.45
    # A hash of the text, not of Python's per-run string hash: the same on every machine.
    assert split_of("Give me a moment.") == "dev"
    assert split_of("Un segundito.") == "heldout"


def test_a_clip_is_lead_speech_and_tail_over_a_quiet_floor() -> None:
    room = in_room(tone(1.0), seed=1)
    assert len(room) == round((LEAD_S + 1.0 + TAIL_S) * SR)
    lead = room[: round(LEAD_S * SR)]
    level_db = 20 * np.log10(np.sqrt(np.mean(lead.astype(np.float64) ** 2)))
    assert -62 < level_db < -58  # a floor for the VAD, never digital zeros
    assert not quiet(room[round(LEAD_S * SR): round((LEAD_S + 1.0) * SR)])


def test_pause_is_inserted_where_it_says_and_after_the_filler() -> None:
    speech, at = with_pause(tone(1.0), tone(0.5), 1.2)
    assert at == pytest.approx(1.0)
    assert len(speech) == round(2.7 * SR)
    assert quiet(speech[round(1.0 * SR): round(2.2 * SR)])
    assert not quiet(speech[round(2.2 * SR): round(2.3 * SR)])
    with_um, at = with_pause(tone(1.0), tone(0.5), 1.2, tone(0.3, 330.0), filler_gap_s=0.1)
    assert at == pytest.approx(1.4)  # the silence begins after the filler, not before it
    assert not quiet(with_um[round(1.15 * SR): round(1.35 * SR)])
    assert quiet(with_um[round(1.45 * SR): round(2.55 * SR)])


def test_paused_clip_cuts_in_a_word_gap_and_ends_after_the_rest() -> None:
    sentence, words = words_with_gaps([0.4, 0.3, 0.5, 0.4])  # 1.78 s with its gaps
    plan = ClipPlan("paused/en/fake/000", "paused", "dev", (Piece("fake", "en", "s"),),
                    pause_s=2.0, boundary="any")
    clip = realise(plan, FakeSpeech({"s": sentence}, words))
    assert clip is not None and clip.pause_at_s is not None
    gaps_end = [LEAD_S + w.end for w in words[:-1]]  # where each interior gap begins
    assert min(abs(clip.pause_at_s - g) for g in gaps_end) < 0.07
    assert clip.end_s == pytest.approx(LEAD_S + len(sentence) / SR + 2.0, abs=1e-3)
    start, stop = round(clip.pause_at_s * SR), round((clip.pause_at_s + 2.0) * SR)
    assert quiet(clip.samples[start: stop])
    assert quiet(clip.samples[round(clip.end_s * SR):])  # the tail: nothing but the floor
    assert len(clip.samples) == round((clip.end_s + TAIL_S) * SR)


def test_hold_clip_ends_after_the_answer() -> None:
    plan = ClipPlan("hold/en/fake/000", "hold", "heldout",
                    (Piece("fake", "en", "wait"), Piece("fake", "en", "answer")), pause_s=6.0)
    clip = realise(plan, FakeSpeech({"wait": tone(0.8), "answer": tone(2.0)}, []))
    assert clip is not None
    assert clip.pause_at_s == pytest.approx(LEAD_S + 0.8)
    assert clip.end_s == pytest.approx(LEAD_S + 0.8 + 6.0 + 2.0)
    assert clip.text == "wait answer"


def test_long_answer_joins_sentences_and_stops_at_the_limit() -> None:
    pieces = tuple(Piece("fake", "en", f"s{i}") for i in range(5))
    speech = FakeSpeech({f"s{i}": tone(14.0) for i in range(5)}, [])
    clip = realise(ClipPlan("complete_long/en/fake/000", "complete_long", "dev", pieces,
                            gaps_s=(0.3, 0.4, 0.2, 0.5)), speech)
    assert clip is not None
    assert clip.end_s - LEAD_S == pytest.approx(4 * 14.0 + 0.3 + 0.4 + 0.2)  # the 5th is cut
    assert clip.end_s - LEAD_S <= LONG_MAX_S
    assert clip.text == "s0 s1 s2 s3"


def test_hesitation_boundaries_follow_the_words_that_invite_a_pause() -> None:
    words = [Word(w, i * 0.3, i * 0.3 + 0.25)
             for i, w in enumerate(("I", "worked", "there", "and", "then", "the", "team",
                                    "moved"))]
    stops, rule = boundaries(words, "hesitation", frozenset({"and", "the"}))
    assert rule == "hesitation" and [words[i].text for i in stops] == ["and", "the"]
    anywhere, rule = boundaries(words, "hesitation", frozenset({"because"}))
    assert rule == "any" and words[anywhere[0]].end >= 0.5  # enough speech before the pause
    assert boundaries(words[:2], "any", frozenset())[0] == []  # too short to pause in


def test_pick_cut_prefers_a_boundary_in_silence() -> None:
    sentence, words = words_with_gaps([0.4, 0.4, 0.4])
    wrong = [Word(w.text, w.start, w.end + 0.15) for w in words]  # alignment 150 ms late
    wrong[0] = Word("w0", 0.0, words[0].end)  # only boundary 0 is right
    _, cut = pick_cut(sentence, wrong, [0, 1], random.Random(3))
    assert abs(cut / SR - (words[0].end + 0.03)) < 0.04


def test_plans_are_filtered_and_limited() -> None:
    plans = plan_clips(["en", "fr"], {}, kinds=["paused"], split="heldout", limit=5)
    assert len(plans) == 5
    assert all(p.kind == "paused" and p.split == "heldout" for p in plans)
    assert {p.source for p in plan_clips(["es"], {})} <= {"espeak-115", "espeak-130",
                                                          "espeak-155"}


# --- scoring -----------------------------------------------------------------------------------


def test_a_turn_end_in_the_pause_is_a_cut_off_not_a_latency() -> None:
    s = score(3.5, [2.1, 7.0])
    assert (s.cut_offs, s.latency_s, s.first_cut_s) == (1, 3.5, 2.1)
    on_time = score(3.5, [3.47, 9.0])  # the VAD trimmed a soft ending: not a cut-off
    assert on_time.cut_offs == 0 and on_time.latency_s == pytest.approx(-0.03)
    never = score(3.5, [])
    assert never.cut_offs == 0 and never.latency_s is None


class ScriptedRecognition:
    """Says `text` and takes `seconds` of the fake timer's time to do it."""

    def __init__(self, text: str, seconds: float) -> None:
        self.text, self.seconds, self.now = text, seconds, 0.0

    def timer(self) -> float:
        return self.now

    def transcribe(self, audio: bytes) -> str:
        self.now += self.seconds
        return self.text


POLICY = TurnPolicy(speculative_silence_s=0.15, end_silence_s=0.6, incomplete_silence_s=1.2,
                    max_silence_s=2.0)


def loud(frame: bytes) -> bool:
    x = np.frombuffer(frame, "<i2").astype(np.float64)
    return float(np.sqrt(np.mean(x * x))) > 300


def run_paused(decode_s: float, text: str = "I worked there and",
               policy: TurnPolicy = POLICY) -> Outcome:
    sentence, at = with_pause(tone(1.0), tone(1.0), 0.9)
    clip_samples = in_room(sentence, seed=0)
    clip = TurnClip("paused/en/tone/000", "en", "fake", "paused", text, clip_samples,
                    LEAD_S + len(sentence) / SR, "dev", LEAD_S + at, 0.9)
    persona = find_persona("behavioural-interviewer", [ROOT / "personas"])
    stt = ScriptedRecognition(text, decode_s)
    result = replay(clip_frames(clip.samples), persona, stt, policy=policy, timer=stt.timer,
                    is_speech=loud)
    return Outcome.of(clip, result)


def test_a_hint_in_time_holds_the_turn_through_the_pause() -> None:
    o = run_paused(decode_s=0.05)
    assert o.score.cut_offs == 0 and o.score.latency_s is not None
    first = o.replay.hints[0]
    assert first.delivered and first.ready_t == pytest.approx(first.asked_t + 0.05)


def test_a_slow_hint_is_waited_for_and_one_past_the_cap_cannot_save_the_turn() -> None:
    slow = run_paused(decode_s=0.8)  # ready 0.95 s into the pause: past the no-words wait
    assert slow.score.cut_offs == 0 and slow.replay.hints[0].delivered
    capped = dataclasses.replace(POLICY, max_silence_s=0.8)  # shorter than the 0.9 s pause
    o = run_paused(decode_s=1.0, policy=capped)  # the hard cap ends the turn first
    assert o.score.cut_offs == 1
    assert not o.replay.hints[0].delivered
    summary = summarize([o, run_paused(decode_s=0.05)])
    paused = summary["kind"]["paused"]
    assert (paused["n"], paused["cut"], paused["cut_rate"]) == (2, 1, 0.5)
    assert summary["paused/pause"]["paused/0.9 s"]["n"] == 2


# --- the bench, end to end ---------------------------------------------------------------------


@pytest.mark.models
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_bench_runs_end_to_end_on_espeak_clips(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from bench_turn_taking import main

    out = tmp_path / "turns.json"
    assert main(["--split", "all", "--language", "en", "--source", "espeak-160",
                 "--kind", "complete_short", "--kind", "paused", "--limit", "3",
                 "--cache", str(tmp_path / "cache"), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "machine:" in printed and "complete_short" in printed
    figures = json.loads(out.read_text())
    assert len(figures["clips"]) == 3
    complete = [c for c in figures["clips"] if c["kind"] == "complete_short"]
    assert complete and all(c["score"]["latency_s"] is not None for c in complete)
    assert all(h["decode_ms"] > 0 for c in figures["clips"] for h in c["replay"]["hints"])
