"""The real server on the bundled models, as `python -m server` builds it, for end-to-end tests."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from server.__main__ import build_server
from server.app import VoiceServer


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
