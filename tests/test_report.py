"""The report (JSON and HTML, rendered in headless Chromium), the CLI, history trends and goals."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from store_backends import StoreMaker
from test_feedback_content import teacher  # noqa: F401 - the fake capable model

from client.report import main as report_main
from voice_rp.clock import FakeClock
from voice_rp.feedback.language import FeedbackSettings
from voice_rp.feedback.report import PersonaFacts, build_report
from voice_rp.feedback.report_html import render_html
from voice_rp.feedback.service import Reports
from voice_rp.personas import builtin_dirs
from voice_rp.storage import SessionStore, TranscriptStore

ANSWERS = [
    ("Tell me about a time you fixed a process?",
     "Um, at my last job the support queue had a backlog of three weeks. My task was to bring it "
     "down. I set up a triage rota and, uh, I wrote templates. As a result the backlog dropped "
     "from three weeks to two days.", [[0.2, 4.0], [5.4, 9.0], [9.3, 14.0]]),
    ("What would your manager say about you?",
     "I think we, um, we worked well together and we sort of shipped things and the team liked "
     "it, maybe.", [[0.3, 3.0], [3.2, 6.5]]),
    ("Why do you want this job?",
     "Because I like building tools that people use every day, and this team builds them well.",
     [[0.1, 5.0]]),
]


def interview(store: SessionStore, clock: FakeClock, *, fillers: int = 1, end: bool = True,
              slow: float = 1.0, keep_fillers: bool = True) -> str:
    """Three answers; `keep_fillers`: the session's recognition kept "um" and "uh"."""
    log = store.open_session(persona="behavioural-interviewer", persona_name="Dana",
                             options={"keep_fillers": keep_fillers})
    for turn, (question, text, speech) in enumerate(ANSWERS, start=1):
        clock.advance(2.0)
        log.write("reply", turn=turn - 1, text=question, interrupted=False, speaker="Dana",
                  audio_ms=2500)
        log.write("metrics", turn=turn - 1, stages={"response_ms": 700.0 + 150 * turn})
        clock.advance(0.9 * turn)
        log.write("speech_start", turn=turn)
        clock.advance(speech[-1][1] * slow)
        said = text.replace("Um, ", "Um, " * fillers) if fillers else text.replace("Um, ", "")
        log.write("user", turn=turn, text=said, audio={
            "duration_s": speech[-1][1] * slow + 0.5,
            "speech": [[a * slow, b * slow] for a, b in speech],
            "pitch_median_hz": 120.0, "pitch_range_st": 4.0, "voiced_s": 5.0})
    if end:
        log.end("client_end", {})
    else:
        log.close()
    return log.id


def store_with_clock(tmp_path: Path) -> tuple[TranscriptStore, FakeClock]:
    clock = FakeClock(1_700_000_000.0)
    return TranscriptStore(tmp_path, now=clock.now), clock


def any_store_with_clock(make_store: StoreMaker) -> tuple[SessionStore, FakeClock]:
    """Either backend: reports must not depend on where the sessions are kept."""
    clock = FakeClock(1_700_000_000.0)
    return make_store(now=clock.now), clock


def test_report_data_per_answer_and_session(make_store: StoreMaker):
    store, clock = any_store_with_clock(make_store)
    sid = interview(store, clock)
    report = Reports(store, builtin_dirs()).report(sid)
    assert report["practice"] == "interview" and not report["unfinished"]
    first, second, third = report["answers"]
    assert first["question"].startswith("Tell me about")
    assert first["star"]["parts"] == {"situation": True, "task": True, "action": True,
                                      "result": True}
    assert second["star"]["we_count"] > second["star"]["i_count"]
    assert first["delivery"]["pauses"][0]["length_s"] == pytest.approx(1.4)
    assert first["delivery"]["onset_s"] == pytest.approx(0.9)
    assert third["delivery"]["fillers"] == {}
    assert [x["response_ms"] for x in report["technical"]["latency"]] == [850, 1000, 1150]
    d = report["delivery"]
    assert d["long_pauses"] == 1 and d["fillers"] == {"um": 2, "uh": 1}
    assert 0 < d["talk_share"] < 1
    assert json.loads(json.dumps(report)) == report  # the JSON form is the same data


def test_nothing_is_praised_that_was_not_said(make_store: StoreMaker):
    store, _ = any_store_with_clock(make_store)
    log = store.open_session(persona="behavioural-interviewer")
    log.write("reply", turn=0, text="Tell me about yourself?", interrupted=False, speaker="D")
    log.end("client_end", {})
    report = Reports(store, builtin_dirs()).report(log.id)
    assert report["empty"] is True and report["notes"] == []
    assert "You did not answer" in report["empty_reason"]
    assert report["answers"] == [] and "No report for this session" in render_html(report)


def _png_pixels(path: Path) -> np.ndarray:
    from PIL import Image  # Pillow comes with matplotlib in the dev extra

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int32)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_the_html_report_renders_in_chromium_with_charts(tmp_path: Path):
    store, clock = store_with_clock(tmp_path / "data")
    sid = interview(store, clock)
    html_file = tmp_path / "report.html"
    out = io.StringIO()
    assert report_main(["--data-dir", str(tmp_path / "data"), "report", sid, "--html",
                        str(html_file)], environ={}, out=out) == 0
    assert html_file.stat().st_mode & 0o777 == 0o600
    html = html_file.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # self-contained
    for label in ("words per minute per answer", "speech, pauses and fillers per answer",
                  "STAR parts per answer", "reply latency per turn"):
        svg = html.split(f"aria-label='{label}'")[0].rsplit("<svg", 1)[1]
        assert "data-points='0'" not in svg, label
    shot = tmp_path / "report.png"
    result = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=800,2400",
         f"--screenshot={shot}", html_file.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert shot.is_file(), result.stderr[-2000:]
    pixels = _png_pixels(shot)

    def share(rgb: tuple[int, int, int]) -> float:
        return float(np.mean(np.all(np.abs(pixels - np.array(rgb)) <= 6, axis=2)))

    # The charts are engineering views: drawn, but inside the collapsed "Technical details",
    # so none of their colours (pace band and line, speech and pause bars, STAR cells, latency
    # bars) is on screen, while the "what to work on" cards are.
    assert html.index("<details class='technical'>") < html.index("<svg")
    for rgb in ((0xcf, 0xee, 0xd8), (0x2f, 0x6f, 0xdb), (0x9d, 0xb4, 0xd6), (0xe0, 0x5a, 0x47),
                (0x3f, 0xae, 0x6a), (0x7a, 0x5b, 0xd6)):
        assert share(rgb) < 1e-4, rgb  # (anti-aliased text may come near one)
    assert share((0xf6, 0xf9, 0xfd)) > 1e-3  # the background of the "what to work on" cards


def test_three_sessions_make_a_trend_and_goals_are_checked(tmp_path: Path):
    store, clock = store_with_clock(tmp_path)
    store.add_goal("fillers under 6")
    store.add_goal("pace 130-160")
    for fillers in (6, 3, 0):
        interview(store, clock, fillers=fillers)
        clock.advance(86_400)
    history = Reports(store, builtin_dirs()).history()
    assert len(history["sessions"]) == 3
    fillers_line = next(t for t in history["trends"] if t.startswith("Fillers"))
    first, last = (p["fillers_per_min"] for p in (history["sessions"][0],
                                                   history["sessions"][-1]))
    assert first > last
    assert fillers_line == (f"Fillers: {first:.1f} → {last:.1f} per minute over 3 sessions "
                            "(better).")
    met = [p["goals"][0]["met"] for p in history["sessions"]]
    assert met == [p["fillers_per_min"] <= 6 for p in history["sessions"]]
    assert met[0] is False and met[-1] is True
    out = io.StringIO()
    assert report_main(["--data-dir", str(tmp_path), "history"], environ={}, out=out) == 0
    assert fillers_line in out.getvalue()


def test_cli_report_goal_and_errors(tmp_path: Path):
    store, clock = store_with_clock(tmp_path)
    sid = interview(store, clock, end=False)
    out = io.StringIO()
    assert report_main(["--data-dir", str(tmp_path), "report", "latest"], environ={},
                       out=out) == 0
    text = out.getvalue()
    assert sid in text and "did not finish normally" in text and "STAR [S T A R]" in text
    out = io.StringIO()
    assert report_main(["--data-dir", str(tmp_path), "report", sid, "--json"], environ={},
                       out=out) == 0
    assert json.loads(out.getvalue())["unfinished"] is True
    assert report_main(["--data-dir", str(tmp_path), "report", "nope"], environ={}) == 1
    assert report_main(["--data-dir", str(tmp_path), "history", "--add-goal", "be awesome"],
                       environ={}) == 2
    assert report_main(["--data-dir", str(tmp_path), "history", "--add-goal",
                        "pauses at most 1"], environ={}, out=io.StringIO()) == 0
    assert [g.text for g in store.goals()] == ["pauses at most 1"]


def test_a_language_session_without_a_capable_model_says_so(make_store: StoreMaker):
    store, _ = any_store_with_clock(make_store)
    log = store.open_session(persona="english-partner")
    log.write("user", turn=1, text="Yesterday I have went to the market.")
    report = Reports(store, builtin_dirs()).report(log.id)
    lang = report["content"]["language"]
    assert report["practice"] == "language"
    assert lang["available"] is False and lang["corrections"] == []
    html = render_html(report)
    assert "Grammar corrections need a larger language model" in html
    # How to set up a capable model is for whoever runs the server: only in the collapsed
    # technical details, never in the feedback above them.
    assert html.index("SmolLM2") > html.index("<details class='technical'>")
    assert "OPENAI_BASE_URL" not in html[:html.index("<details class='technical'>")]


def test_talk_report_has_structure_and_pitch(make_store: StoreMaker):
    store, _ = any_store_with_clock(make_store)
    log = store.open_session(persona="talk-audience")
    talk = ("Good morning. Today I want to talk about sleep. First, it helps memory. Second, it "
            "helps mood. Finally, thank you for listening.")
    log.write("user", turn=1, text=talk, audio={"speech": [[0.0, 12.0]], "pitch_range_st": 2.0})
    report = build_report(log.id, store.read_session(log.id), PersonaFacts(
        "talk-audience", "Audience", "audience", "monologue", "en", 180.0))
    assert report["practice"] == "talk"
    assert report["content"]["talk"]["time_limit_s"] == 180.0
    assert any("pitch moved within 2.0 semitones" in n for n in report["notes"])


def test_corrections_from_a_capable_model_are_kept_and_recur_in_history(
        make_store: StoreMaker, teacher):  # noqa: F811 - the fixture imported above
    url, handler = teacher
    store, clock = any_store_with_clock(make_store)
    settings = FeedbackSettings(base_url=url, model="tutor", capable_models=("tutor",))
    reports = Reports(store, builtin_dirs(), settings)
    ids = []
    for _ in range(2):
        log = store.open_session(persona="english-partner")
        log.write("user", turn=1, text="Yesterday I have went to the market with my sister",
                  audio={"speech": [[0.0, 3.0]]})
        log.end("client_end", {})
        ids.append(log.id)
        clock.advance(600)
    first = reports.report(ids[0])
    [correction] = first["content"]["language"]["corrections"]
    assert (correction["said"], correction["better"]) == ("I have went", "I went")
    assert "You said “I have went” → better “I went”" in render_html(first)
    reports.report(ids[0])
    assert len(handler.requests) == 1  # made once, then read back
    reports.report(ids[1])
    history = reports.history()
    assert history["recurring_corrections"] == [("i went", 2)]
    assert len(handler.requests) == 2  # history never asks the model


def test_answers_are_numbered_from_one_as_the_user_counts_them(make_store: StoreMaker):
    # A talk has no opening line, so its first answer is the conversation's turn 0, and dropped
    # speculative attempts leave gaps in the turn numbers: neither may show up as a label.
    store, clock = any_store_with_clock(make_store)
    log = store.open_session(persona="talk-audience")
    for turn in (0, 3, 5):
        clock.advance(5.0)
        log.write("user", turn=turn, text="First, sleep helps memory. Um, it helps mood too.",
                  audio={"speech": [[0.0, 1.5], [2.8, 4.0]]})
        log.write("reply", turn=turn, text="Why?", interrupted=False, speaker="A",
                  audio_ms=900)
        log.write("metrics", turn=turn, stages={"response_ms": 900.0})
    log.end("client_end", {})
    report = Reports(store, builtin_dirs()).report(log.id)
    assert [a["number"] for a in report["answers"]] == [1, 2, 3]
    assert [row["label"] for row in report["technical"]["latency"]] == [
        "answer 1", "answer 2", "answer 3"]
    html = render_html(report)
    assert ">answer 1<" in html and "What you said" in html  # the talk, then the questions
    assert "Question 1 and your answer" in html and "Question 2 and your answer" in html
    assert "turn 0" not in html.lower() and "Turn 3" not in html
    assert "answer 1: 900 ms" in html


def test_word_timings_saved_after_the_answer_reach_its_report(make_store: StoreMaker):
    store, _ = any_store_with_clock(make_store)
    log = store.open_session(persona="behavioural-interviewer")
    log.write("user", turn=2, text="I ran the team. Um, then I fixed the queue for good.",
              audio={"speech": [[0.2, 1.4], [2.8, 3.1], [3.4, 5.0]]})
    log.write("reply", turn=2, text="Why?", interrupted=False, speaker="D", audio_ms=900)
    log.write("words", turn=2, words=[
        ["I", 0.2, 0.4], ["ran", 0.4, 0.7], ["the", 0.7, 0.8], ["team.", 0.8, 2.4],
        ["Um,", 3.0, 3.3], ["then", 3.4, 3.6], ["I", 3.6, 3.7], ["fixed", 3.7, 4.0],
        ["the", 4.0, 4.1], ["queue", 4.1, 4.4], ["for", 4.4, 4.6], ["good.", 4.6, 5.0]])
    log.end("client_end", {})
    report = Reports(store, builtin_dirs()).report(log.id)
    d = report["answers"][0]["delivery"]
    assert d["word_timings"]
    assert [(p["after"], p["placed_by"]) for p in d["pauses"]] == [("i ran the team", "words")]
    assert [m["start"] for m in d["timeline"] if m["kind"] == "filler"] == [2.8]
    html = render_html(report)
    assert "after “i ran the team”" in html and "“um” at 2.8 s" in html
