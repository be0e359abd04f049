// voice-rp room check, before a first session: is the microphone loud enough, is the room quiet
// enough, and does the character's voice come back through the microphone? It runs the
// session's own audio path (AudioEngine from audio.js: the same microphone settings, the same
// playback route with the browser's echo canceller), without the echo guard so it measures what
// the guard would have to deal with. The verdict is a pure function, RoomCheck.verdict, and
// the last one is kept in localStorage ("voice-rp.roomcheck") and shown beside the button.
"use strict";

(() => {
  const STORE_KEY = "voice-rp.roomcheck";
  const SPEAK_S = 5; // long enough for one sentence read off the screen
  const QUIET_S = 2;
  const TAIL_S = 0.8; // recorded after the test sound: output latency, loopback and the room
  const SOUND = { seconds: 1, fromHz: 300, toHz: 3400, amplitude: 0.3 };

  // The decision's thresholds, in dBFS (levels) and dB (ratios).
  const HEARD_DB = 6; // speech less than this above the noise: nobody spoke
  const QUIET_VOICE_DB = -40; // speech below this is too quiet for the recogniser
  const NOISY_DB = -45; // a noise floor above this keeps the server hearing "speech"
  const MIN_SNR_DB = 15; // the voice must stand this far above the room
  const STRONG_ECHO_DB = -12; // the echo nearly as loud as what was played
  const VOICE_DB = -20; // the character's voice as the page plays it (about)
  const ECHO_MARGIN_DB = 10; // the user's voice must stand this far above the character's echo

  const known = (v) => typeof v === "number" && Number.isFinite(v);
  const db = (power) => (power > 1e-12 ? 10 * Math.log10(power) : -120);
  const round = (v) => (known(v) ? Math.round(v * 10) / 10 : null);

  /**
   * The plain verdict from the three measurements (null where a step did not run):
   * advice is "use-push-to-talk" (noisy room; it also keeps any echo out), "use-headphones"
   * (the character would hear itself), "headphones-not-needed", "check-microphone" (no voice
   * was heard: nothing else matters until it is) or "incomplete".
   */
  function verdict({ speechDb = null, noiseDb = null, echoDb = null } = {}) {
    const reasons = [];
    const heard = known(speechDb) && (!known(noiseDb) || speechDb - noiseDb >= HEARD_DB);
    let micOk = null;
    if (known(speechDb)) {
      micOk = heard && speechDb >= QUIET_VOICE_DB;
      if (!heard) reasons.push("No voice was heard: check that the right microphone is chosen and not muted.");
      else if (!micOk) reasons.push("Your voice is quiet: move closer to the microphone or raise its level in your system's sound settings.");
    }
    const noisy = known(noiseDb) &&
      (noiseDb > NOISY_DB || (heard && speechDb - noiseDb < MIN_SNR_DB));
    const echoing = known(echoDb) &&
      (echoDb > STRONG_ECHO_DB || (heard && speechDb - (VOICE_DB + echoDb) < ECHO_MARGIN_DB));
    if (noisy) {
      reasons.push("The room is noisy: the character could take the noise for you speaking. " +
        "With push-to-talk it hears you only while you hold the Talk button or the Space bar.");
    }
    if (echoing) {
      reasons.push("The character's voice comes back into your microphone loudly, so it could " +
        "hear itself or miss you when you interrupt. Headphones stop that.");
    }
    let advice, title;
    if (noisy) { // before "no voice": a loud room can drown the voice itself
      advice = "use-push-to-talk";
      title = echoing ? "Use push-to-talk (and headphones)" : "Use push-to-talk";
    } else if (known(speechDb) && !heard) {
      advice = "check-microphone"; title = "Check your microphone";
    } else if (echoing) {
      advice = "use-headphones"; title = "Use headphones";
    } else if (!known(echoDb) || !known(noiseDb)) {
      advice = "incomplete"; title = "The check did not finish";
    } else {
      advice = "headphones-not-needed"; title = "Headphones not needed";
      reasons.push("Your room is quiet and little of the character's voice comes back: you can " +
        "talk without headphones.");
    }
    return { advice, title, micOk, noisy, echoing, reasons };
  }

  // --------------------------------------------------------------------------- measuring

  /** The loudest quarter of 20 ms frames (the words, not the pauses), in dBFS. */
  function speechLevel(levels) {
    const e = levels.map((l) => l * l).sort((a, b) => b - a);
    const top = e.slice(0, Math.max(1, Math.ceil(e.length / 4)));
    return db(top.reduce((s, v) => s + v, 0) / top.length);
  }

  /** The quieter half of the frames: the room, not a cough or a click, in dBFS. */
  function noiseLevel(levels) {
    const e = levels.map((l) => l * l).sort((a, b) => a - b);
    const low = e.slice(0, Math.max(1, Math.ceil(e.length / 2)));
    return db(low.reduce((s, v) => s + v, 0) / low.length);
  }

  /** The test sound: a rising sweep with soft ends, as PCM16 at `rate`. */
  function testSound(rate) {
    const n = Math.round(SOUND.seconds * rate), out = new Float32Array(n);
    const k = Math.log(SOUND.toHz / SOUND.fromHz) / SOUND.seconds, fade = 0.02 * rate;
    for (let i = 0; i < n; i++) {
      const t = i / rate;
      const phase = (2 * Math.PI * SOUND.fromHz * (Math.exp(k * t) - 1)) / k;
      const edge = Math.min(1, i / fade, (n - 1 - i) / fade);
      out[i] = SOUND.amplitude * edge * Math.sin(phase);
    }
    return out;
  }

  function fft(re, im, inverse) { // in place, radix 2; the length is a power of two
    const n = re.length;
    for (let i = 1, j = 0; i < n; i++) {
      let bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) { [re[i], re[j]] = [re[j], re[i]]; [im[i], im[j]] = [im[j], im[i]]; }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const ang = ((inverse ? 2 : -2) * Math.PI) / len, wr = Math.cos(ang), wi = Math.sin(ang);
      for (let i = 0; i < n; i += len) {
        let cr = 1, ci = 0;
        for (let j = 0; j < len / 2; j++) {
          const a = i + j, b = a + len / 2;
          const xr = re[b] * cr - im[b] * ci, xi = re[b] * ci + im[b] * cr;
          re[b] = re[a] - xr; im[b] = im[a] - xi; re[a] += xr; im[a] += xi;
          [cr, ci] = [cr * wr - ci * wi, cr * wi + ci * wr];
        }
      }
    }
  }

  /**
   * How much of `played` comes back in `heard` (same rate): the cross-correlation peak over
   * every delay gives the echo's gain (echoDb, robust to noise and to the user's voice), its
   * delay, and the energy that came back at that delay over what was played (energyDb).
   */
  function echoOf(heard, played, rate, noiseDb) {
    let size = 1;
    while (size < heard.length + played.length) size <<= 1;
    const ar = new Float64Array(size), ai = new Float64Array(size);
    const br = new Float64Array(size), bi = new Float64Array(size);
    ar.set(heard); br.set(played);
    fft(ar, ai, false); fft(br, bi, false);
    for (let i = 0; i < size; i++) { // heard x conj(played)
      const r = ar[i] * br[i] + ai[i] * bi[i], m = ai[i] * br[i] - ar[i] * bi[i];
      ar[i] = r; ai[i] = m;
    }
    fft(ar, ai, true);
    let playedE = 0;
    for (const v of played) playedE += v * v;
    let best = 0, lag = 0;
    for (let l = 0; l + played.length <= heard.length; l++) {
      const c = Math.abs(ar[l] / size);
      if (c > best) { best = c; lag = l; }
    }
    let backE = 0;
    for (let i = 0; i < played.length; i++) backE += heard[lag + i] ** 2;
    const noiseE = (known(noiseDb) ? 10 ** (noiseDb / 10) : 0) * played.length;
    return { echoDb: db((best / playedE) ** 2), delayMs: (lag / rate) * 1000,
      energyDb: db(Math.max(0, backE - noiseE) / playedE) };
  }

  const RoomCheck = { verdict, speechLevel, noiseLevel, echoOf, testSound, engine: null,
    STORE_KEY };
  window.RoomCheck = RoomCheck;

  // --------------------------------------------------------------------------- the page

  const opener = document.getElementById("room-check-button");
  const panel = document.getElementById("room-check");
  if (!opener || !panel) return;

  const style = document.createElement("style");
  style.id = "room-check-style";
  style.textContent = `
#room-check { border: 1px solid #8a8a8a; border-radius: 8px; padding: .6rem .9rem; margin: .6rem 0 1rem; }
#room-check h2 { margin: 0 0 .3rem; }
#room-check .rc-steps { padding-left: 1.4rem; margin: .4rem 0; }
#room-check .rc-steps li { margin: .25rem 0; }
#room-check .rc-steps li[data-now] { font-weight: 650; }
#room-check .rc-result { font-weight: 400; color: #3b3b3b; }
#room-check .rc-now { font-size: 1.05rem; margin: .5rem 0; }
#room-check .rc-meter { display: flex; align-items: center; gap: .5rem; margin: .3rem 0; }
#room-check .rc-meter label { margin: 0; white-space: nowrap; }
#room-check .rc-meter meter { flex: 0 1 12rem; min-width: 4rem; height: 1.1rem; }
#room-check .rc-verdict { border-left: 5px solid #1d7a36; background: #edf7ef; padding: .4rem .8rem; margin: .6rem 0; }
#room-check .rc-verdict.rc-warn { border-color: #9a6a00; background: #fff6d6; }
#room-check .rc-verdict-title { font-size: 1.2rem; font-weight: 700; margin: 0 0 .2rem; }
#room-check .rc-verdict p { margin: .2rem 0; }
#room-check .rc-actions { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 .2rem; }
#room-check dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .8rem; margin: .4rem 0; }
#room-check dd { margin: 0; font-variant-numeric: tabular-nums; }
#room-check .rc-left { color: #3b3b3b; font-variant-numeric: tabular-nums; white-space: nowrap; }
#room-check-last { display: inline-block; margin: .2rem .6rem; color: #4a4a4a; font-size: .92rem; }`;
  document.head.append(style);

  const el = (tag, props = {}, ...kids) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...kids);
    return node;
  };

  // The last verdict (or the offer to check), beside the button.
  const last = el("span", { id: "room-check-last" });
  opener.after(last);
  opener.setAttribute("aria-describedby", "room-check-last");
  opener.setAttribute("aria-controls", "room-check");
  opener.setAttribute("aria-expanded", "false");

  function stored() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || "null"); } catch (_) { return null; }
  }
  function showLast() {
    const saved = stored();
    if (saved && saved.title) {
      const when = new Date(saved.at);
      const date = Number.isNaN(when.getTime()) ? "" : ` (${when.toLocaleDateString(undefined,
        { day: "numeric", month: "short" })})`;
      last.textContent = `Last check${date}: ${saved.title}.`;
    } else {
      last.textContent = "Recommended before your first session.";
    }
  }
  showLast();

  const STEPS = [
    ["speak", "Your microphone"],
    ["quiet", "Your room's noise"],
    ["echo", "Your speakers' echo"],
  ];
  const ui = {};
  function build() {
    panel.setAttribute("aria-labelledby", "room-check-title");
    panel.textContent = "";
    ui.title = el("h2", { id: "room-check-title", tabIndex: -1, textContent: "Room check" });
    ui.steps = el("ol", { className: "rc-steps" });
    ui.items = {};
    for (const [key, name] of STEPS) {
      const result = el("span", { className: "rc-result" });
      ui.items[key] = { li: el("li", {}, `${name}: `, result), result };
      ui.steps.append(ui.items[key].li);
    }
    ui.now = el("p", { className: "rc-now" });
    ui.now.setAttribute("role", "status");
    ui.now.setAttribute("aria-live", "polite");
    ui.left = el("span", { className: "rc-left" });
    ui.left.setAttribute("aria-hidden", "true");
    ui.meter = el("meter", { id: "room-check-level", min: -60, max: 0, low: -40, high: -6,
      optimum: -20, value: -60 });
    ui.meterBox = el("div", { className: "rc-meter" },
      el("label", { htmlFor: "room-check-level", textContent: "Microphone level" }), ui.meter,
      ui.left);
    ui.verdict = el("div", { className: "rc-verdict", hidden: true });
    ui.details = el("details", { hidden: true }, el("summary", { textContent: "Details" }));
    ui.stop = el("button", { type: "button", className: "secondary", textContent: "Stop the check" });
    ui.ptt = el("button", { type: "button", textContent: "Turn on push-to-talk", hidden: true });
    ui.again = el("button", { type: "button", textContent: "Check again", hidden: true });
    ui.close = el("button", { type: "button", className: "secondary", textContent: "Close" });
    ui.stop.addEventListener("click", () => { if (current) current.cancelled = true; });
    ui.again.addEventListener("click", () => run());
    ui.close.addEventListener("click", close);
    ui.ptt.addEventListener("click", turnOnPtt);
    panel.append(ui.title,
      el("p", { className: "hint", textContent: "Three short steps, about 15 seconds: " +
        "nothing is sent to the server. Use the speakers or headphones you will practise with." }),
      ui.steps, ui.now, ui.meterBox, ui.verdict, ui.details,
      el("div", { className: "rc-actions" }, ui.ptt, ui.again, ui.stop, ui.close));
  }

  function step(key, text) {
    panel.dataset.step = key;
    for (const [k] of STEPS) ui.items[k].li.toggleAttribute("data-now", k === key);
    ui.now.textContent = text;
  }

  let current = null; // the run in progress: {engine, cancelled}

  function sessionLive() {
    return !!(window.voiceRp && window.voiceRp.audio);
  }

  async function run() {
    if (current) return;
    if (!panel.firstChild) build();
    panel.hidden = false;
    opener.setAttribute("aria-expanded", "true");
    ui.verdict.hidden = true; ui.details.hidden = true; ui.ptt.hidden = true;
    ui.now.classList.remove("visually-hidden");
    ui.again.hidden = true; ui.stop.hidden = false; ui.meterBox.hidden = false;
    for (const [k] of STEPS) ui.items[k].result.textContent = "";
    ui.title.focus();
    if (sessionLive()) {
      step("failed", "End the session first: the room check needs the microphone to itself.");
      return finishRun(null);
    }
    const frames = []; const levels = [];
    const engine = new AudioEngine({
      onFrame: (pcm) => { frames.push(new Int16Array(pcm)); return false; },
      onLevel: (level) => { levels.push(level); ui.meter.value = Math.max(-60, 20 * Math.log10(level + 1e-9)); },
      guard: false, loopback: true, audioEl: document.getElementById("voice"), announce: false,
    });
    const me = current = { engine, cancelled: false };
    RoomCheck.engine = engine;
    try {
      engine.begin(); // inside the click: browsers start audio only on a gesture
      step("starting", "Starting the microphone...");
      await engine.open();
      const result = await measure(me, frames, levels);
      finishRun(result);
    } catch (err) {
      const text = err instanceof AudioProblem ? err.message
        : me.cancelled ? "The check was stopped." : `The check could not run (${err.message || err}).`;
      step("failed", text);
      finishRun(null);
    }
  }

  const wait = (me, seconds, tick) => new Promise((resolve, reject) => {
    const end = performance.now() + seconds * 1000;
    const timer = setInterval(() => {
      if (me.cancelled) { clearInterval(timer); reject(new Error("stopped")); return; }
      const left = end - performance.now();
      if (left <= 0) { clearInterval(timer); resolve(); } else if (tick) tick(left / 1000);
    }, 100);
  });

  async function measure(me, frames, levels) {
    const rate = VOICE_RP.audio.sample_rate;
    const m = { speechDb: null, noiseDb: null, echoDb: null };
    const say = "Say a sentence out loud, as in a practice, for example: " +
      "\u201cI am checking my microphone for voice-rp.\u201d";
    step("speak", say);
    levels.length = 0;
    await wait(me, SPEAK_S, (left) => { ui.left.textContent = `${Math.ceil(left)} s`; });
    ui.left.textContent = "";
    m.speechDb = speechLevel(levels);
    ui.items.speak.result.textContent = "measured";

    step("quiet", `Now stay quiet for ${QUIET_S} seconds.`);
    await wait(me, 0.3); // the end of the sentence
    levels.length = 0;
    await wait(me, QUIET_S);
    m.noiseDb = noiseLevel(levels);
    ui.items.quiet.result.textContent = "measured";

    step("echo", "Stay quiet: a short rising tone plays through your speakers or headphones.");
    const sound = testSound(rate);
    const pcm = new Int16Array(sound.length);
    for (let i = 0; i < sound.length; i++) pcm[i] = Math.round(sound[i] * 32767);
    const from = frames.length;
    const when = me.engine.enqueue("room-check", pcm.buffer, rate);
    if (when === null) throw new Error("the test sound could not play");
    await wait(me, (when - me.engine.now()) + SOUND.seconds + TAIL_S);
    const got = frames.slice(from);
    const heard = new Float32Array(got.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of got) { for (let i = 0; i < f.length; i++) heard[at + i] = f[i] / 32768; at += f.length; }
    const echo = echoOf(heard, sound, rate, m.noiseDb);
    m.echoDb = echo.echoDb; m.echoEnergyDb = echo.energyDb; m.echoDelayMs = echo.delayMs;
    m.route = me.engine.stats.route;
    return m;
  }

  function finishRun(m) {
    const me = current;
    current = null;
    if (me) me.engine.close();
    RoomCheck.engine = null;
    ui.stop.hidden = true;
    ui.again.hidden = false;
    ui.meterBox.hidden = true;
    if (!m) { panel.dataset.step = "failed"; return; }
    const v = verdict(m);
    panel.dataset.step = "done";
    panel.dataset.advice = v.advice;
    for (const [k] of STEPS) ui.items[k].li.removeAttribute("data-now");
    ui.items.speak.result.textContent = v.micOk ? "fine" : "too quiet";
    ui.items.quiet.result.textContent = v.noisy ? "noisy" : "quiet enough";
    ui.items.echo.result.textContent = v.echoing ? "strong echo" : "little echo";
    ui.verdict.textContent = "";
    ui.verdict.classList.toggle("rc-warn", v.advice !== "headphones-not-needed");
    ui.verdict.append(el("p", { className: "rc-verdict-title", textContent: v.title }),
      ...v.reasons.map((r) => el("p", { textContent: r })));
    ui.verdict.hidden = false;
    ui.now.textContent = `Done. ${v.title}.`; // said by screen readers; the box below shows it
    ui.now.classList.add("visually-hidden");
    const dl = el("dl");
    const row = (name, value) => dl.append(el("dt", { textContent: name }), el("dd", { textContent: value }));
    const dbText = (v2, unit) => (known(v2) ? `${v2.toFixed(1)} ${unit}` : "not measured");
    row("Your voice", dbText(m.speechDb, "dBFS"));
    row("Room noise", dbText(m.noiseDb, "dBFS"));
    row("Echo (correlation)", dbText(m.echoDb, "dB"));
    row("Echo (energy)", dbText(m.echoEnergyDb, "dB"));
    row("Echo delay", known(m.echoDelayMs) ? `${Math.round(m.echoDelayMs)} ms` : "not measured");
    row("Playback route", m.route || "none");
    ui.details.replaceChildren(el("summary", { textContent: "Details" }), dl);
    ui.details.hidden = false;
    const box = document.getElementById("push-to-talk");
    ui.ptt.hidden = !(v.advice === "use-push-to-talk" && box && !box.checked);
    const saved = { advice: v.advice, title: v.title, at: new Date().toISOString(),
      speechDb: round(m.speechDb), noiseDb: round(m.noiseDb), echoDb: round(m.echoDb) };
    try { localStorage.setItem(STORE_KEY, JSON.stringify(saved)); } catch (_) { /* not kept */ }
    RoomCheck.last = saved;
    showLast();
  }

  function turnOnPtt() {
    const box = document.getElementById("push-to-talk");
    if (!box) return;
    box.checked = true;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    ui.ptt.hidden = true;
    ui.now.classList.remove("visually-hidden");
    ui.now.textContent = "Push-to-talk is on (you can change it under Options).";
  }

  function close() {
    if (current) current.cancelled = true;
    panel.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    opener.focus();
  }

  opener.addEventListener("click", () => {
    if (!panel.hidden && current) { ui.title.focus(); return; }
    run();
  });
  // A session starting takes the microphone: the check gives way.
  window.addEventListener("voice-rp-audio", (e) => {
    if (e.detail && e.detail.phase === "open" && current) current.cancelled = true;
  });
})();
