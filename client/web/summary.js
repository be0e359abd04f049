// voice-rp browser client: the end of a session. The server's session_end message carries the
// report's own figures and "what to work on" (voice_rp.feedback.figures.end_summary), shown here
// as they are, then links to the full report (its own page) and to the history. This file
// formats no number: the report computes each one once, so the end screen, the report and the
// history cannot disagree.
"use strict";

function textEl(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

// One figure: its label, its value as the user reads it, and what it means (or why it was not
// measured), as visible text so it reads the same on a phone as with a mouse.
function figureItem(f) {
  const li = document.createElement("li");
  const measured = f.measured !== false && f.text !== "not measured";
  li.className = measured ? "measured" : "unmeasured";
  if (f.key) li.dataset.key = String(f.key);
  li.append(textEl("span", String(f.label || ""), "fig-label"),
    textEl("span", String(f.text || "not measured"), "fig-value"));
  if (!measured && f.reason) li.append(textEl("span", String(f.reason), "fig-explain why"));
  if (f.explain) li.append(textEl("span", String(f.explain), "fig-explain"));
  return li;
}

function workItem(item) {
  const li = document.createElement("li");
  li.append(textEl("strong", String(item.title || ""), "work-title"));
  if (item.quote) li.append(textEl("q", String(item.quote), "work-quote"));
  if (item.try) {
    const p = document.createElement("p");
    p.append(textEl("b", "Try: "), document.createTextNode(String(item.try)));
    li.append(p);
  }
  return li;
}

// What the summary says, or null when it has nothing to show (an old or missing summary).
function summaryContent(summary) {
  if (!summary || typeof summary !== "object" || !Array.isArray(summary.figures)) return null;
  const parts = [];
  if (summary.not_saved) return [textEl("p", String(summary.not_saved))];
  if (summary.empty) {
    return [textEl("p", String(summary.empty_reason ||
      "Nothing you said was saved in this session, so there is no report."))];
  }
  const work = Array.isArray(summary.work_on) ? summary.work_on.slice(0, 3) : [];
  if (work.length) {
    const ol = document.createElement("ol");
    ol.className = "work-on";
    ol.append(...work.map(workItem));
    parts.push(textEl("h3", "What to work on"), ol);
  }
  if (summary.figures.length) {
    const ul = document.createElement("ul");
    ul.className = "figures";
    ul.append(...summary.figures.map(figureItem));
    parts.push(textEl("h3", "How it went"), ul);
  }
  return parts.length ? parts : null;
}

// A path on this server with the access token, if the page has one (the report and history
// are private to whoever may open a conversation).
function withAccess(path) {
  const token = $("token") ? $("token").value.trim() : "";
  return token ? `${path}?token=${encodeURIComponent(token)}` : path;
}

function reportUrl(id) {
  return withAccess(`/api/sessions/${encodeURIComponent(id)}/report`);
}

// The summary from session_end, then links to the full report and the history. The report opens
// as its own page in this tab, never in a frame: a frame inside this page is a second scrolling
// box, which on a phone is too small to read and traps the thumb.
function showSummary(summary, reason) {
  const box = $("summary");
  box.textContent = "";
  box.className = "summary";
  $("end").hidden = false;
  const link = $("report-link");
  link.hidden = true;
  link.removeAttribute("href");
  $("history-link").href = withAccess("/history.html");
  const content = summaryContent(summary);
  if (content) box.append(...content);
  else box.append(textEl("p", "No summary came back for this session."));
  const refused = Boolean(summary && (summary.not_saved || summary.empty));
  const id = (summary && !summary.not_saved && summary.session) || app.sessionId;
  if (id && !refused) {
    box.append(textEl("p", `Your transcript is saved as session ${id}.`, "meta"));
    if (content || reason !== "disconnected") {
      link.href = reportUrl(id);
      link.hidden = false;
    }
  }
  $("end-title").focus();
}
