// The history page: reads /api/history, lists the sessions newest first (cards on a phone) and
// draws one small chart per skill (inline SVG, dated); sets and removes goals, deletes sessions
// (after a confirmation) and exports them, all by keyboard.
"use strict";

// Each chart: the figure it draws, a plain title, the band that is easy to listen to (if any)
// and what the figure means, shown under the chart so it reads the same on a phone.
const SKILLS = [
  ["wpm", "Pace (words a minute)", [130, 160],
    "Words you said per minute of speaking. The green band, 130 to 160, is easy to follow."],
  ["fillers_per_min", "Filler words a minute", null,
    "Sounds like “um” and “uh”. Up to about 5 a minute listeners hardly notice."],
  ["long_pauses", "Pauses over a second", null,
    "Silences of more than a second inside your answers, per session."],
  ["onset_s", "Seconds before you start answering", null,
    "How long you took to start after the question ended. Up to about 2 s sounds natural."],
  ["star_complete", "Answers with all four STAR parts (%)", null,
    "STAR: the Situation, your Task, the Action you took and the Result."],
  ["vocabulary", "Variety of words", null,
    "How many different words you used for every 50 you said (0 to 1; higher is more varied)."],
  ["pitch_range_st", "Voice variety in talks (semitones)", null,
    "How far your voice rose and fell. Below about 3 semitones a voice sounds flat."],
];

// What each trend line measures, by the name it starts with (see voice_rp.progress.SKILLS).
const TREND_EXPLAIN = {
  "Pace": "Words a minute; 130 to 160 is easy to follow.",
  "Fillers": "Sounds like “um” and “uh”, per minute of speaking; fewer is better.",
  "Pauses over 1 s": "Silences of more than a second inside your answers; fewer is better.",
  "Hedges": "Words like “maybe”, “sort of” and “I think”; fewer sounds surer.",
  "Time to start answering": "Seconds from the end of the question to your first word.",
  "Answers with all four STAR parts": "Situation, Task, Action and Result: all four make a "
    + "complete example.",
  "Vocabulary variety": "Different words for every 50 you said; higher is more varied.",
  "Pitch range": "How far your voice rises and falls; wider sounds livelier.",
};

const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text = "") {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

// A short date for a chart's axis and a row: "14 Nov" in the reader's own order.
function day(started) {
  return new Date(started * 1000).toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

// A figure as the chart labels it: whole above 10, else one or two decimals (0.78 stays 0.78).
function short(v) {
  const a = Math.abs(v);
  return String(Number(v.toFixed(a >= 10 ? 0 : a >= 1 ? 1 : 2)));
}

// One skill over the sessions, oldest on the left. Drawn 300 units wide with 13-unit text and
// shown near that size (history.css), so its labels stay readable on a phone; the dates of the
// first and latest session (or of the only one) sit under the line.
function chart(points, key, title, band, explain) {
  const values = points.map((p, i) => [i, p[key], p.started]).filter(([, v]) => v !== null && v !== undefined);
  if (values.length === 0) return null;
  const w = 300, h = 150, pad = 38, top = 12, bottom = h - 30;
  const ys = values.map(([, v]) => v).concat(band || []);
  const most = Math.max(...ys) > 0 ? Math.max(...ys) : 1;  // all zero: an axis up to 1
  const lo = Math.min(0, ...ys), hi = most * 1.1;
  const x = (i) => pad + 10 + (points.length > 1 ? i / (points.length - 1) : 0.5) * (w - pad - 26);
  const y = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  const first = values[0], last = values[values.length - 1];
  const said = values.length === 1 ? `${first[1]} on ${day(first[2])}`
    : `from ${first[1]} on ${day(first[2])} to ${last[1]} on ${day(last[2])}, ${values.length} sessions`;
  const svg = el("svg:svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": `${title}: ${said}` });
  if (band) {
    svg.append(el("svg:rect", { x: pad, y: y(band[1]), width: w - pad - 4,
      height: y(band[0]) - y(band[1]), fill: "#cfeed8" }));
  }
  svg.append(el("svg:line", { x1: pad, x2: w - 4, y1: bottom, y2: bottom, stroke: "#c9ced8" }));
  svg.append(el("svg:text", { x: pad - 6, y: y(most) + 5, "text-anchor": "end" },
    short(most)));
  svg.append(el("svg:text", { x: pad - 6, y: y(lo) + 5, "text-anchor": "end" }, String(lo)));
  const d = values.map(([i, v], n) => `${n ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  svg.append(el("svg:path", { d, fill: "none", stroke: "#2f6fdb", "stroke-width": 2 }));
  for (const [i, v, started] of values) {
    const dot = el("svg:circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 4, fill: "#2f6fdb" });
    dot.append(el("svg:title", {}, `${v} on ${day(started)}`));
    svg.append(dot);
  }
  if (values.length === 1) {  // one session: its figure beside the dot, its date under it
    svg.append(el("svg:text", { x: x(first[0]) + 10, y: y(first[1]) - 8, class: "value" },
      short(first[1])));
    svg.append(el("svg:text", { x: x(first[0]), y: h - 8, "text-anchor": "middle", class: "date" }, day(first[2])));
  } else {
    svg.append(el("svg:text", { x: x(first[0]) - 6, y: h - 8, "text-anchor": "start", class: "date" }, day(first[2])));
    svg.append(el("svg:text", { x: x(last[0]) + 6, y: h - 8, "text-anchor": "end", class: "date" }, day(last[2])));
  }
  const fig = el("figure");
  const caption = el("figcaption");
  caption.append(el("b", {}, title), el("span", { class: "explain" }, explain));
  fig.append(caption, svg);
  return fig;
}

function fmt(v, digits = 0) {
  return v === null || v === undefined ? "not measured" : Number(v).toFixed(digits);
}

function withToken(path, params = {}) {
  const query = new URLSearchParams(params);
  const token = new URLSearchParams(location.search).get("token");
  if (token) query.set("token", token);
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

async function api(method, path, params = {}) {
  const response = await fetch(withToken(path, params), { method, cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  return body;
}

const status = (text) => { document.getElementById("status").textContent = text; };

// Resolves true if the user confirms; the dialog's own keys: Escape keeps, Enter on a button.
// The dialog closes at once but its "close" event comes a task later: a quick user can press
// Escape and open the dialog again before it arrives. So the answer is read from returnValue,
// which the close sets at once, by the one close handler or by the next opening, whichever
// comes first, and a close event that arrives while the dialog is open again is an old one.
let pendingConfirm = null;

function settleConfirm() {
  const dialog = document.getElementById("confirm");
  if (!pendingConfirm || dialog.open) return;
  const resolve = pendingConfirm;
  pendingConfirm = null;
  resolve(dialog.returnValue === "delete");
}

function confirmDelete(text) {
  const dialog = document.getElementById("confirm");
  settleConfirm();  // the last one closed, its close event not yet handled
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    pendingConfirm = resolve;
    dialog.returnValue = "keep";
    dialog.showModal();
    document.getElementById("confirm-keep").focus();  // the safe choice has the focus
  });
}

function renderGoals(goals) {
  const list = document.getElementById("goal-list");
  list.replaceChildren(...goals.map((g) => {
    const li = el("li", { "data-goal": g.id }, g.text);
    const remove = el("button", { type: "button", "aria-label": `Remove the goal “${g.text}”` }, "Remove");
    remove.addEventListener("click", () => change(async () => {
      await api("DELETE", `/api/goals/${g.id}`);
      return `Goal “${g.text}” removed.`;
    }, "goal-text"));
    li.append(remove);
    return li;
  }));
  if (!goals.length) list.append(el("li", { class: "hint" }, "No goals yet."));
  document.getElementById("goals").hidden = false;
}

// A persona as the gallery names it ("Behavioural job interview"), never its file id.
function title(p) {
  return p.persona_title || p.persona_name || p.persona;
}

function cell(text, attrs = {}) {
  return el("td", attrs, text);
}

function sessionRow(p) {
  const tr = el("tr", { "data-session": p.session });
  const when = new Date(p.started * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const who = title(p);
  const met = p.goals.filter((g) => g.met === true).length;
  const measured = p.goals.filter((g) => g.met !== null).length;
  tr.append(cell(when, { class: "when" }), cell(who, { class: "persona" }),
    cell(fmt(p.wpm), { "data-label": "Pace (words a minute)" }),
    cell(fmt(p.fillers_per_min, 1), { "data-label": "Fillers a minute" }),
    cell(measured ? `${met}/${measured} met` : "no goals measured", { "data-label": "Goals", class: "goals" }));
  const report = el("td", { class: "report" });
  report.append(el("a", { href: withToken(`/api/sessions/${encodeURIComponent(p.session)}/report`),
    "aria-label": `Report of ${when} (${who})` }, "Report"));
  const del = el("button", { type: "button", class: "danger", "aria-label": `Delete the session of ${when} with ${who}` }, "Delete");
  del.addEventListener("click", async () => {
    if (!await confirmDelete(`Delete the session of ${when} with ${who}?`)) { del.focus(); return; }
    await change(async () => {
      await api("DELETE", `/api/sessions/${encodeURIComponent(p.session)}`);
      return `The session of ${when} was deleted.`;
    }, "status");
  });
  const td = el("td", { class: "delete" });
  td.append(del);
  tr.append(report, td);
  return tr;
}

// A trend line with what its figure means underneath.
function trendItem(text) {
  const li = el("li", {}, text);
  const name = text.split(":")[0];
  if (TREND_EXPLAIN[name]) li.append(el("span", { class: "hint explain" }, TREND_EXPLAIN[name]));
  return li;
}

// Sessions in which nothing the user said was saved have no figures: they are not listed or
// charted, and the page says how many were left out.
function leftOut(n) {
  if (!n) return "";
  return n === 1 ? "1 session in which nothing you said was saved is not shown."
    : `${n} sessions in which nothing you said was saved are not shown.`;
}

function render(history) {
  const points = history.sessions;  // oldest first, as the charts and trends read them
  const titles = history.persona_titles || {};
  const skipped = leftOut(history.left_out);
  renderGoals(history.goals);
  document.getElementById("export").href = withToken("/api/export");
  const note = document.getElementById("left-out");
  note.textContent = skipped;
  note.hidden = !skipped;
  if (points.length === 0) {
    status(skipped ? `No sessions yet with anything you said in them: practise once and come back. ${skipped}`
      : "No sessions yet: practise once and come back.");
    for (const id of ["trends", "charts"]) document.getElementById(id).hidden = true;
    document.getElementById("sessions").hidden = !skipped;
    document.getElementById("session-rows").replaceChildren();
    return;
  }
  status(`${points.length} session(s).`);  // how many were left out: under the list
  const list = document.getElementById("trend-list");
  list.replaceChildren(...history.trends.map(trendItem));
  for (const [persona, lines] of Object.entries(history.personas)) {
    if (Object.keys(history.personas).length < 2) break;
    const li = el("li", {}, `${titles[persona] || persona}:`);
    const sub = el("ul");
    sub.append(...lines.map((line) => el("li", {}, line)));
    li.append(sub);
    list.append(li);
  }
  for (const [better, n] of history.recurring_corrections) {
    list.append(el("li", {}, `Recurring correction: “${better}” in ${n} sessions.`));
  }
  const grid = document.getElementById("chart-grid");
  grid.replaceChildren(...SKILLS.map(([k, t, b, e]) => chart(points, k, t, b, e)).filter(Boolean));
  document.getElementById("session-rows").replaceChildren(...points.slice().reverse().map(sessionRow));
  for (const id of ["trends", "charts", "sessions"]) document.getElementById(id).hidden = false;
}

async function load(persona) {
  return api("GET", "/api/history", persona ? { persona } : {});
}

async function refresh() {
  const history = await load(document.getElementById("persona").value);
  render(history);
  return history;
}

// Make a change, show the fresh history, say what happened and put the focus somewhere sensible
// (the element with id `focusId`): the button that was pressed may be gone.
async function change(doIt, focusId) {
  const error = document.getElementById("goal-error");
  try {
    const said = await doIt();
    error.textContent = "";
    await refresh();
    status(`${said} ${document.getElementById("status").textContent}`);
  } catch (err) {
    status(`That did not work: ${err.message}`);
  }
  const target = document.getElementById(focusId);
  if (target.id === "status") target.setAttribute("tabindex", "-1");
  target.focus();
}

async function main() {
  document.getElementById("confirm").addEventListener("close", settleConfirm);
  const select = document.getElementById("persona");
  try {
    const history = await load("");
    const titles = history.persona_titles || {};
    for (const persona of Object.keys(history.personas)) {
      select.append(el("option", { value: persona }, titles[persona] || persona));
    }
    document.getElementById("practise-link").href = withToken("/");
    render(history);
  } catch (err) {
    status(`Could not load your history: ${err.message}`);
  }
  select.addEventListener("change", async () => {
    try {
      render(await load(select.value));
    } catch (err) {
      status(`Could not load your history: ${err.message}`);
    }
  });
  document.getElementById("goal-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("goal-text");
    const error = document.getElementById("goal-error");
    const text = input.value.trim();
    if (!text) return;
    try {
      await api("POST", "/api/goals", { text });
    } catch (err) {
      error.textContent = err.message;  // e.g. how to write a goal; the text stays to fix it
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.value = "";
    input.removeAttribute("aria-invalid");
    await change(async () => `Goal “${text}” added.`, "goal-text");
  });
  document.getElementById("delete-all").addEventListener("click", async () => {
    const n = document.getElementById("session-rows").children.length;
    const button = document.getElementById("delete-all");
    // The button deletes every session, also those a persona filter hides.
    const what = document.getElementById("persona").value ? "every saved session, with every persona"
      : `all ${n} saved session(s)`;
    if (!await confirmDelete(`Delete ${what}? Your goals stay.`)) { button.focus(); return; }
    await change(async () => {
      const body = await api("DELETE", "/api/sessions", { confirm: "all" });
      return `${body.deleted} session(s) deleted.`;
    }, "status");
  });
}

main();
