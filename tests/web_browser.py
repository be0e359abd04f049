"""Driving the browser client in real headless Chromium (Playwright, the system's Chromium).

`chromium_args` gives the flags every browser test needs: a fake microphone playing a WAV file,
microphone access granted without a prompt, autoplay allowed, nothing fetched from the network.
`ROOM_MICROPHONE` replaces the page's microphone with a Web Audio graph: the user's speech on
demand, plus the persona's own reply audio leaking back in through a delay and a room reverb,
as from a laptop speaker; the echo tests use it.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import numpy as np
from server_fakes import FakeFactory

from server.app import ServerConfig, VoiceServer
from voice_rp.personas import builtin_dirs
from voice_rp.storage import TranscriptStore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


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


async def scripted_server(tmp_path: Path, port: int = 0) -> VoiceServer:
    """The real server with a scripted conversation, for tests about the page and faults."""
    async def load() -> FakeFactory:
        return FakeFactory(opening=True)

    config = ServerConfig(port=port, persona_dirs=tuple(builtin_dirs()[:1]))
    srv = VoiceServer(config, load=load,  # type: ignore[arg-type]
                      store=TranscriptStore(tmp_path / "data"))
    await srv.start()
    return srv
