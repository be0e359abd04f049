"""Every number a person sees, checked against what was really said, on the real server.

Three answers with known fillers and one known pause are spoken (espeak-ng: the same audio every
run) into a session with the default options. The figures on the end screen (session_end), in
the report JSON, in the HTML report and in history must be the same numbers, and each must be
within a stated tolerance of the truth.
"""

from __future__ import annotations

import asyncio
import html
import json
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from real_server import build_real_server
from speech import concat_with_pause, say, with_silence, words
from test_server_e2e import Talk, open_talk

from server.app import VoiceServer
from voice_rp.audio import SAMPLE_RATE, float_to_pcm16
from voice_rp.feedback.stats import count_fillers

pytestmark = [pytest.mark.models, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.timeout(600)]

# (parts said with a pause between them, the pause in seconds)
ANSWERS = (
    (["Um, in my last job I ran the support desk for a small software company.",
      "Uh, we had a long queue of tickets and, um, I cut it to two days."], 1.6),
    (["I set up a rota and, uh, I wrote templates for the common questions."], 0.0),
    (["The queue stayed under two days for the rest of the year."], 0.0),
)
PAUSE_TOLERANCE_S = 0.35  # espeak's own quiet at a clip's ends is part of the pause
PACE_TOLERANCE = 0.15  # recognition errors change the word count; VAD edges the time
WORDS_TOLERANCE = 0.15


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[VoiceServer]:
    srv = build_real_server(tmp_path_factory.mktemp("data"), max_sessions=2)
    await srv.start()
    await srv.wait_ready()
    yield srv
    await srv.stop()


def _voiced(samples: np.ndarray) -> tuple[float, float]:
    loud = np.flatnonzero(np.abs(samples) > 0.02 * np.max(np.abs(samples)))
    return loud[0] / SAMPLE_RATE, (loud[-1] + 1) / SAMPLE_RATE


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        body: bytes = r.read()
        return body


def _speech(parts: list[str], pause_s: float) -> tuple[np.ndarray, float, float]:
    """The answer's audio, the seconds it speaks (first to last voice, less the pause) and
    the real silence between its parts."""
    clips = [say(p, engine="espeak") for p in parts]
    audio = concat_with_pause(clips, pause_s) if len(clips) > 1 else clips[0]
    start, end = _voiced(audio)
    gap = 0.0
    if len(clips) > 1:
        gap = (len(clips[0]) / SAMPLE_RATE - _voiced(clips[0])[1] + pause_s
               + _voiced(clips[1])[0])
    return audio, end - start - gap, gap


async def _report_when_timed(srv: VoiceServer, sid: str, answers: int) -> dict[str, Any]:
    """The report once every answer's words are timed (the decode that listens for fillers
    runs after each reply): a user who stays a moment after their last answer."""
    report: dict[str, Any] = {}
    for _ in range(300):
        report = json.loads(await asyncio.to_thread(
            _get, f"{srv.url}/api/sessions/{sid}/report.json"))
        timed = [a for a in report["answers"] if a["delivery"]["word_timings"]]
        if len(report["answers"]) == answers and len(timed) == answers:
            return report
        await asyncio.sleep(0.1)
    raise AssertionError(f"the answers' words were never timed: {report.get('answers')}")


async def test_every_figure_is_the_same_everywhere_and_near_the_truth(server: VoiceServer):
    talk: Talk = await open_talk(server)
    ready = await talk.start("behavioural-interviewer")  # the default options
    sid = ready["session"]
    await talk.wait("metrics", within_s=120)  # the opening question, made and measured
    true_words = true_fillers = 0
    true_s = 0.0
    true_pause = 0.0
    for parts, pause_s in ANSWERS:
        audio, speaking_s, gap = _speech(parts, pause_s)
        true_s += speaking_s
        true_pause = max(true_pause, gap)
        said = " ".join(parts)
        true_fillers += sum(count_fillers(said).values())
        true_words += len([w for w in words(said) if not count_fillers(w)])
        await talk.say(float_to_pcm16(with_silence(audio, 0.3, 0.0)))
        await asyncio.sleep(0.5)
    await _report_when_timed(server, sid, len(ANSWERS))
    await talk.ws.send(json.dumps({"type": "end"}))
    end = await talk.wait("session_end", within_s=60)
    await talk.close()

    report = json.loads(await asyncio.to_thread(
        _get, f"{server.url}/api/sessions/{sid}/report.json"))
    page = (await asyncio.to_thread(_get, f"{server.url}/api/sessions/{sid}/report")).decode()
    history = json.loads(await asyncio.to_thread(_get, f"{server.url}/api/history"))
    point = next(p for p in history["sessions"] if p["session"] == sid)

    # One computation: the end screen shows the report's own figures, and so does the page.
    assert end["summary"]["figures"] == report["figures"]
    figures = {f["key"]: f for f in report["figures"]}
    shown = html.unescape(page)
    for f in report["figures"]:
        assert f["label"] in shown and f["text"] in shown, f
    # History tracks the same numbers.
    assert point["wpm"] == figures["wpm"]["value"]
    assert point["fillers_per_min"] == figures["fillers_per_min"]["value"]
    assert point["long_pauses"] == figures["long_pauses"]["value"]
    assert point["onset_s"] == figures["onset_s"]["value"]

    # And they are near the truth.
    assert figures["answers"]["value"] == len(ANSWERS)
    assert abs(report["delivery"]["words"] - true_words) <= WORDS_TOLERANCE * true_words, (
        report["delivery"]["words"], true_words, [a["text"] for a in report["answers"]])
    true_wpm = 60.0 * true_words / true_s
    assert figures["wpm"]["value"] == pytest.approx(true_wpm, rel=PACE_TOLERANCE), (
        figures["wpm"], true_wpm)
    assert figures["long_pauses"]["value"] == 1
    assert report["delivery"]["longest_pause_s"] == pytest.approx(true_pause,
                                                                  abs=PAUSE_TOLERANCE_S)
    fillers = figures["fillers_per_min"]
    assert fillers["measured"], fillers  # listened for by default, never a false zero
    heard = sum(report["delivery"]["fillers"].values())
    assert true_fillers - 2 <= heard <= true_fillers, (report["delivery"]["fillers"],
                                                       true_fillers)
    assert fillers["value"] == pytest.approx(60.0 * heard / report["delivery"]["speaking_s"],
                                             abs=0.1)
    assert figures["interruptions"]["value"] == 0  # the End button over nothing
    print(f"\ntruth: {true_words} words, {true_fillers} fillers, {true_wpm:.0f} wpm, pause "
          f"{true_pause:.2f} s; shown: {report['delivery']['words']} words, {heard} fillers, "
          f"{figures['wpm']['text']}, longest pause {report['delivery']['longest_pause_s']} s; "
          f"{[a['text'] for a in report['answers']]}")


async def test_a_session_ended_before_any_answer_has_no_report(server: VoiceServer,
                                                               tmp_path: Path):
    talk: Talk = await open_talk(server)
    ready = await talk.start("behavioural-interviewer", opening_line=False)
    await talk.ws.send(json.dumps({"type": "end"}))
    end = await talk.wait("session_end", within_s=60)
    await talk.close()
    assert end["summary"]["empty"] is True and end["summary"]["figures"]
    assert "did not answer" in end["summary"]["empty_reason"]
    history = json.loads(await asyncio.to_thread(_get, f"{server.url}/api/history"))
    assert ready["session"] not in [p["session"] for p in history["sessions"]]
