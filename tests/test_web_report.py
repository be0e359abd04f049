"""The HTML report in real browsers: headless Chromium (Playwright) and Firefox (marionette), on
a desktop (1280 px) and a phone (375 px).

A report built from hand-written records is served by a tiny HTTP server with the header the
real server sends (REPORT_CSP), and the corrections API is played by that server: fixing a
misheard word reloads the page with the correction and an Undo, a word that was not said gets
the server's message, and a report saved to a file says how to correct from the CLI instead.
Screenshots go to /tmp/report-*.png.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from star_script import scripted_star_answer
from web_browser import CHROMIUM, chromium_args, launch

from server.http import protocol_js
from voice_rp.feedback import report as report_module
from voice_rp.feedback.coach import work_on
from voice_rp.feedback.figures import end_summary
from voice_rp.feedback.report import PersonaFacts, build_report
from voice_rp.feedback.report_html import REPORT_CSP, render_html
from voice_rp.progress import parse_goal, session_metrics

playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = [pytest.mark.timeout(300)]
needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed")
FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
SHOTS = Path("/tmp")
WEB = Path(__file__).resolve().parent.parent / "client" / "web"
WIDTHS = (1280, 375)

ANSWERS = [
    ("Tell me about a time you fixed a process?",
     "Um, at my last job the support queue had a backlog of three weeks. My task was to bring "
     "it down. I set up a triage rota and, uh, I wrote templates for the common questions. As "
     "a result the backlog dropped from three weeks to two days."),
    ("Tell me about a time you disagreed with a colleague?",
     "In my last job I coordinated a website launch for a client. Two weeks before the "
     "deadline our designer left. We talked about it as a team and we sort of changed a few "
     "things, I think. In the end it went well."),
    ("What would your manager say about you?", "That I am reliable."),
]
STAR = {  # a scripted classifier: the sentences of each part (the page is tested, not it)
    0: {"situation": [0], "task": [1], "action": [2], "result": [3],
        "measurable": ["from three weeks to two days"]},
    1: {"situation": [0, 1], "action": [2], "vague_result": [3]},
}


def records() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"kind": "session_start", "t": 0.0,
                                  "persona": "behavioural-interviewer",
                                  "options": {"keep_fillers": True}}]
    t = 0.0
    for turn, (question, text) in enumerate(ANSWERS, start=1):
        t += 3.0
        out += [{"kind": "reply", "t": t, "turn": turn - 1, "text": question,
                 "interrupted": False, "speaker": "Dana", "audio_ms": 2600},
                {"kind": "metrics", "t": t, "turn": turn - 1,
                 "stages": {"response_ms": 650.0 + 120 * turn}}]
        t += 1.2
        out.append({"kind": "speech_start", "t": t, "turn": turn})
        t += 14.0
        out.append({"kind": "user", "t": t, "turn": turn, "text": text, "audio": {
            "duration_s": 14.5, "speech": [[0.2, 6.0], [7.4, 14.0]], "pitch_range_st": 4.5}})
    out.append({"kind": "session_end", "t": t + 1.0, "reason": "client_end", "summary": {}})
    return out


class ReportServer(BaseHTTPRequestHandler):
    """The report page and the corrections API, as the voice-rp server answers them."""

    corrections: ClassVar[list[dict[str, Any]]] = []
    base: ClassVar[dict[str, Any]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str, csp: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        if csp:
            self.send_header("Content-Security-Policy", REPORT_CSP)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def report(self) -> dict[str, Any]:
        report = json.loads(json.dumps(self.base))
        report["corrections"] = [{"index": k, **c} for k, c in enumerate(self.corrections)]
        for c in self.corrections:
            a = report["answers"][c["answer"] - 1]
            a["heard"] = a.get("heard") or a["text"]
            a["text"] = re.sub(re.escape(c["heard"]), c["said"], a["text"], flags=re.I)
        return report

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/phone/"):  # the report in a frame as wide as a phone's screen
            width = int(path.rsplit("/", 1)[1])
            page = (f"<!doctype html><body style='margin:0'><iframe id='report' "
                    f"src='/api/sessions/s1/report' style='border:0;width:{width}px;"
                    "height:8000px'></iframe>")
            self._send(200, page.encode(), "text/html; charset=utf-8")
        elif path in ("/index.html", "/style.css") or path.endswith(".js"):
            name = {"/protocol.js": None}.get(path, path.lstrip("/"))
            body = protocol_js() if name is None else (WEB / name).read_text()
            kind = {"css": "text/css", "js": "text/javascript", "html": "text/html"}[
                path.rsplit(".", 1)[1]]
            self._send(200, body.encode(), f"{kind}; charset=utf-8")
        elif path == "/api/sessions/s1/report":
            self._send(200, render_html(self.report()).encode(), "text/html; charset=utf-8",
                       csp=True)
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path != "/api/sessions/s1/corrections":
            self._send(404, b"not found", "text/plain")
            return
        text = self.base["answers"][int(q["answer"]) - 1]["text"]
        if q["heard"].lower() not in text.lower():
            self._json(400, {"error": {"code": "bad_correction",
                                       "message": f"“{q['heard']}” is not in answer "
                                                  f"{q['answer']}."}})
            return
        self.corrections.append({"answer": int(q["answer"]), "heard": q["heard"],
                                 "said": q["said"]})
        self._json(200, {"report": self.report()})

    def do_DELETE(self) -> None:
        k = int(urlsplit(self.path).path.rsplit("/", 1)[1])
        del self.corrections[k]
        self._json(200, {"report": self.report()})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(the report's URL on a local server, the same page saved to a file)."""
    saved = report_module.star_answer
    report_module.star_answer = scripted_star_answer(  # type: ignore[assignment]
        [a for _, a in ANSWERS], STAR, i_count=4)
    try:
        report = build_report("s1", records(), PersonaFacts(
            "behavioural-interviewer", "Dana", "interviewer"))
    finally:
        report_module.star_answer = saved
    report["goals"] = [{"id": 1, **parse_goal(text).check(session_metrics(report))}
                       for text in ("pace 130-160", "onset under 1")]
    report.setdefault("technical", {})["setup_hints"] = [
        "A model rubric needs a capable chat model: set OPENAI_BASE_URL and VOICE_RP_LLM_MODEL."]
    ReportServer.base = report
    ReportServer.corrections = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ReportServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page_file = tmp_path_factory.mktemp("report") / "report.html"
    page_file.write_text(render_html(report))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/sessions/s1/report", page_file
    finally:
        server.shutdown()


# What the page looks like to a checker, the same script in both browsers.
CHECK = """() => {
  const root = document.documentElement;
  const levels = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].map((h) => +h.tagName[1]);
  const skips = levels.filter((l, i) => i > 0 && l > levels[i - 1] + 1);
  const unlabelled = [...document.querySelectorAll("input,select,textarea")]
    .filter((i) => !i.labels || i.labels.length === 0).map((i) => i.outerHTML);
  const shown = (el) => (el.checkVisibility ? el.checkVisibility()
    : !!(el.offsetWidth || el.offsetHeight)) && !el.closest("details:not([open]) > :not(summary)");
  const figures = [...document.querySelectorAll("ul.figs > li")];
  const tech = document.querySelector("details.technical");
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
    .map((el) => el.tagName + "." + el.className).slice(0, 5);
  return {
    overflow: root.scrollWidth - root.clientWidth, wide,
    firstHeading: levels[0], skips: skips.length, unlabelled,
    figures: figures.length,
    explained: figures.filter((li) => [...li.querySelectorAll(".explain")].some(shown)).length,
    technicalOpen: tech ? tech.open : null,
    latencyShown: shown(document.querySelector("svg[aria-label='reply latency per turn']")),
    workItems: document.querySelectorAll("ol.work > li").length,
  };
}"""


def check(result: dict[str, Any], width: int, engine: str) -> None:
    assert result["overflow"] <= 0, (engine, width, result["wide"])
    assert result["firstHeading"] == 1 and result["skips"] == 0, (engine, result)
    assert result["unlabelled"] == [], (engine, result["unlabelled"])
    assert result["figures"] >= 5 and result["explained"] == result["figures"], (engine, result)
    assert result["technicalOpen"] is False and not result["latencyShown"], (engine, result)
    assert 1 <= result["workItems"] <= 3, (engine, result)


@needs_chromium
@pytest.mark.asyncio
async def test_the_report_in_chromium_on_a_desktop_and_a_phone(served: tuple[str, Path]):
    url, _ = served
    async with playwright_api.async_playwright() as pw:
        browser = await launch(pw, chromium_args(grant_mic=False))
        try:
            for width in WIDTHS:
                page = await browser.new_page(viewport={"width": width, "height": 900})
                errors: list[str] = []
                page.on("console", lambda m, errors=errors: errors.append(m.text)
                        if m.type == "error" else None)
                await page.goto(url)
                check(await page.evaluate(CHECK), width, "chromium")
                await page.screenshot(path=str(SHOTS / f"report-chromium-{width}.png"),
                                      full_page=True)
                # The technical details open on a click and fit the phone too.
                await page.click("details.technical > summary")
                assert await page.is_visible("svg[aria-label='reply latency per turn']")
                technical = page.locator("details.technical")
                await technical.screenshot(
                    path=str(SHOTS / f"report-chromium-{width}-technical.png"))
                overflow = await page.evaluate("document.documentElement.scrollWidth - "
                                               "document.documentElement.clientWidth")
                assert overflow <= 0, width
                assert errors == [], errors  # nothing refused by the page's CSP
                await page.close()
        finally:
            await browser.close()


@needs_chromium
@pytest.mark.asyncio
async def test_fixing_a_misheard_word_from_the_page(served: tuple[str, Path]):
    url, saved = served
    async with playwright_api.async_playwright() as pw:
        browser = await launch(pw, chromium_args(grant_mic=False))
        try:
            page = await browser.new_page(viewport={"width": 375, "height": 900})
            await page.goto(url)
            assert not await page.is_visible("#answer-1 .fix-hint")  # served: no CLI hint
            await page.click("#answer-1 details.fix > summary")
            await page.fill("#heard-1", "backlash")
            await page.fill("#said-1", "backlog")
            await page.click("#answer-1 form button[type=submit]")
            await page.wait_for_function(
                "document.querySelector('#answer-1 .fix-msg').textContent.includes('not in')")
            assert ReportServer.corrections == []

            await page.fill("#heard-1", "triage rota")
            await page.fill("#said-1", "triage roster")
            async with page.expect_navigation():
                await page.click("#answer-1 form button[type=submit]")
            first = page.locator("#answer-1")
            assert "set up a triage roster" in await first.locator(".said").inner_text()
            assert "triage rota" in await first.locator(".heard").inner_text()
            await first.screenshot(path=str(SHOTS / "report-chromium-corrected.png"))
            async with page.expect_navigation():
                await page.click("#answer-1 button[data-undo='0']")
            assert ReportServer.corrections == []
            assert await page.locator("#answer-1 .heard").count() == 0

            # Saved to a file: no server to send it to, so the page says how to do it instead.
            await page.goto(saved.as_uri())
            assert await page.is_visible("#answer-2 .fix-hint") is False  # inside the details
            await page.click("#answer-2 details.fix > summary")
            assert await page.is_visible("#answer-2 .fix-hint")
            await page.fill("#heard-2", "designer")
            await page.fill("#said-2", "developer")
            await page.click("#answer-2 form button[type=submit]")
            await page.wait_for_function(
                "document.querySelector('#answer-2 .fix-msg').textContent.includes('--fix')")
            message = await page.text_content("#answer-2 .fix-msg")
            assert message is not None and "Corrections work on the page served by voice-rp" \
                in message and "python -m client report s1 --fix 2 HEARD SAID" in message
        finally:
            await browser.close()


@needs_chromium
@pytest.mark.asyncio
async def test_the_end_screen_shows_the_reports_figures_and_what_to_work_on(
        served: tuple[str, Path]):
    url, _ = served
    report = ReportServer.base
    summary = end_summary({**report, "work_on": work_on(report)})
    base = url.split("/api/")[0]
    async with playwright_api.async_playwright() as pw:
        browser = await launch(pw, chromium_args(grant_mic=False))
        try:
            page = await browser.new_page(viewport={"width": 375, "height": 900})
            await page.goto(f"{base}/index.html")
            await page.evaluate("(s) => { app.sessionId = 's1'; return showSummary(s, "
                                "'client_end'); }", summary)
            # The full report is a link to its own page (a frame in the page is too small on
            # a phone), and so is the history.
            await page.wait_for_selector("#report-link:not([hidden])")
            assert await page.locator("iframe").count() == 0
            assert await page.get_attribute("#report-link", "href") == "/api/sessions/s1/report"
            assert await page.is_visible("#history-link")
            text = str(await page.text_content("#summary"))
            for f in report["figures"]:
                assert f["label"] in text and f["text"] in text and f["explain"] in text
            assert "What to work on" in text and summary["work_on"][0]["quote"] in text
            assert "saved as session s1" in text
            overflow = await page.evaluate("document.documentElement.scrollWidth - "
                                           "document.documentElement.clientWidth")
            assert overflow <= 0
            await page.locator("#end").screenshot(path=str(SHOTS / "report-end-screen-375.png"))
            # A summary from an older server, or none: said plainly, nothing breaks.
            for old in ({"user_turns": 2, "words_per_minute": 150}, None):
                await page.evaluate("(s) => showSummary(s, 'client_end')", old)
                assert "No summary came back for this session." in str(
                    await page.text_content("#summary"))
            await page.evaluate("(s) => showSummary(s, 'client_end')",
                                {"figures": [], "not_saved": "This session was not saved."})
            text = str(await page.text_content("#summary"))
            assert "This session was not saved." in text and "saved as session" not in text
            assert await page.get_attribute("#report-link", "hidden") is not None
        finally:
            await browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(FIREFOX is None, reason="Firefox is not installed")
def test_the_report_in_firefox_on_a_desktop_and_a_phone(served: tuple[str, Path],
                                                        tmp_path: Path):
    marionette = pytest.importorskip("marionette_driver.marionette")
    url, _ = served
    client = marionette.Marionette(bin=FIREFOX, port=_free_port(), headless=True,
                                   gecko_log=str(tmp_path / "gecko.log"), startup_timeout=60)
    try:
        client.start_session()
        client.set_window_rect(width=1280, height=900)
        # A window cannot be made as narrow as a phone; a frame can, and its page lays out
        # at the frame's width exactly as on a phone's screen.
        base = url.split("/api/")[0]
        for width, address in ((1280, url), (375, f"{base}/phone/375")):
            client.navigate(address)
            frame = None
            if address != url:
                frame = client.find_element("id", "report")
                client.switch_to_frame(frame)
            deadline = time.monotonic() + 20
            while client.execute_script("return document.readyState") != "complete" or \
                    not client.execute_script("return !!document.querySelector('h1')"):
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert client.execute_script("return window.innerWidth") == width
            check(client.execute_script(f"return ({CHECK})();"), width, "firefox")
            height = client.execute_script(
                "return Math.ceil(document.querySelector('main').getBoundingClientRect()"
                ".bottom) + 16")
            if frame is not None:
                client.switch_to_frame()
                client.execute_script(f"document.getElementById('report').style.height = "
                                      f"'{height}px'")
            path = SHOTS / f"report-firefox-{width}.png"
            path.write_bytes(client.screenshot(format="binary", full=True))
            if frame is not None:
                from PIL import Image  # Pillow comes with matplotlib in the dev extra

                with Image.open(path) as whole:
                    whole.crop((0, 0, width, height)).save(path)
    finally:
        client.cleanup()
