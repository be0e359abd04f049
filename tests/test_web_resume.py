"""Nothing lost: the browser page continues a session after a reload or a dropped connection
(docs/protocol.md, "Resuming a session"), in real headless Chromium against the real server
with a scripted conversation. The fake microphone is quiet; the scripted conversation takes
every half second of audio as a turn, so the transcript grows while the test runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from web_browser import (
    CHROMIUM,
    Page,
    choose,
    chromium_args,
    count,
    in_view,
    launch,
    new_page,
    screenshot_dir,
    scripted_server,
    state,
    until,
    write_wav,
)

from voice_rp.audio import SAMPLE_RATE

playwright_api = pytest.importorskip("playwright.async_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (scripts/setup installs it)", allow_module_level=True)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

KEY = "voice-rp.session"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory.getbasetemp())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pw() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        yield p


def quiet_mic(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE * 600, dtype=np.float32))


def said(s: dict[str, Any]) -> list[str]:
    """The transcript lines the user and the character said, as shown."""
    return [ln["text"] for ln in s["lines"] if {"you", "persona"} & set(ln["cls"].split())]


async def stored(page: Page) -> Any:
    return await page.evaluate(f"JSON.parse(sessionStorage.getItem('{KEY}') || 'null')")


async def a_session(page: Page, turns: int = 2) -> dict[str, Any]:
    await choose(page, "customer-caller")
    await page.click("#start")
    return await until(page, lambda s: count(s, "transcript") >= turns, "a few turns", 20)


def accept_leaving(page: Page, seen: list[str]) -> None:
    """Answer the page's "leave the page?" warning: leave."""
    async def on_dialog(dialog: Any) -> None:
        seen.append(dialog.type)
        await dialog.accept()
    page.on("dialog", on_dialog)


async def test_a_reload_mid_session_offers_to_continue_and_loses_nothing(
        pw: Any, shots: Path, tmp_path: Path) -> None:
    srv = await scripted_server(tmp_path)
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=375, height=740)
        before = await a_session(page)
        session = await page.evaluate("window.voiceRp.sessionId")
        kept = await stored(page)
        assert kept["session"] == session and len(kept["token"]) >= 32, kept
        assert kept["persona"] == "customer-caller" and kept["name"] == "customer-caller"
        dialogs: list[str] = []
        accept_leaving(page, dialogs)
        await page.reload()
        assert dialogs == ["beforeunload"]  # the user was warned before leaving
        # First thing on screen: the session still open, to continue or end.
        await page.wait_for_selector("#still-open:not([hidden])")
        title = await page.inner_text("#still-open-title")
        assert title == "Your session with customer-caller is still open"
        assert (await in_view(page, "#continue"))["shown"]
        assert not await page.is_visible("#start")
        assert await page.evaluate("document.activeElement.id") == "continue"
        await page.screenshot(path=shots / "still-open-phone.png")
        await page.click("#continue")
        s = await until(page, lambda s: count(s, "resumed") == 1, "resumed", 20)
        assert await page.evaluate("window.voiceRp.sessionId") == session
        for line in said(before):  # everything said before the reload is shown again
            assert line in said(s), (line, said(s))
        # The token was replaced; the conversation goes on.
        assert (await stored(page))["token"] != kept["token"]
        turns = count(s, "transcript")
        await until(page, lambda s: count(s, "transcript") > turns, "a turn after the reload", 20)
        assert (await in_view(page, "#stop"))["shown"]
        await page.screenshot(path=shots / "resumed-phone.png")
        await page.click("#stop")
        s = await until(page, lambda s: s["endShown"], "the end", 20)
        assert await stored(page) is None
        assert srv.store.read_session(session)  # one saved session, not two
    finally:
        await browser.close()
        await srv.stop()


async def test_a_killed_connection_is_resumed_without_the_user_doing_anything(
        pw: Any, shots: Path, tmp_path: Path) -> None:
    srv = await scripted_server(tmp_path)
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=1280, height=800)
        before = await a_session(page)
        session = await page.evaluate("window.voiceRp.sessionId")
        live = srv._services.live.sessions[session]  # the test's fault
        live.ws.transport.abort()  # the network drops: no close frame
        s = await until(page, lambda s: count(s, "resumed") == 1, "the page to resume", 20)
        for line in said(before):
            assert line in said(s), (line, said(s))
        assert await page.evaluate("window.voiceRp.sessionId") == session
        assert s["problem"] is None and not await page.is_visible("#connection")
        assert s["mode"] == "live" and await page.evaluate("window.voiceRp.audio !== null")
        turns = count(s, "transcript")
        s = await until(page, lambda s: count(s, "transcript") > turns, "a turn after it", 20)
        assert "Reconnected" in " ".join(ln["text"] for ln in s["lines"])
        await page.click("#stop")
        await until(page, lambda s: s["endShown"], "the end", 20)
    finally:
        await browser.close()
        await srv.stop()


async def test_when_the_connection_stays_away_the_page_says_so_then_ends_in_time(
        pw: Any, shots: Path, tmp_path: Path) -> None:
    srv = await scripted_server(tmp_path, resume_grace_s=4.0)
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=375, height=740)
        await a_session(page)
        session = await page.evaluate("window.voiceRp.sessionId")
        # The network goes away: the connection drops and no new one gets through.
        await page.evaluate(NO_NETWORK)
        srv._services.live.sessions[session].ws.transport.abort()
        await page.wait_for_selector("#connection:not([hidden])")
        assert "reconnecting" in await page.inner_text("#connection")
        assert (await state(page))["mode"] == "live"
        await page.screenshot(path=shots / "reconnecting-phone.png")
        lost_at = (await state(page))["now"]
        s = await until(page, lambda s: s["endShown"], "the end once the grace ran out", 20)
        assert "could not be restored in time" in str(s["problem"]), s["problem"]
        assert 3000 < s["now"] - lost_at < 8000
        assert await stored(page) is None and await page.is_visible("#start")
        assert await page.evaluate("window.voiceRp.attempts") >= 3  # it kept trying
        await page.screenshot(path=shots / "gave-up-phone.png")
        # The server ended it as disconnected, with what was said saved.
        await asyncio.sleep(1.5)
        records = srv.store.read_session(session)
        assert [r for r in records if r.get("kind") == "user"], records
        ends = [r for r in records if r.get("kind") == "session_end"]
        assert ends and ends[-1].get("reason") == "disconnected", ends
    finally:
        await browser.close()
        await srv.stop()


# Every new connection from the page fails, as with the network gone; counts the attempts.
NO_NETWORK = """() => {
  window.voiceRp.attempts = 0;
  window.WebSocket = class extends WebSocket {
    constructor(url) { window.voiceRp.attempts += 1; super('ws://127.0.0.1:9/'); }
  };
}"""


async def test_a_forged_token_gets_a_clear_message_and_a_fresh_start(
        pw: Any, shots: Path, tmp_path: Path) -> None:
    srv = await scripted_server(tmp_path)
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=375, height=740)
        before = await a_session(page)
        kept = await stored(page)
        # Another browser, with the session id and a guessed token.
        other = await new_page(browser, srv.url, width=375, height=740)
        forged = {**kept, "token": "x" * len(kept["token"])}
        await other.evaluate(f"(k) => sessionStorage.setItem('{KEY}', JSON.stringify(k))", forged)
        await other.reload()
        await other.click("#continue")
        s = await until(other, lambda s: s["problem"] is not None, "the refusal", 20)
        assert "can no longer be continued" in s["problem"] or "Start a new" in s["problem"], s
        assert not [ln for ln in said(s) if ln in said(before)]  # nothing of the session shown
        await until(other, lambda s: s["mode"] == "landing", "a fresh start", 10)
        assert await other.is_visible("#start") and await stored(other) is None
        await other.screenshot(path=shots / "resume-refused-phone.png")
        # The real session went on untouched.
        turns = count(await state(page), "transcript")
        await until(page, lambda s: count(s, "transcript") > turns, "the session going on", 20)
        await page.click("#stop")
        await until(page, lambda s: s["endShown"], "the end", 20)
        # Its token no longer continues it: the session ended.
        await other.evaluate(f"(k) => sessionStorage.setItem('{KEY}', JSON.stringify(k))", kept)
        await other.reload()
        await other.click("#continue")
        s = await until(other, lambda s: s["problem"] is not None, "the refusal", 20)
        assert "ended" in s["problem"], s["problem"]
    finally:
        await browser.close()
        await srv.stop()


async def test_a_second_tab_takes_the_session_over_and_the_first_says_so(
        pw: Any, tmp_path: Path) -> None:
    srv = await scripted_server(tmp_path)
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=1280, height=800)
        await a_session(page)
        kept = await stored(page)
        second = await new_page(browser, srv.url, width=1280, height=800)
        await second.evaluate(f"(k) => sessionStorage.setItem('{KEY}', JSON.stringify(k))", kept)
        await second.reload()
        await second.click("#continue")
        await until(second, lambda s: count(s, "resumed") == 1, "the second tab resumed", 20)
        s = await until(page, lambda s: s["problem"] is not None, "the first tab told", 20)
        assert "another tab or window" in s["problem"], s["problem"]
        await until(page, lambda s: s["mode"] != "live", "the first tab stopped", 10)
        assert await page.is_visible("#start") and count(await state(page), "resumed") == 0
        await second.click("#stop")
        await until(second, lambda s: s["endShown"], "the end", 20)
    finally:
        await browser.close()
        await srv.stop()


async def test_end_it_after_a_reload_ends_the_session_with_its_summary(
        pw: Any, tmp_path: Path) -> None:
    srv = await scripted_server(tmp_path)
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=375, height=740)
        await a_session(page)
        accept_leaving(page, [])
        await page.reload()
        await page.click("#end-it")
        s = await until(page, lambda s: s["endShown"], "the end", 20)
        assert count(s, "session_end") == 1 and await stored(page) is None
        assert await page.evaluate("window.voiceRp.audio === null")  # no microphone for that
        assert await page.is_visible("#start")
    finally:
        await browser.close()
        await srv.stop()


async def test_a_reload_on_a_server_that_needs_a_token_still_continues(
        pw: Any, tmp_path: Path) -> None:
    srv = await scripted_server(tmp_path, token="s3cret-token")
    browser = await launch(pw, chromium_args(quiet_mic(tmp_path)))
    try:
        page = await new_page(browser, srv.url, width=375, height=740)
        await page.wait_for_selector("label.card")
        await page.click("#options-toggle")
        await page.fill("#token", "s3cret-token")
        await a_session(page)
        session = await page.evaluate("window.voiceRp.sessionId")
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.reload()
        await page.wait_for_selector("#still-open:not([hidden])")
        await page.click("#continue")
        s = await until(page, lambda s: count(s, "resumed") == 1 or s["problem"] is not None,
                        "resumed", 20)
        assert s["problem"] is None and count(s, "resumed") == 1, s
        assert await page.evaluate("window.voiceRp.sessionId") == session
        await page.click("#stop")
        await until(page, lambda s: s["endShown"], "the end", 20)
        assert await stored(page) is None  # the access token went with the session
    finally:
        await browser.close()
        await srv.stop()
