// voice-rp push-to-talk, for noisy rooms: with #push-to-talk ticked, the server hears the
// microphone only while the user holds #talk-button (mouse or touch) or the Space bar; the rest
// of the time the page sends silence (AudioEngine.setGate in audio.js), so room noise cannot
// start a turn, and after a release the turn ends by the server's usual end-of-turn wait.
// It follows the session's audio through audio.js's "voice-rp-audio" events, so the page's
// other scripts need not know about it. Without its elements it does nothing.
"use strict";

(() => {
  const STORE_KEY = "voice-rp.ptt"; // "on" when the user chose push-to-talk
  const box = document.getElementById("push-to-talk");
  const button = document.getElementById("talk-button");
  if (!box) return; // no way to turn it on: every session stays open-microphone

  // On a touch screen there is no Space bar to mention.
  const touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  const IDLE_TEXT = touch ? "Hold to talk" : "Hold to talk (or hold Space)";
  const LIVE_TEXT = "Live: the character hears you";
  let engine = null; // the session's AudioEngine while one is open
  const holding = new Set(); // what holds the talk open: "key", "pointer", "tap"

  const style = document.createElement("style");
  style.id = "ptt-style";
  style.textContent = `
#talk-button { touch-action: none; user-select: none; -webkit-user-select: none;
  -webkit-touch-callout: none; min-height: 2.75rem; font-weight: 650; }
#talk-button.ptt-live { background: #b00020; border-color: #b00020; color: #fff;
  box-shadow: 0 0 0 4px #f6c4cb; }
#talk-button.ptt-live::before { content: ""; display: inline-block; width: .7rem; height: .7rem;
  margin-right: .45rem; border-radius: 50%; background: #fff; vertical-align: .05rem; }`;
  document.head.append(style);

  try {
    if (localStorage.getItem(STORE_KEY) === "on") box.checked = true;
  } catch (_) { /* storage blocked: the box starts as the page has it */ }

  const enabled = () => box.checked;
  const live = () => !enabled() || holding.size > 0;

  // One place decides what the user sees and what the server hears.
  function apply() {
    if (engine) engine.setGate(live());
    if (!button) return;
    const shown = !!engine && enabled();
    button.hidden = !shown;
    const on = shown && holding.size > 0;
    button.classList.toggle("ptt-live", on);
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? LIVE_TEXT : IDLE_TEXT;
  }

  function press(how) { holding.add(how); apply(); }
  function release(how) {
    if (how === undefined) holding.clear(); else holding.delete(how);
    apply();
  }

  window.addEventListener("voice-rp-audio", (e) => {
    const { phase, engine: which } = e.detail || {};
    if (phase === "open") engine = which;
    else if (phase === "closed" && which === engine) engine = null;
    holding.clear();
    apply();
  });

  box.addEventListener("change", () => {
    try { localStorage.setItem(STORE_KEY, box.checked ? "on" : "off"); } catch (_) { /* */ }
    holding.clear();
    apply();
  });

  // Space talks wherever the page has focus, except where Space types or toggles something.
  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    const tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && !["button", "submit", "reset"].includes(el.type);
  }
  const isSpace = (e) => e.code === "Space" || e.key === " ";

  window.addEventListener("keydown", (e) => {
    if (!isSpace(e) || !engine || !enabled() || typing(e.target)) return;
    // Also keeps a focused button (End session) from being pressed by the talk key.
    e.preventDefault();
    if (!e.repeat) press("key");
  }, true);
  window.addEventListener("keyup", (e) => {
    if (!isSpace(e) || !holding.has("key")) return;
    e.preventDefault();
    release("key");
  }, true);
  // A key or a finger lifted elsewhere (another window, the tab hidden) never reports back.
  window.addEventListener("blur", () => release());
  document.addEventListener("visibilitychange", () => { if (document.hidden) release(); });

  if (!button) { apply(); return; }
  button.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || !engine || !enabled()) return;
    e.preventDefault();
    try { button.setPointerCapture(e.pointerId); } catch (_) { /* not capturable */ }
    holding.delete("tap");
    press("pointer");
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    button.addEventListener(type, () => { if (holding.has("pointer")) release("pointer"); });
  }
  button.addEventListener("contextmenu", (e) => e.preventDefault()); // a long touch
  // Enter on the focused button holds like Space. A click with no pointer or key behind it
  // (a screen reader's activation) cannot be held: it toggles, one tap to talk, one to stop.
  button.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    if (!e.repeat) press("key");
  });
  button.addEventListener("keyup", (e) => { if (e.key === "Enter") release("key"); });
  button.addEventListener("click", (e) => {
    if (e.detail !== 0 || holding.has("pointer") || holding.has("key")) return;
    if (holding.has("tap")) release("tap"); else press("tap");
  });
  apply();
})();
