"""Fuzzing the wire protocol against the real server (scripted conversation, real websockets).

Whatever arrives (random JSON, wrong types, huge numbers, deep nesting, binary of any size,
messages in any order) must be answered with the protocol's own errors: no traceback in the log,
no `internal_error`, and afterwards the server still answers /healthz and serves a normal session.

`VOICE_RP_FUZZ_EXAMPLES` sets how many connections are fuzzed (default 1,000: about 8,000
messages in well under a minute); docs/reliability.md reports a larger run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_fakes import FRAMES_PER_TURN, FakeFactory
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from server.app import ServerConfig, VoiceServer
from server.limits import ServerLimits
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES
from voice_rp.storage import TranscriptStore

EXAMPLES = int(os.environ.get("VOICE_RP_FUZZ_EXAMPLES", "1000"))
FRAME = b"\x00\x01" * (FRAME_BYTES // 2)


class _NoCrashFactory(FakeFactory):
    """FakeFactory's "crash" persona fails on purpose; fuzzed names must not reach it."""

    async def open(self, persona: str, options: dict[str, Any]) -> Any:
        return await super().open("crash-not" if persona == "crash" else persona, options)


class ServerThread:
    """The real server on its own event loop, so Hypothesis can drive it synchronously."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        factory = _NoCrashFactory()

        async def load() -> FakeFactory:
            return factory

        # Many connections in a row: generous session limits, but the real per-message ones.
        limits = ServerLimits(max_sessions=64, max_connections=64, start_timeout_s=10.0)
        self.server = VoiceServer(ServerConfig(port=0, limits=limits), load=load,
                                  store=TranscriptStore(data_dir))
        self._call(self.server.start())
        self._call(self.server.wait_ready())

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def stop(self) -> None:
        self._call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


@pytest.fixture(scope="module")
def sent() -> Iterator[dict[str, int]]:
    """How many messages the fuzzing sent, printed at the end (pytest -s shows it)."""
    counts = {"messages": 0, "connections": 0, "errors": 0}
    yield counts
    print(f"\nfuzzed {counts['messages']} messages on {counts['connections']} connections; "
          f"{counts['errors']} errors answered")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceServer]:
    thread = ServerThread(tmp_path_factory.mktemp("fuzz"))
    yield thread.server
    thread.stop()


# --- what a hostile or broken client sends -------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=30)
           | st.integers(min_value=10**300, max_value=10**400))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                           max_leaves=12)
types = st.sampled_from(["start", "played", "end", "dance", "", "START"]) | scalars

start_messages = st.fixed_dictionaries(
    {"type": st.just("start")},
    optional={"persona": st.sampled_from(["alice", "nobody", "broken", "", "../etc/passwd"])
              | json_values,
              "protocol": st.sampled_from([proto.PROTOCOL, "voice-rp/2"]) | json_values,
              "options": json_values, "audio": json_values})
played_messages = st.fixed_dictionaries(
    {"type": st.just("played")},
    optional={"turn": json_values, "ms": json_values})
other_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=5).map(
    lambda d: d) | st.builds(lambda t, rest: {**rest, "type": t}, types,
                             st.dictionaries(st.text(max_size=8), json_values, max_size=3))


def _deep(n: int, kind: str) -> str:
    if kind == "list":
        return "[" * n + "]" * n
    if kind == "played":
        return '{"type": "played", "turn": 0, "ms": ' + "[" * n + "]" * n + "}"
    return '{"type": "start", "persona": "alice", "options": ' + '{"a":' * n + "1" + "}" * n + "}"


texts = st.one_of(
    start_messages.map(json.dumps),
    played_messages.map(json.dumps),
    other_objects.map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.builds(_deep, st.integers(min_value=50, max_value=20_000),
              st.sampled_from(["list", "played", "start"])),
    st.sampled_from(['{"type":"played","turn":0,"ms":NaN}', '{"type":"played","turn":0,'
                     '"ms":Infinity}', '{"type": "start", "persona": "alice"', "\x00", "{}"]),
)
binaries = st.one_of(st.just(FRAME), st.binary(max_size=2000),
                     st.integers(min_value=0, max_value=70_000).map(lambda n: b"\x00" * n))
messages = st.lists(st.one_of(texts, binaries), min_size=1, max_size=14)


def _drain(ws: ClientConnection) -> list[dict[str, Any]]:
    """Everything the server says until it closes the connection."""
    seen = []
    try:
        while True:
            message = ws.recv(timeout=5)
            if isinstance(message, str):
                seen.append(json.loads(message))
    except ConnectionClosed:
        pass
    except TimeoutError:
        pytest.fail("the server neither answered nor closed the connection")
    return seen


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(batch=messages, start_first=st.booleans())
def test_no_input_makes_the_server_fail(server: VoiceServer, sent: dict[str, int],
                                        batch: list[str | bytes], start_first: bool):
    sent["connections"] += 1
    sent["messages"] += len(batch) + 1 + start_first
    with connect(server.ws_url, max_size=2**22) as ws:
        try:
            if start_first:
                ws.send(proto.encode(proto.Start(persona="alice")))
            for message in batch:
                ws.send(message)
            ws.send(json.dumps({"type": "end"}))
        except ConnectionClosed:
            pass  # e.g. a message over the hard size limit (1009): the server may close
        seen = _drain(ws)
    sent["errors"] += sum(m["type"] == "error" for m in seen)
    for message in seen:
        assert not (message["type"] == "error" and message["code"] == "internal_error"), message
        if message["type"] == "error":
            assert message["code"] in proto.ERROR_CODES
    assert ws.close_code in (1000, 1009), (ws.close_code, seen[-3:])


def test_after_the_fuzzing_the_server_is_healthy_and_logged_no_traceback(
        server: VoiceServer, caplog: pytest.LogCaptureFixture):
    # Runs after the fuzz test (file order); caplog here sees only its own records, so the
    # fuzz test's log is checked by the hook below instead.
    for _ in range(100):  # every fuzzed connection is gone: nothing leaked
        with urllib.request.urlopen(server.url + "/healthz", timeout=5) as r:
            health = json.loads(r.read())
            assert r.status == 200 and health["ready"] is True
        if health["connections"] == 0:
            break
        time.sleep(0.05)
    assert health["connections"] == 0 and health["sessions"] == 0
    with connect(server.ws_url) as ws:
        ws.send(proto.encode(proto.Start(persona="alice")))
        kinds = []
        for _ in range(FRAMES_PER_TURN):
            ws.send(FRAME)
        while "transcript" not in kinds:
            message = ws.recv(timeout=5)
            if isinstance(message, str):
                kinds.append(json.loads(message)["type"])
        assert "ready" in kinds


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module", autouse=True)
def no_traceback_in_the_log() -> Iterator[None]:
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    root.setLevel(old_level)
    bad = [r for r in handler.records
           if r.exc_info or r.levelno >= logging.ERROR or "internal_error" in r.getMessage()]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad[:5]]
