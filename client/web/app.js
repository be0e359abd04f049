// voice-rp browser client: speaks protocol voice-rp/1 (docs/protocol.md) with the server that
// served this page. The gallery comes from GET /api/personas; audio lives in audio.js.
"use strict";

const PROTOCOL = "voice-rp/1";
const PLAYED_EVERY_MS = 200;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const STATES = {
  listening: "Listening: your turn to speak",
  thinking: "Thinking...",
  speaking: "Speaking: you can interrupt",
  ended: "Ended",
};

// Close codes, in the user's words (docs/protocol.md, "Close codes").
function closeSentence(code, opened) {
  switch (code) {
    case 1000: return "The server ended the conversation.";
    case 1001: return "The server is shutting down, so the conversation ended. What you said so far is saved.";
    case 1009: return "The server refused a message that was too large.";
    case 1011: return "The server hit an internal error and ended the conversation. What you said so far is saved.";
    case 1013: return "The server is busy with other conversations. Try again in a minute.";
    default:
      return opened
        ? "The connection to the server was lost. What you said so far is saved on the server."
        : "Could not reach the voice-rp server. Is it running? Start it with scripts/serve, " +
          "then press Start again.";
  }
}

const app = {
  gallery: null, // the /api/personas body
  ws: null,
  audio: null,
  started: false, // `ready` received
  ended: false, // `session_end` received
  sessionId: null,
  persona: null, // the chosen gallery entry
  lines: new Map(), // turn -> the persona's transcript line
  playedTimer: null,
  clockTimer: null,
  deadline: null,
  events: [], // every server message type with its arrival time, for diagnosis and tests
};
window.voiceRp = app;

// ---------------------------------------------------------------------------- gallery

async function loadGallery() {
  $("retry").hidden = true;
  $("gallery-status").textContent = "Loading the practices...";
  try {
    const res = await fetch("/api/personas", { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    app.gallery = await res.json();
  } catch (err) {
    $("gallery-status").textContent = "Could not reach the voice-rp server to list the " +
      "practices. Is it running? Start it with scripts/serve.";
    $("retry").hidden = false;
    return;
  }
  renderGallery(app.gallery.personas);
  $("token-box").hidden = !app.gallery.token_required;
}

function minutes(seconds) {
  const m = Math.round(seconds / 60);
  return m >= 1 ? `${m} min` : `${Math.round(seconds)} s`;
}

function renderGallery(personas) {
  const box = $("gallery");
  box.textContent = "";
  if (!personas.length) {
    $("gallery-status").textContent = "This server has no practices installed.";
    return;
  }
  $("gallery-status").textContent = `${personas.length} practices. Pick one, then press Start.`;
  const wanted = params.get("persona");
  personas.forEach((p, i) => {
    const label = document.createElement("label");
    label.className = "card";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "persona";
    input.value = p.id;
    input.checked = wanted ? p.id === wanted : i === 0;
    input.addEventListener("change", choose);
    const facts = [p.language_name + (p.level ? ` ${p.level}` : ""), p.turn_taking_text];
    if (p.difficulty) facts.push(`difficulty: ${p.difficulty}`);
    if (p.time_limit_s) facts.push(`up to ${minutes(p.time_limit_s)}`);
    if (p.speakers.length > 1) facts.push(`${p.speakers.length} speakers`);
    label.append(input, span("title", p.title), span("who", `${p.speakers.join(" and ")}: ${p.who}`),
      span("practise", `You practise: ${p.practise}`));
    const factBox = span("facts", "");
    for (const f of facts) factBox.append(span("", f));
    label.append(factBox);
    label.dataset.persona = p.id;
    box.append(label);
  });
  choose();
  $("start").disabled = false;
}

function span(cls, text) {
  const s = document.createElement("span");
  if (cls) s.className = cls;
  s.textContent = text;
  return s;
}

function chosen() {
  const input = document.querySelector('input[name="persona"]:checked');
  return input && app.gallery ? app.gallery.personas.find((p) => p.id === input.value) : null;
}

function choose() {
  const p = chosen();
  const levelled = p && !p.difficulty;
  $("difficulty").disabled = !!levelled;
  $("difficulty-note").hidden = !levelled;
  if (p) $("speaks-first").disabled = !p.speaks_first;
}

// ---------------------------------------------------------------------------- messages to the user

function problem(text, hint) {
  const box = $("problem");
  box.textContent = text;
  if (hint) box.append(Object.assign(document.createElement("p"), { className: "hint", textContent: hint }));
  box.hidden = false;
}

function clearProblem() { $("problem").hidden = true; $("problem").textContent = ""; }

function setState(state) {
  $("state").textContent = STATES[state] || state;
  $("state-dot").className = `dot ${state}`;
}

function addLine(cls, who, text) {
  const p = document.createElement("p");
  p.className = `line ${cls}`;
  p.append(span("who", who ? `${who}: ` : ""), span("text", text));
  $("transcript").append(p);
  p.scrollIntoView({ block: "nearest" });
  return p;
}

function meta(text) {
  const p = addLine("meta", "", text);
  return p;
}

// ---------------------------------------------------------------------------- a session

async function start(event) {
  if (event) event.preventDefault();
  const persona = chosen();
  if (!persona || app.ws) return;
  clearProblem();
  $("start").disabled = true;
  setupLocked(true);
  app.persona = persona;
  $("live").hidden = false;
  $("end").hidden = true;
  $("notice").hidden = true;
  $("transcript").textContent = "";
  app.audio = new AudioEngine({
    onFrame: sendFrame,
    onLevel: (level) => { $("level").value = Math.min(1, level * 4); },
    onProblem: (text) => problem(text),
    guard: params.get("echo_guard") !== "off",
    loopback: params.get("loopback") !== "off",
    audioEl: $("voice"),
  });
  try {
    app.audio.begin(); // inside the click: browsers start audio only on a gesture
    setState("starting");
    $("state").textContent = "Starting the microphone...";
    await app.audio.open();
  } catch (err) {
    finish();
    problem(err instanceof AudioProblem ? err.message : `Audio could not start: ${err.message || err}`);
    $("start").focus();
    return;
  }
  connect(persona);
}

function serverUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = $("token").value.trim();
  return `${scheme}//${location.host}/ws` + (token ? `?token=${encodeURIComponent(token)}` : "");
}

function startOptions(persona) {
  const options = { opening_line: $("speaks-first").checked && persona.speaks_first,
    keep_fillers: $("keep-fillers").checked };
  const difficulty = $("difficulty").value;
  if (difficulty && persona.difficulty) options.difficulty = difficulty;
  return options;
}

function connect(persona) {
  let opened = false;
  const ws = new WebSocket(serverUrl());
  app.ws = ws;
  ws.binaryType = "arraybuffer";
  $("state").textContent = "Connecting...";
  ws.onopen = () => {
    opened = true;
    $("state").textContent = "Starting the session...";
    ws.send(JSON.stringify({
      type: "start", protocol: PROTOCOL, persona: persona.id, options: startOptions(persona),
      audio: { format: "pcm16", sample_rate: 16000, channels: 1, frame_ms: 20 },
    }));
  };
  ws.onmessage = (e) => {
    if (ws !== app.ws) return;
    if (typeof e.data === "string") onMessage(JSON.parse(e.data));
    else onAudio(e.data);
  };
  ws.onclose = (e) => {
    if (ws !== app.ws) return;
    const wasStarted = app.started, ended = app.ended;
    finish();
    if (!ended) {
      if (!opened && app.gallery && app.gallery.token_required) {
        problem("The server refused the connection: check the access token, then press Start again.");
      } else if (!(e.code === 1000 && !wasStarted)) {
        problem(closeSentence(e.code, opened || wasStarted));
      }
      if (wasStarted) showSummary(null, "disconnected");
      else $("start").focus();
    }
  };
}

function sendFrame(pcm) {
  const ws = app.ws;
  if (!app.started || app.ended || !ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(pcm);
  return true;
}

function send(msg) {
  if (app.ws && app.ws.readyState === WebSocket.OPEN) app.ws.send(JSON.stringify(msg));
}

function onMessage(msg) {
  app.events.push({ type: msg.type, turn: msg.turn, at: performance.now() });
  switch (msg.type) {
    case "ready": onReady(msg); break;
    case "state": setState(msg.state); break;
    case "speech_started": break;
    case "transcript": addLine("you", "You", msg.text); break;
    case "audio_start": onPiece(msg); break;
    case "audio_end": break;
    case "clear": onClear(msg.turn); break;
    case "reply_done": onReplyDone(msg); break;
    case "metrics": onMetrics(msg); break;
    case "error": onError(msg); break;
    case "session_end": onSessionEnd(msg); break;
    default: break; // newer servers may send more; ignore what we do not know
  }
}

function onReady(msg) {
  app.started = true;
  app.sessionId = msg.session;
  $("notice").textContent = msg.notice;
  $("notice").hidden = false;
  const p = msg.persona || {};
  meta(`Talking with ${p.name || app.persona.name}${p.title ? ` (${p.title})` : ""}.`);
  setState("listening");
  $("stop").disabled = false;
  $("stop").focus();
  app.playedTimer = setInterval(reportPlayed, PLAYED_EVERY_MS);
  if (app.persona.time_limit_s) {
    app.deadline = performance.now() + app.persona.time_limit_s * 1000;
    $("timer").hidden = false;
    tick();
    app.clockTimer = setInterval(tick, 1000);
  }
  app.revealTimer = setInterval(reveal, 100);
}

function tick() {
  const left = Math.max(0, Math.round((app.deadline - performance.now()) / 1000));
  const m = Math.floor(left / 60), s = String(left % 60).padStart(2, "0");
  $("timer").textContent = `Time left: ${m}:${s}`;
}

// The persona's line of a turn: its pieces, each revealed word by word as its audio plays.
function personaLine(turn, speaker) {
  let line = app.lines.get(turn);
  if (!line) {
    const el = addLine("persona", speaker || app.persona.name, "");
    line = { el, pieces: [], cut: false, done: false };
    app.lines.set(turn, line);
  }
  return line;
}

function onPiece(msg) {
  const line = personaLine(msg.turn, msg.speaker);
  app.piece = { turn: msg.turn, rate: msg.sample_rate, entry: null };
  const entry = { text: msg.text, words: msg.text.split(/\s+/).filter(Boolean), at: null,
    durationMs: 0, textOnly: !msg.sample_rate, offsetMs: msg.offset_ms || 0 };
  app.piece.entry = entry;
  line.pieces.push(entry);
  if (entry.textOnly) entry.at = 0;
  reveal();
}

function onAudio(data) {
  const piece = app.piece;
  if (!piece || !app.audio || !piece.rate) return;
  const when = app.audio.enqueue(piece.turn, data, piece.rate);
  if (when === null) return;
  if (piece.entry.at === null) piece.entry.at = when;
  piece.entry.durationMs += (data.byteLength / 2 / piece.rate) * 1000;
}

// Show each persona line up to the word being spoken now.
function reveal() {
  if (!app.audio) return;
  const now = app.audio.now();
  for (const line of app.lines.values()) {
    if (line.done) continue;
    const shown = [];
    for (const piece of line.pieces) {
      if (piece.textOnly) { shown.push(piece.text); continue; }
      if (piece.at === null || now < piece.at) break;
      const frac = piece.durationMs ? Math.min(1, ((now - piece.at) * 1000) / piece.durationMs) : 1;
      const n = Math.max(1, Math.ceil(frac * piece.words.length));
      shown.push(piece.words.slice(0, n).join(" "));
      if (n < piece.words.length) break;
    }
    if (!line.cut) line.el.querySelector(".text").textContent = shown.join(" ");
  }
}

function onClear(turn) {
  if (app.audio) app.audio.clear(turn);
  const line = app.lines.get(turn);
  if (line) line.cut = true;
}

function onReplyDone(msg) {
  const line = personaLine(msg.turn, msg.speaker);
  line.done = true;
  const text = line.el.querySelector(".text");
  // The server's text is what the user heard; without audio (text-only) it is the whole reply.
  text.textContent = msg.text;
  if (msg.interrupted) {
    line.el.append(span("cut", msg.text ? " (you interrupted here)" : "(you interrupted before any words)"));
  }
  line.interrupted = msg.interrupted;
  reportPlayed();
}

function onMetrics(msg) {
  const stages = msg.stages || {};
  const line = app.lines.get(msg.turn);
  // Latency means something only where the user ended a turn and heard the reply start.
  // (The opening line has no STT stage; turn 0 is a user's turn when the persona did not open.)
  if (stages.stt_ms == null || stages.interrupted || stages.response_ms == null) return;
  if (!line || line.interrupted) return;
  const s = (stages.response_ms / 1000).toFixed(1);
  line.el.append(span("meta", ` (answered ${s} s after you stopped)`));
}

function onError(msg) {
  const hint = msg.hint || "";
  if (!app.started) {
    // A refused start: the server keeps the connection, but we close it so Start works at once.
    problem(`The session could not start: ${msg.message}`, hint);
    const ws = app.ws;
    finish();
    if (ws) ws.close(1000);
    $("start").focus();
    return;
  }
  if (msg.fatal) problem(msg.message, hint);
  else meta(`Note: ${msg.message}${hint ? ` ${hint}` : ""}`);
}

function reportPlayed() {
  if (!app.audio || !app.started) return;
  for (const [turn, t] of app.audio.turns) {
    const ms = Math.round(app.audio.playedMs(turn) * 10) / 10;
    if (ms !== t.reported) {
      t.reported = ms;
      send({ type: "played", turn, ms });
    }
  }
}

function onSessionEnd(msg) {
  app.ended = true;
  reportPlayed();
  setState("ended");
  const reason = {
    client_end: "You ended the session.",
    scenario_complete: "The practice is complete.",
    server_shutdown: "The server shut down, so the session ended. What you said so far is saved.",
    error: "The session ended because of an error.",
  }[msg.reason] || `The session ended (${msg.reason}).`;
  meta(reason);
  showSummary(msg.summary || null, msg.reason);
}

function stop() {
  if (app.ws && app.ws.readyState === WebSocket.OPEN && app.started) send({ type: "end" });
  else if (app.ws) { const ws = app.ws; finish(); ws.close(1000); $("start").focus(); }
}

// Every way out of a session comes here: timers, microphone, audio, socket.
function finish() {
  const wasEnded = app.ended;
  if (!app.started && !wasEnded) $("live").hidden = true; // nothing was said: nothing to show
  for (const timer of ["playedTimer", "clockTimer", "revealTimer"]) {
    if (app[timer]) clearInterval(app[timer]);
    app[timer] = null;
  }
  if (app.audio) { reveal(); app.audio.close(); }
  app.audio = null;
  const ws = app.ws;
  app.ws = null;
  if (ws && ws.readyState <= WebSocket.OPEN && app.ended) ws.close(1000);
  app.started = false;
  app.ended = false;
  app.piece = null;
  app.lines = new Map();
  $("level").value = 0;
  $("timer").hidden = true;
  $("stop").disabled = true;
  $("start").disabled = !chosen();
  setupLocked(false);
  if (!wasEnded) { setState("idle"); $("state").textContent = "Not connected"; }
}

// The practice and its options stay as chosen while a session runs.
function setupLocked(locked) {
  $("gallery-box").disabled = locked;
  $("options").disabled = locked;
  if (!locked) choose();
}

// ---------------------------------------------------------------------------- the end

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
};

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
      const [label, fmt] = SUMMARY_LABELS[key] || [words(key), describe];
      const text = typeof value === "object" ? describe(value) : fmt(value);
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

// ---------------------------------------------------------------------------- wiring

$("setup").addEventListener("submit", start);
$("stop").addEventListener("click", stop);
$("retry").addEventListener("click", loadGallery);
window.addEventListener("pagehide", () => {
  if (app.ws) { try { app.ws.close(1000); } catch (_) { /* closing anyway */ } }
  if (app.audio) app.audio.close();
});
loadGallery();
AudioEngine.workletUrl();
