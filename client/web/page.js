// voice-rp browser client: what every part of the page shares. The protocol's constants are
// VOICE_RP, from the server's /protocol.js (made from voice_rp/protocol.py).
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// The big state indicator, in the user's words. "hearing" is the page's own state: the server
// said `speech_started` and the user's turn is still coming in (docs/protocol.md, `partial`).
const STATES = {
  [VOICE_RP.states.listening]: "Listening: your turn to speak",
  hearing: "Hearing you...",
  [VOICE_RP.states.thinking]: "Thinking...",
  [VOICE_RP.states.speaking]: "Speaking: you can interrupt",
  [VOICE_RP.states.ended]: "Ended",
};

// Close codes, in the user's words (docs/protocol.md, "Close codes").
function closeSentence(code, opened) {
  switch (code) {
    case VOICE_RP.close.normal: return "The server ended the conversation.";
    case VOICE_RP.close.going_away: return "The server is shutting down, so the conversation ended. What you said so far is saved.";
    case VOICE_RP.close.too_big: return "The server refused a message that was too large.";
    case VOICE_RP.close.internal_error: return "The server hit an internal error and ended the conversation. What you said so far is saved.";
    case VOICE_RP.close.busy: return "The server is busy with other conversations. Try again in a minute.";
    default:
      return opened
        ? "The connection to the server was lost. What you said so far is saved on the server."
        : "Could not reach the voice-rp server. Is it running? Start it with scripts/serve, " +
          "then press Start again.";
  }
}

function span(cls, text) {
  const s = document.createElement("span");
  if (cls) s.className = cls;
  s.textContent = text;
  return s;
}

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
  $("state-line").dataset.state = state;
}

// What the page is showing: "landing" (choose and start), "live" (a session: the setup is out of
// the way, the conversation fills the screen), "ended" (the summary, then the setup again) or
// "still-open" (a stored session to continue or end). CSS lays each out (style.css).
function setMode(mode) {
  document.body.className = mode;
  const live = mode === "live";
  $("setup").hidden = live || mode === "still-open";
  $("room-check-box").hidden = live || mode === "still-open";
  $("still-open").hidden = mode !== "still-open";
  $("live").hidden = !(live || mode === "ended");
  if (mode !== "ended") $("end").hidden = true;
  $("now").hidden = !live;
  $("live-bar").hidden = !live;
}

function addLine(cls, who, text) {
  const p = document.createElement("p");
  p.className = `line ${cls}`;
  p.append(span("who", who ? `${who}: ` : ""), span("text", text));
  $("transcript").append(p);
  return p;
}

// The newest words stay in view as the transcript grows (captions change in place too), unless
// the user scrolled up to read something earlier.
const follow = { on: true };
function followTranscript() {
  const box = $("live-scroll");
  box.addEventListener("scroll", () => {
    follow.on = box.scrollTop + box.clientHeight >= box.scrollHeight - 48;
  });
  new MutationObserver(() => {
    if (follow.on) box.scrollTop = box.scrollHeight;
  }).observe($("transcript"), { childList: true, subtree: true, characterData: true });
}

function meta(text) {
  const p = addLine("meta", "", text);
  return p;
}
