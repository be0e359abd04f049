"""The product's server as a child process, for the fault and load benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_server(port: int, data_dir: Path, log_path: Path, *, args: Sequence[str] = (),
                 env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`python -m server` on 127.0.0.1:`port`; `env` is added to a copy without OPENAI_*."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    full.update(HF_HUB_OFFLINE="1", VOICE_RP_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    full.update(env or {})
    log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port",
                             str(port), "--data-dir", str(data_dir), *args],
                            cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT)
