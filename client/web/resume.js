// voice-rp browser client: nothing lost on a reload or a dropped connection (docs/protocol.md,
// "Resuming a session"). The session and its resume token are kept in sessionStorage (this tab
// only); an unexpected close is answered by `resume` attempts with backoff until the server's
// grace period runs out; a reload offers to continue or end the session still open.
"use strict";

const SESSION_KEY = "voice-rp.session"; // sessionStorage: {session, token, persona, name, at,
// grace_s, access (the server's access token, if it needs one)}
const LAST_KEY = "voice-rp.last-session"; // localStorage: the last session's id, for its report
const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 8000;

// The reconnection in progress: when it must succeed by (page time), and the next attempt.
const rejoin = { deadline: null, attempt: 0, timer: null };

function storage(kind) {
  try { return window[kind]; } catch (_) { return null; } // storage can be disabled
}

// `ready` or `resumed`: keep what a new connection needs to continue the session.
function keepSession(msg, personaId, name) {
  const grace = Number(msg.resume_grace_s) || 0;
  app.resumeToken = msg.resume_token || null;
  app.graceS = grace;
  const last = storage("localStorage");
  if (last && msg.session) last.setItem(LAST_KEY, msg.session);
  const store = storage("sessionStorage");
  if (!store) return;
  if (!app.resumeToken || grace <= 0) { store.removeItem(SESSION_KEY); return; }
  // A server that needs an access token needs it for the new connection too: kept with the
  // resume token, in this tab only, and gone when the session ends.
  const access = $("token").value.trim() || undefined;
  store.setItem(SESSION_KEY, JSON.stringify({ session: msg.session, token: app.resumeToken,
    persona: personaId, name, at: Date.now(), grace_s: grace, access }));
}

// The page goes away: the grace period counts from now.
function touchSession() {
  const kept = storedSession();
  if (kept && app.started && !app.ended) {
    storage("sessionStorage").setItem(SESSION_KEY, JSON.stringify({ ...kept, at: Date.now() }));
  }
}

function storedSession() {
  const store = storage("sessionStorage");
  let kept = null;
  try { kept = JSON.parse((store && store.getItem(SESSION_KEY)) || "null"); } catch (_) { /* bad */ }
  if (!kept || typeof kept.session !== "string" || typeof kept.token !== "string") return null;
  return kept;
}

function forgetSession() {
  const store = storage("sessionStorage");
  if (store) store.removeItem(SESSION_KEY);
}

function lastSessionId() {
  const last = storage("localStorage");
  return last ? last.getItem(LAST_KEY) : null;
}

function resumeMessage(session, token) {
  const { format, sample_rate, channels, frame_ms } = VOICE_RP.audio;
  return { type: TO_SERVER.resume, protocol: VOICE_RP.protocol, session, token,
    audio: { format, sample_rate, channels, frame_ms } };
}

// ---------------------------------------------------------------------------- a dropped connection

function canRejoin() {
  return Boolean(app.resumeToken && app.graceS > 0 && app.sessionId);
}

// The connection closed unexpectedly mid-session: keep the microphone and try to get back.
function connectionLost() {
  if (rejoin.deadline === null) {
    rejoin.deadline = performance.now() + app.graceS * 1000;
    rejoin.attempt = 0;
  }
  app.reconnecting = true;
  connectionNote("Connection lost: reconnecting... What you say now is not heard until it is back.");
  scheduleRejoin();
}

function scheduleRejoin() {
  const left = rejoin.deadline - performance.now();
  if (left <= 100) { rejoinFailed(); return; }
  // The last attempt just before the server lets the session go.
  const delay = Math.min(FIRST_RETRY_MS * 2 ** rejoin.attempt, LONGEST_RETRY_MS, left - 100);
  rejoin.attempt += 1;
  rejoin.timer = setTimeout(() => {
    rejoin.timer = null;
    openSocket(resumeMessage(app.sessionId, app.resumeToken));
  }, delay);
}

function rejoinDone() {
  if (rejoin.timer) clearTimeout(rejoin.timer);
  rejoin.timer = null;
  rejoin.deadline = null;
  rejoin.attempt = 0;
  app.reconnecting = false;
  connectionNote(null);
}

// The grace period ran out: the server has ended the session with what it had.
function rejoinFailed() {
  const hadLines = app.started;
  rejoinDone();
  forgetSession();
  problem("The connection could not be restored in time, so the session ended. What you said " +
    "before the connection was lost is saved.");
  finish();
  if (hadLines) showSummary(null, "disconnected");
}

function connectionNote(text) {
  $("connection").textContent = text || "";
  $("connection").hidden = !text;
}

// ---------------------------------------------------------------------------- a reload

// On page load: a session this tab had open is offered first.
function offerStoredSession() {
  const kept = storedSession();
  if (!kept) return false;
  const ageS = (Date.now() - (Number(kept.at) || 0)) / 1000;
  if (kept.grace_s && ageS > kept.grace_s) { forgetSession(); return false; }
  $("still-open-title").textContent =
    `Your session with ${kept.name || "the character"} is still open`;
  setMode("still-open");
  $("continue").focus();
  return true;
}

// Continue: a user gesture, so audio may start; the session goes on where it was.
async function continueStored() {
  const kept = storedSession();
  if (!kept) { setMode("landing"); return; }
  app.sessionId = kept.session;
  app.resumeToken = kept.token;
  app.graceS = Number(kept.grace_s) || 60;
  if (typeof kept.access === "string") $("token").value = kept.access;
  app.persona = galleryEntry(kept.persona) || { id: kept.persona, name: kept.name || "" };
  const ok = await openAudio();
  if (!ok) { setMode("still-open"); return; }
  rejoin.deadline = performance.now() + Math.max(5, app.graceS) * 1000;
  rejoin.attempt = 0;
  app.reconnecting = true;
  $("state").textContent = "Reconnecting to your session...";
  openSocket(resumeMessage(kept.session, kept.token));
}

// End it: the session is ended on the server (its report is made) without opening audio.
function endStored() {
  const kept = storedSession();
  if (!kept) { setMode("landing"); return; }
  app.sessionId = kept.session;
  app.persona = galleryEntry(kept.persona) || { id: kept.persona, name: kept.name || "" };
  if (typeof kept.access === "string") $("token").value = kept.access;
  app.endOnResume = true;
  setMode("live");
  $("state").textContent = "Ending your session...";
  openSocket(resumeMessage(kept.session, kept.token));
}

// A resume the server refused: a clear message and a fresh start.
function resumeRefused(msg) {
  forgetSession();
  app.refused = true;
  const ended = app.endOnResume;
  rejoinDone();
  problem(ended ? "That session had already ended; what was said in it is saved."
    : msg.message || "This session can no longer be continued. Start a new one.", msg.hint);
}

function galleryEntry(id) {
  return app.gallery ? app.gallery.personas.find((p) => p.id === id) || null : null;
}
