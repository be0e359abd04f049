"""Fixing a misheard word from the report page: the form, the list of corrections with Undo,
and the one small script that sends them.

The page is otherwise static, and the server serves it under a Content-Security-Policy that
allows only this script (by its hash, `REPORT_CSP`) and requests to its own origin. A report
saved to a file by the CLI has no server behind it: the form then says how to correct from the
command line instead, and says so from the start when no script runs at all.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Any

OFFLINE = ("Corrections work on the page served by voice-rp, or with "
           "`python -m client report ID --fix N HEARD SAID`.")
MAX_CHARS = 120
"""The server refuses longer corrections (see the corrections API)."""

_SCRIPT = """
(() => {
  "use strict";
  const session = document.body.dataset.session;
  const token = new URLSearchParams(location.search).get("token");
  const served = location.protocol === "http:" || location.protocol === "https:";
  const offline = (n) => OFFLINE.replace("ID", session).replace(" N ", ` ${n || "N"} `);
  function url(path, params) {
    const q = new URLSearchParams(params);
    if (token) q.set("token", token);
    const s = q.toString();
    return s ? `${path}?${s}` : path;
  }
  async function send(method, path, params, msg) {
    msg.textContent = "Saving…";
    let res;
    try {
      res = await fetch(url(path, params), { method, cache: "no-store" });
    } catch (_) {
      msg.textContent = offline(params.answer);
      return;
    }
    if (res.ok) { location.reload(); return; }
    const body = await res.json().catch(() => null);
    msg.textContent = body && body.error && body.error.message ? body.error.message
      : offline(params.answer);
  }
  const base = `/api/sessions/${encodeURIComponent(session)}/corrections`;
  for (const hint of document.querySelectorAll(".fix-hint")) hint.hidden = served;
  for (const form of document.querySelectorAll("form.fix-form")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const heard = form.elements.heard.value.trim(), said = form.elements.said.value.trim();
      if (!heard || !said) return;
      send("POST", base, { answer: form.dataset.answer, heard, said },
           form.querySelector(".fix-msg"));
    });
  }
  for (const button of document.querySelectorAll("button[data-undo]")) {
    button.addEventListener("click", () => {
      send("DELETE", `${base}/${encodeURIComponent(button.dataset.undo)}`, {},
           button.closest(".corrections").querySelector(".fix-msg"));
    });
  }
})();
"""
SCRIPT = _SCRIPT.replace("OFFLINE", repr(OFFLINE).replace("'", '"'))
_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              f"script-src 'sha256-{_HASH}'; connect-src 'self'; form-action 'none'; "
              "base-uri 'none'")
"""The header to serve the HTML report with: inline styles, the fix script, its own API."""


def script_tag() -> str:
    return f"<script>{SCRIPT}</script>"


def fix_form(session: str, answer: dict[str, Any], corrections: list[dict[str, Any]]) -> str:
    """The corrections already made to this answer (with Undo) and a form for another."""
    n = escape(str(answer.get("number", "")))
    command = escape(f"python -m client report {session} --fix {answer.get('number', 'N')} "
                     "HEARD SAID")
    hint = (escape(OFFLINE.split("`")[0]) + f"<code>{command}</code>.")
    out = []
    if corrections:
        out.append("<div class='corrections'><h4>Words you corrected</h4><ul>")
        for c in corrections:
            k = escape(str(c.get("index", "")))
            out.append(f"<li>Heard “{escape(str(c.get('heard', '')))}”, you said "
                       f"“{escape(str(c.get('said', '')))}” <button type='button' "
                       f"data-undo='{k}' aria-label='Undo the correction of "
                       f"“{escape(str(c.get('heard', '')))}”'>Undo</button></li>")
        out.append("</ul><p class='fix-msg' role='status'></p></div>")
    out.append(
        f"<details class='fix'><summary>Fix a misheard word</summary>"
        f"<form class='fix-form' data-answer='{n}'>"
        f"<p class='explain'>If recognition wrote down a word you did not say, correct it "
        f"here: the figures and the verdict are worked out again from the corrected words.</p>"
        f"<div class='field'><label for='heard-{n}'>Written down as</label>"
        f"<input id='heard-{n}' name='heard' maxlength='{MAX_CHARS}' required "
        f"autocomplete='off'></div>"
        f"<div class='field'><label for='said-{n}'>What you said</label>"
        f"<input id='said-{n}' name='said' maxlength='{MAX_CHARS}' required "
        f"autocomplete='off'></div>"
        f"<button type='submit'>Fix it</button>"
        f"<p class='fix-msg' role='status'></p>"
        f"<p class='fix-hint explain'>{hint}</p></form></details>")
    return "".join(out)
