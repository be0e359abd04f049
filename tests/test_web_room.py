"""The browser page as a practice room, in real headless Chromium against a scripted server.

The landing page fits choosing and starting on one phone screen; during a session the setup
goes away and the character's line, the state and End stay in view; the user's words show while
they speak. Screenshots of each state at 1280x800 and 375x740 go to $VOICE_RP_SHOTS (or the
pytest base temp dir, `web-screenshots/`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from web_browser import (
    CHROMIUM,
    choose,
    chromium_args,
    count,
    in_view,
    launch,
    new_page,
    no_sideways_scroll,
    screenshot_dir,
    scripted_server,
    state,
    until,
    write_wav,
)

from server.app import VoiceServer
from voice_rp.audio import SAMPLE_RATE

playwright_api = pytest.importorskip("playwright.async_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (scripts/setup installs it)", allow_module_level=True)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

SCREENS = {"desktop": (1280, 800), "phone": (375, 740)}


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory.getbasetemp())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pw() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        yield p


@pytest_asyncio.fixture(loop_scope="module")
async def srv(tmp_path: Path) -> AsyncIterator[VoiceServer]:
    server = await scripted_server(tmp_path)
    yield server
    await server.stop()


def quiet_mic(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE * 5, dtype=np.float32))


@pytest.mark.parametrize("screen", SCREENS)
async def test_choosing_and_starting_take_one_screen(
        pw: Any, srv: VoiceServer, shots: Path, tmp_path: Path, screen: str) -> None:
    width, height = SCREENS[screen]
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=width, height=height)
        await page.wait_for_selector("label.card")
        await page.screenshot(path=shots / f"landing-{screen}.png")
        start = await in_view(page, "#start")
        assert start["shown"], start  # Start in the first viewport, not covered
        assert await no_sideways_scroll(page)
        # What the user practises, not the character's job; and who they talk to.
        first = await page.inner_text('label.card[data-persona="behavioural-interviewer"]')
        assert "You practise: Answering behavioural questions" in first, first
        assert "with Maya Chen" in first, first
        assert "Ask behavioural questions" not in first
        # Before Start: the AI notice and what is saved where; the way to past sessions.
        notice = await page.inner_text("#ai-notice")
        assert "AI character" in notice and "saved on this server" in notice
        assert (await in_view(page, "#ai-notice"))["shown"]
        assert await page.is_visible("#history-nav")
        assert await page.get_attribute("#history-nav", "href") == "/history.html"
        # Nothing to end yet, and the options wait behind their control.
        assert not await page.is_visible("#stop")
        assert not await page.is_visible("#speaks-first")
        assert await page.is_visible("#room-check-button")
        await page.click("#options-toggle")
        assert await page.is_visible("#speaks-first") and await page.is_visible("#push-to-talk")
        assert (await in_view(page, "#start"))["shown"]  # still there with the options open
        # Choosing a card further down: Start stays on screen.
        await page.click('label.card[data-persona="technical-screener"]')
        assert (await in_view(page, "#start"))["shown"]
        chosen = await page.inner_text("#chosen-line")
        assert chosen == "Technical phone screen (software developer)"
    finally:
        await browser.close()


LONG_LINE = ("Thanks for that. Now tell me about a time when two people on your team disagreed "
             "about how to do something important, what you did to help them agree, and what "
             "happened in the end, including anything you would do differently next time?")


@pytest.mark.parametrize("screen", SCREENS)
async def test_during_a_session_the_conversation_has_the_screen(
        pw: Any, srv: VoiceServer, shots: Path, tmp_path: Path, screen: str) -> None:
    width, height = SCREENS[screen]
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=width, height=height)
        await choose(page, "customer-caller")
        await page.click("#start")
        s = await until(page, lambda s: count(s, "reply_done") >= 3, "a few scripted replies", 20)
        assert s["mode"] == "live"
        for setup in ("#gallery", "#start", "#options-box", "#ai-notice", "#room-check-button"):
            assert not await page.is_visible(setup), setup  # hidden, not just disabled
        # A long question as the character's current line: whole and large on screen.
        for msg in ({"type": "audio_start", "turn": 99, "piece": 0, "text": LONG_LINE,
                     "speaker": "Dana Miller", "sample_rate": 0},
                    {"type": "reply_done", "turn": 99, "text": LONG_LINE,
                     "interrupted": False, "speaker": "Dana Miller"}):
            await page.evaluate("(m) => onMessage(m)", msg)
        line = await in_view(page, "#now-text")
        assert line["shown"] and line["fontPx"] >= 20, line
        assert await page.inner_text("#now-text") == LONG_LINE
        end = await in_view(page, "#stop")
        assert end["shown"], end
        indicator = await in_view(page, "#state-line")
        assert indicator["shown"] and indicator["fontPx"] >= 17, indicator
        assert await no_sideways_scroll(page)
        await page.screenshot(path=shots / f"live-{screen}.png")
        # The transcript goes on growing: End and the current line stay where they are.
        for turn in range(100, 130):
            await page.evaluate("(t) => onMessage({type: 'transcript', turn: t, text: "
                                "'A long answer that fills the transcript, turn ' + t})", turn)
        assert (await in_view(page, "#stop"))["shown"]
        assert (await in_view(page, "#now-text"))["shown"]
        await page.click("#stop")
        s = await until(page, lambda s: s["endShown"], "the end", 20)
        assert s["mode"] == "ended" and await page.is_visible("#start")
        assert await no_sideways_scroll(page)
        session = await page.evaluate("window.voiceRp.sessionId || ''")
        await page.screenshot(path=shots / f"end-{screen}.png")
        await page.screenshot(path=shots / f"end-{screen}-full.png", full_page=True)
        # Back on the landing page, the last session's report is one click away.
        await page.reload()
        await page.wait_for_selector("label.card")
        href = await page.get_attribute("#last-report", "href")
        assert await page.is_visible("#last-report") and href and session and session in href
    finally:
        await browser.close()


async def open_room(pw: Any, srv: VoiceServer, tmp_path: Path) -> tuple[Any, Any]:
    """A page showing the practice room as after `ready`, driven by messages the test sends."""
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    page = await new_page(browser, srv.url, width=375, height=740)
    await page.wait_for_selector("label.card")
    await page.evaluate("""() => { app.persona = chosen(); setMode('live');
        goLive({notice: ''}, 'listening'); }""")
    return browser, page


async def send(page: Any, msg: dict[str, Any]) -> None:
    await page.evaluate("(m) => onMessage(m)", msg)


async def test_the_users_words_show_while_they_speak(
        pw: Any, srv: VoiceServer, shots: Path, tmp_path: Path) -> None:
    browser, page = await open_room(pw, srv, tmp_path)
    try:
        await send(page, {"type": "speech_started", "turn": 1})
        s = await state(page)
        assert s["stateKind"] == "hearing" and s["state"].startswith("Hearing you"), s["state"]
        await send(page, {"type": "partial", "turn": 1, "text": "I led a team"})
        await send(page, {"type": "partial", "turn": 1, "text": "I led a team of five engineers"})
        s = await state(page)
        partial = [ln for ln in s["lines"] if "partial" in ln["cls"].split()]
        assert [ln["text"] for ln in partial] == ["You: I led a team of five engineers"], s["lines"]
        assert s["stateKind"] == "hearing"
        # In progress, and looks it.
        style = await page.evaluate(
            "getComputedStyle(document.querySelector('.line.partial .text')).fontStyle")
        assert style == "italic"
        await page.screenshot(path=shots / "live-phone-caption.png")
        await send(page, {"type": "state", "state": "thinking"})
        await send(page, {"type": "transcript", "turn": 1,
                          "text": "I led a team of five engineers to move our billing system."})
        s = await state(page)
        assert not [ln for ln in s["lines"] if "partial" in ln["cls"].split()]
        you = [ln["text"] for ln in s["lines"] if "you" in ln["cls"].split()]
        assert you == ["You: I led a team of five engineers to move our billing system."]
        assert s["stateKind"] == "thinking"
        # A caption the server then drops (it was not a turn) goes when it listens again.
        await send(page, {"type": "speech_started", "turn": 2})
        await send(page, {"type": "partial", "turn": 2, "text": "um"})
        await send(page, {"type": "state", "state": "listening"})
        s = await state(page)
        assert not [ln for ln in s["lines"] if "partial" in ln["cls"].split()], s["lines"]
        assert s["stateKind"] == "listening"
        # "Hearing you" without any words after: back to listening once the room is quiet.
        await send(page, {"type": "speech_started", "turn": 2})
        assert (await state(page))["stateKind"] == "hearing"
        await until(page, lambda s: s["stateKind"] == "listening", "listening again", 8)
    finally:
        await browser.close()


async def test_keyboard_only_on_a_375_px_screen(
        pw: Any, srv: VoiceServer, shots: Path, tmp_path: Path) -> None:
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=375, height=740)
        await page.wait_for_selector("label.card")
        focused = "document.activeElement.id || document.activeElement.value"
        order = []
        for _ in range(4):
            await page.keyboard.press("Tab")
            order.append(await page.evaluate(focused))
            if order[-1] == "behavioural-interviewer":
                break
        assert order == ["history-nav", "room-check-button", "behavioural-interviewer"], order
        await page.keyboard.press("ArrowDown")  # the next practice in the gallery
        assert await page.evaluate(
            "document.querySelector('input[name=persona]:checked').value") == "customer-caller"
        await page.keyboard.press("Tab")
        assert await page.evaluate(focused) == "options-toggle"
        await page.keyboard.press("Enter")  # the options open
        for expected in ("difficulty", "speaks-first", "keep-fillers", "push-to-talk", "start"):
            await page.keyboard.press("Tab")
            assert await page.evaluate(focused) == expected
        await page.keyboard.press("Enter")
        await until(page, lambda s: count(s, "reply_done") >= 2, "a few scripted replies", 20)
        assert await page.evaluate(focused) == "stop"  # focus moved to what comes next
        await page.keyboard.press("Enter")
        s = await until(page, lambda s: s["endShown"], "the end", 20)
        assert await page.evaluate(focused) == "end-title"
        assert await no_sideways_scroll(page)
        assert "{" not in s["summary"]
        live = await page.evaluate("""[document.getElementById('state').getAttribute('aria-live'),
            document.getElementById('transcript').getAttribute('aria-live')]""")
        assert live == ["polite", "polite"]
        unlabelled = await page.evaluate("""[...document.querySelectorAll('input, select')]
            .filter((e) => e.type !== 'hidden' && !e.labels.length).map((e) => e.id)""")
        assert unlabelled == []
        assert await page.evaluate("document.querySelectorAll('main').length") == 1
    finally:
        await browser.close()


async def test_axe_finds_nothing_on_the_landing_live_and_end_pages(
        pw: Any, srv: VoiceServer, tmp_path: Path) -> None:
    from axe_check import axe_violations  # a support module; it skips without axe-core

    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        for width, height in SCREENS.values():
            page = await new_page(browser, srv.url, width=width, height=height)
            await page.wait_for_selector("label.card")
            assert await axe_violations(page) == [], "landing"
            await page.click("#options-toggle")
            assert await axe_violations(page) == [], "landing with the options open"
            await page.click("#start")
            await until(page, lambda s: count(s, "reply_done") >= 2, "a few replies", 20)
            await send(page, {"type": "partial", "turn": 50, "text": "I think that"})
            assert await axe_violations(page) == [], "live"
            await page.click("#stop")
            await until(page, lambda s: s["endShown"], "the end", 20)
            assert await axe_violations(page) == [], "end"
            await page.close()
    finally:
        await browser.close()
