"""What scripts/bench_load.py needs of a running cluster (scripts/cluster): its processes' CPU,
faults injected mid-run (a session server killed, PostgreSQL restarted) and its saved sessions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_LOCAL = Path(__file__).resolve().parents[1] / "pg_local.py"


@dataclass(frozen=True)
class ClusterInfo:
    run_dir: Path
    procs: dict[str, int]  # name -> pid
    urls: dict[str, str]
    postgres_dir: Path | None

    @classmethod
    def read(cls, run_dir: Path) -> ClusterInfo:
        state = json.loads((run_dir / "cluster.json").read_text())
        procs = {p["name"]: int(p["pid"]) for p in state["procs"]}
        urls = {p["name"]: p["url"] for p in state["procs"]}
        pg = state.get("postgres_dir")
        return cls(run_dir, procs, urls, Path(pg) if pg else None)

    def servers(self) -> list[str]:
        return sorted(n for n in self.procs if n.startswith("server-"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its children that exited, in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = sum(int(x) for x in stat[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU of every live process in process group `pgid` (a speech server and its workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat[2]) == pgid:
            total += sum(int(x) for x in stat[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_by_process(info: ClusterInfo) -> dict[str, float]:
    cpu = {name: group_cpu_seconds(pid) for name, pid in info.procs.items()}
    if info.postgres_dir is not None:
        # pg_ctl starts the postmaster in a process group of its own, backends included.
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = (info.postgres_dir / "data" / "postmaster.pid").read_text().split()[0]
            cpu["postgres"] = group_cpu_seconds(int(pid))
    return cpu


def sessions_on(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
            return int(json.load(resp).get("sessions", 0))
    except (OSError, ValueError):
        return 0


@dataclass
class FaultLog:
    events: list[dict[str, Any]] = field(default_factory=list)


async def kill_busiest_server(info: ClusterInfo, after_s: float, log: FaultLog) -> None:
    """SIGKILL the session server with the most sessions `after_s` into the run."""
    await asyncio.sleep(after_s)
    loads = {n: await asyncio.to_thread(sessions_on, info.urls[n]) for n in info.servers()}
    victim = max(loads, key=lambda n: loads[n])
    os.kill(info.procs[victim], signal.SIGKILL)
    log.events.append({"t": time.time(), "fault": "kill", "server": victim,
                       "sessions": loads[victim]})


async def restart_postgres(info: ClusterInfo, after_s: float, down_s: float, log: FaultLog
                           ) -> None:
    """Stop PostgreSQL `after_s` into the run, start it again `down_s` later (same port)."""
    import importlib.util
    assert info.postgres_dir is not None, "the cluster runs without PostgreSQL (--store sqlite)"
    spec = importlib.util.spec_from_file_location("pg_local", PG_LOCAL)
    assert spec is not None and spec.loader is not None
    pg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pg)
    await asyncio.sleep(after_s)
    port = int((info.postgres_dir / "port").read_text())
    t0 = time.time()
    await asyncio.to_thread(pg.stop, info.postgres_dir)
    log.events.append({"t": t0, "fault": "postgres stopped"})
    await asyncio.sleep(down_s)
    await asyncio.to_thread(pg.start, info.postgres_dir, port)
    log.events.append({"t": time.time(), "fault": "postgres started", "down_s": time.time() - t0})


def saved_user_turns(session_ids: list[str], *, data_dir: Path | None,
                     database_url: str | None) -> dict[str, list[str]]:
    """Session id -> the user turns saved for it, from the cluster's store."""
    from voice_rp.stores import open_store
    assert data_dir is not None
    store = open_store(data_dir, database_url)
    out = {}
    for sid in session_ids:
        try:
            records = store.read_session(sid)
        except LookupError:
            records = []
        out[sid] = [r.get("text", "") for r in records if r.get("kind") == "user"]
    close = getattr(store, "close", None)
    if callable(close):
        close()
    return out
