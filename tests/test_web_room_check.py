"""The room check and push-to-talk of the browser client, in real headless Chromium.

The room check runs against the room microphone of web_browser.py: the user's speech on demand,
quiet room noise, and the check's test sound leaking back at a chosen echo gain, so a loud
speaker and headphones give different verdicts. Push-to-talk runs a session against a scripted
server whose conversation keeps every frame it got, so the test sees exactly what the server
heard while the talk button or the Space bar was held and while it was not.
Screenshots go to the pytest base temp dir, `web-screenshots/`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from axe_check import axe_violations
from server_fakes import FakeConversation, FakeFactory
from speech import say
from web_browser import (
    CHROMIUM,
    Page,
    choose,
    chromium_args,
    count,
    float32_b64,
    launch,
    new_page,
    room_microphone,
    until,
)

from server.app import ServerConfig, VoiceServer
from voice_rp.audio import SAMPLE_RATE
from voice_rp.personas import builtin_dirs
from voice_rp.storage import TranscriptStore

playwright_api = pytest.importorskip("playwright.async_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (scripts/setup installs it)", allow_module_level=True)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

SENTENCE = "I went hiking with my sister on Saturday."  # a stored clip: no synthesis

# The room microphone hears the persona's voice of a session (window.voiceRp.audio); the room
# check plays through an engine of its own (RoomCheck.engine), so the test leaks that one too,
# through the same delay and echo gain.
TAP_ROOM_CHECK = """
(() => {
  setInterval(() => {
    const room = window.__room, check = window.RoomCheck;
    const engine = check && check.engine;
    if (!room || !room.ctx || !engine || !engine.streamOut) return;
    if (room.checkTapped === engine.streamOut) return;
    room.checkTapped = engine.streamOut;
    const delay = room.ctx.createDelay(1);
    delay.delayTime.value = room.delayS;
    room.ctx.createMediaStreamSource(engine.streamOut.stream).connect(delay);
    delay.connect(room.echo);
  }, 20);
})();
"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.getbasetemp() / "web-screenshots"
    path.mkdir(exist_ok=True)
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[tuple[VoiceServer, FakeFactory]]:
    """The real server with a scripted conversation, and the factory that keeps its sessions."""
    factory = FakeFactory()

    async def load() -> FakeFactory:
        return factory

    config = ServerConfig(port=0, persona_dirs=tuple(builtin_dirs()[:1]))
    srv = VoiceServer(config, load=load,
                      store=TranscriptStore(tmp_path_factory.mktemp("data")))
    await srv.start()
    yield srv, factory
    await srv.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as pw:
        b = await launch(pw, chromium_args())
        yield b
        await b.close()


async def open_page(browser: Any, url: str, *, echo_gain: float = 0.0, width: int = 1280,
                    height: int = 800) -> Page:
    page = await new_page(browser, url, width=width, height=height,
                          init_script=room_microphone(echo_gain=echo_gain) + TAP_ROOM_CHECK)
    await page.wait_for_function("window.RoomCheck !== undefined")
    return page


async def step(page: Page) -> str | None:
    result: str | None = await page.evaluate(
        "document.getElementById('room-check').dataset.step || null")
    return result


async def wait_step(page: Page, wanted: str, within_s: float = 30.0) -> None:
    for _ in range(int(within_s * 10)):
        now = await step(page)
        if now == wanted:
            return
        assert now != "failed", await page.inner_text("#room-check")
        await asyncio.sleep(0.1)
    raise AssertionError(f"the room check never reached {wanted!r} (at {await step(page)!r})")


# ---------------------------------------------------------------------------- the verdict

VERDICTS = [
    # a quiet room, little echo (headphones, or a laptop whose echo canceller works)
    ({"speechDb": -25, "noiseDb": -65, "echoDb": -40}, "headphones-not-needed"),
    # a quiet room, the speaker's sound comes straight back
    ({"speechDb": -25, "noiseDb": -65, "echoDb": 0}, "use-headphones"),
    # an echo well below the playback, but near a soft voice: interrupting would fail
    ({"speechDb": -32, "noiseDb": -70, "echoDb": -18}, "use-headphones"),
    # a café: the noise floor alone
    ({"speechDb": -25, "noiseDb": -35, "echoDb": -40}, "use-push-to-talk"),
    # a soft voice barely above a moderate room
    ({"speechDb": -35, "noiseDb": -48, "echoDb": -40}, "use-push-to-talk"),
    # noisy and echoing: push-to-talk keeps both out
    ({"speechDb": -25, "noiseDb": -35, "echoDb": 0}, "use-push-to-talk"),
    # a room so loud that the voice drowned in it
    ({"speechDb": -33, "noiseDb": -32, "echoDb": -40}, "use-push-to-talk"),
    # nobody spoke (a muted microphone)
    ({"speechDb": -63, "noiseDb": -65, "echoDb": -40}, "check-microphone"),
    # the echo step never ran
    ({"speechDb": -25, "noiseDb": -65, "echoDb": None}, "incomplete"),
]


async def test_the_verdict_from_the_three_measurements(
        browser: Any, served: tuple[VoiceServer, FakeFactory]) -> None:
    page = await open_page(browser, served[0].url)
    try:
        got = await page.evaluate(
            "(cases) => cases.map((m) => RoomCheck.verdict(m))", [m for m, _ in VERDICTS])
    finally:
        await page.close()
    for (measured, advice), v in zip(VERDICTS, got, strict=True):
        assert v["advice"] == advice, (measured, v)
    titles = {v["advice"]: v["title"] for v in got}
    assert titles["headphones-not-needed"] == "Headphones not needed"
    assert titles["use-headphones"] == "Use headphones"
    assert got[3]["title"] == "Use push-to-talk"
    assert "headphones" in got[5]["title"]  # both, said plainly
    assert titles["check-microphone"] == "Check your microphone"
    # A soft but audible voice is told so, whatever the verdict.
    assert any("noisy" in r for r in got[4]["reasons"]), got[4]


# ---------------------------------------------------------------------------- the room check


@pytest.mark.parametrize(("echo_gain", "advice", "title", "size"), [
    (1.0, "use-headphones", "Use headphones", (1280, 800)),  # a laptop speaker turned up
    (0.0, "headphones-not-needed", "Headphones not needed", (375, 740)),  # headphones
])
async def test_the_room_check_hears_the_speakers_echo(
        browser: Any, served: tuple[VoiceServer, FakeFactory], shots: Path,
        echo_gain: float, advice: str, title: str, size: tuple[int, int]) -> None:
    speech = float32_b64(say(SENTENCE))
    width, height = size
    page = await open_page(browser, served[0].url, echo_gain=echo_gain, width=width,
                           height=height)
    try:
        last = await page.inner_text("#room-check-last")
        assert "first session" in last, last  # offered before a first session
        await page.click("#room-check-button")
        await wait_step(page, "speak")
        await page.evaluate(f"window.__room.say('{speech}', {SAMPLE_RATE})")
        await asyncio.sleep(1.0)
        name = f"40-room-check-{width}"
        await page.screenshot(path=shots / f"{name}-speak.png")
        meter = await page.evaluate("document.getElementById('room-check-level').value")
        assert meter > -40, meter  # the live meter shows the voice
        await wait_step(page, "done")
        await page.click("#room-check details summary")
        await page.screenshot(path=shots / f"{name}-{advice}.png", full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        shown = await page.inner_text("#room-check .rc-verdict-title")
        status = await page.inner_text("#room-check [role=status]")
        assert shown == title and title in status, (shown, status)
        saved = await page.evaluate("JSON.parse(localStorage.getItem('voice-rp.roomcheck'))")
        assert saved["advice"] == advice, saved
        # The voice and the quiet room were measured as such; the echo as the room leaks it.
        assert saved["speechDb"] > -40 and saved["noiseDb"] < -50, saved
        if echo_gain:
            assert saved["echoDb"] > -6, saved
        else:
            assert saved["echoDb"] < -40, saved
        assert await axe_violations(page, context="#room-check") == []
        details = await page.inner_text("#room-check details")
        assert "Room noise" in details and "dBFS" in details, details
        print(f"\nroom check, echo gain {echo_gain}: {saved}")

        # The last verdict greets the next visit; the check releases the microphone.
        await page.reload()
        await page.wait_for_function("window.RoomCheck !== undefined")
        last = await page.inner_text("#room-check-last")
        assert "Last check" in last and title in last, last
    finally:
        await page.close()


async def test_a_noisy_room_offers_push_to_talk(
        browser: Any, served: tuple[VoiceServer, FakeFactory], shots: Path) -> None:
    """Loud room noise (a café at -30 dBFS): the verdict is push-to-talk, and one button
    turns it on for the next session."""
    speech = float32_b64(say(SENTENCE))
    page = await open_page(browser, served[0].url)
    try:
        await page.click("#room-check-button")
        await wait_step(page, "speak")
        await page.evaluate(f"window.__room.say('{speech}', {SAMPLE_RATE})")
        await page.evaluate("""() => {
          const room = window.__room, ctx = room.ctx, sr = ctx.sampleRate;
          const buf = ctx.createBuffer(1, sr * 2, sr), d = buf.getChannelData(0);
          for (let i = 0; i < d.length; i++) d[i] = (Math.random() * 2 - 1) * 0.055;
          const src = ctx.createBufferSource();
          src.buffer = buf; src.loop = true; src.connect(room.dest); src.start();
        }""")
        await wait_step(page, "done")
        assert await page.inner_text("#room-check .rc-verdict-title") == "Use push-to-talk"
        assert not await page.is_checked("#push-to-talk")
        await page.click("#room-check button:has-text('Turn on push-to-talk')")
        assert await page.is_checked("#push-to-talk")
        assert await page.evaluate("localStorage.getItem('voice-rp.ptt')") == "on"
        await page.screenshot(path=shots / "41-room-check-noisy.png", full_page=True)
        await page.click("#room-check button:has-text('Close')")
        assert await page.is_hidden("#room-check")
        assert await page.evaluate("document.activeElement.id") == "room-check-button"
    finally:
        await page.close()


# ---------------------------------------------------------------------------- push-to-talk


def silent(frame: bytes) -> bool:
    return not any(frame)


async def frames_now(conv: FakeConversation) -> int:
    await asyncio.sleep(0)
    return len(conv.frames)


async def start_session(page: Page, factory: FakeFactory) -> FakeConversation:
    opened = len(factory.opened)
    await choose(page, "behavioural-interviewer")
    await page.click("#start")
    await until(page, lambda s: count(s, "ready") >= 1 and s["stats"] is not None, "ready", 30)
    for _ in range(100):
        if len(factory.opened) > opened:
            return factory.opened[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("the server opened no conversation")


async def held_and_released(page: Page, conv: FakeConversation, hold: Any, let_go: Any
                            ) -> tuple[list[bytes], list[bytes], dict[str, Any]]:
    """The frames the server got well inside a hold and well after it (not at the edges,
    where frames are in flight), and how the button looked while held."""
    await hold()
    await asyncio.sleep(0.3)
    a = await frames_now(conv)
    await asyncio.sleep(1.0)
    b = await frames_now(conv)
    looks = await page.evaluate("""() => { const b = document.getElementById('talk-button');
      return { live: b.classList.contains('ptt-live'), pressed: b.getAttribute('aria-pressed'),
               text: b.textContent }; }""")
    await let_go()
    await asyncio.sleep(0.4)
    c = await frames_now(conv)
    await asyncio.sleep(1.0)
    d = await frames_now(conv)
    return conv.frames[a:b], conv.frames[c:d], looks


async def test_push_to_talk_sends_silence_until_held(
        browser: Any, served: tuple[VoiceServer, FakeFactory], shots: Path) -> None:
    srv, factory = served
    speech = float32_b64(np.tile(say(SENTENCE), 4))
    # No echo guard: the scripted replies would otherwise silence some frames of their own.
    page = await open_page(browser, srv.url + "/?echo_guard=off")
    try:
        # Without push-to-talk nothing changes: the microphone is live, no talk button.
        conv = await start_session(page, factory)
        await asyncio.sleep(1.0)
        assert conv.frames and not any(silent(f) for f in conv.frames), "open microphone"
        assert await page.is_hidden("#talk-button")
        await page.click("#stop")
        await until(page, lambda s: s["endShown"], "the end of the first session", 20)

        await page.evaluate("document.getElementById('options-box')?.setAttribute('open', '')")
        await page.check("#push-to-talk")
        conv = await start_session(page, factory)
        ended = count(await until(page, lambda s: True, "the page state", 5), "session_end")
        await page.evaluate(f"window.__room.say('{speech}', {SAMPLE_RATE})")
        assert await page.is_visible("#talk-button")
        assert "Hold to talk" in await page.inner_text("#talk-button")
        await asyncio.sleep(1.0)
        before = list(conv.frames)
        assert len(before) > 20 and all(silent(f) for f in before), "heard before any hold"
        await page.screenshot(path=shots / "42-push-to-talk-idle.png")
        assert await axe_violations(page, context="#live-bar") == []

        # The Space bar, even with a button focused (End session must not be pressed by it).
        await page.focus("#stop")
        held, after, looks = await held_and_released(
            page, conv, lambda: page.keyboard.down("Space"), lambda: page.keyboard.up("Space"))
        assert len(held) > 30 and not any(silent(f) for f in held), "Space held: not heard"
        assert after and all(silent(f) for f in after), "heard after Space was released"
        assert looks == {"live": True, "pressed": "true",
                         "text": "Live: the character hears you"}, looks

        # The button, held with the mouse (a touch is the same pointer events).
        box = await page.locator("#talk-button").bounding_box()
        assert box is not None
        await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

        async def hold() -> None:
            await page.mouse.down()
            await page.screenshot(path=shots / "43-push-to-talk-live.png")

        held, after, looks = await held_and_released(page, conv, hold, page.mouse.up)
        assert len(held) > 30 and not any(silent(f) for f in held), "button held: not heard"
        assert after and all(silent(f) for f in after), "heard after the button was released"
        assert looks["live"] and looks["pressed"] == "true", looks
        s = await until(page, lambda s: True, "the page state", 5)
        assert count(s, "session_end") == ended and not s["endShown"], "Space pressed End session"
        assert s["stats"]["framesMuted"] > 50, s["stats"]
        assert await page.get_attribute("#talk-button", "aria-pressed") == "false"
        await page.set_viewport_size({"width": 375, "height": 740})
        await page.screenshot(path=shots / "44-push-to-talk-phone.png")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        await page.close()
