"""What this machine can serve, as measured by the load benchmark, kept in a small JSON file.

`scripts/bench_load.py --write-capacity` runs 1, 2, 3... simulated real-time users against the
server with admission off, finds the most sessions whose p95 response latency stays within
`slowdown` times the single-user p95, and writes it here with the machine it was measured on.
The server reads the file at start-up (when `--max-sessions` is not given): it admits that many
sessions and refuses new ones while its recent replies run above the measured target, from the
first turn on rather than after learning a single-user baseline of its own.

A file measured on another machine (processor, core count, vector units) or for another chat
model setup (embedded or remote) does not describe this one: it is ignored, with a warning that
says how to measure again. So is an unreadable file; the server then falls back to its defaults.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FILE_NAME = "capacity.json"
VERSION = 1


def cpu_info() -> tuple[str, frozenset[str]]:
    """The processor's name and feature flags (Linux /proc/cpuinfo; unknown elsewhere)."""
    model, flags = "unknown processor", frozenset[str]()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown processor":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = frozenset(value.split())
    except OSError:
        pass
    return model, flags


def machine() -> str:
    """This machine as the benchmark sees it: processor name, cores, widest vector unit.

    Two machines sold under the same processor name can differ by 2x for the models (with and
    without AVX-512), so the vector unit is part of the name.
    """
    model, flags = cpu_info()
    vector = next((f for f in ("avx512f", "avx2", "avx") if f in flags), "no AVX")
    return f"{model}, {os.cpu_count() or 1} cores, {vector}"


def capacity_file(environ: Mapping[str, str], data_dir: Path) -> Path:
    """Where the measured capacity lives: $VOICE_RP_CAPACITY_FILE or the data directory."""
    given = environ.get("VOICE_RP_CAPACITY_FILE", "").strip()
    return Path(given).expanduser() if given else data_dir / FILE_NAME


@dataclass(frozen=True)
class Level:
    """One load level of the benchmark: `users` at once, as the server served them."""

    users: int
    admitted: int
    turns: int
    p50_ms: float
    p95_ms: float
    failed: int = 0
    """Turns with an error or without a reply."""


@dataclass(frozen=True)
class MeasuredCapacity:
    sessions: int
    """Sessions served within the target at once (at least 1)."""
    target_p95_ms: float
    """`slowdown` times the single-user p95: above it the server refuses new sessions."""
    single_user_p95_ms: float
    slowdown: float
    machine: str
    chat: str
    """"embedded" (the bundled model runs here) or "remote" (an OpenAI-compatible endpoint)."""
    measured_at: str
    levels: tuple[Level, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        return (f"{self.sessions} session{'s' * (self.sessions != 1)} within a p95 of "
                f"{self.target_p95_ms:.0f} ms ({self.slowdown:g}x the single-user "
                f"{self.single_user_p95_ms:.0f} ms), measured {self.measured_at} on "
                f"{self.machine}")

    def to_json(self) -> str:
        data = asdict(self)
        data["version"] = VERSION
        return json.dumps(data, indent=2) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json())
        tmp.replace(path)


class CapacityFileError(ValueError):
    """The capacity file cannot be read or does not hold a measurement."""


def from_levels(levels: Sequence[Level], *, machine: str, chat: str, measured_at: str,
                slowdown: float = 2.0) -> MeasuredCapacity:
    """The most users served within `slowdown` times the single-user p95, all admitted and
    answered; the levels above the first that fails do not count (more users only add load)."""
    by_users = sorted(levels, key=lambda lv: lv.users)
    if not by_users or by_users[0].users != 1:
        raise ValueError("the load levels must start with a single user")
    alone = by_users[0]
    if alone.turns == 0 or alone.failed:
        raise ValueError("the single user was not served: nothing to measure against")
    target = slowdown * alone.p95_ms
    sessions = 1
    for level in by_users[1:]:
        if (level.admitted < level.users or level.failed or level.turns == 0
                or level.p95_ms > target):
            break
        sessions = level.users
    return MeasuredCapacity(sessions=sessions, target_p95_ms=round(target, 1),
                            single_user_p95_ms=alone.p95_ms, slowdown=slowdown,
                            machine=machine, chat=chat, measured_at=measured_at,
                            levels=tuple(by_users))


def read(path: Path) -> MeasuredCapacity | None:
    """The measurement in `path`; None if there is no file. CapacityFileError if it is broken."""
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CapacityFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data: Any = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise TypeError(f"not a version {VERSION} capacity measurement")
        levels = tuple(Level(**lv) for lv in data.get("levels", ()))
        capacity = MeasuredCapacity(
            sessions=int(data["sessions"]), target_p95_ms=float(data["target_p95_ms"]),
            single_user_p95_ms=float(data["single_user_p95_ms"]),
            slowdown=float(data["slowdown"]), machine=str(data["machine"]),
            chat=str(data["chat"]), measured_at=str(data["measured_at"]), levels=levels)
    except (ValueError, TypeError, KeyError) as exc:
        raise CapacityFileError(f"{path} is not a capacity measurement ({exc}); measure again "
                                "with scripts/bench_load.py --write-capacity") from None
    if not 1 <= capacity.sessions <= 1000 or not 0 < capacity.target_p95_ms < 600_000:
        raise CapacityFileError(f"{path} holds an impossible measurement ({capacity.sessions} "
                                f"sessions, target {capacity.target_p95_ms} ms)")
    return capacity


def for_this_server(path: Path, *, chat: str, here: str | None = None
                    ) -> tuple[MeasuredCapacity | None, str]:
    """The measurement to use here (or None) and a line for the log saying why."""
    here = here or machine()
    try:
        capacity = read(path)
    except CapacityFileError as exc:
        return None, f"ignoring the measured capacity: {exc}"
    if capacity is None:
        return None, (f"no measured capacity ({path}); scripts/bench_load.py --write-capacity "
                      "measures this machine")
    if capacity.machine != here or capacity.chat != chat:
        return None, (f"ignoring the measured capacity in {path}: it was measured on "
                      f"{capacity.machine} with the {capacity.chat} chat model, and this is "
                      f"{here} with the {chat} one; measure again with "
                      "scripts/bench_load.py --write-capacity")
    return capacity, f"measured capacity: {capacity.describe()}"
