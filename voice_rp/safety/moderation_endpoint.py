"""An OpenAI-compatible moderation service, asked about the model's lines after the built-in
check (voice_rp.safety.moderation): `POST {base}/moderations` with `{"model", "input"}`, read
`results[0].flagged` and its `categories`. A second opinion only: it never silences the
character when it is slow or down.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from voice_rp.safety.moderation import PASS, Verdict

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

_REMOTE_CATEGORIES = (  # the endpoint's category -> ours, most serious first
    ("self-harm/instructions", "self_harm_encouragement"),
    ("self-harm/intent", "self_harm_encouragement"), ("self-harm", "self_harm_encouragement"),
    ("sexual/minors", "sexual"), ("sexual", "sexual"), ("hate/threatening", "slur"),
    ("hate", "slur"), ("harassment/threatening", "violence_threat"),
    ("violence", "violence_threat"), ("violence/graphic", "violence_threat"),
)


class ModerationEndpoint:
    """An OpenAI-compatible `POST {base_url}/moderations`, asked about each line the model
    wrote once the local check passed. A second opinion only: an error or an answer later than
    `timeout_s` leaves the local verdict standing (with a warning), so an outage never
    silences the character."""

    def __init__(self, base_url: str, *, model: str = "omni-moderation-latest",
                 api_key: str | None = None, timeout_s: float = 1.5,
                 transport: httpx.BaseTransport | None = None) -> None:
        """`timeout_s` bounds each check: the line waits for it (its audio is made meanwhile)."""
        import httpx  # here, not at the top: importing voice_rp.models needs no HTTP client

        self.url = base_url.rstrip("/") + "/moderations"
        self.model = model
        self.timeout_s = timeout_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # Blocking client on worker threads, like the speech services: one pool shared by every
        # session whatever event loop asks.
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s),
                                  transport=transport, follow_redirects=False)
        self._failing = False

    async def check(self, text: str) -> Verdict | None:
        """The endpoint's verdict on `text`; None when it did not answer usably in time."""
        try:
            async with asyncio.timeout(self.timeout_s):
                answer = await asyncio.to_thread(self._post, text)
            verdict = _remote_verdict(answer)
        except Exception as exc:  # timeout, HTTP error, garbage: never crash, never block
            # (CancelledError is a BaseException: an interrupted reply still stops at once)
            level = logging.INFO if self._failing else logging.WARNING
            self._failing = True
            log.log(level, "moderation endpoint %s gave no verdict (%s); the local check stands",
                    self.url, _describe(exc))
            return None
        if self._failing:
            log.warning("moderation endpoint %s answers again", self.url)
            self._failing = False
        return verdict

    def _post(self, text: str) -> Any:
        response = self._http.post(self.url, json={"model": self.model, "input": text})
        if response.status_code != 200:
            raise _NoVerdict(f"HTTP {response.status_code}")
        return response.json()

    def close(self) -> None:
        self._http.close()


class _NoVerdict(Exception):
    """The endpoint answered, but not with a verdict (an HTTP error status)."""


def _remote_verdict(answer: Any) -> Verdict:
    result = answer["results"][0]
    if not result["flagged"]:
        return PASS
    categories = result.get("categories") or {}
    for theirs, ours in _REMOTE_CATEGORIES:
        if categories.get(theirs):
            return Verdict(False, ours, "endpoint")
    named = sorted(k for k, v in categories.items() if v)
    return Verdict(False, named[0] if named else "flagged", "endpoint")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, _NoVerdict):
        return str(exc)
    return type(exc).__name__
