"""Turn-taking on the browser client, in real headless Chromium: the countdown while the user
takes their time ("give me a moment"), and the end-of-session sentence on how long the partner
waits.

The end-to-end test runs the real server on the bundled models with a fake microphone (a WAV made
by espeak-ng, so every run hears the same words). The page tests feed the page's own message
handler what a server sends, on a page served by the scripted server: they are about the page.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from real_server import build_real_server
from speech import concat_with_pause, say, with_silence
from web_browser import (
    CHROMIUM,
    choose,
    chromium_args,
    count,
    launch,
    new_page,
    scripted_server,
    state,
    until,
    write_wav,
)

from server.app import VoiceServer
from voice_rp.audio import SAMPLE_RATE
from voice_rp.feedback.figures import end_summary
from voice_rp.feedback.report import PersonaFacts, build_report

playwright_api = pytest.importorskip("playwright.async_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (scripts/setup installs it)", allow_module_level=True)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

COUNTDOWN = re.compile(r"^Take your time: (\d+) s$")
WAIT_FIGURE = re.compile(r"How long the partner waits when you stop mid-sentence\s*up to "
                         r"\d+\.\d s \((learned as you go: \d+ pauses? so far|learned from "
                         r"your last (session|\d+ sessions))\)")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.getbasetemp() / "web-screenshots"
    path.mkdir(exist_ok=True)
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pw() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        yield p


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[VoiceServer]:
    srv = build_real_server(tmp_path_factory.mktemp("data"), home=tmp_path_factory.mktemp("home"))
    await srv.start()
    await srv.wait_ready()
    yield srv
    await srv.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def page_server(tmp_path: Path) -> AsyncIterator[VoiceServer]:
    srv = await scripted_server(tmp_path)
    yield srv
    await srv.stop()


# ---------------------------------------------------------------------------- a whole hold

HOLD_TEXT = "Give me a moment."
ANSWER_TEXT = "I once led the migration of our billing system to a new provider."


@pytest.mark.models
async def test_the_character_waits_while_the_user_takes_their_time(
        pw: Any, model_server: VoiceServer, shots: Path, tmp_path: Path) -> None:
    # 3 s of quiet (the session opens), the request for time, 6 s of thinking, the answer.
    speech = concat_with_pause([say(HOLD_TEXT, engine="espeak"),
                                say(ANSWER_TEXT, engine="espeak")], 6.0)
    mic = write_wav(tmp_path / "hold.wav", with_silence(speech, 3.0, 40.0))
    browser = await launch(pw, chromium_args(mic))
    try:
        page = await new_page(browser, model_server.url)
        await choose(page, "behavioural-interviewer")
        await page.uncheck("#speaks-first")
        await page.click("#start")
        await until(page, lambda s: count(s, "ready") == 1, "ready", 30)

        shown: list[tuple[float, str]] = []  # (page time, countdown text) while it was visible
        hidden_at: list[float] = []

        async def watch(s: dict[str, Any]) -> None:
            if s["hold"] is not None:
                if not shown:
                    await page.screenshot(path=shots / "30-hold.png")
                shown.append((s["now"], s["hold"]))
            elif shown and not hidden_at:
                hidden_at.append(s["now"])

        s = await until(page, lambda s: count(s, "reply_done") >= 1, "the reply to the answer",
                        on_poll=watch, every_s=0.05)
        seen = list(dict.fromkeys(text for _, text in shown))
        print(f"\nholds (turn, seconds, ms) {s['holds']}; countdown {seen[0]!r} ... {seen[-1]!r}"
              f"; lines {[ln['text'] for ln in s['lines']]}")

        starts = [h for h in s["holds"] if h[1] > 0]
        assert starts, f"no hold: the server heard {[ln['text'] for ln in s['lines']]}"
        held_at = starts[0][2]
        over_at = next(h[2] for h in s["holds"] if h[1] == 0 and h[2] > held_at)
        # The countdown showed the seconds left, and counted down.
        numbers = [int(m.group(1)) for _, text in shown if (m := COUNTDOWN.match(text))]
        assert len(numbers) == len(shown) and numbers[0] == round(starts[0][1]), shown
        assert len(set(numbers)) >= 2 and numbers == sorted(numbers, reverse=True), numbers
        # Nothing from the character while the user was thinking.
        during = [e for e in s["events"] if held_at <= e[2] <= over_at]
        assert not [e for e in during if e[0] in ("audio_start", "reply_done", "clear")], during
        # The user went on (not the 20 s running out): the countdown went away at once.
        assert over_at - held_at < 15_000
        assert hidden_at and hidden_at[0] - over_at < 500, (hidden_at, over_at)
        # Then the answer was heard whole, and answered.
        you = [ln["text"] for ln in s["lines"] if "you" in ln["cls"].split()]
        assert len(you) == 1 and "billing" in you[0].lower(), you
        first_audio = next(e[2] for e in s["events"] if e[0] == "audio_start")
        assert first_audio > over_at
        persona = [ln["text"] for ln in s["lines"] if "persona" in ln["cls"]]
        assert len(persona) == 1 and "no rush" not in persona[0].lower(), persona
        assert s["hold"] is None
        await page.screenshot(path=shots / "31-after-hold.png")

        await page.click("#stop")
        s = await until(page, lambda s: s["endShown"], "the end of the session", 30)
        print(f"summary: {s['summary']}")
        assert "Times the partner cut in" in s["summary"], s["summary"]
        assert WAIT_FIGURE.search(s["summary"]), s["summary"]
        assert "pauses s" not in s["summary"] and "[" not in s["summary"], s["summary"]
    finally:
        await browser.close()


# ---------------------------------------------------------------------------- the page alone


async def opened(pw: Any, srv: VoiceServer, tmp_path: Path, *, width: int = 1000) -> Any:
    """A browser on the page with the conversation area shown, as after `ready`."""
    mic = write_wav(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE, dtype=np.float32))
    browser = await launch(pw, chromium_args(mic))
    page = await new_page(browser, srv.url, width=width, height=812)
    await page.wait_for_selector("label.card")
    await page.evaluate("document.getElementById('live').hidden = false")
    return browser, page


async def send(page: Any, msg: dict[str, Any]) -> None:
    await page.evaluate("(msg) => onMessage(msg)", msg)


async def test_the_countdown_is_announced_once_and_goes_when_the_hold_does(
        pw: Any, page_server: VoiceServer, shots: Path, tmp_path: Path) -> None:
    browser, page = await opened(pw, page_server, tmp_path, width=375)
    try:
        said = "document.getElementById('hold-said').textContent"
        await send(page, {"type": "holding", "turn": 1, "seconds": 20.0})
        assert (await state(page))["hold"] == "Take your time: 20 s"
        announced = await page.evaluate(said)
        assert announced == "Take your time: the character will wait 20 seconds."
        await page.wait_for_timeout(2100)
        assert (await state(page))["hold"] in ("Take your time: 18 s", "Take your time: 17 s")
        assert await page.evaluate(said) == announced  # not re-announced every second
        assert await page.evaluate(
            "[document.getElementById('hold').getAttribute('role'),"
            " document.getElementById('hold-said').getAttribute('aria-live')]") == [
                "timer", "polite"]  # a timer is not read out as it changes
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        box = await page.locator("#hold").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        await page.screenshot(path=shots / "32-hold-narrow.png", full_page=True)

        await send(page, {"type": "holding", "turn": 1, "seconds": 0})  # the user went on
        assert (await state(page))["hold"] is None and await page.evaluate(said) == ""
        for over in ({"type": "state", "state": "thinking"},
                     {"type": "state", "state": "speaking"},
                     {"type": "speech_started", "turn": 2},
                     {"type": "session_end", "reason": "client_end", "summary": {}}):
            await send(page, {"type": "holding", "turn": 2, "seconds": 30.0})
            assert (await state(page))["hold"] == "Take your time: 30 s"
            await send(page, over)
            assert (await state(page))["hold"] is None, over
        await page.wait_for_timeout(1100)
        assert (await state(page))["hold"] is None  # no timer left behind to show it again
    finally:
        await browser.close()


TURN_TAKING: dict[str, Any] = {"pauses_s": [1.2, 2.4, 0.8], "cut_pauses_s": [0.6],
                               "thinking_wait_s": 3.5, "done_wait_s": 0.9,
                               "learned_from_sessions": 2}


def end_screen(turn_taking: dict[str, Any], cut_offs: int = 0) -> dict[str, Any]:
    """What the server sends at the end: the figures of the session's report, built from its
    records (here one answer and the turn-taking the session kept)."""
    records = [{"kind": "session_start", "t": 0.0, "persona": "behavioural-interviewer"},
               {"kind": "reply", "t": 1.0, "turn": 0, "text": "Tell me about yourself?"},
               {"kind": "user", "t": 6.0, "turn": 1, "text": "I build tools for nurses.",
                "audio": {"speech": [[0.2, 2.0]]}},
               {"kind": "session_end", "t": 9.0, "reason": "client_end",
                "summary": {"cut_offs": cut_offs, "turn_taking": turn_taking}}]
    facts = PersonaFacts("behavioural-interviewer", "Maya", "interviewer")
    return end_summary(build_report("s1", records, facts))


async def summary_text(page: Any, summary: dict[str, Any]) -> str:
    await page.evaluate("(summary) => showSummary(summary, 'client_end')", summary)
    text: str = await page.evaluate("document.getElementById('summary').innerText")
    return text


async def test_the_summary_says_how_long_the_partner_waits_in_a_sentence(
        pw: Any, page_server: VoiceServer, tmp_path: Path) -> None:
    browser, page = await opened(pw, page_server, tmp_path)
    try:
        text = await summary_text(page, end_screen(TURN_TAKING))
        assert re.search(r"Times the partner cut in\s+0\b", text), text  # a measured zero
        assert "up to 3.5 s (learned from your last 2 sessions)" in text, text
        assert "1.2" not in text and "done wait" not in text, text
        first = {**TURN_TAKING, "learned_from_sessions": 0, "thinking_wait_s": 2.0}
        text = await summary_text(page, end_screen(first))
        assert "up to 2.0 s (learned as you go: 3 pauses so far)" in text, text
        one = {**first, "learned_from_sessions": 1, "pauses_s": [1.0]}
        assert "(learned from your last session)" in await summary_text(page, end_screen(one))
        alone = {**first, "pauses_s": [1.0]}
        assert "(learned as you go: 1 pause so far)" in await summary_text(
            page, end_screen(alone))
    finally:
        await browser.close()
