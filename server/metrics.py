"""Prometheus metrics of one server process (`GET /metrics`): sessions, turns, errors, latencies.

Each session server keeps its own registry (no process-wide default registry: tests run several
servers in one process). Behind a load balancer, scrape every server directly; the counters add
up across servers and the histograms merge (`sum by (le)`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

# Response latency lives between a few hundred ms and a few seconds on a CPU (docs/latency.md);
# the buckets resolve that range and still catch the holding-line and deadline cases.
LATENCY_BUCKETS_S = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0,
                     4.0, 6.0, 10.0, 30.0)

STAGES = {
    "stt_ms": "stt",  # speech recognition of the turn
    "llm_first_token_ms": "llm_first_token",  # end of speech -> first text of the reply
    "tts_first_audio_ms": "first_audio",  # end of speech -> first synthesized audio
    "response_ms": "response",  # end of speech -> first reply audio sent to the client
}
"""TurnMetrics stage -> `stage` label of voice_rp_stage_seconds."""


class ServerMetrics:
    """The figures an operator watches; `render()` is the /metrics body."""

    def __init__(self, *, sessions_active: Callable[[], float] | None = None,
                 connections_open: Callable[[], float] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.sessions_started = Counter("voice_rp_sessions", "Sessions started", registry=r)
        self.sessions_refused = Counter(
            "voice_rp_sessions_refused", "Sessions refused with server_busy, by reason",
            ["reason"], registry=r)
        self.turns = Counter("voice_rp_turns", "User turns answered", registry=r)
        self.errors = Counter("voice_rp_errors", "Error events sent to clients, by code",
                              ["code"], registry=r)
        self.stage_seconds = Histogram(
            "voice_rp_stage_seconds", "Per-turn stage latency, seconds", ["stage"],
            buckets=LATENCY_BUCKETS_S, registry=r)
        self.active = Gauge("voice_rp_sessions_active", "Sessions running now", registry=r)
        self.connections = Gauge("voice_rp_connections_open", "Open websocket connections",
                                 registry=r)
        self.draining = Gauge("voice_rp_draining", "1 while the server drains before stopping",
                              registry=r)
        if sessions_active is not None:
            self.active.set_function(sessions_active)
        if connections_open is not None:
            self.connections.set_function(connections_open)

    def session_started(self) -> None:
        self.sessions_started.inc()

    def refused(self, reason: str) -> None:
        """`reason`: capacity, latency, draining, connections or resume (a refused resume)."""
        self.sessions_refused.labels(reason=reason).inc()

    def error(self, code: str) -> None:
        self.errors.labels(code=code).inc()

    def turn(self, stages: Mapping[str, float | None]) -> None:
        """One answered user turn's stage times (ms, as in TurnMetrics)."""
        self.turns.inc()
        for key, stage in STAGES.items():
            value = stages.get(key)
            if value is not None and 0 <= value < 3_600_000:
                self.stage_seconds.labels(stage=stage).observe(value / 1000.0)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
