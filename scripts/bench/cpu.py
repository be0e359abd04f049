"""How much CPU other processes took while the benchmark ran (Linux /proc).

On a shared 2-core machine one busy neighbour can double a turn's latency, so every figure is
reported next to the CPU that neither the server nor the benchmark used.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import time
from collections.abc import Sequence
from pathlib import Path


def cpu_ticks(pids: Sequence[int]) -> tuple[float, int, int]:
    """(perf_counter time, ticks the whole machine was busy, ticks used by `pids`)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    ours = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ours += int(stat[11]) + int(stat[12])  # utime + stime, all threads
        except (OSError, IndexError):
            pass
    return time.perf_counter(), user + nice + system + irq + softirq + steal, ours


def others_cores(before: tuple[float, int, int], after: tuple[float, int, int]) -> float:
    """Cores' worth of CPU used between two samples by processes other than the watched ones."""
    wall = after[0] - before[0]
    if wall <= 0:
        return 0.0
    others = (after[1] - before[1]) - (after[2] - before[2])
    return round(max(0, others) / os.sysconf("SC_CLK_TCK") / wall, 2)


class CpuMonitor:
    """Samples /proc every `interval_s`, so any stretch of the run can be judged afterwards."""

    def __init__(self, pids: Sequence[int], *, interval_s: float = 0.1) -> None:
        self.pids = list(pids)
        self.interval_s = interval_s
        self.samples: list[tuple[float, int, int]] = []

    async def run(self) -> None:
        while True:
            self.samples.append(cpu_ticks(self.pids))
            await asyncio.sleep(self.interval_s)

    def others_between(self, start: float, end: float) -> float | None:
        """Other processes' CPU (in cores) from `start` to `end` (perf_counter seconds)."""
        times = [s[0] for s in self.samples]
        i = max(0, bisect.bisect_right(times, start) - 1)
        j = min(len(times) - 1, bisect.bisect_left(times, end))
        if j <= i:
            return None
        return others_cores(self.samples[i], self.samples[j])



def cpu_model() -> str:
    """The processor's name, so runs on different machines can be read side by side."""
    from server.capacity import cpu_info

    return cpu_info()[0]
