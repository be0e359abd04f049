"""Admission: sessions are refused before the running ones degrade (the I/O-free part), and the
server refuses a start with server_busy and a retry hint when its replies run late."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_protocol_errors import _start_server, next_json, started
from websockets.asyncio.client import connect

from server.admission import Admission
from server.limits import ServerLimits
from voice_rp import protocol as proto


def test_capacity_is_a_hard_limit_and_a_slot_comes_back_on_release():
    a = Admission(capacity=2)
    assert a.try_admit("a") and a.try_admit("b") and not a.try_admit("c")
    a.release("a")
    assert a.try_admit("c") and a.in_use == 2


def test_new_sessions_are_refused_while_replies_run_at_twice_the_single_user_p95():
    a = Admission(capacity=8)
    assert a.try_admit("a")
    for ms in (1200, 1300, 1250, 1400, 1350, 1300):  # one user alone: p95 ~1.4 s
        a.record_turn(ms)
    assert a.target() is not None and 2700 < a.target() < 2900
    assert a.try_admit("b")
    for ms in (2500, 3100, 3300, 3000, 3200, 3400):  # two users: replies now run late
        a.record_turn(ms)
    assert a.running_late()
    assert not a.try_admit("c")
    assert "running late" in a.why_busy()
    for ms in [1500] * 20:  # load went down: the recent window is back within the target
        a.record_turn(ms)
    assert a.try_admit("c")


def test_a_lone_user_is_always_admitted_and_nothing_is_refused_before_a_baseline():
    a = Admission(capacity=4)
    assert a.try_admit("a")
    for ms in (9000, 9500, 9900):  # too few turns alone to know what "slow" is
        a.record_turn(ms)
    assert a.target() is None and a.try_admit("b")
    late = Admission(capacity=4, target_ms=1000)
    for ms in [5000] * 10:
        late.record_turn(ms)
    assert late.try_admit("first")  # nobody is running: refusing helps no one
    assert not late.try_admit("second")


async def test_a_start_while_running_late_gets_server_busy_with_a_retry_hint(tmp_path: Path):
    server = await _start_server(tmp_path, limits=ServerLimits(max_sessions=4,
                                                               latency_target_ms=1000.0,
                                                               retry_after_s=20.0))
    try:
        first = await started(server)
        for _ in range(10):
            server.admission.record_turn(4000.0)
        second = await connect(server.ws_url)
        await second.send(proto.encode(proto.Start(persona="bob")))
        err = await next_json(second)
        assert err["code"] == "server_busy" and err["retry_after_s"] == 20.0
        assert "running late" in err["message"]
        await second.wait_closed()
        assert second.close_code == 1013
        await first.close()
    finally:
        await server.stop()


def test_the_default_capacity_comes_from_the_measured_load():
    from server.admission import default_capacity

    assert default_capacity(2, embedded_llm=True) == 2  # measured: 2 users within 2x on 2 cores
    assert default_capacity(1, embedded_llm=True) == 1
    assert default_capacity(2, embedded_llm=False) == 4


async def test_the_server_learns_response_times_from_its_sessions_turns(tmp_path: Path):
    from typing import Any

    from server_fakes import FRAMES_PER_TURN, FakeConversation, FakeFactory
    from test_protocol_errors import FRAME

    from server.session import Opened
    from voice_rp import events as ev

    class TimedConversation(FakeConversation):
        def _reply(self, text: str) -> None:
            super()._reply(text)
            if self._turn:  # a user's turn: STT ran, first audio 1.5 s after their speech
                self._queue.put_nowait(ev.TurnMetrics(self._turn, 0.0, {
                    "stt_ms": 300.0, "response_ms": 1500.0}))

    class TimedFactory(FakeFactory):
        async def open(self, persona: str, options: dict[str, Any]) -> Opened:
            return Opened(TimedConversation(persona), {"id": persona, "name": persona})

    server = await _start_server(tmp_path, factory=TimedFactory())
    try:
        ws = await started(server)
        for _ in range(FRAMES_PER_TURN * 5):
            await ws.send(FRAME)
        for _ in range(5):
            await next_json(ws, "reply_done")
        await asyncio.sleep(0.05)
        assert server.admission.target() == 3000.0  # twice the lone session's p95
        await ws.close()
    finally:
        await server.stop()
