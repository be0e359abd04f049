"""A real nginx (scripts/deploy/nginx.py, the configuration `scripts/cluster` writes) in front of
two real session servers on the bundled models, for the deployment tests.

The models are loaded once and shared by both servers to spare the test's memory; each server
has its own admission, connections and websocket, and both write to one transcript directory,
as servers sharing a database would. nginx runs in a temp dir on a free port; without nginx the
test is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.app import ServerConfig, VoiceServer
from voice_rp.storage import TranscriptStore

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from deploy.nginx import nginx_binary, start_nginx, stop_process, wait_http  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Balanced:
    """Two servers behind nginx: what a test talks to and what it may look at afterwards."""

    port: int  # nginx's
    servers: list[VoiceServer]
    data: Path  # the servers' transcripts
    run_dir: Path  # nginx's configuration and logs (logs/nginx-access.log)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def access_log(self) -> str:
        return (self.run_dir / "logs" / "nginx-access.log").read_text(errors="replace")


@asynccontextmanager
async def two_servers_behind_nginx(tmp_path: Path) -> AsyncIterator[Balanced]:
    try:
        nginx_binary()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    from server.wiring import ModelConversations
    from voice_rp.config import Settings
    from voice_rp.personas import builtin_dirs

    # The embedded models, whatever endpoints the developer's shell points at.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VOICE_RP_"))}
    dirs = builtin_dirs(None)
    conversations = await ModelConversations.load(Settings.from_env(env), dirs)

    async def load() -> ModelConversations:
        return conversations

    data = tmp_path / "data"
    servers = [VoiceServer(ServerConfig(port=0, persona_dirs=tuple(dirs)), load=load,
                           store=TranscriptStore(data)) for _ in range(2)]
    nginx = None
    try:
        for s in servers:
            await s.start()
            await s.wait_ready()
        port = free_port()
        run_dir = tmp_path / "run"
        nginx = start_nginx(run_dir, listen=f"127.0.0.1:{port}",
                            upstreams=[f"127.0.0.1:{s.port}" for s in servers])
        await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/livez", proc=nginx)
        yield Balanced(port=port, servers=servers, data=data, run_dir=run_dir)
    finally:
        if nginx is not None:
            stop_process(nginx)
        for s in servers:
            await s.stop()
