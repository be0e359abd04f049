// voice-rp browser client: speaks the voice-rp wire protocol (docs/protocol.md) with the server
// that served this page, whose /protocol.js gives its constants (VOICE_RP). The page's parts:
// page.js (shared helpers), gallery.js (choosing a practice), summary.js (the end), audio.js.
"use strict";

const PLAYED_EVERY_MS = 200;
const FROM_SERVER = VOICE_RP.server; // message types: FROM_SERVER.ready is "ready"
const TO_SERVER = VOICE_RP.client;

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
  holdTimer: null, // counts down a hold ("give me a moment")
  holdUntil: null,
  events: [], // every server message type with its arrival time, for diagnosis and tests
};
window.voiceRp = app;

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
  $("safety").hidden = true;
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
  // Which crisis lines to offer if the user says they are in distress (docs/protocol.md).
  if (/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/.test(navigator.language || "")) {
    options.locale = navigator.language;
  }
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
    const { format, sample_rate, channels, frame_ms } = VOICE_RP.audio;
    ws.send(JSON.stringify({
      type: TO_SERVER.start, protocol: VOICE_RP.protocol, persona: persona.id,
      options: startOptions(persona), audio: { format, sample_rate, channels, frame_ms },
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
      } else if (!opened) {
        explainRefusedConnection(e.code); // a connection never opened carries no server code
      } else if (!(e.code === VOICE_RP.close.normal && !wasStarted)) {
        problem(closeSentence(e.code, opened || wasStarted));
      }
      if (wasStarted) showSummary(null, "disconnected");
      else $("start").focus();
    }
  };
}

// The websocket never opened. If the server still answers plain HTTP, something between the
// page and the server (usually a proxy without the websocket Upgrade headers) refused the
// connection: say so, rather than that the server cannot be reached.
async function explainRefusedConnection(code) {
  let health = 0;
  try {
    health = (await fetch("/healthz", { cache: "no-store" })).status;
  } catch (_) { /* unreachable: the usual sentence */ }
  if (app.ws) return; // the user already started again
  if (health >= 200 && health < 300) {
    problem("The voice-rp server answered, but its conversation connection (a websocket) was " +
      "refused. If this page goes through a proxy, the proxy must pass the websocket Upgrade " +
      "and Host headers (see docs/deploy.md). Press Start to try again.");
  } else if (health === 503) {
    problem("The voice-rp server is starting up or shutting down. Try again in a minute.");
  } else {
    problem(closeSentence(code, false));
  }
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
  app.events.push({ type: msg.type, turn: msg.turn, at: performance.now(),
    ...(msg.type === FROM_SERVER.holding ? { seconds: msg.seconds } : {}) });
  switch (msg.type) {
    case FROM_SERVER.ready: onReady(msg); break;
    case FROM_SERVER.state: onState(msg.state); break;
    case FROM_SERVER.speech_started: endHold(); break;
    case FROM_SERVER.transcript: addLine("you", "You", msg.text); break;
    case FROM_SERVER.safety: showSafety(msg.resources || {}); break;
    case FROM_SERVER.holding: onHolding(msg.seconds); break;
    case FROM_SERVER.audio_start: onPiece(msg); break;
    case FROM_SERVER.audio_end: break;
    case FROM_SERVER.clear: onClear(msg.turn); break;
    case FROM_SERVER.reply_done: onReplyDone(msg); break;
    case FROM_SERVER.metrics: onMetrics(msg); break;
    case FROM_SERVER.error: onError(msg); break;
    case FROM_SERVER.session_end: onSessionEnd(msg); break;
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
  setState(VOICE_RP.states.listening);
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

function onState(state) {
  if (state === VOICE_RP.states.thinking || state === VOICE_RP.states.speaking) endHold();
  setState(state);
}

// The user asked for time ("give me a moment"): the character stays quiet for `seconds` (0: the
// hold is over). The countdown is announced once, when it starts: a screen reader reading out
// every second would talk over the user's thinking.
function onHolding(seconds) {
  endHold();
  if (!(seconds > 0)) return;
  app.holdUntil = performance.now() + seconds * 1000;
  $("hold-said").textContent =
    `Take your time: the character will wait ${Math.round(seconds)} seconds.`;
  $("hold").hidden = false;
  holdTick();
  app.holdTimer = setInterval(holdTick, 1000);
}

function holdTick() {
  const left = Math.max(0, Math.round((app.holdUntil - performance.now()) / 1000));
  $("hold").textContent = `Take your time: ${left} s`;
}

function endHold() {
  if (app.holdTimer) clearInterval(app.holdTimer);
  app.holdTimer = null;
  $("hold").hidden = true;
  $("hold-said").textContent = "";
}

// The user said they are in distress: the character stepped out of the role and the practice
// is paused; the crisis lines it named stay on screen for the rest of the session.
function showSafety(resources) {
  const list = $("safety-lines");
  list.textContent = "";
  const add = (name, contact) => {
    const item = document.createElement("li");
    const strong = document.createElement("strong");
    strong.textContent = name;
    item.append(strong, `: ${contact}`);
    list.append(item);
  };
  for (const line of resources.lines || []) add(line.name, line.contact);
  if (resources.emergency) add("In danger right now", `call ${resources.emergency}`);
  if (resources.elsewhere) add(resources.elsewhere.name, resources.elsewhere.contact);
  $("safety").hidden = false;
  $("safety").focus();
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
    if (ws) ws.close(VOICE_RP.close.normal);
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
      send({ type: TO_SERVER.played, turn, ms });
    }
  }
}

function onSessionEnd(msg) {
  app.ended = true;
  reportPlayed();
  endHold();
  setState(VOICE_RP.states.ended);
  const reason = {
    client_end: "You ended the session.",
    scenario_complete: "The practice is complete.",
    server_shutdown: "The server shut down, so the session ended. What you said so far is saved.",
    error: "The session ended because of an error.",
    abuse: "The character ended the session after repeated insults. You can start a new one.",
  }[msg.reason] || `The session ended (${msg.reason}).`;
  meta(reason);
  showSummary(msg.summary || null, msg.reason);
}

function stop() {
  if (app.ws && app.ws.readyState === WebSocket.OPEN && app.started) send({ type: TO_SERVER.end });
  else if (app.ws) { const ws = app.ws; finish(); ws.close(VOICE_RP.close.normal); $("start").focus(); }
}

// Every way out of a session comes here: timers, microphone, audio, socket.
function finish() {
  const wasEnded = app.ended;
  if (!app.started && !wasEnded) $("live").hidden = true; // nothing was said: nothing to show
  for (const timer of ["playedTimer", "clockTimer", "revealTimer"]) {
    if (app[timer]) clearInterval(app[timer]);
    app[timer] = null;
  }
  endHold();
  if (app.audio) { reveal(); app.audio.close(); }
  app.audio = null;
  const ws = app.ws;
  app.ws = null;
  if (ws && ws.readyState <= WebSocket.OPEN && app.ended) ws.close(VOICE_RP.close.normal);
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

// ---------------------------------------------------------------------------- wiring

$("setup").addEventListener("submit", start);
$("stop").addEventListener("click", stop);
$("retry").addEventListener("click", loadGallery);
window.addEventListener("pagehide", () => {
  if (app.ws) { try { app.ws.close(VOICE_RP.close.normal); } catch (_) { /* closing anyway */ } }
  if (app.audio) app.audio.close();
});
loadGallery();
AudioEngine.workletUrl();
