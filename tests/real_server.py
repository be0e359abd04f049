"""The real server on the bundled models, as `python -m server` builds it, for end-to-end tests."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from server.__main__ import build_server
from server.app import VoiceServer

REPO = Path(__file__).resolve().parents[1]

def build_real_server(data_dir: Path, *, max_sessions: int = 4, personas: Sequence[Path] = (),
                      home: Path | None = None) -> VoiceServer:
    """A loopback server on a free port with no endpoint settings from the caller's environment:
    the embedded models, whatever the developer's shell points at. `home`: a HOME without this
    machine's own persona files, for tests that list every persona."""
    args = argparse.Namespace(host="127.0.0.1", port=0, token=None, allow_origin=[],
                              allow_host=[], max_sessions=max_sessions, latency_target_ms=None,
                              drain_s=None,
                              data_dir=data_dir, personas=list(personas))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VOICE_RP_"))}
    if home is not None:
        env.pop("XDG_CONFIG_HOME", None)
        env["HOME"] = str(home)
    return build_server(args, env)


@contextlib.asynccontextmanager
async def server_process(data_dir: Path, *args: str
                         ) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """The real `python -m server` in a process of its own, on a free port and with no endpoint
    settings from the caller's environment. Yields the process and its websocket URL once it
    listens (the models may still be loading); its log is read meanwhile so the pipe never
    fills. Killed on the way out if it is still running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VOICE_RP_"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "--port", "0", "--data-dir", str(data_dir), *args,
        cwd=REPO, env={**env, "HF_HUB_OFFLINE": "1"},
        stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stderr is not None
        async with asyncio.timeout(60):
            while not (m := re.search(rb"websocket (ws://\S+?)\)", await proc.stderr.readline())):
                pass
        log = asyncio.create_task(proc.stderr.read())
        yield proc, m.group(1).decode()
        if proc.returncode is not None:
            await log
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
