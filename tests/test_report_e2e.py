"""End to end: a spoken session on the real server and models, then its report over HTTP, as the
browser client loads it at the end of a session, rendered in headless Chromium."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from real_server import build_real_server
from speech import concat_with_pause, say, with_silence
from test_server_e2e import Talk, open_talk

from server.app import VoiceServer
from voice_rp.audio import SAMPLE_RATE, float_to_pcm16

pytestmark = [pytest.mark.models, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.timeout(600)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def report_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[VoiceServer]:
    data = tmp_path_factory.mktemp("data")
    srv = build_real_server(data, max_sessions=2)
    await srv.start()
    await srv.wait_ready()
    yield srv
    await srv.stop()


def _voiced(samples: np.ndarray) -> tuple[float, float]:
    """Where the voice in a clip starts and ends (s): the first and last sample over 2% of the
    clip's peak."""
    loud = np.flatnonzero(np.abs(samples) > 0.02 * np.max(np.abs(samples)))
    return loud[0] / SAMPLE_RATE, (loud[-1] + 1) / SAMPLE_RATE


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.read()


async def test_a_spoken_talk_gets_a_report_with_its_pause_pace_and_structure(
        report_server: VoiceServer, tmp_path: Path):
    talk: Talk = await open_talk(report_server)
    ready = await talk.start("talk-audience", keep_fillers=True, opening_line=False)
    opening = say("Good morning. Today I want to talk about sleep.")
    body = concat_with_pause([say("Um, first, sleep helps memory. Second, it helps your mood."),
                              say("Thank you for listening.")], 0.4)
    speech = concat_with_pause([opening, body], 1.5)
    # The pause the speaker made: 1.5 s of silence plus the quiet Piper leaves at the end of
    # one clip and the start of the next (about 0.25 s, different in every synthesis).
    pause = len(opening) / SAMPLE_RATE - _voiced(opening)[1] + 1.5 + _voiced(body)[0]
    await talk.say(float_to_pcm16(with_silence(speech, 0.3, 0.0)))
    await asyncio.sleep(0.8)  # the speaker takes a moment before answering the question
    await talk.say(float_to_pcm16(with_silence(
        say("Because people who sleep well remember more of what they learn."), 0.3, 0.0)))
    await talk.close()
    sid = ready["session"]
    for _ in range(50):  # the session end is written as the connection closes
        status, body = await asyncio.to_thread(
            _get, f"{report_server.url}/api/sessions/{sid}/report.json")
        report: dict[str, Any] = json.loads(body)
        if report["ended"]:
            break
        await asyncio.sleep(0.1)
    assert status == 200 and report["practice"] == "talk", report["transcript"]
    a1, a2 = report["answers"][:2]
    d1 = a1["delivery"]
    assert len(d1["pauses"]) == 1 and abs(d1["pauses"][0]["length_s"] - pause) < 0.1, (pause, d1)
    assert d1["wpm"] and 120 < d1["wpm"] < 320
    assert "um" in d1["fillers"]  # kept by the keep_fillers prompt
    assert d1["pitch_range_st"] is not None
    # Whisper's word timings, made after the reply, say after which words the pause fell and
    # where the "um" was said.
    assert d1["word_timings"] and d1["pauses"][0]["placed_by"] == "words", d1
    assert d1["pauses"][0]["after"].endswith("about sleep"), d1["pauses"]
    um = [m for m in d1["timeline"] if m["kind"] == "filler" and m["word"] == "um"]
    assert um and abs(um[0]["start"] - d1["pauses"][0]["at_s"] - pause) < 0.5, d1["timeline"]
    structure = report["content"]["talk"]
    assert "good morning" in structure["opening"] and "thank you" in structure["closing"]
    assert a2["delivery"]["onset_s"] is not None
    assert report["delivery"]["talk_share"] is not None
    assert len(report["technical"]["latency"]) >= 1

    status, html = await asyncio.to_thread(_get, f"{report_server.url}/api/sessions/{sid}/report")
    assert status == 200 and html.count(b"<svg") >= 3  # no STAR chart for a talk
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed")
    shot = tmp_path / "served-report.png"
    await asyncio.to_thread(subprocess.run, [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=800,1600",
        f"--screenshot={shot}", f"{report_server.url}/api/sessions/{sid}/report"],
        capture_output=True, timeout=120, check=False)
    from PIL import Image

    with Image.open(shot) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    # The served page draws its feedback for the person first (the figures' cards); the charts
    # wait, collapsed, under "Technical details".
    cards = np.all(np.abs(pixels - np.array((0xf6, 0xf9, 0xfd))) <= 3, axis=2)
    figure_borders = np.all(np.abs(pixels - np.array((0xd8, 0xdc, 0xe3))) <= 3, axis=2)
    speech_bars = np.all(np.abs(pixels - np.array((0x9d, 0xb4, 0xd6))) <= 6, axis=2)
    assert b"What to work on" in html
    assert cards.mean() > 1e-3 or figure_borders.mean() > 1e-3, "no feedback drawn"
    assert speech_bars.mean() < 1e-4


async def test_the_history_page_draws_the_saved_sessions(report_server: VoiceServer,
                                                         tmp_path: Path):
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed")
    result = await asyncio.to_thread(subprocess.run, [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
        f"{report_server.url}/history.html"], capture_output=True, text=True, timeout=120,
        check=False)
    dom = result.stdout
    assert "session(s)." in dom and "<figure>" in dom and "<circle" in dom, dom[-3000:]
    assert "/api/sessions/" in dom  # a link to each session's report
