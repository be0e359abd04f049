"""Readiness: do the services this server depends on answer? (`GET /readyz`)

A load balancer or orchestrator polls readiness every few seconds, so each probe is cheap (one
small request with a short timeout) and results are cached for `cache_s`: a thousand polls a
second cost the chat server one request. Embedded models need no probe: loaded is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from voice_rp.backends.service import SpeechService
from voice_rp.backends.wyoming import NotWyoming, describe


class Probe(Protocol):
    @property
    def name(self) -> str:
        """The backend's role in /readyz: llm, stt, tts, database."""
        ...

    async def check(self) -> str | None:
        """None if the service answers, else why not (for the /readyz body and the log)."""
        ...


@dataclass(frozen=True)
class HttpProbe:
    """An OpenAI-compatible server: `GET <base>/models`. Any answer below 500 means it is up
    (a 401 is a key problem the session reports itself, not an outage)."""

    name: str
    url: str
    timeout_s: float = 2.0

    async def check(self) -> str | None:
        target = self.url.rstrip("/") + "/models"
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.get(target)
        except httpx.HTTPError as exc:
            return f"{_where(self.url)} does not answer: {type(exc).__name__}"
        if response.status_code >= 500:
            return f"{_where(self.url)} answered HTTP {response.status_code}"
        return None


@dataclass(frozen=True)
class _ServiceAddress:
    name: str
    host: str
    port: int
    timeout_s: float = 2.0


@dataclass(frozen=True)
class WyomingProbe(_ServiceAddress):
    """A Wyoming service (wyoming-faster-whisper, wyoming-piper): `describe` must get `info`."""

    async def check(self) -> str | None:
        where = f"{self.host}:{self.port}"
        service = SpeechService(f"wyoming://{where}", connect_s=self.timeout_s,
                                timeout_s=self.timeout_s)
        try:
            await asyncio.to_thread(describe, service)  # the speech backends' own exchange
        except (OSError, TimeoutError) as exc:
            return f"{where} does not answer: {type(exc).__name__}"
        except NotWyoming:
            return f"{where} is not a Wyoming service"
        return None


@dataclass(frozen=True)
class TcpProbe(_ServiceAddress):
    """A service whose port accepting connections is the cheap sign of life (PostgreSQL)."""

    async def check(self) -> str | None:
        try:
            async with asyncio.timeout(self.timeout_s):
                _, writer = await asyncio.open_connection(self.host, self.port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        except (OSError, TimeoutError) as exc:
            return f"{self.host}:{self.port} does not answer: {type(exc).__name__}"
        return None


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}".rstrip(":")


def probe_for(name: str, url: str) -> Probe | None:
    """The probe for a backend URL (http(s)://, wyoming://, postgres(ql)://); None: unknown."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    match parts.scheme:
        case "http" | "https":
            return HttpProbe(name, url)
        case "wyoming" | "tcp":
            return WyomingProbe(name, host, parts.port or 10300)
        case "postgres" | "postgresql":
            return TcpProbe(name, host, parts.port or 5432)
    return None


def probes_from_env(environ: Mapping[str, str]) -> list[Probe]:
    """Probes for the remote services the environment configures (read at the entry point)."""
    probes: list[Probe] = []
    for name, key in (("llm", "OPENAI_BASE_URL"), ("stt", "VOICE_RP_STT_URL"),
                      ("tts", "VOICE_RP_TTS_URL"), ("database", "VOICE_RP_DATABASE_URL")):
        url = environ.get(key, "").strip()
        probe = probe_for(name, url) if url else None
        if probe is not None:
            probes.append(probe)
    return probes


@dataclass
class Readiness:
    """The probes' last answers, refreshed at most every `cache_s` by one probe run at a time."""

    probes: Sequence[Probe] = ()
    cache_s: float = 2.0
    _checked_at: float = float("-inf")
    _last: dict[str, str] = field(default_factory=dict)
    _running: asyncio.Task[dict[str, str]] | None = None

    async def problems(self) -> dict[str, str]:
        """Backend name -> why it is not ready; empty when every backend answers."""
        if not self.probes:
            return {}
        if time.monotonic() - self._checked_at < self.cache_s:
            return dict(self._last)
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._run())
        return dict(await asyncio.shield(self._running))

    async def _run(self) -> dict[str, str]:
        answers = await asyncio.gather(*(p.check() for p in self.probes))
        self._last = {p.name: why for p, why in zip(self.probes, answers, strict=True) if why}
        self._checked_at = time.monotonic()
        return self._last
