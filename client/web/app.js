// voice-rp browser client: speaks the voice-rp wire protocol (docs/protocol.md) with the server
// that served this page, whose /protocol.js gives its constants (VOICE_RP). The page's parts:
// page.js (shared helpers), gallery.js (choosing a practice), captions.js (the words on screen),
// resume.js (nothing lost on a reload or a dropped connection), summary.js (the end), audio.js.
"use strict";

const PLAYED_EVERY_MS = 200;
const FROM_SERVER = VOICE_RP.server; // message types: FROM_SERVER.ready is "ready"
const TO_SERVER = VOICE_RP.client;
const SESSION_MOVED = VOICE_RP.errors.session_moved;
const RESUME_FAILED = VOICE_RP.errors.resume_failed;

const app = {
  gallery: null, // the /api/personas body
  ws: null,
  audio: null,
  started: false, // `ready` (or `resumed`) received
  ended: false, // `session_end` received
  sessionId: null,
  resumeToken: null, // from `ready`/`resumed`: continues the session on a new connection
  graceS: 0, // how long the server keeps the session after the connection drops
  reconnecting: false, // between an unexpected close (or a reload's Continue) and `resumed`
  endOnResume: false, // "End it" on a reload: end the session once resumed
  endWanted: false, // End was pressed while reconnecting
  refused: false, // resume_failed or session_moved: do not try again
  persona: null, // the chosen gallery entry
  lines: new Map(), // turn -> the persona's transcript line
  currentTurn: null,
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
  if (!persona || app.ws || app.audio) return;
  clearProblem();
  app.persona = persona;
  $("transcript").textContent = "";
  $("safety").hidden = true;
  $("end").hidden = true;
  if (!(await openAudio())) return;
  openSocket({ type: TO_SERVER.start, protocol: VOICE_RP.protocol, persona: persona.id,
    options: startOptions(persona), audio: audioFormat() });
}

// The microphone and the speaker, opened inside the user's click (browsers start audio only
// on a gesture). False, with the reason on screen, when they cannot open.
async function openAudio() {
  $("start").disabled = true;
  setMode("live");
  $("notice").hidden = true;
  $("live-title").textContent = `With ${app.persona.name || "the character"}` +
    (app.persona.title ? `: ${app.persona.title}` : "");
  showNow(app.persona.name, "");
  app.audio = new AudioEngine({
    onFrame: sendFrame,
    onLevel: (level) => { $("level").value = Math.min(1, level * 4); heardLevel(level); },
    onProblem: (text) => problem(text),
    onMicLost: micLost,
    guard: params.get("echo_guard") !== "off",
    loopback: params.get("loopback") !== "off",
    audioEl: $("voice"),
  });
  try {
    app.audio.begin();
    setState("starting");
    $("state").textContent = "Starting the microphone...";
    await app.audio.open();
    return true;
  } catch (err) {
    finish();
    problem(err instanceof AudioProblem ? err.message : `Audio could not start: ${err.message || err}`);
    $("start").focus();
    return false;
  }
}

function audioFormat() {
  const { format, sample_rate, channels, frame_ms } = VOICE_RP.audio;
  return { format, sample_rate, channels, frame_ms };
}

// The microphone went away mid-turn: the server hears silence from here on, so the turn the
// user was in ends and is transcribed and saved instead of waiting for frames that never come.
const MIC_LOST_SILENCE_S = 5;

function micLost() {
  const frame = new Int16Array(VOICE_RP.audio.frame_samples).buffer;
  const frames = Math.round(MIC_LOST_SILENCE_S * 1000 / VOICE_RP.audio.frame_ms);
  for (let i = 0; i < frames; i += 1) sendFrame(frame);
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

// A connection whose first message is `first`: a `start`, or a `resume` of this session.
function openSocket(first) {
  let opened = false;
  const ws = new WebSocket(serverUrl());
  app.ws = ws;
  ws.binaryType = "arraybuffer";
  if (!app.reconnecting) $("state").textContent = "Connecting...";
  ws.onopen = () => {
    opened = true;
    if (!app.reconnecting) $("state").textContent = "Starting the session...";
    ws.send(JSON.stringify(first));
  };
  ws.onmessage = (e) => {
    if (ws !== app.ws) return;
    if (typeof e.data === "string") onMessage(JSON.parse(e.data));
    else onAudio(e.data);
  };
  ws.onclose = (e) => {
    if (ws !== app.ws) return;
    onClose(e.code, opened);
  };
}

function onClose(code, opened) {
  app.ws = null;
  if (app.ended) { finish(); return; }
  if (!app.refused && !app.endOnResume && (app.reconnecting || (app.started && canRejoin()))) {
    if (app.reconnecting) scheduleRejoin(); // this attempt failed: the next one
    else connectionLost();
    return;
  }
  const wasStarted = app.started, refused = app.refused, endOnResume = app.endOnResume;
  finish();
  if (refused || endOnResume) {
    if (endOnResume && !refused) problem("That session could not be reached; it ends by itself.");
    forgetSession();
    $("start").focus();
    return;
  }
  if (!opened && app.gallery && app.gallery.token_required) {
    problem("The server refused the connection: check the access token, then press Start again.");
  } else if (!opened) {
    explainRefusedConnection(code); // a connection never opened carries no server code
  } else if (!(code === VOICE_RP.close.normal && !wasStarted)) {
    problem(closeSentence(code, opened || wasStarted));
  }
  if (wasStarted) showSummary(null, "disconnected");
  else $("start").focus();
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
  if (!app.started || app.ended || app.reconnecting || !ws || ws.readyState !== WebSocket.OPEN) {
    return false;
  }
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
    case FROM_SERVER.resumed: onResumed(msg); break;
    case FROM_SERVER.state: onState(msg.state); break;
    case FROM_SERVER.speech_started: endHold(); onSpeechStarted(msg); break;
    case FROM_SERVER.partial: onPartial(msg); break;
    case FROM_SERVER.transcript: onTranscript(msg); break;
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
  app.sessionId = msg.session;
  const p = msg.persona || {};
  keepSession(msg, app.persona.id, p.name || app.persona.name);
  goLive(msg, VOICE_RP.states.listening);
  meta(`Talking with ${p.name || app.persona.name}${p.title ? ` (${p.title})` : ""}.`);
  if (app.persona.time_limit_s) startClock(performance.now() + app.persona.time_limit_s * 1000);
}

// `resume` worked: everything said so far (replies made while away too) is shown again.
function onResumed(msg) {
  const wasLive = app.started;
  app.sessionId = msg.session;
  const p = msg.persona || {};
  const name = p.name || app.persona.name;
  keepSession(msg, app.persona.id || p.id, name);
  rejoinDone();
  if (app.endOnResume) { send({ type: TO_SERVER.end }); return; }
  showSavedTranscript(msg.transcript, name);
  goLive(msg, msg.state || VOICE_RP.states.listening);
  meta(wasLive ? "Reconnected: the conversation goes on." : `Back with ${name}: go on where you left off.`);
  if (app.endWanted) send({ type: TO_SERVER.end });
}

function goLive(msg, state) {
  const first = !app.started;
  app.started = true;
  $("notice").textContent = msg.notice || "";
  $("notice").hidden = !msg.notice;
  setState(state);
  $("stop").disabled = false;
  if (!first) return;
  $("stop").focus();
  app.playedTimer = setInterval(reportPlayed, PLAYED_EVERY_MS);
  app.revealTimer = setInterval(reveal, 100);
}

function startClock(deadline) {
  app.deadline = deadline;
  $("timer").hidden = false;
  tick();
  app.clockTimer = setInterval(tick, 1000);
}

function onState(state) {
  if (state === VOICE_RP.states.thinking || state === VOICE_RP.states.speaking) endHold();
  captionsOnState(state);
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
  if (msg.code === SESSION_MOVED) {
    app.refused = true;
    forgetSession();
    problem("This session was continued in another tab or window, so it stopped here. Nothing " +
      "you said is lost. Start a new practice here, or go on in the other window.");
    return;
  }
  if (msg.code === RESUME_FAILED) { resumeRefused(msg); return; }
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
  forgetSession();
  reportPlayed();
  endHold();
  stopHearing(null);
  dropPartial();
  setState(VOICE_RP.states.ended);
  const reason = {
    client_end: "You ended the session.",
    scenario_complete: "The practice is complete.",
    server_shutdown: "The server shut down, so the session ended. What you said so far is saved.",
    error: "The session ended because of an error.",
    abuse: "The character ended the session after repeated insults. You can start a new one.",
    disconnected: "The session ended while the page was away. What you said is saved.",
  }[msg.reason] || `The session ended (${msg.reason}).`;
  meta(reason);
  setMode("ended");
  showSummary(msg.summary || null, msg.reason);
  updateLandingLinks();
}

// End: the server ends the session at once and sends its summary.
function stop() {
  if (app.reconnecting && app.started) {
    app.endWanted = true; // sent as soon as the connection is back
    connectionNote("Ending the session as soon as the connection is back...");
    return;
  }
  if (app.ws && app.ws.readyState === WebSocket.OPEN && app.started) send({ type: TO_SERVER.end });
  else if (app.ws) { const ws = app.ws; finish(); ws.close(VOICE_RP.close.normal); $("start").focus(); }
}

// Every way out of a session comes here: timers, microphone, audio, socket.
function finish() {
  const wasEnded = app.ended, wasStarted = app.started;
  for (const timer of ["playedTimer", "clockTimer", "revealTimer"]) {
    if (app[timer]) clearInterval(app[timer]);
    app[timer] = null;
  }
  endHold();
  stopHearing(null);
  if (rejoin.timer) clearTimeout(rejoin.timer);
  rejoinDone();
  if (app.audio) { reveal(); app.audio.close(); }
  app.audio = null;
  const ws = app.ws;
  app.ws = null;
  if (ws && ws.readyState <= WebSocket.OPEN && app.ended) ws.close(VOICE_RP.close.normal);
  Object.assign(app, { started: false, ended: false, piece: null, lines: new Map(),
    endOnResume: false, endWanted: false, refused: false, resumeToken: null });
  $("level").value = 0;
  $("timer").hidden = true;
  $("stop").disabled = true;
  $("start").disabled = !chosen();
  setupLocked(false);
  setMode(wasEnded || wasStarted ? "ended" : "landing");
  if (!wasEnded) { setState("idle"); $("state").textContent = "Not connected"; }
}

// ---------------------------------------------------------------------------- wiring

$("setup").addEventListener("submit", start);
$("stop").addEventListener("click", stop);
$("retry").addEventListener("click", loadGallery);
$("continue").addEventListener("click", continueStored);
$("end-it").addEventListener("click", endStored);
window.addEventListener("beforeunload", (e) => {
  if (!app.started || app.ended) return;
  touchSession();
  e.preventDefault(); // "leave the page?": a reload keeps the session, a closed tab may not
  e.returnValue = "";
});
window.addEventListener("pagehide", () => {
  touchSession();
  const live = app.started && !app.ended;
  app.refused = true; // the page is going: no reconnecting from here
  // A live session's connection is left to drop (the browser closes it as "going away"), so
  // the server keeps the session for a reload; a normal close (1000) would end it.
  if (app.ws && !live) { try { app.ws.close(VOICE_RP.close.normal); } catch (_) { /* closing */ } }
  if (app.audio) app.audio.close();
});
setMode("landing");
followTranscript();
offerStoredSession();
loadGallery();
updateLandingLinks();
AudioEngine.workletUrl();
