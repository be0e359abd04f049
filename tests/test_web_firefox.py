"""The browser client in headless Firefox (Debian firefox-esr), driven by marionette_driver.

A scripted conversation on the real server: this is about the page in another engine (its
AudioContext, microphone, WebRTC loopback and layout), not about the models. Firefox starts
audio only with a sound server to play to: the tests run PulseAudio (a Debian package
scripts/setup installs) with a null output of their own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
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


@pytest.fixture(scope="module", autouse=True)
def sound_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bool]:
    """A PulseAudio daemon with a null output for Firefox (True), or none on a machine without
    PulseAudio (False: Firefox then keeps its audio suspended and the page must say so)."""
    exe = shutil.which("pulseaudio")
    if exe is None or os.environ.get("PULSE_SERVER"):
        yield exe is not None
        return
    run = tmp_path_factory.mktemp("pulse")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(run), "HOME": str(run)}
    subprocess.run([exe, "--daemonize=yes", "--exit-idle-time=-1", "-n",
                    "--load=module-null-sink sink_name=voice_rp_null",
                    "--load=module-native-protocol-unix"],
                   env=env, check=True, capture_output=True, timeout=60)
    os.environ["PULSE_SERVER"] = f"unix:{run / 'pulse' / 'native'}"
    try:
        yield True
    finally:
        del os.environ["PULSE_SERVER"]
        subprocess.run([exe, "--kill"], env=env, capture_output=True, timeout=60, check=False)


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
async def test_a_session_in_firefox(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
                                    sound_server: bool) -> None:
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
    if live["problem"] is not None and not sound_server:
        # Without a sound server Firefox keeps audio suspended: the page must say so in words
        # rather than pretend to listen.
        assert "Audio could not start" in live["problem"], live["problem"]
        return
    assert live["problem"] is None
    assert live["stats"]["audibleMs"] > 0 and live["stats"]["framesSent"] > 25, live["stats"]
    end = outcome["end"]
    assert "Your answers" in end["summary"] and "{" not in end["summary"], end["summary"]


def resume_in_firefox(url: str, kill: Any, shots: Path, log: Path) -> dict[str, Any]:
    """On a phone-sized window: the landing's Start in view with no sideways scroll, a session,
    a killed connection the page resumes by itself, then a reload and Continue."""
    client = marionette.Marionette(bin=FIREFOX, port=free_port(), headless=True, prefs=PREFS,
                                   gecko_log=str(log), startup_timeout=60)
    try:
        client.start_session()
        client.set_window_rect(width=375, height=740)
        client.navigate(url)

        def page() -> dict[str, Any]:
            script = PAGE_STATE.replace("window.voiceRp", "window.wrappedJSObject.voiceRp")
            result: dict[str, Any] = client.execute_script(f"return ({script})();")
            return result

        def wait(check: Any, what: str, within_s: float = 20) -> dict[str, Any]:
            deadline = time.monotonic() + within_s
            while not check(s := page()):
                if time.monotonic() > deadline:
                    raise AssertionError(f"Firefox: timed out waiting for {what}: {s}")
                time.sleep(0.2)
            return s

        def count(s: dict[str, Any], kind: str) -> int:
            return sum(e[0] == kind for e in s["events"])

        wait(lambda s: client.execute_script(
            "return document.querySelectorAll('label.card').length") > 0, "the gallery")
        out: dict[str, Any] = {"landing": client.execute_script(
            "const r = document.getElementById('start').getBoundingClientRect();"
            "return {sideways: document.documentElement.scrollWidth - window.innerWidth,"
            " startBottom: r.bottom, height: window.innerHeight};")}
        client.find_element("css selector", 'label.card[data-persona="customer-caller"]').click()
        client.find_element("id", "start").click()
        s = wait(lambda s: s["problem"] is not None or count(s, "transcript") >= 2,
                 "a few turns or a problem")
        out["problem"] = s["problem"]
        if s["problem"] is not None:
            return out
        session = client.execute_script("return window.wrappedJSObject.voiceRp.sessionId")
        kill(session)
        s = wait(lambda s: count(s, "resumed") >= 1, "the page to resume by itself")
        out["after_kill"] = {"session": client.execute_script(
            "return window.wrappedJSObject.voiceRp.sessionId"), "expected": session}
        client.execute_script("window.onbeforeunload = null;"
                              "window.wrappedJSObject.onbeforeunload = null;")
        client.refresh()
        wait(lambda s: client.execute_script(
            "const b = document.getElementById('still-open'); return b && !b.hidden"),
             "the still-open offer")
        (shots / "42-firefox-still-open.png").write_bytes(client.screenshot(format="binary"))
        client.find_element("id", "continue").click()
        s = wait(lambda s: count(s, "resumed") >= 1 and count(s, "transcript") >= 1,
                 "the session continued after the reload")
        out["after_reload"] = client.execute_script(
            "return window.wrappedJSObject.voiceRp.sessionId")
        client.find_element("id", "stop").click()
        out["end"] = wait(lambda s: s["endShown"], "the end")
        return out
    finally:
        client.cleanup()


@pytest.mark.asyncio
async def test_the_room_and_resume_in_firefox(tmp_path: Path,
                                              tmp_path_factory: pytest.TempPathFactory,
                                              sound_server: bool) -> None:
    import asyncio

    shots = tmp_path_factory.getbasetemp() / "web-screenshots"
    shots.mkdir(exist_ok=True)
    srv = await scripted_server(tmp_path)
    loop = asyncio.get_running_loop()

    def kill(session: str) -> None:  # the network drops: no close frame
        ws = srv._services.live.sessions[session].ws
        loop.call_soon_threadsafe(ws.transport.abort)

    try:
        out = await asyncio.to_thread(resume_in_firefox, srv.url, kill, shots,
                                      tmp_path / "gecko.log")
    finally:
        await srv.stop()
    landing = out["landing"]
    print("\nFirefox:", json.dumps({k: v for k, v in out.items() if k != "end"}))
    assert landing["sideways"] <= 0 and landing["startBottom"] <= landing["height"], landing
    if out["problem"] is not None and not sound_server:
        assert "Audio could not start" in out["problem"], out["problem"]  # as above
        return
    assert out["problem"] is None
    assert out["after_kill"]["session"] == out["after_kill"]["expected"]
    assert out["after_reload"] == out["after_kill"]["expected"]
    assert "Your answers" in out["end"]["summary"]
