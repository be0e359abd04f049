"""The history page in real headless Chromium, driven by keyboard alone: set and remove goals,
delete one session and then all (each after a confirmation), export everything as JSON.

A screenshot of the page with a goal set goes to the pytest base temp dir, `web-screenshots/`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from server_fakes import FakeFactory
from test_report import interview
from web_browser import CHROMIUM, Page, chromium_args, launch

from server.app import ServerConfig, VoiceServer
from voice_rp.clock import FakeClock
from voice_rp.personas import builtin_dirs
from voice_rp.storage import TranscriptStore

playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = [pytest.mark.models, pytest.mark.asyncio, pytest.mark.timeout(300),
              pytest.mark.skipif(shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
                                 reason="Debian's chromium is not installed")]


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[VoiceServer]:
    clock = FakeClock(1_700_000_000.0)
    store = TranscriptStore(tmp_path / "data", now=clock.now)
    for fillers in (4, 2, 0):
        interview(store, clock, fillers=fillers)
        clock.advance(86_400)

    async def load() -> FakeFactory:
        return FakeFactory()

    srv = VoiceServer(ServerConfig(port=0, persona_dirs=tuple(builtin_dirs()[:1])),
                      load=load, store=store)  # type: ignore[arg-type]
    await srv.start()
    yield srv
    await srv.stop()


async def tab_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus: what a keyboard user does to reach it."""
    for _ in range(limit):
        if await page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        await page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def status(page: Page) -> str:
    return str(await page.text_content("#status"))


async def wait_status(page: Page, text: str) -> None:
    try:
        await page.wait_for_function("(t) => document.getElementById('status').textContent"
                                     ".includes(t)", arg=text, timeout=30_000)
    except playwright_api.TimeoutError:
        raise AssertionError(f"the status never said {text!r}: it says {await status(page)!r}, "
                             f"the focus is on {await page.evaluate(FOCUS)!r}") from None


FOCUS = "document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : null"


async def test_goals_deletes_and_export_by_keyboard(server: VoiceServer, tmp_path: Path,
                                                    tmp_path_factory: pytest.TempPathFactory):
    store: Any = server.store
    shots = tmp_path_factory.getbasetemp() / "web-screenshots"
    shots.mkdir(exist_ok=True)
    async with playwright_api.async_playwright() as pw:
        browser = await launch(pw, chromium_args())
        try:
            page = await browser.new_page(accept_downloads=True,
                                          viewport={"width": 1000, "height": 1400})
            await page.goto(f"{server.url}/history.html")
            await wait_status(page, "3 session(s).")

            # A goal the page cannot read is refused with how to write one; the text stays.
            await tab_to(page, "#goal-text")
            await page.keyboard.type("be awesome")
            await page.keyboard.press("Enter")
            await page.wait_for_function("document.getElementById('goal-error').textContent")
            assert "pace 130-160" in str(await page.text_content("#goal-error"))
            assert await page.get_attribute("#goal-text", "aria-invalid") == "true"
            assert store.goals() == []

            await page.keyboard.press("Control+A")
            await page.keyboard.type("fillers under 8 per minute")
            await page.keyboard.press("Enter")
            await wait_status(page, "added")
            assert [g.text for g in store.goals()] == ["fillers under 8 per minute"]
            assert await page.text_content("#goal-error") == ""
            goals = await page.locator("#goal-list li").all_text_contents()
            assert goals == ["fillers under 8 per minuteRemove"]
            # Each session is checked against it: the one with the most fillers misses it.
            cells = await page.locator("#session-rows tr td:nth-child(5)").all_text_contents()
            assert cells == ["1/1 met", "0/1 met", "0/1 met"], cells  # newest first: 5.1,
            # 10.2, 15.3 fillers a minute
            await page.screenshot(path=str(shots / "history-goals.png"), full_page=True)

            # Remove it by keyboard; the focus comes back to the goal field.
            await tab_to(page, "#goal-list button")
            await page.keyboard.press("Enter")
            await wait_status(page, "removed")
            assert store.goals() == []
            assert await page.evaluate("document.activeElement.id") == "goal-text"

            # Delete one session (the newest, listed first): Escape keeps it, the
            # confirmation's Delete deletes it.
            ids = [s.id for s in store.list_sessions()]
            await tab_to(page, "#session-rows tr:first-child button")
            await page.keyboard.press("Enter")
            assert await page.evaluate("document.getElementById('confirm').open")
            assert await page.evaluate("document.activeElement.id") == "confirm-keep"
            await page.keyboard.press("Escape")
            # The focus goes back to the row's Delete as the dialog closes, often before its
            # close event: pressing Enter at once must open a confirmation that still works.
            await page.wait_for_function(
                "() => !document.getElementById('confirm').open && document.activeElement"
                " && document.activeElement.matches('#session-rows tr:first-child button')")
            assert [s.id for s in store.list_sessions()] == ids
            await page.keyboard.press("Enter")
            await page.wait_for_function("() => document.getElementById('confirm').open")
            await page.keyboard.press("Tab")  # from Keep to Delete
            assert await page.evaluate("document.activeElement.id") == "confirm-delete"
            await page.keyboard.press("Enter")
            await wait_status(page, "was deleted")
            assert [s.id for s in store.list_sessions()] == ids[:-1]
            assert await page.locator("#session-rows tr").count() == 2

            # Export: Enter on the link downloads every session as JSON.
            await tab_to(page, "#export")
            async with page.expect_download() as info:
                await page.keyboard.press("Enter")
            download = await info.value
            saved = tmp_path / "export.json"
            await download.save_as(saved)
            exported = json.loads(saved.read_text())
            assert sorted(s["id"] for s in exported["sessions"]) == sorted(ids[:-1])

            # Delete all after the confirmation; the goal form stays usable.
            await tab_to(page, "#delete-all")
            await page.keyboard.press("Enter")
            assert "all 2 saved session(s)" in str(await page.text_content("#confirm-text"))
            await page.keyboard.press("Tab")
            await page.keyboard.press("Enter")
            await wait_status(page, "No sessions yet")
            assert store.list_sessions() == []
            assert await page.is_visible("#goal-text")
        finally:
            await browser.close()
