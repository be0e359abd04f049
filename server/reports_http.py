"""The feedback API for the browser: saved sessions, reports and history, over plain GET.

    GET /api/sessions                  saved sessions, oldest first (JSON)
    GET /api/sessions/ID/report        the session's report: a self-contained HTML page
    GET /api/sessions/ID/report.json   the same report as JSON (404 no_report: nothing was said)
    GET /api/history[?persona=NAME]    figures per session, trends and goals (JSON), with
                                       persona titles and how many empty sessions were left out
    GET /api/export                    every session and goal as a JSON download
    POST /api/goals?text=GOAL          add a goal ("pace 130-160"); 400 if it cannot be read
    DELETE /api/goals/ID               remove a goal
    DELETE /api/sessions/ID            delete one session, its records and analyses
    DELETE /api/sessions?confirm=all   delete every session (goals stay)
    POST /api/sessions/ID/corrections?answer=N&heard=WORDS&said=WORDS
                                       correct misheard words in answer N; {"report": ...};
                                       400 bad_correction if they cannot be corrected
    DELETE /api/sessions/ID/corrections/K   undo correction K; {"report": ...}

Transcripts are private, so these answer only what may open a conversation (the server's token
and Origin checks), and without a token only to a loopback Host name: a page on another site
cannot rebind its own name to 127.0.0.1 and read them. Changes (POST, DELETE) come only from
this server's own pages, an allowed Origin or a client that sends no Origin (not a browser): the
websocket's Origin check lets any localhost page in, and a page on another local port could
otherwise post a form that deletes every session. The changes carry no body (websockets reads
none), so a goal's text and a correction's words come in the query string. Reports are built in
a worker thread (a language model may be asked for corrections), never on the event loop.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request, Response

from server import http
from voice_rp.feedback.language import FeedbackSettings
from voice_rp.feedback.report_html import REPORT_CSP, render_html
from voice_rp.feedback.service import BadCorrection, NoSuchCorrection, Reports
from voice_rp.progress import parse_goal
from voice_rp.storage import SessionNotFound, SessionStore

log = logging.getLogger("voice_rp.server.reports")

PREFIX = "/api/"
_REPORT = re.compile(r"^/api/sessions/(?P<id>[0-9A-Za-z][0-9A-Za-z_-]{0,63})/report"
                     r"(?P<json>\.json)?$")
_SESSION = re.compile(r"^/api/sessions/(?P<id>[0-9A-Za-z][0-9A-Za-z_-]{0,63})$")
_GOAL = re.compile(r"^/api/goals/(?P<id>[0-9]{1,18})$")
_CORRECTIONS = re.compile(r"^/api/sessions/(?P<id>[0-9A-Za-z][0-9A-Za-z_-]{0,63})/corrections"
                          r"(?:/(?P<index>[0-9]{1,9}))?$")
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
_MAX_GOAL_CHARS = 200


@dataclass
class ReportsAPI:
    reports: Reports
    access: http.AccessPolicy

    @classmethod
    def for_store(cls, store: SessionStore, access: http.AccessPolicy, *,
                  persona_dirs: Sequence[Path] | None = None,
                  settings: FeedbackSettings | None = None) -> ReportsAPI:
        from voice_rp.personas import builtin_dirs

        dirs = list(persona_dirs) if persona_dirs is not None else builtin_dirs()
        return cls(Reports(store, dirs, settings or FeedbackSettings()), access)

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(PREFIX)

    async def respond(self, request: Request) -> Response:
        rejection = self._refuse(request)
        if rejection is not None:
            return http.rejection_response(rejection)
        parts = urlsplit(request.path)
        path, query = parts.path, parse_qs(parts.query)
        if request.method != "GET":
            return await self._change(request, path, query)
        try:
            if path == "/api/sessions":
                return http.json_response(200, {"sessions": await asyncio.to_thread(
                    self._sessions)})
            if path == "/api/history":
                persona = query["persona"][0] if query.get("persona") else None
                return http.json_response(200, await asyncio.to_thread(self._history, persona))
            if path == "/api/export":
                body = json.dumps(await asyncio.to_thread(self.reports.store.export),
                                  ensure_ascii=False).encode()
                response = _bytes(200, body, "application/json")
                response.headers["Content-Disposition"] = (
                    "attachment; filename=voice-rp-export.json")
                return response
            match = _REPORT.match(path)
            if match:
                report = await asyncio.to_thread(self.reports.report, match["id"])
                if not report.get("answers"):
                    return _no_report(report, page=not match["json"])
                if match["json"]:
                    return _bytes(200, json.dumps(report, ensure_ascii=False).encode(),
                                  "application/json")
                return _bytes(200, render_html(report).encode(), "text/html; charset=utf-8")
        except SessionNotFound as exc:
            return _error(404, "not_found", str(exc))
        except Exception as exc:  # one bad session's data must not take the API down
            log.exception("building %s failed", path)
            return _error(500, "internal_error", f"the report could not be built: {exc}")
        return _error(404, "not_found", f"no API at {path}")

    async def _change(self, request: Request, path: str, query: dict[str, list[str]]
                      ) -> Response:
        """POST a goal or a correction, DELETE a goal, a correction, a session or all
        sessions."""
        origin = request.headers.get("Origin")
        host = request.headers.get("Host", "")
        allowed = self.access.allowed_origins
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower() and not (
                origin in allowed or "*" in allowed):
            return _error(403, "bad_origin", f"Origin {origin} may not change saved sessions "
                          "or goals; use this server's own pages")
        store = self.reports.store
        method = request.method
        try:
            if method == "POST" and path == "/api/goals":
                text = (query.get("text") or [""])[0].strip()
                if not text or len(text) > _MAX_GOAL_CHARS:
                    return _error(400, "bad_goal", "send the goal as ?text=GOAL, e.g. "
                                  f"'fillers under 3' (at most {_MAX_GOAL_CHARS} characters)")
                try:
                    parse_goal(text)
                except ValueError as exc:
                    return _error(400, "bad_goal", str(exc))
                goal = await asyncio.to_thread(store.add_goal, text)
                return http.json_response(200, {"goal": {"id": goal.id, "text": goal.text}})
            if method == "DELETE" and (match := _GOAL.match(path)):
                if not await asyncio.to_thread(store.remove_goal, int(match["id"])):
                    return _error(404, "not_found", f"no goal {match['id']}")
                return http.json_response(200, {"removed": int(match["id"])})
            if match := _CORRECTIONS.match(path):
                return await self._correction(method, match["id"], match["index"], query)
            if method == "DELETE" and (match := _SESSION.match(path)):
                await asyncio.to_thread(store.delete_session, match["id"])
                return http.json_response(200, {"deleted": 1})
            if method == "DELETE" and path == "/api/sessions":
                if query.get("confirm") != ["all"]:
                    return _error(400, "confirm_needed", "deleting every session needs "
                                  "?confirm=all")
                return http.json_response(200, {"deleted": await asyncio.to_thread(
                    store.delete_all)})
        except SessionNotFound as exc:
            return _error(404, "not_found", str(exc))
        except OSError as exc:  # the database did not answer: nothing was changed
            log.error("%s %s failed: %s", method, path, exc)
            return _error(503, "storage_unavailable", f"the change could not be saved: {exc}")
        return _error(405, "method_not_allowed", f"{method} is not allowed on {path}")

    async def _correction(self, method: str, session_id: str, index: str | None,
                          query: dict[str, list[str]]) -> Response:
        """POST .../corrections?answer=N&heard=..&said=.. or DELETE .../corrections/K: the
        report rebuilt from the corrected words (in a worker thread: a model may judge them)."""
        try:
            if method == "POST" and index is None:
                raw = (query.get("answer") or [""])[0].strip()
                if not raw.isdigit() or len(raw) > 9:
                    return _error(400, "bad_correction", "name the answer to correct as "
                                  "?answer=N (its number in the report, from 1)")
                report = await asyncio.to_thread(
                    self.reports.correct, session_id, int(raw),
                    (query.get("heard") or [""])[0], (query.get("said") or [""])[0])
            elif method == "DELETE" and index is not None:
                report = await asyncio.to_thread(self.reports.uncorrect, session_id, int(index))
            else:
                return _error(405, "method_not_allowed", f"{method} is not allowed here")
        except NoSuchCorrection as exc:
            return _error(404, "not_found", str(exc))
        except BadCorrection as exc:
            return _error(400, "bad_correction", str(exc))
        except (SessionNotFound, OSError):
            raise  # answered as for every change
        except Exception as exc:  # the correction is kept; only this report failed
            log.exception("building the report of %s failed", session_id)
            return _error(500, "internal_error", f"the report could not be built: {exc}")
        return http.json_response(200, {"report": report})

    def _history(self, persona: str | None) -> dict[str, Any]:
        """The history with what the page shows beside it: each persona by its title (as the
        gallery names it, not its file id) and how many sessions were left out because nothing
        the user said was saved in them."""
        history = self.reports.history(persona)
        titles = self._titles()
        for point in history["sessions"]:
            point["persona_title"] = (titles.get(str(point.get("persona")))
                                      or point.get("persona_name") or point.get("persona"))
        named = {str(p.get("persona")): p["persona_title"] for p in history["sessions"]}
        history["persona_titles"] = {k: named.get(k) or titles.get(k) or k
                                     for k in history["personas"]}
        kept = len(history["sessions"])
        saved = sum(1 for s in self.reports.store.list_sessions()
                    if persona is None or s.persona == persona)
        history["left_out"] = max(0, saved - kept)
        return history

    def _titles(self) -> dict[str, str]:
        from voice_rp.personas import list_personas

        try:
            return {p.id: p.title for p in list_personas(self.reports.persona_dirs)}
        except (OSError, ValueError) as exc:  # the history still loads, with names or ids
            log.warning("the persona titles could not be read: %s", exc)
            return {}

    def _sessions(self) -> list[dict[str, Any]]:
        return [{"id": s.id, "started": s.started, "persona": s.persona,
                 "user_turns": s.user_turns, "replies": s.replies, "ended": s.ended,
                 "end_reason": s.end_reason,
                 "report": f"/api/sessions/{s.id}/report"}
                for s in self.reports.store.list_sessions()]

    def _refuse(self, request: Request) -> http.Rejection | None:
        rejection = self.access.check(request)
        if rejection is not None:
            return rejection
        if self.access.token is None:
            host = urlsplit("//" + request.headers.get("Host", "")).hostname or ""
            if host.lower() not in _LOOPBACK_NAMES:
                return http.Rejection(403, "bad_host", "saved sessions are only served to "
                                      "localhost unless the server has an access token")
        return None


def _bytes(status: int, body: bytes, content_type: str) -> Response:
    response = http._response(status, body, content_type)
    if content_type.startswith("text/html"):
        # The report is self-contained: it loads nothing, and runs only its own fix script
        # (allowed by hash), which may call this server's API and nothing else.
        response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


def _no_report(report: dict[str, Any], *, page: bool) -> Response:
    """A session in which nothing the user said was saved has no report: say why."""
    reason = str(report.get("empty_reason") or "Nothing you said was saved in this session, "
                 "so there is nothing to give feedback on.")
    if not page:
        return _error(404, "no_report", reason)
    body = ("<!doctype html><html lang=en><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            "<title>No report</title><body style='font:1rem/1.5 system-ui,sans-serif;"
            "max-width:36rem;margin:2rem auto;padding:0 1rem'>"
            f"<main><h1>No report for this session</h1><p>{html.escape(reason)}</p>"
            "<p><a href='/history.html'>See your progress</a></p></main></body></html>")
    return _bytes(404, body.encode(), "text/html; charset=utf-8")


def _error(status: int, code: str, message: str) -> Response:
    return http.json_response(status, {"error": {"code": code, "message": message}})
