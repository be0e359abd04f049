// voice-rp browser client: the end of a session, a summary from session_end and the server's
// report.
"use strict";

const SUMMARY_LABELS = {
  duration_s: ["Length", (v) => `${Math.floor(v / 60)} min ${Math.round(v % 60)} s`],
  user_turns: ["Your turns", String],
  user_words: ["Your words", String],
  speaking_s: ["You spoke for", (v) => `${Math.round(v)} s`],
  words_per_minute: ["Your pace", (v) => `${v} words a minute`],
  fillers_per_100_words: ["Fillers", (v) => `${v} per 100 words`],
  longest_turn_s: ["Longest answer", (v) => `${Math.round(v)} s`],
  questions_asked: ["Questions asked", String],
  interruptions: ["Times you interrupted", String],
  cut_offs: ["Times the partner cut in", String], // 0 is a measured zero: shown
};

// Summary values that are objects and are said as a sentence; other objects are listed.
const SUMMARY_SENTENCES = {
  turn_taking: ["How long the partner waits", turnTakingSentence],
};

const oneDecimal = (v) => String(Math.round(v * 10) / 10);

// The waits the server learned from the user's pauses, in one sentence (never the raw pauses).
function turnTakingSentence(tt) {
  if (!tt || typeof tt !== "object" || typeof tt.thinking_wait_s !== "number") return "";
  const sessions = tt.learned_from_sessions || 0;
  const pauses = Array.isArray(tt.pauses_s) ? tt.pauses_s.length : 0;
  const learned = sessions === 0
    ? `learned as you go: ${pauses} ${pauses === 1 ? "pause" : "pauses"} so far`
    : `learned from your last ${sessions === 1 ? "session" : `${sessions} sessions`}`;
  return `The partner waits up to ${oneDecimal(tt.thinking_wait_s)} s when you pause ` +
    `mid-sentence (${learned}).`;
}

function words(key) { return key.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()); }

function describe(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(describe).filter(Boolean).join("; ");
  if (typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${k.replace(/_/g, " ")}: ${describe(v)}`).join(", ");
  }
  return String(value);
}

// A readable summary from session_end, then the server's full report in place if it has one.
async function showSummary(summary, reason) {
  const box = $("summary");
  box.textContent = "";
  box.className = "summary";
  $("end").hidden = false;
  $("report").hidden = true;
  const id = app.sessionId;
  if (summary && Object.keys(summary).length) {
    const dl = document.createElement("dl");
    const notes = [];
    for (const [key, value] of Object.entries(summary)) {
      if (key === "notes") { notes.push(...(Array.isArray(value) ? value : [value])); continue; }
      if (value === null || value === undefined || (typeof value === "object" && !Object.keys(value).length)) continue;
      const labels = typeof value === "object" ? SUMMARY_SENTENCES : SUMMARY_LABELS;
      const [label, fmt] = labels[key] || [words(key), describe];
      const text = fmt(value);
      if (!text) continue;
      dl.append(Object.assign(document.createElement("dt"), { textContent: label }),
        Object.assign(document.createElement("dd"), { textContent: text }));
    }
    box.append(dl);
    if (notes.length) {
      const ul = document.createElement("ul");
      for (const n of notes) ul.append(Object.assign(document.createElement("li"), { textContent: describe(n) }));
      box.append(ul);
    }
  } else {
    box.append(Object.assign(document.createElement("p"), {
      textContent: "No summary came back for this session.",
    }));
  }
  if (id) {
    box.append(Object.assign(document.createElement("p"), { className: "meta",
      textContent: `Your transcript is saved as session ${id}.` }));
  }
  $("end-title").focus();
  if (!id || reason === "disconnected") return;
  const url = `/api/sessions/${encodeURIComponent(id)}/report`;
  try {
    const res = await fetch(url, { cache: "no-store" });
    if (res.ok && (res.headers.get("Content-Type") || "").includes("html")) {
      $("report").src = url;
      $("report").hidden = false;
    }
  } catch (_) { /* the readable summary above stays */ }
}
