"""The browser app through nginx, unchanged: headless Chromium loads the page from a real nginx
in front of two real servers on the bundled models (tests/nginx_pair.py), and a practice runs
through it with a fake microphone playing recorded speech.

The page opens its websocket at its own address (`ws://<page host>/ws`), so everything it does
here, the page, `/api/personas`, the conversation and the report, goes through nginx. Without
the websocket settings of the nginx configuration (Upgrade/Connection headers, HTTP/1.1 to the
servers) the session never starts and this test fails.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from nginx_pair import free_port, two_servers_behind_nginx
from speech import say, wer, with_silence
from web_browser import (
    CHROMIUM,
    choose,
    chromium_args,
    count,
    launch,
    new_page,
    scripted_server,
    until,
    write_wav,
)

from voice_rp.storage import TranscriptStore

playwright_api = pytest.importorskip("playwright.async_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (scripts/setup installs it)", allow_module_level=True)

pytestmark = [pytest.mark.models, pytest.mark.timeout(600)]

USER_TEXT = "I have five years of experience in sales and I led a small team."


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.status, resp.read()


async def test_a_practice_in_the_browser_through_nginx(tmp_path: Path) -> None:
    # The microphone: 3 s of quiet (the session opens), the answer, then a long silence.
    mic = write_wav(tmp_path / "answer.wav", with_silence(say(USER_TEXT), 3.0, 40.0))
    async with two_servers_behind_nginx(tmp_path) as pair, \
            playwright_api.async_playwright() as pw:
        browser = await launch(pw, chromium_args(mic))
        try:
            page = await new_page(browser, pair.http_url + "/")
            await choose(page, "behavioural-interviewer")  # the gallery came through nginx
            await page.uncheck("#speaks-first")
            await page.click("#start")
            await until(page, lambda s: count(s, "ready") == 1 or s["problem"] is not None,
                        "the session to open", 30)
            s = await until(page, lambda s: count(s, "metrics") == 1 or s["problem"] is not None
                            or s["endShown"], "the reply to the answer")
            assert s["problem"] is None and not s["endShown"], (s["problem"], s["lines"])
            you = [ln["text"] for ln in s["lines"] if "you" in ln["cls"].split()]
            assert len(you) == 1 and wer(USER_TEXT, you[0].removeprefix("You:")) <= 0.35, you
            persona = [ln["text"] for ln in s["lines"] if "persona" in ln["cls"]]
            assert persona and len(persona[-1].split(":", 1)[1].split()) >= 3, persona
            # The reply was heard: over half a second of the page's output above -50 dBFS.
            stats = s["stats"]
            assert stats["audibleMs"] >= 500 and stats["peak"] > 0.05, stats
            assert stats["framesSent"] > 100, stats
            print(f"\nthrough nginx: heard {you[0]!r}; reply audible {stats['audibleMs']} ms, "
                  f"peak {stats['peak']:.2f}, playback route {stats['route']}")
            session: str = await page.evaluate("window.voiceRp.sessionId")
            busy = [srv for srv in pair.servers if srv.admission.in_use]
            assert len(busy) == 1  # one server has the session, the other none

            await page.click("#stop")
            s = await until(page, lambda s: s["endShown"], "the end of the session", 30)
            assert session in s["summary"], s["summary"]
            shots = tmp_path.parent / "web-screenshots"  # beside the other page tests
            shots.mkdir(exist_ok=True)
            await page.screenshot(path=shots / "60-through-nginx.png", full_page=True)
        finally:
            await browser.close()

        # The server that had the session saved what the page showed.
        records = TranscriptStore(pair.data).read_session(session)
        said = [r["text"] for r in records if r["kind"] == "user"]
        assert len(said) == 1 and said[0].strip() in you[0], (said, you)
        assert records[-1]["kind"] == "session_end" and records[-1]["reason"] == "client_end"
        # Its report is served through nginx too, as the page's end view fetches it.
        status, _ = await asyncio.to_thread(get, f"{pair.http_url}/api/sessions/{session}/report")
        assert status == 200
        # The page's websocket really was upgraded by nginx (101), not served around it.
        log = pair.access_log()
        assert re.search(r'"GET /ws[^"]*" 101 ', log), log


def nginx_without_upgrade(binary: str, run_dir: Path, port: int, upstream: str
                          ) -> subprocess.Popen[bytes]:
    """The shipped nginx configuration less its two websocket lines (Upgrade, Connection)."""
    from deploy.nginx import render_config
    for sub in ("logs", "nginx"):
        (run_dir / sub).mkdir(parents=True)
    good = render_config(run_dir, listen=f"127.0.0.1:{port}", upstreams=[upstream])
    broken = "\n".join(line for line in good.splitlines()
                       if "proxy_set_header Upgrade" not in line
                       and "proxy_set_header Connection" not in line)
    assert len(broken.splitlines()) == len(good.splitlines()) - 2
    conf = run_dir / "nginx" / "nginx.conf"
    conf.write_text(broken)
    return subprocess.Popen([binary, "-p", str(run_dir / "nginx"), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


async def test_a_proxy_that_drops_the_websocket_upgrade_is_named(tmp_path: Path) -> None:
    """nginx without the Upgrade/Connection headers serves the page but turns the websocket
    handshake into a plain GET: the page says the proxy refused it, not that the server is
    unreachable. (The conversation is scripted: this is about the page.)"""
    from deploy.nginx import nginx_binary, stop_process, wait_http
    try:
        binary = nginx_binary()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    srv = await scripted_server(tmp_path)
    port = free_port()
    nginx = nginx_without_upgrade(binary, tmp_path / "run", port, f"127.0.0.1:{srv.port}")
    try:
        await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/livez", proc=nginx)
        async with playwright_api.async_playwright() as pw:
            browser = await launch(pw, chromium_args())
            try:
                page = await new_page(browser, f"http://127.0.0.1:{port}/")
                await choose(page, "customer-caller")  # the gallery came through the proxy
                await page.click("#start")
                s = await until(page, lambda s: s["problem"] is not None, "the refusal", 30)
                assert "websocket" in s["problem"] and "docs/deploy.md" in s["problem"], s
                assert "Could not reach" not in s["problem"]
                assert await page.is_enabled("#start")
            finally:
                await browser.close()
    finally:
        stop_process(nginx)
        await srv.stop()

