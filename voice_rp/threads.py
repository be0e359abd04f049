"""How many threads each model runtime gets: one plan for the machine, no oversubscription.

Whisper (CTranslate2), the embedded chat model (llama.cpp) and Piper (onnxruntime) each start
their own pool of worker threads. By default onnxruntime's workers also spin (busy-wait) between
runs; on a two-core laptop a spinning Piper pool takes the cores from the chat model writing the
rest of the reply. voice-rp gives each runtime at most one thread per core, caps them at four
(the bundled models are small: more threads stop helping), and keeps Piper's workers from
spinning.

`VOICE_RP_THREADS` overrides it, e.g. `stt=2,llm=2,tts=1,tts_spin=0`
(see scripts/bench_latency.py to measure a plan on a machine).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .errors import ModelError

_CAP = 4


@dataclass(frozen=True)
class ThreadPlan:
    stt: int
    llm: int
    tts: int
    tts_spin: bool = False

    @classmethod
    def for_cores(cls, cores: int) -> ThreadPlan:
        n = max(1, min(cores, _CAP))
        return cls(stt=n, llm=n, tts=n)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], cores: int | None = None) -> ThreadPlan:
        """The machine's plan, changed by `VOICE_RP_THREADS` if set. ModelError if unreadable."""
        plan = cls.for_cores(cores if cores is not None else usable_cores())
        text = environ.get("VOICE_RP_THREADS", "").strip()
        if not text:
            return plan
        changes: dict[str, int | bool] = {}
        for item in text.split(","):
            key, _, value = item.strip().partition("=")
            key, value = key.strip(), value.strip()
            if key == "tts_spin" and value in ("0", "1"):
                changes[key] = value == "1"
            elif key in ("stt", "llm", "tts") and value.isdigit() and 1 <= int(value) <= 64:
                changes[key] = int(value)
            else:
                raise ModelError(
                    f"VOICE_RP_THREADS: cannot read {item.strip()!r}; write e.g. "
                    "'stt=2,llm=2,tts=1,tts_spin=0' (thread counts 1-64, tts_spin 0 or 1)")
        return replace(plan, **changes)  # type: ignore[arg-type]


def usable_cores() -> int:
    """Cores this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
