"""The report, the history and the end screen at home on a phone (375×740) and a desktop
(1280×800), in real headless Chromium served by the real server from a store of saved sessions.

What a user would notice: no sideways scroll, chart text they can read (12 px or more as
rendered), dates under every chart (a single session's too), the newest session first, each
practice by its title (never a file id), sessions where nothing was said left out and counted,
Report and Delete within reach on a phone, the end screen linking to the report instead of
framing it, and axe-core finding nothing. Screenshots go to /tmp/shots25/.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from axe_check import axe_violations, needs_axe
from server_fakes import FakeFactory
from web_browser import CHROMIUM, Page, chromium_args, launch

from server.app import ServerConfig, VoiceServer
from voice_rp.clock import FakeClock
from voice_rp.personas import builtin_dirs, find_persona
from voice_rp.storage import SessionStore, TranscriptStore

playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(300),
              pytest.mark.skipif(shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
                                 reason="Debian's chromium is not installed")]
SHOTS = Path("/tmp/shots25")
SIZES = ((375, 740), (1280, 800))
DAY = 86_400.0
INTERVIEW = [
    ("Tell me about a time you fixed a process?",
     "Um, at my last job the support queue had a backlog of three weeks. My task was to bring "
     "it down. I set up a triage rota and I wrote templates. As a result the backlog dropped "
     "from three weeks to two days."),
    ("What would your manager say about you?",
     "I think we worked well together and we, uh, shipped things the team liked."),
]
CHAT = [("What did you do at the weekend?",
         "I went to the market with my sister and we bought vegetables for the week.")]


def save(store: SessionStore, clock: FakeClock, persona: str, name: str,
         pairs: list[tuple[str, str]]) -> str:
    """A finished session: each line of the persona, then the user's answer with its timing."""
    log = store.open_session(persona=persona, persona_name=name,
                             options={"keep_fillers": True})
    for turn, (line, text) in enumerate(pairs, start=1):
        clock.advance(2.0)
        log.write("reply", turn=turn - 1, text=line, interrupted=False, speaker=name,
                  audio_ms=2500)
        log.write("metrics", turn=turn - 1, stages={"response_ms": 700.0 + 150 * turn})
        clock.advance(0.8)
        log.write("speech_start", turn=turn)
        clock.advance(9.0 + turn)
        log.write("user", turn=turn, text=text, audio={
            "duration_s": 9.5 + turn, "speech": [[0.2, 4.0], [5.3, 9.0 + turn]],
            "pitch_median_hz": 120.0, "pitch_range_st": 4.0, "voiced_s": 5.0})
    log.end("client_end", {})
    return log.id


@pytest.fixture(autouse=True)
def shots() -> Path:
    SHOTS.mkdir(exist_ok=True)
    return SHOTS


@pytest_asyncio.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[VoiceServer, list[str]]]:
    """The server and its saved sessions' ids, oldest first: an interview, an empty session,
    a conversation in English, a second interview."""
    clock = FakeClock(1_700_000_000.0)
    store = TranscriptStore(tmp_path / "data", now=clock.now)
    ids = [save(store, clock, "behavioural-interviewer", "Maya Chen", INTERVIEW)]
    clock.advance(DAY)
    ids.append(save(store, clock, "behavioural-interviewer", "Maya Chen", []))
    clock.advance(DAY)
    ids.append(save(store, clock, "english-partner", "Sam", CHAT))
    clock.advance(2 * DAY)
    ids.append(save(store, clock, "behavioural-interviewer", "Maya Chen", INTERVIEW[::-1]))

    async def load() -> FakeFactory:
        return FakeFactory()

    srv = VoiceServer(ServerConfig(port=0, persona_dirs=tuple(builtin_dirs()[:1])),
                      load=load, store=store)  # type: ignore[arg-type]
    await srv.start()
    yield srv, ids
    await srv.stop()


# The page as a phone user meets it: sideways scroll, the smallest chart text as rendered
# (font size times the SVG's scale on screen), the charts without a date.
LAYOUT = """() => {
  const root = document.documentElement;
  const texts = [...document.querySelectorAll("svg text")].filter((t) => t.getClientRects().length);
  const sizes = texts.map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
    .map((el) => el.tagName + "#" + el.id + "." + el.className).slice(0, 5);
  return { scroll: root.scrollWidth, width: innerWidth, wide, texts: texts.length,
           smallest: sizes.length ? Math.min(...sizes) : null,
           mains: document.querySelectorAll("main").length };
}"""


def fits(layout: dict[str, Any], where: str) -> None:
    assert layout["scroll"] <= layout["width"], (where, layout)
    assert layout["mains"] == 1, (where, layout)
    if layout["texts"]:
        assert layout["smallest"] >= 12, (where, layout)


async def no_violations(page: Page, where: str) -> None:
    found = await axe_violations(page)
    assert found == [], (where, found)


async def open_history(page: Page, url: str) -> None:
    await page.goto(f"{url}/history.html")
    await page.wait_for_function("document.getElementById('status').textContent"
                                 ".includes('session(s).')")


@needs_axe
async def test_report_and_history_fit_a_phone_and_a_desktop(
        server: tuple[VoiceServer, list[str]]):
    srv, ids = server
    titles = {p: find_persona(p, builtin_dirs()).title
              for p in ("behavioural-interviewer", "english-partner")}
    async with playwright_api.async_playwright() as pw:
        browser = await launch(pw, chromium_args(grant_mic=False))
        try:
            for width, height in SIZES:
                page = await browser.new_page(viewport={"width": width, "height": height})

                # The report: one page (no frame), its charts readable once opened.
                await page.goto(f"{srv.url}/api/sessions/{ids[-1]}/report")
                fits(await page.evaluate(LAYOUT), f"report {width}")
                await no_violations(page, f"report {width}")
                await page.screenshot(path=str(SHOTS / f"report-{width}.png"), full_page=True)
                await page.click("details.technical > summary")
                layout = await page.evaluate(LAYOUT)
                assert layout["texts"] > 10, layout
                fits(layout, f"report charts {width}")
                await no_violations(page, f"report charts {width}")
                await page.locator("details.technical").screenshot(
                    path=str(SHOTS / f"report-charts-{width}.png"))

                # An empty session's report: a short page saying why, a landmark like the rest.
                await page.goto(f"{srv.url}/api/sessions/{ids[1]}/report")
                assert "No report for this session" in str(await page.text_content("main"))
                fits(await page.evaluate(LAYOUT), f"empty report {width}")
                await no_violations(page, f"empty report {width}")

                # The history: newest first, titles, the empty session left out and counted.
                await open_history(page, srv.url)
                status = str(await page.text_content("#status"))
                assert status == "3 session(s).", status
                assert await page.text_content("#left-out") == (
                    "1 session in which nothing you said was saved is not shown.")
                rows = page.locator("#session-rows tr")
                shown = [await r.get_attribute("data-session") for r in await rows.all()]
                assert shown == [ids[3], ids[2], ids[0]], (shown, ids)
                persona_cells = await page.locator("#session-rows td.persona").all_text_contents()
                assert persona_cells == [titles["behavioural-interviewer"],
                                         titles["english-partner"],
                                         titles["behavioural-interviewer"]]
                page_text = str(await page.text_content("main"))
                assert "behavioural-interviewer" not in page_text
                assert "english-partner" not in page_text
                layout = await page.evaluate(LAYOUT)
                assert layout["texts"] > 10, layout
                fits(layout, f"history {width}")
                # Every chart is dated; Report and Delete are on screen, not off to the side.
                undated = await page.evaluate("[...document.querySelectorAll('#chart-grid svg')]"
                                              ".filter((s) => !s.querySelector('text.date'))"
                                              ".length")
                assert undated == 0
                for control in await page.locator("#session-rows a, #session-rows button").all():
                    box = await control.bounding_box()
                    assert box is not None and box["x"] >= 0 and \
                        box["x"] + box["width"] <= width, (width, box)
                await no_violations(page, f"history {width}")
                await page.screenshot(path=str(SHOTS / f"history-{width}.png"), full_page=True)

                # One practice: a chart of one session still says when it was.
                await page.select_option("#persona", "english-partner")
                await page.wait_for_function("document.querySelectorAll('#session-rows tr')"
                                             ".length === 1")
                dates = await page.locator("#chart-grid svg text.date").all_text_contents()
                charts = await page.locator("#chart-grid svg").count()
                assert charts >= 1 and len(dates) == charts and all(dates), dates
                fits(await page.evaluate(LAYOUT), f"history one practice {width}")
                await page.screenshot(path=str(SHOTS / f"history-one-{width}.png"),
                                      full_page=True)
                await page.close()
        finally:
            await browser.close()


@needs_axe
async def test_the_end_screen_links_to_the_report_instead_of_framing_it(
        server: tuple[VoiceServer, list[str]]):
    srv, ids = server
    summary = {"session": ids[-1], "figures": [
        {"key": "wpm", "label": "Pace", "text": "142 words a minute", "measured": True,
         "explain": "130 to 160 is easy to follow."}],
        "work_on": [{"title": "Say how it turned out", "quote": "In the end it went well.",
                     "try": "End with the result."}]}
    async with playwright_api.async_playwright() as pw:
        browser = await launch(pw, chromium_args(grant_mic=False))
        try:
            for width, height in SIZES:
                page = await browser.new_page(viewport={"width": width, "height": height})
                await page.goto(f"{srv.url}/")
                await page.evaluate("(s) => showSummary(s, 'client_end')", summary)
                assert await page.locator("iframe").count() == 0
                report = page.get_by_role("link", name="Open the full report")
                progress = page.get_by_role("link", name="See your progress")
                assert await report.is_visible() and await progress.is_visible()
                assert await report.get_attribute("target") is None  # the same tab
                text = str(await page.text_content("#end"))
                assert "142 words a minute" in text and "Say how it turned out" in text
                overflow = await page.evaluate("document.documentElement.scrollWidth - "
                                               "innerWidth")
                assert overflow <= 0
                found = await axe_violations(page, context="#end")
                assert found == [], found
                await page.locator("#end").screenshot(path=str(SHOTS / f"end-{width}.png"))
                async with page.expect_navigation():
                    await report.click()
                assert page.url.endswith(f"/api/sessions/{ids[-1]}/report")
                assert "Your interview practice with Maya Chen" in str(
                    await page.text_content("h1"))

                # An empty session says so plainly and offers no report to open.
                await page.goto(f"{srv.url}/")
                await page.evaluate("(s) => showSummary(s, 'client_end')",
                                    {"session": ids[1], "figures": [], "empty": True})
                text = str(await page.text_content("#end"))
                assert "Nothing you said was saved in this session" in text
                assert not await report.is_visible() and await progress.is_visible()
                await page.locator("#end").screenshot(
                    path=str(SHOTS / f"end-empty-{width}.png"))
                await page.close()
        finally:
            await browser.close()
