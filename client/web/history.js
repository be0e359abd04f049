// The history page: reads /api/history and draws one small chart per skill (inline SVG).
"use strict";

const SKILLS = [
  ["wpm", "Pace (words a minute, band 130-160)", [130, 160]],
  ["fillers_per_min", "Fillers per minute", null],
  ["long_pauses", "Pauses over 1 s", null],
  ["onset_s", "Time to start answering (s)", null],
  ["star_complete", "Answers with all STAR parts (%)", null],
  ["vocabulary", "Vocabulary variety", null],
  ["pitch_range_st", "Pitch range in talks (semitones)", null],
];
const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text = "") {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function chart(points, key, title, band) {
  const values = points.map((p, i) => [i, p[key]]).filter(([, v]) => v !== null && v !== undefined);
  if (values.length === 0) return null;
  const w = 260, h = 120, pad = 26;
  const ys = values.map(([, v]) => v).concat(band || []);
  const lo = Math.min(0, ...ys), hi = Math.max(...ys) * 1.1 || 1;
  const x = (i) => pad + (points.length > 1 ? i / (points.length - 1) : 0.5) * (w - pad - 8);
  const y = (v) => h - 16 - ((v - lo) / (hi - lo)) * (h - 28);
  const svg = el("svg:svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": title });
  if (band) {
    svg.append(el("svg:rect", { x: pad, y: y(band[1]), width: w - pad - 8,
      height: y(band[0]) - y(band[1]), fill: "#cfeed8" }));
  }
  svg.append(el("svg:text", { x: 2, y: y(hi / 1.1) + 4 }, String(Math.round(hi / 1.1 * 10) / 10)));
  svg.append(el("svg:text", { x: 2, y: y(lo) }, String(lo)));
  const d = values.map(([i, v], n) => `${n ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  svg.append(el("svg:path", { d, fill: "none", stroke: "#2f6fdb", "stroke-width": 2 }));
  for (const [i, v] of values) {
    const dot = el("svg:circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.5, fill: "#2f6fdb" });
    dot.append(el("svg:title", {}, `${v} (session ${i + 1})`));
    svg.append(dot);
  }
  const fig = el("figure");
  fig.append(svg, el("figcaption", {}, title));
  return fig;
}

function fmt(v, digits = 0) {
  return v === null || v === undefined ? "–" : Number(v).toFixed(digits);
}

function render(history) {
  const status = document.getElementById("status");
  const points = history.sessions;
  if (points.length === 0) {
    status.textContent = "No sessions yet: practise once and come back.";
    return;
  }
  status.textContent = `${points.length} session(s).`;
  const list = document.getElementById("trend-list");
  list.replaceChildren(...history.trends.map((t) => el("li", {}, t)));
  for (const [persona, lines] of Object.entries(history.personas)) {
    if (Object.keys(history.personas).length > 1) list.append(el("li", {}, `${persona}: ${lines.join(" ")}`));
  }
  for (const [better, n] of history.recurring_corrections) {
    list.append(el("li", {}, `Recurring correction: “${better}” in ${n} sessions.`));
  }
  const grid = document.getElementById("chart-grid");
  grid.replaceChildren(...SKILLS.map(([k, t, b]) => chart(points, k, t, b)).filter(Boolean));
  const goals = document.getElementById("goal-list");
  goals.replaceChildren(...history.goals.map((g) => el("li", {}, g.text)));
  document.getElementById("goals").hidden = history.goals.length === 0;
  const rows = document.getElementById("session-rows");
  rows.replaceChildren(...points.map((p) => {
    const tr = el("tr");
    const when = new Date(p.started * 1000).toLocaleString();
    const met = p.goals.filter((g) => g.met === true).length;
    const measured = p.goals.filter((g) => g.met !== null).length;
    const token = new URLSearchParams(location.search).get("token");
    const suffix = token ? `?token=${encodeURIComponent(token)}` : "";
    const link = el("a", { href: `/api/sessions/${encodeURIComponent(p.session)}/report${suffix}` }, "report");
    const cells = [when, p.persona, fmt(p.wpm), fmt(p.fillers_per_min, 1),
      measured ? `${met}/${measured} met` : "–"];
    for (const c of cells) tr.append(el("td", {}, c));
    const td = el("td");
    td.append(link);
    tr.append(td);
    return tr;
  }));
  for (const id of ["trends", "charts", "sessions"]) document.getElementById(id).hidden = false;
}

async function load(persona) {
  const token = new URLSearchParams(location.search).get("token");
  const query = new URLSearchParams();
  if (persona) query.set("persona", persona);
  if (token) query.set("token", token);
  const response = await fetch(`/api/history?${query}`);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  }
  return response.json();
}

async function main() {
  const select = document.getElementById("persona");
  try {
    const history = await load("");
    for (const persona of Object.keys(history.personas)) select.append(el("option", { value: persona }, persona));
    render(history);
  } catch (err) {
    document.getElementById("status").textContent = `Could not load your history: ${err.message}`;
  }
  select.addEventListener("change", async () => {
    try {
      render(await load(select.value));
    } catch (err) {
      document.getElementById("status").textContent = `Could not load your history: ${err.message}`;
    }
  });
}

main();
