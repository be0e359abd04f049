"""The browser client in headless Firefox (Debian firefox-esr), driven by marionette_driver.

A scripted conversation on the real server: this is about the page in another engine (its
AudioContext, microphone, WebRTC loopback and layout), not about the models.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from web_browser import PAGE_STATE, scripted_server

marionette = pytest.importorskip("marionette_driver.marionette")
FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
if FIREFOX is None:
    pytest.skip("Firefox is not installed (apt-get install firefox-esr)", allow_module_level=True)

pytestmark = [pytest.mark.timeout(300)]

PREFS = {
    "media.navigator.streams.fake": True,  # a fake microphone (a tone)
    "media.navigator.permission.disabled": True,  # no permission prompt
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def drive(url: str, shots: Path, log: Path) -> dict[str, Any]:
    """Start a practice, let a few replies play, end it; returns what the page showed."""
    client = marionette.Marionette(bin=FIREFOX, port=free_port(), headless=True, prefs=PREFS,
                                   gecko_log=str(log), startup_timeout=60)
    try:
        client.start_session()
        client.set_window_rect(width=1000, height=900)
        client.navigate(url)

        def page() -> dict[str, Any]:
            # Marionette sees the page through Xray wrappers: page globals via wrappedJSObject.
            script = PAGE_STATE.replace("window.voiceRp", "window.wrappedJSObject.voiceRp")
            result: dict[str, Any] = client.execute_script(f"return ({script})();")
            return result

        def wait(check: Any, what: str, within_s: float = 20) -> dict[str, Any]:
            deadline = time.monotonic() + within_s
            while True:
                s = page()
                if check(s):
                    return s
                if time.monotonic() > deadline:
                    raise AssertionError(f"Firefox: timed out waiting for {what}: {s}")
                time.sleep(0.2)

        wait(lambda s: client.execute_script(
            "return document.querySelectorAll('label.card').length") > 0, "the gallery")
        client.find_element("css selector", 'label.card[data-persona="customer-caller"]').click()
        client.find_element("id", "start").click()
        s = wait(lambda s: s["problem"] is not None
                 or sum(e[0] == "reply_done" for e in s["events"]) >= 2, "replies or a problem")
        (shots / "40-firefox-live.png").write_bytes(client.screenshot(format="binary"))
        outcome: dict[str, Any] = {"live": s}
        if s["problem"] is None:
            client.find_element("id", "stop").click()
            outcome["end"] = wait(lambda s: s["endShown"], "the end")
            (shots / "41-firefox-end.png").write_bytes(client.screenshot(format="binary"))
        return outcome
    finally:
        client.cleanup()


@pytest.mark.asyncio
async def test_a_session_in_firefox(tmp_path: Path,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    import asyncio

    shots = tmp_path_factory.getbasetemp() / "web-screenshots"
    shots.mkdir(exist_ok=True)
    srv = await scripted_server(tmp_path)
    try:
        outcome = await asyncio.to_thread(drive, srv.url, shots, tmp_path / "gecko.log")
    finally:
        await srv.stop()
    live = outcome["live"]
    print("\nFirefox:", json.dumps({"problem": live["problem"], "stats": live["stats"],
                                    "state": live["state"]}))
    if live["problem"] is not None:
        # Without an audio output device Firefox may keep audio suspended: the page must say so
        # in words rather than pretend to listen.
        assert "Audio could not start" in live["problem"], live["problem"]
        return
    assert live["stats"]["audibleMs"] > 0 and live["stats"]["framesSent"] > 25, live["stats"]
    end = outcome["end"]
    assert "Your answers" in end["summary"] and "{" not in end["summary"], end["summary"]
