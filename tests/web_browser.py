"""Driving the browser client in real headless Chromium (Playwright, the system's Chromium).

`chromium_args` gives the flags every browser test needs: a fake microphone playing a WAV file,
microphone access granted without a prompt, autoplay allowed, nothing fetched from the network.
`ROOM_MICROPHONE` replaces the page's microphone with a Web Audio graph: the user's speech on
demand, plus the persona's own reply audio leaking back in through a delay and a room reverb,
as from a laptop speaker; the echo tests use it. `launch`, `new_page`, `state`, `until` and
`choose` drive a page the same way in every test that opens one, whoever serves it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import time
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from server_fakes import FakeFactory

from server.app import ServerConfig, VoiceServer
from server.http import AccessPolicy
from server.limits import ServerLimits
from voice_rp.audio import SAMPLE_RATE, float_to_pcm16
from voice_rp.personas import builtin_dirs
from voice_rp.storage import TranscriptStore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REPLY_TIMEOUT_S = 120.0  # generous: the CPU is shared with other work
Page = Any  # playwright.async_api.Page


def chromium_args(fake_mic_wav: Path | None = None, *, grant_mic: bool = True) -> list[str]:
    args = ["--no-sandbox",  # root in a container has no user namespace sandbox
            "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--autoplay-policy=no-user-gesture-required",
            "--use-fake-device-for-media-stream"]
    if grant_mic:
        args.append("--use-fake-ui-for-media-stream")
    else:
        args.append("--deny-permission-prompts")
    if fake_mic_wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={fake_mic_wav}%noloop")
    return args


def screenshot_dir(base_temp: Path) -> Path:
    """Where a browser test's screenshots go: $VOICE_RP_SHOTS, else `web-screenshots/` in the
    pytest base temp dir."""
    path = Path(os.environ.get("VOICE_RP_SHOTS") or base_temp / "web-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def float32_b64(samples: np.ndarray) -> str:
    return base64.b64encode(np.asarray(samples, dtype="<f4").tobytes()).decode()


WEB = Path(__file__).resolve().parent / "web"


def room_microphone(*, echo_gain: float, delay_s: float = 0.04, rt60_s: float = 0.3) -> str:
    """The init script of a room microphone with this echo path (web/room_microphone.js)."""
    script = (WEB / "room_microphone.js").read_text()
    return (script.replace("ECHO_GAIN", repr(echo_gain)).replace("DELAY_S", repr(delay_s))
            .replace("RT60_S", repr(rt60_s)))


# What the page shows and has measured, as one object.
PAGE_STATE = "\n".join(line for line in (WEB / "page_state.js").read_text().splitlines()
                       if not line.startswith("//"))  # Playwright wants the bare function


async def scripted_server(tmp_path: Path, port: int = 0, *,
                          resume_grace_s: float | None = None,
                          token: str | None = None) -> VoiceServer:
    """The real server with a scripted conversation, for tests about the page and faults
    (`token`: the access token it asks for)."""
    async def load() -> FakeFactory:
        return FakeFactory(opening=True)

    limits = ServerLimits() if resume_grace_s is None else ServerLimits(
        resume_grace_s=resume_grace_s)
    config = ServerConfig(port=port, persona_dirs=tuple(builtin_dirs()[:1]), limits=limits,
                          access=AccessPolicy(token=token))
    srv = VoiceServer(config, load=load,  # type: ignore[arg-type]
                      store=TranscriptStore(tmp_path / "data"))
    await srv.start()
    return srv


# Driving a page: launch Chromium, open the page, read its state, wait for it.


async def launch(pw: Any, args: list[str]) -> Any:
    return await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


async def new_page(browser: Any, url: str, *, width: int = 1000, height: int = 900,
                   init_script: str | None = None) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": height})
    if init_script:
        await page.add_init_script(init_script)
    await page.goto(url)
    return page


async def state(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(PAGE_STATE)
    return result


async def until(page: Page, check: Callable[[dict[str, Any]], bool], what: str,
                within_s: float = REPLY_TIMEOUT_S, every_s: float = 0.1,
                on_poll: Callable[[dict[str, Any]], Awaitable[None]] | None = None
                ) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        s = await state(page)
        if on_poll is not None:
            await on_poll(s)
        if check(s):
            return s
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {s}")
        await asyncio.sleep(every_s)


def count(s: dict[str, Any], kind: str, turn: int | None = None) -> int:
    return sum(1 for e in s["events"] if e[0] == kind and (turn is None or e[1] == turn))


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(float_to_pcm16(samples))
    return path


async def choose(page: Page, persona: str) -> None:
    """Pick a practice, with the options (behind the page's "Options" control) opened."""
    await page.wait_for_selector(f'label.card[data-persona="{persona}"]')
    await page.click(f'label.card[data-persona="{persona}"]')
    await page.evaluate("() => { const box = document.getElementById('options-box');"
                        " if (box) box.open = true; }")


# Where an element is, as the user sees it: whole inside the viewport and not covered.
IN_VIEW = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return { shown: false, why: 'missing' };
  const r = el.getBoundingClientRect();
  const w = document.documentElement.clientWidth, h = window.innerHeight;
  const inside = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= h + 0.5
    && r.right <= w + 0.5;
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
  return { shown: inside && !!hit && (hit === el || el.contains(hit)), top: r.top,
           bottom: r.bottom, height: r.height, viewport: h,
           fontPx: parseFloat(getComputedStyle(el).fontSize) };
}"""


async def in_view(page: Page, selector: str) -> dict[str, Any]:
    """Whether `selector` is wholly on screen now, uncovered (and its box and font size)."""
    result: dict[str, Any] = await page.evaluate(IN_VIEW, selector)
    return result


async def no_sideways_scroll(page: Page) -> bool:
    return bool(await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
