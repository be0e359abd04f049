// voice-rp browser client: the live captions. The user's words appear while they speak (the
// server's `partial` messages, replaced by the turn's `transcript`); the character's words
// appear as its audio plays, in step with it, and stop where an interruption cut them. The
// character's current line is also shown large in the stage (#now), so the question being
// asked is always on screen.
"use strict";

const HEARING_QUIET_MS = 4000; // "hearing you" falls back to listening after this much quiet

// The user's turn in progress: {turn, el} while partial words are shown, else null.
const captions = { partial: null, hearingAt: null, hearingTimer: null };

// ---------------------------------------------------------------------------- the user

function onSpeechStarted(msg) {
  hearing();
  if (captions.partial && msg.turn != null && captions.partial.turn !== msg.turn) dropPartial();
}

// The server hears the user: say so until their words are in (or they stopped without any).
function hearing() {
  captions.hearingAt = performance.now();
  if (!app.started) return;
  setState("hearing");
  if (!captions.hearingTimer) captions.hearingTimer = setInterval(hearingTick, 250);
}

function hearingTick() {
  if (performance.now() - captions.hearingAt > HEARING_QUIET_MS) stopHearing("listening");
}

function stopHearing(state) {
  if (captions.hearingTimer) clearInterval(captions.hearingTimer);
  captions.hearingTimer = null;
  captions.hearingAt = null;
  if (state && $("state-line").dataset.state === "hearing") setState(state);
}

// The microphone picks up sound while the server is hearing the user: still hearing.
function heardLevel(level) {
  if (captions.hearingAt !== null && level > 0.02) captions.hearingAt = performance.now();
}

function onPartial(msg) {
  if (captions.partial && captions.partial.turn !== msg.turn) dropPartial();
  if (!captions.partial) {
    const el = addLine("partial", "You", "");
    el.setAttribute("aria-hidden", "true"); // read out once, as the transcript
    captions.partial = { turn: msg.turn, el };
  }
  captions.partial.el.querySelector(".text").textContent = msg.text;
  hearing();
}

// The turn's final words replace its caption in place.
function onTranscript(msg) {
  stopHearing(null);
  const partial = captions.partial;
  captions.partial = null;
  const line = addLine("you", "You", msg.text);
  if (partial) partial.el.replaceWith(line); // in its place, before any reply that followed
}

function dropPartial() {
  if (captions.partial) captions.partial.el.remove();
  captions.partial = null;
}

// A `state` message: a caption left without its transcript when the server listens again was
// not a turn (a cough, a word it dropped).
function captionsOnState(state) {
  if (state === VOICE_RP.states.listening) dropPartial();
  if (state !== VOICE_RP.states.listening || !captions.partial) stopHearing(null);
}

// ---------------------------------------------------------------------------- the character

// The persona's line of a turn: its pieces, each revealed word by word as its audio plays.
function personaLine(turn, speaker) {
  let line = app.lines.get(turn);
  if (!line) {
    const who = speaker || app.persona.name;
    const el = addLine("persona", who, "");
    line = { el, who, pieces: [], cut: false, done: false };
    app.lines.set(turn, line);
    app.currentTurn = turn;
    showNow(who, "");
  }
  return line;
}

function showNow(who, text) {
  $("now-who").textContent = who || "";
  $("now-text").textContent = text;
}

function setLineText(line, text) {
  line.el.querySelector(".text").textContent = text;
  if (app.lines.get(app.currentTurn) === line) showNow(line.who, text);
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
    if (!line.cut) setLineText(line, shown.join(" "));
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
  // The server's text is what the user heard; without audio (text-only) it is the whole reply.
  setLineText(line, msg.text);
  if (msg.interrupted) markCut(line.el, msg.text);
  line.interrupted = msg.interrupted;
  reportPlayed();
}

function markCut(el, text) {
  el.append(span("cut", text ? " (you interrupted here)" : "(you interrupted before any words)"));
}

// ---------------------------------------------------------------------------- a resumed session

// `resumed` carries everything said so far: the conversation is shown again from it.
function showSavedTranscript(entries, personaName) {
  $("transcript").textContent = "";
  app.lines = new Map();
  captions.partial = null;
  let last = null;
  for (const e of entries || []) {
    if (e.role === "user") {
      addLine("you", "You", e.text);
      continue;
    }
    const who = e.speaker || personaName;
    const el = addLine("persona", who, e.text);
    if (e.interrupted) markCut(el, e.text);
    const line = { el, who, pieces: [], cut: true, done: true, interrupted: e.interrupted };
    app.lines.set(e.turn, line);
    last = line;
    app.currentTurn = e.turn;
  }
  if (last) showNow(last.who, last.el.querySelector(".text").textContent);
  else showNow(personaName, "");
}
