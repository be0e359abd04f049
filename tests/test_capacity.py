"""The measured capacity: what the load benchmark found this machine serves, read by the server."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import pytest

from server import capacity
from server.__main__ import build_server, parse_args

HERE = "Example CPU, 2 cores, avx2"


def level(users: int, p95: float, *, admitted: int | None = None, failed: int = 0
          ) -> capacity.Level:
    return capacity.Level(users=users, admitted=users if admitted is None else admitted,
                          turns=4 * users, p50_ms=p95 * 0.7, p95_ms=p95, failed=failed)


def measured(sessions_p95: list[float], **kwargs) -> capacity.MeasuredCapacity:
    return capacity.from_levels([level(n + 1, p) for n, p in enumerate(sessions_p95)],
                                machine=HERE, chat="embedded", measured_at="2026-12-02",
                                **kwargs)


def test_capacity_is_the_most_users_within_twice_the_single_user_p95():
    m = measured([1000, 1600, 1990, 2600])
    assert m.sessions == 3 and m.target_p95_ms == 2000 and m.single_user_p95_ms == 1000
    assert measured([1000, 2100, 1900]).sessions == 1  # a level beyond a slow one does not count
    assert measured([1000, 1400], slowdown=1.3).sessions == 1
    assert measured([3000]).sessions == 1  # one user is always served, however slow


def test_a_level_with_refusals_or_failed_turns_is_not_served():
    here = dict(machine=HERE, chat="embedded", measured_at="2026-12-02")
    refused = [level(1, 900), level(2, 1000, admitted=1)]
    assert capacity.from_levels(refused, **here).sessions == 1
    failed = [level(1, 900), level(2, 1000, failed=1), level(3, 1100)]
    assert capacity.from_levels(failed, **here).sessions == 1
    with pytest.raises(ValueError, match="single user"):
        capacity.from_levels([level(2, 900)], **here)
    with pytest.raises(ValueError, match="not served"):
        capacity.from_levels([level(1, 900, failed=2)], **here)


def test_the_file_round_trips_and_a_broken_one_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "sub" / "capacity.json"
    m = measured([800, 1200])
    m.write(path)
    assert capacity.read(path) == m
    assert capacity.read(tmp_path / "none.json") is None
    for text in ("{not json", "[]", json.dumps({"version": 99}),
                 json.dumps({**json.loads(m.to_json()), "sessions": 0}),
                 json.dumps({**json.loads(m.to_json()), "target_p95_ms": "soon"})):
        path.write_text(text)
        with pytest.raises(capacity.CapacityFileError, match="capacity"):
            capacity.read(path)


def test_a_measurement_of_another_machine_or_chat_model_is_ignored(tmp_path: Path):
    path = tmp_path / "capacity.json"
    measured([800, 1200]).write(path)
    used, why = capacity.for_this_server(path, chat="embedded", here=HERE)
    assert used is not None and used.sessions == 2 and "2 sessions" in why
    used, why = capacity.for_this_server(path, chat="embedded",
                                         here="Example CPU, 2 cores, avx512f")
    assert used is None and "measured on Example CPU, 2 cores, avx2" in why
    assert "--write-capacity" in why
    used, why = capacity.for_this_server(path, chat="remote", here=HERE)
    assert used is None and "embedded chat model" in why
    path.write_text("{")
    used, why = capacity.for_this_server(path, chat="embedded", here=HERE)
    assert used is None and "ignoring" in why


def test_this_machine_is_named_by_processor_cores_and_vector_unit():
    name = capacity.machine()
    assert f"{os.cpu_count()} cores" in name
    assert name.rsplit(", ", 1)[1] in ("avx512f", "avx2", "avx", "no AVX")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VOICE_RP_"))}
    return {**env, "HOME": str(tmp_path), **extra}


def test_the_server_admits_what_was_measured_here_and_refuses_above_its_target(
        tmp_path: Path, caplog: pytest.LogCaptureFixture):
    data = tmp_path / "data"
    capacity.from_levels([level(1, 900), level(2, 1500), level(3, 2500)],
                         machine=capacity.machine(), chat="embedded",
                         measured_at="2026-12-02").write(data / "capacity.json")
    with caplog.at_level(logging.INFO, logger="voice_rp.server"):
        server = build_server(parse_args(["--data-dir", str(data)]), clean_env(tmp_path))
    assert server.admission.capacity == 2 and server.admission.target_ms == 1800
    assert "measured capacity: 2 sessions within a p95 of 1800 ms" in caplog.text
    # What the user says on the command line wins.
    server = build_server(parse_args(["--data-dir", str(data), "--max-sessions", "5"]),
                          clean_env(tmp_path))
    assert server.admission.capacity == 5 and server.admission.target_ms is None
    server = build_server(parse_args(["--data-dir", str(data), "--latency-target-ms", "3000"]),
                          clean_env(tmp_path))
    assert server.admission.capacity == 2 and server.admission.target_ms == 3000


def test_the_server_falls_back_to_its_defaults_with_a_warning_for_another_machine(
        tmp_path: Path, caplog: pytest.LogCaptureFixture):
    elsewhere = tmp_path / "elsewhere.json"
    capacity.from_levels([level(1, 900), level(2, 1500), level(3, 1700)],
                         machine="Another CPU, 64 cores, avx512f", chat="embedded",
                         measured_at="2026-12-02").write(elsewhere)
    env = clean_env(tmp_path, VOICE_RP_CAPACITY_FILE=str(elsewhere))
    with caplog.at_level(logging.INFO, logger="voice_rp.server"):
        server = build_server(parse_args(["--data-dir", str(tmp_path / "data")]), env)
    assert server.admission.capacity == max(1, os.cpu_count() or 1)  # one per core
    assert server.admission.target_ms is None
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning and "Another CPU, 64 cores" in warning[0].getMessage()


def test_the_load_benchmark_writes_what_it_measured_where_the_server_reads_it(tmp_path: Path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import bench_load

    def user(*ms: float, errors: tuple[str, ...] = ()) -> bench_load.UserResult:
        return bench_load.UserResult(latencies_ms=list(ms), errors=list(errors),
                                     sessions={"s": ["hello"]})

    report = [bench_load.level_row(1, [user(700, 800, 900)], {"s": ["hello"]}, 10.0),
              bench_load.level_row(2, [user(900, 1000), user(1100, 1700)], {}, 10.0),
              bench_load.level_row(3, [user(900), user(1000), user(1000, errors=("x",))],
                                   {}, 10.0)]
    path = tmp_path / "capacity.json"
    args = argparse.Namespace(server_env=[], slowdown=2.0, write_capacity=path)
    bench_load.write_capacity(args, report)
    written = capacity.read(path)
    assert written is not None and written.sessions == 2 and written.chat == "embedded"
    assert written.machine == capacity.machine()
    assert [lv.users for lv in written.levels] == [1, 2, 3]
    assert written.levels[2].failed == 1  # the error at three users stopped the count



def test_the_load_benchmark_writes_nothing_when_the_single_user_was_not_served(tmp_path: Path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import bench_load

    silent = bench_load.UserResult(errors=["llm_unavailable"], sessions={"s": []})
    report = [bench_load.level_row(1, [silent], {}, 10.0)]
    path = tmp_path / "capacity.json"
    with pytest.raises(SystemExit, match="no capacity written: the single user was not served"):
        bench_load.write_capacity(argparse.Namespace(server_env=[], slowdown=2.0,
                                                     write_capacity=path), report)
    assert not path.exists()
