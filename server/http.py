"""The HTTP side of the server's port: access checks, responses and the browser client's files."""

from __future__ import annotations

import hmac
import ipaddress
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from voice_rp import protocol as proto

WEB_DIR = Path(__file__).resolve().parent.parent / "client" / "web"
WEBSOCKET_PATHS = ("/", "/ws")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    """True if binding to `host` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname may resolve to anything: treat it as public


@dataclass(frozen=True)
class Rejection:
    """A refused handshake: the HTTP status and the error a client is told (docs/protocol.md)."""

    status: int
    code: str
    message: str


@dataclass(frozen=True)
class AccessPolicy:
    """Who may open a conversation: Host, token and browser Origin checks."""

    token: str | None = None
    allowed_origins: frozenset[str] = frozenset()
    """Extra browser origins allowed besides same-origin and localhost pages ("*" allows any)."""
    allowed_hosts: frozenset[str] = frozenset()
    """Extra Host names (without port) accepted on a server without a token ("*" allows any)."""

    def check(self, request: Request) -> Rejection | None:
        for name in ("Host", "Origin", "Authorization"):
            if len(request.headers.get_all(name)) > 1:
                # Two answers to one question: whichever we read, the other could be the lie.
                return Rejection(400, proto.BAD_HOST if name == "Host" else
                                 proto.BAD_ORIGIN if name == "Origin" else proto.UNAUTHORIZED,
                                 f"the request has more than one {name} header")
        host = request.headers.get("Host", "")
        if not self._host_ok(host):
            # DNS rebinding: a page on evil.example whose name resolves to 127.0.0.1 reaches a
            # loopback server with Host and Origin both evil.example. Without a token, only a
            # loopback name proves the request was meant for this machine.
            return Rejection(403, proto.BAD_HOST,
                             f"Host {_shown(host)} may not open conversations on this server; "
                             "use localhost or 127.0.0.1, or start it with --allow-host or a "
                             "token")
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_ok(origin, request.headers.get("Host", "")):
            return Rejection(403, proto.BAD_ORIGIN,
                             f"Origin {origin} may not open conversations on this server; start "
                             "it with --allow-origin to allow that page")
        if self.token is not None and not hmac.compare_digest(
                _request_token(request).encode(), self.token.encode()):
            return Rejection(401, proto.UNAUTHORIZED,
                             "this server needs an access token: send 'Authorization: Bearer "
                             "TOKEN' or add ?token=TOKEN to the URL")
        return None

    def _host_ok(self, host: str) -> bool:
        if self.token is not None or "*" in self.allowed_hosts:
            return True
        name = (urlsplit("//" + host).hostname or "") if host else ""
        if not name:
            return False
        return name.lower() in self.allowed_hosts or is_loopback(name)

    def _origin_ok(self, origin: str, host: str) -> bool:
        if "*" in self.allowed_origins or origin in self.allowed_origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False  # e.g. "null" from file:// pages
        # Same origin: the page was served by this very server.
        if parts.netloc.lower() == host.lower():
            return True
        return (parts.hostname or "").lower() in _LOCAL_HOSTS


def _shown(text: str) -> str:
    return repr(text[:80])


def _request_token(request: Request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    # Browsers cannot set headers on a WebSocket, so the token may come in the query string.
    values = parse_qs(urlsplit(request.path).query).get("token", [])
    return values[0] if values else ""


def is_websocket(request: Request) -> bool:
    return "websocket" in request.headers.get("Upgrade", "").lower()


def request_path(request: Request) -> str:
    return urlsplit(request.path).path or "/"


def json_response(status: int, body: dict[str, Any]) -> Response:
    return _response(status, json.dumps(body).encode(), "application/json")


def rejection_response(rejection: Rejection) -> Response:
    return json_response(rejection.status, {"error": {"code": rejection.code,
                                                      "message": rejection.message}})


PROTOCOL_JS = "/protocol.js"


def protocol_js() -> str:
    """The browser client's copy of the protocol's constants (voice_rp.protocol), as the global
    `VOICE_RP`: made from the Python codec on each request, so the two cannot drift apart."""
    constants = json.dumps(proto.browser_constants(), indent=1, sort_keys=True)
    return ("// voice-rp wire protocol constants, made by the server from voice_rp/protocol.py.\n"
            '"use strict";\n'
            "const VOICE_RP = (function freeze(o) {\n"
            '  Object.values(o).forEach((v) => { if (typeof v === "object") freeze(v); });\n'
            "  return Object.freeze(o);\n"
            f"}})({constants});\n")


def static_response(path: str, web_dir: Path = WEB_DIR) -> Response:
    """A file of the browser client, or 404. Only plain files directly in `web_dir` are served,
    and /protocol.js, made from the codec."""
    if path == PROTOCOL_JS:
        return _response(200, protocol_js().encode(), "text/javascript; charset=utf-8")
    name = "index.html" if path in ("", "/") else path.lstrip("/")
    target = web_dir / name
    if "/" in name or name.startswith(".") or not target.is_file():
        return json_response(404, {"error": {"code": "not_found", "message": f"no page {path}"}})
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("javascript"):
        kind += "; charset=utf-8"
    return _response(200, target.read_bytes(), kind)


def bytes_response(status: int, body: bytes, content_type: str) -> Response:
    return _response(status, body, content_type)


def busy_response(why: str, retry_after_s: float) -> Response:
    """HTTP 503 with the server_busy error and a retry hint, before any websocket upgrade."""
    response = json_response(503, {"error": {
        "code": proto.SERVER_BUSY, "message": f"the server is busy ({why}); try again later",
        "retry_after_s": retry_after_s}})
    response.headers["Retry-After"] = str(max(1, round(retry_after_s)))
    return response


def _response(status: int, body: bytes, content_type: str) -> Response:
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-store"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Connection"] = "close"
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
              404: "Not Found", 405: "Method Not Allowed",
              503: "Service Unavailable"}.get(status, "Error")
    return Response(status, reason, headers, body)
