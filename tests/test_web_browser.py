"""The browser client in real headless Chromium, against the real server.

The conversation tests use the bundled models and a fake microphone (Chromium plays a WAV file
as the microphone, or the room microphone of web_browser.py). The fault tests (server down or
stopped) use a scripted conversation: they are about the page. The room itself (layout,
keyboard, captions) is in test_web_room.py, resuming a session in test_web_resume.py.
Screenshots of every step go to the pytest base temp dir, `web-screenshots/`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from real_server import build_real_server
from speech import say, wer, with_silence
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
    scripted_server,
    state,
    until,
    write_wav,
)

from server.app import VoiceServer
from voice_rp.audio import SAMPLE_RATE
from voice_rp.personas import builtin_dirs

playwright_api = pytest.importorskip("playwright.async_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (scripts/setup installs it)", allow_module_level=True)

pytestmark = [pytest.mark.models, pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.timeout(600)]

SHIPPED = builtin_dirs()[0]


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.getbasetemp() / "web-screenshots"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def extra_personas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user persona directory: one persona a test removes while the page is open, and a caller
    without the built-in's scenario flow, so the echo tests' call goes on for a dozen replies
    instead of closing once the problem is solved."""
    path = tmp_path_factory.mktemp("personas")
    shutil.copy(SHIPPED / "behavioural-interviewer.yaml", path / "retired-practice.yaml")
    caller = (SHIPPED / "customer-caller.yaml").read_text(encoding="utf-8")
    caller = caller[: caller.index("\nflow:")].replace("title: Customer-service call",
                                                        "title: Open customer-service call")
    (path / "open-call.yaml").write_text(caller, encoding="utf-8")
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model_server(tmp_path_factory: pytest.TempPathFactory, extra_personas: Path
                       ) -> AsyncIterator[VoiceServer]:
    # A HOME of its own: none of this machine's user personas in the gallery.
    srv = build_real_server(tmp_path_factory.mktemp("data"), personas=[extra_personas],
                            home=tmp_path_factory.mktemp("home"))
    await srv.start()
    await srv.wait_ready()
    yield srv
    await srv.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pw() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        yield p


# ---------------------------------------------------------------------------- a whole practice

USER_TEXT = "I led a team of five engineers to move our billing system to a new database."


async def test_a_practice_from_the_gallery_end_to_end(
        pw: Any, model_server: VoiceServer, shots: Path, tmp_path: Path) -> None:
    # The microphone: 3 s of quiet (the session opens), the answer, then a long silence.
    mic = write_wav(tmp_path / "answer.wav", with_silence(say(USER_TEXT), 3.0, 40.0))
    browser = await launch(pw, chromium_args(mic))
    try:
        page = await new_page(browser, model_server.url)
        await choose(page, "behavioural-interviewer")
        await page.uncheck("#speaks-first")
        await page.screenshot(path=shots / "01-gallery.png", full_page=True)
        await page.click("#start")
        await until(page, lambda s: count(s, "ready") == 1, "ready", 30)
        await page.screenshot(path=shots / "02-listening.png")

        partial: list[dict[str, Any]] = []

        async def watch(s: dict[str, Any]) -> None:
            persona_lines = [ln for ln in s["lines"] if "persona" in ln["cls"]]
            if persona_lines and count(s, "reply_done") == 0 and s["busy"]:
                text = persona_lines[-1]["text"].split(":", 1)[1].strip()
                if text:
                    if not partial:
                        await page.screenshot(path=shots / "03-speaking.png")
                    partial.append({"text": text, "audible_ms": s["stats"]["audibleMs"]})

        s = await until(page, lambda s: count(s, "metrics") == 1, "the reply to the answer",
                        on_poll=watch)
        you = [ln["text"] for ln in s["lines"] if "you" in ln["cls"].split()]
        assert len(you) == 1
        assert wer(USER_TEXT, you[0].removeprefix("You:")) <= 0.35, you
        persona_line = [ln["text"] for ln in s["lines"] if "persona" in ln["cls"]][-1]
        final = persona_line.split(":", 1)[1]
        # The persona's words appeared while its audio played, before the reply was over.
        assert partial, "no words were shown while the reply played"
        first = partial[0]["text"]
        assert len(first.split()) < len(final.split()) and final.strip().startswith(first[:10])
        assert "answered" in final and "s after you stopped" in final
        # Audio really came out of the page's output: over half a second above -50 dBFS.
        stats = s["stats"]
        assert stats["audibleMs"] >= 500 and stats["peak"] > 0.05, stats
        assert stats["framesSent"] > 100
        print(f"\nplayback route {stats['route']}, audible {stats['audibleMs']} ms, "
              f"peak {stats['peak']:.2f}, scheduling gaps {stats['gaps']}, "
              f"{len(partial)} partial views, first: {first!r}")
        await page.screenshot(path=shots / "04-reply.png")

        await page.click("#stop")
        s = await until(page, lambda s: s["endShown"], "the end of the session", 30)
        # The end screen shows the report's own figures (one computation), in plain words.
        assert "Pace" in s["summary"] and "Filler words" in s["summary"], s["summary"]
        assert "{" not in s["summary"], s["summary"]
        assert await page.evaluate("document.activeElement.id") == "end-title"
        # Everything is released: microphone, audio context, socket (the socket once the server
        # has closed it, which follows the summary).
        await page.wait_for_function(
            "() => window.voiceRp.audio === null && window.voiceRp.ws === null", timeout=10_000)
        await page.screenshot(path=shots / "05-end.png", full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 1000
    finally:
        await browser.close()


DISTRESS_TEXT = "Honestly, after so many rejections, I sometimes feel like I want to hurt myself."


async def test_a_user_in_distress_sees_where_to_find_help(
        pw: Any, model_server: VoiceServer, shots: Path, tmp_path: Path) -> None:
    # espeak-ng says the same words the same way every run: a failure reproduces.
    mic = write_wav(tmp_path / "distress.wav",
                    with_silence(say(DISTRESS_TEXT, engine="espeak"), 3.0, 40.0))
    browser = await launch(pw, chromium_args(mic))
    try:
        page = await new_page(browser, model_server.url)
        await choose(page, "behavioural-interviewer")
        await page.uncheck("#speaks-first")
        await page.click("#start")
        await until(page, lambda s: count(s, "ready") == 1, "ready", 30)
        s = await until(page, lambda s: count(s, "reply_done") == 1, "the reply", 120)
        assert count(s, "safety") == 1
        panel = page.locator("#safety")
        assert await panel.is_visible()
        text = await panel.inner_text()
        assert "988" in text and "Find A Helpline" in text, text
        persona_line = [ln["text"] for ln in s["lines"] if "persona" in ln["cls"]][-1]
        assert "nine eight eight" in persona_line and "?" not in persona_line, persona_line
        await page.screenshot(path=shots / "20-safety.png", full_page=True)
        await page.click("#stop")
        await until(page, lambda s: s["endShown"], "the end of the session", 30)
        assert await panel.is_visible()  # the numbers stay on screen after the session
    finally:
        await browser.close()


# ---------------------------------------------------------------------------- refusals and faults


async def test_a_refused_start_is_explained_and_start_works_again_at_once(
        pw: Any, model_server: VoiceServer, extra_personas: Path, shots: Path,
        tmp_path: Path) -> None:
    mic = write_wav(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE * 5, dtype=np.float32))
    browser = await launch(pw, chromium_args(mic))
    try:
        page = await new_page(browser, model_server.url)
        await choose(page, "retired-practice")
        (extra_personas / "retired-practice.yaml").unlink()  # removed while the page is open
        await page.click("#start")
        s = await until(page, lambda s: s["problem"] is not None, "the refusal", 30)
        assert "could not start" in s["problem"] and "unknown persona" in s["problem"]
        assert "behavioural-interviewer" in s["problem"]  # the server's list of what exists
        assert await page.is_enabled("#start")
        assert await page.evaluate("document.activeElement.id") == "start"
        assert await page.evaluate("window.voiceRp.audio === null")  # the microphone is closed
        await page.screenshot(path=shots / "10-refused.png", full_page=True)
        await choose(page, "behavioural-interviewer")
        await page.uncheck("#speaks-first")
        await page.click("#start")
        await until(page, lambda s: count(s, "ready") == 1, "a session after the refusal", 30)
        await page.click("#stop")
        await until(page, lambda s: s["endShown"], "the end", 30)
    finally:
        await browser.close()


async def test_a_refused_microphone_is_explained(
        pw: Any, model_server: VoiceServer, shots: Path) -> None:
    browser = await launch(pw, chromium_args(grant_mic=False))
    try:
        page = await new_page(browser, model_server.url)
        await choose(page, "behavioural-interviewer")
        await page.click("#start")
        s = await until(page, lambda s: s["problem"] is not None, "the microphone message", 20)
        assert "Microphone access was refused" in s["problem"], s["problem"]
        assert s["events"] == []  # no conversation was opened
        assert await page.is_enabled("#start")
        await page.screenshot(path=shots / "11-mic-denied.png", full_page=True)
    finally:
        await browser.close()


async def test_server_down_and_stopped_mid_session(
        pw: Any, shots: Path, tmp_path: Path) -> None:
    mic = write_wav(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE * 5, dtype=np.float32))
    browser = await launch(pw, chromium_args(mic))
    srv = await scripted_server(tmp_path)
    try:
        page = await new_page(browser, srv.url)
        await choose(page, "customer-caller")
        await page.click("#start")
        await until(page, lambda s: count(s, "reply_done") >= 1, "the opening line", 20)
        await srv.stop()  # e.g. the operator restarts the server
        s = await until(page, lambda s: s["endShown"], "the end after the server stopped", 20)
        assert any("The server shut down" in ln["text"] for ln in s["lines"]), s["lines"]
        # Nothing was said before the server stopped: no figures, the reason in words.
        assert "nothing to give feedback on" in s["summary"], s["summary"]
        assert "{" not in s["summary"], s["summary"]
        assert await page.is_enabled("#start")
        await page.screenshot(path=shots / "12-server-stopped.png", full_page=True)

        # Now nothing listens on that port: Start says so in words.
        await page.click("#start")
        s = await until(page, lambda s: s["problem"] is not None, "the server-down message", 20)
        assert "Could not reach the voice-rp server" in s["problem"], s["problem"]
        await page.screenshot(path=shots / "13-server-down.png", full_page=True)
        assert await page.is_enabled("#start")

        # The server is back: the same page starts a session again.
        port = srv.port
        srv = await scripted_server(tmp_path, port=port)
        await page.click("#start")
        await until(page, lambda s: count(s, "ready") >= 1, "a session on the restarted server", 20)
    finally:
        await srv.stop()
        await browser.close()


# ---------------------------------------------------------------------------- echo

ANSWERS = [
    "I already restarted the router and checked every cable.",
    "Can you tell me your account number please?",
    "Thank you. I can see an outage in your area.",
    "Our engineers expect it to be fixed by this evening.",
    "I understand that you work from home, that is frustrating.",
    "I can add a credit to your next bill for the lost day.",
    "Would you like a text message when the service is back?",
    "Your phone number ends in four two, is that right?",
    "Great, the message is set up.",
    "Let me check one more setting on your line.",
]
INTERRUPTION = "Sorry to cut in, but I need to put you on hold for a moment."
ECHO_GAIN = 0.5  # the persona's voice comes back at -6 dB, plus a 0.3 s room tail
LOUD_ECHO = {"echo_gain": 1.0, "rt60_s": 0.6}  # a laptop speaker turned up in a bare room


def speech_onset_ms(samples: np.ndarray) -> float:
    """Where the first 10 ms above -40 dBFS starts: "the user began speaking"."""
    win = SAMPLE_RATE // 100
    n = len(samples) // win
    rms = np.sqrt(np.mean(np.square(samples[: n * win].reshape(n, win)), axis=1))
    return float(np.argmax(rms > 0.01)) * 10.0


async def converse_in_a_room(page: Page, replies: int, label: str) -> dict[str, Any]:
    """Answer each reply once the persona is quiet, until `replies` replies (the opening line
    first) are done. The user never speaks over the persona, so every `clear` is false. The
    user answers at once (within ~0.3 s of the reply's end), while the room still echoes."""
    answers = [float32_b64(with_silence(say(t), 0.2, 0.0)) for t in ANSWERS]
    for i in range(replies):
        s = await until(page, lambda s, i=i: count(s, "reply_done") > i and not s["busy"]
                        and s["state"].startswith("Listening"), f"{label}: reply {i + 1}")
        if i == replies - 1:
            return s
        await page.evaluate("(a) => window.__room.say(a, 16000)", answers[i % len(answers)])
        await until(page, lambda s, i=i: count(s, "transcript") > i,
                    f"{label}: transcript {i + 1}")
    return await state(page)


async def interrupt(page: Page) -> tuple[float, float]:
    """Answer the last reply, talk over the next one 0.8 s into it, and return how long after
    the user began speaking the page silenced the persona (its echo guard sure of the user)
    and dropped the reply (the server's `clear`), in ms."""
    s = await state(page)
    done = count(s, "reply_done")
    await page.evaluate("(a) => window.__room.say(a, 16000)",
                        float32_b64(with_silence(say(ANSWERS[0]), 0.2, 0.0)))
    await until(page, lambda s: s["busy"] and count(s, "reply_done") == done,
                "the next reply to start")
    await asyncio.sleep(0.8)  # well into the reply
    voice = with_silence(say(INTERRUPTION), 0.1, 0.0)
    t0 = await page.evaluate("(a) => { window.__room.say(a, 16000); "
                             "return window.__room.said.at(-1); }", float32_b64(voice))
    s = await until(page, lambda s: count(s, "clear") == 1, "the barge-in", 20)
    cleared_at = next(e[2] for e in s["events"] if e[0] == "clear")
    onset = t0 + speech_onset_ms(voice)
    barge_in_ms: float = cleared_at - onset
    stats = s["stats"]
    opened, yielded = stats.get("gateOpenedAt"), stats.get("yieldedAt")
    assert stats["yields"] == 1 and yielded is not None and t0 < yielded <= cleared_at, stats
    silenced_ms: float = yielded - onset
    print(f"\nthe gate opened {opened - onset:.0f} ms after the user began speaking, the page "
          f"silenced the persona after {silenced_ms:.0f} ms, the server's clear came after "
          f"{barge_in_ms:.0f} ms")
    s = await until(page, lambda s: count(s, "reply_done") > done, "the cut reply", 30)
    assert "interrupted" in [ln for ln in s["lines"] if "persona" in ln["cls"]][-1]["text"]
    return silenced_ms, barge_in_ms


async def test_the_persona_does_not_interrupt_itself_through_a_speaker(
        pw: Any, model_server: VoiceServer, shots: Path) -> None:
    """Reply audio leaks into the microphone: no false barge-in over 11 replies."""
    browser = await launch(pw, chromium_args())
    try:
        page = await new_page(browser, model_server.url,
                              init_script=room_microphone(echo_gain=ECHO_GAIN))
        await choose(page, "open-call")
        await page.click("#start")
        s = await converse_in_a_room(page, 11, "guarded")  # the opening line and 10 answers
        false_barge_ins = count(s, "clear")
        stats = s["stats"]
        print(f"\nechoed replies: {count(s, 'reply_done')}, false barge-ins: {false_barge_ins}, "
              f"frames gated {stats['framesGated']}/{stats['framesSent']}, gate opened "
              f"{stats['gateOpened']} times in replies, echo path gain {stats['guardGain']:.2f}, "
              f"echo ratio {stats['guardRatio']:.2f}, playback route {stats['route']}")
        cut = [ln["text"] for ln in s["lines"] if "interrupted" in ln["text"]]
        assert false_barge_ins == 0, cut
        assert stats["yields"] == 0, f"the page silenced the persona {stats['yields']} times"
        await page.screenshot(path=shots / "30-echo-guarded.png", full_page=True)
    finally:
        await browser.close()


async def test_a_real_interruption_gets_through_the_echo_guard(
        pw: Any, model_server: VoiceServer, shots: Path) -> None:
    """After three replies answered at once (the user's voice in the room's echo, where the
    guard once learned it as echo), talking over the persona still stops it."""
    browser = await launch(pw, chromium_args())
    try:
        page = await new_page(browser, model_server.url,
                              init_script=room_microphone(echo_gain=ECHO_GAIN))
        await choose(page, "open-call")
        await page.click("#start")
        s = await converse_in_a_room(page, 3, "interruption")
        assert count(s, "clear") == 0, s["lines"]
        silenced_ms, barge_in_ms = await interrupt(page)
        s = await state(page)
        print(f"\nbarge-in: persona silent {silenced_ms:.0f} ms and reply cleared "
              f"{barge_in_ms:.0f} ms after the user began speaking (echo gain estimate "
              f"{s['stats'].get('guardGain')})")
        assert barge_in_ms < 2000 and s["stats"]["resumed"] == 0
        await page.screenshot(path=shots / "31-echo-interrupted.png", full_page=True)
    finally:
        await browser.close()


async def test_a_loud_speaker_in_a_reverberant_room(pw: Any, model_server: VoiceServer) -> None:
    """The echo as loud as the playback with a 0.6 s room tail: still no false barge-in. (A user
    at the playback's level is then below the echo and cannot interrupt through the gate; with
    the voice raised up to 6 dB it got through in 3 of 4 runs, docs/browser.md.)"""
    browser = await launch(pw, chromium_args())
    try:
        page = await new_page(browser, model_server.url,
                              init_script=room_microphone(**LOUD_ECHO))
        await choose(page, "open-call")
        await page.click("#start")
        s = await converse_in_a_room(page, 6, "loud echo")
        false_barge_ins = count(s, "clear")
        stats = s["stats"]
        print(f"\nloud echo: {count(s, 'reply_done')} replies, false barge-ins: "
              f"{false_barge_ins}, gate opened {stats['gateOpened']} times in replies, "
              f"echo path gain {stats['guardGain']:.2f}, echo ratio {stats['guardRatio']:.2f}")
        cut = [ln["text"] for ln in s["lines"] if "interrupted" in ln["text"]]
        assert false_barge_ins == 0, cut
        assert stats["yields"] == 0, f"the page silenced the persona {stats['yields']} times"
    finally:
        await browser.close()


async def test_without_the_guard_the_same_echo_interrupts_the_persona(
        pw: Any, model_server: VoiceServer) -> None:
    """The control: the leak above is loud enough to matter."""
    browser = await launch(pw, chromium_args())
    try:
        page = await new_page(browser, model_server.url + "/?echo_guard=off",
                              init_script=room_microphone(echo_gain=ECHO_GAIN))
        await choose(page, "open-call")
        await page.click("#start")
        s = await until(page, lambda s: count(s, "clear") > 0 or count(s, "reply_done") >= 1,
                        "the opening line or its self-interruption")
        print(f"\nwithout the guard: {count(s, 'clear')} false barge-in(s) in the opening line")
        assert count(s, "clear") >= 1
    finally:
        await browser.close()


YIELD_AND_RESUME = """async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  // No echo guard: the yields are the test's own, not the fake microphone's beeps.
  const e = new AudioEngine({ onFrame: () => true, loopback: false, guard: false });
  e.begin();
  await e.open();
  const tone = new Int16Array(16000 * 4);
  for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8000 * Math.sin(i / 5));
  e.enqueue(7, tone.buffer, 16000);
  await sleep(400);
  const before = e.out.gain.value;
  e.yieldToUser();
  await sleep(150);
  const silenced = e.out.gain.value;
  await sleep(1100);  // no clear came: the voice comes back
  const back = e.out.gain.value, resumed = e.stats.resumed;
  e.yieldToUser();
  const heardUntil = e.playedMs(7);
  await sleep(300);  // the server's clear, a little later
  e.clear(7);
  const cleared = e.playedMs(7);
  const busy = e.busy();
  e.enqueue(8, tone.buffer, 16000);  // the next reply
  await sleep(200);
  const next = e.out.gain.value;
  e.close();
  return { before, silenced, back, resumed, heardUntil, cleared, next, busy,
           yields: e.stats.yields };
}"""


async def test_the_page_silences_the_persona_for_the_user_and_resumes_without_a_clear(
        pw: Any, tmp_path: Path) -> None:
    """The fade the echo guard asks for when it is sure of the user: the voice goes at once,
    comes back if the server's `clear` does not follow, and after a clear what was heard ends
    where the fade began and the next reply plays at full level. (The gain is read while audio
    flows through it: Chromium leaves an idle node's value where it was.)"""
    srv = await scripted_server(tmp_path)
    browser = await launch(pw, chromium_args())
    try:
        page = await new_page(browser, srv.url)
        r = await page.evaluate(YIELD_AND_RESUME)
    finally:
        await browser.close()
        await srv.stop()
    assert r["before"] == 1 and r["silenced"] == 0, r
    assert r["back"] == 1 and r["resumed"] == 1, r
    assert r["yields"] == 2 and not r["busy"], r
    assert r["next"] == 1, str(r)  # the next reply at full level
    assert r["cleared"] <= r["heardUntil"] + 5, r  # not the 300 ms played silently after it
