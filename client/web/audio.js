// voice-rp browser audio: one AudioContext for the microphone (capture-worklet.js) and the
// persona's voice. Replies are scheduled back to back (gap-free), can be dropped at once on
// `clear`, and are played through a local WebRTC loopback into an <audio> element when the
// browser allows it, so the browser's own echo canceller hears them (docs/browser.md).
"use strict";

class AudioProblem extends Error {}

const LEAD_S = 0.05; // schedule a turn's first audio this far ahead, so it starts whole
// When the echo guard is sure the user talks over the persona, the page silences the persona
// at once (a 20 ms fade) rather than wait for the server's barge-in rule (300 ms of speech) and
// its `clear`. If no `clear` comes within RESUME_MS (a cough, not an interruption), the voice
// comes back where it is by then.
const FADE_S = 0.02;
const RESUME_MS = 1000;
const LOOPBACK_WAIT_MS = 4000;

// What a getUserMedia failure means for the user.
function micProblem(err) {
  const name = err && err.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Microphone access was refused. Allow the microphone for this page (the icon in the " +
      "address bar), then press Start again.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Connect one, then press Start again.";
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return "The microphone could not be opened; another program may be using it.";
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return "This page cannot use the microphone here: open it as http://localhost or over https.";
  }
  return `The microphone could not start (${(err && err.message) || err}).`;
}

class AudioEngine {
  /**
   * onFrame(ArrayBuffer): a PCM16 frame for the server (the format of VOICE_RP.audio, from the
   * server's /protocol.js); onLevel(level, gated): meter.
   * guard: drop the persona's own echo from the microphone; loopback: play through WebRTC.
   * announce: tell the page's other parts (push-to-talk, ptt.js) that a session's audio
   * started and stopped, as "voice-rp-audio" events on window; the room check opts out.
   */
  constructor({ onFrame, onLevel, onProblem, onMicLost, guard = true, loopback = true,
    audioEl = null, announce = true }) {
    this.onFrame = onFrame;
    this.onLevel = onLevel || (() => {});
    this.onProblem = onProblem || (() => {});
    this.onMicLost = onMicLost || (() => {});
    this.guard = guard;
    this.wantLoopback = loopback && typeof RTCPeerConnection !== "undefined" && audioEl;
    this.audioEl = audioEl;
    this.ctx = null;
    this.mic = null;
    this.capture = null;
    this.out = null;
    this.analyser = null;
    this.streamOut = null;
    this.peers = [];
    this.playHead = 0;
    this.turns = new Map(); // turn -> {start, scheduledMs, sources, pieces, cleared, clearedAt}
    this.meterTimer = null;
    this.stats = { playedMs: 0, audibleMs: 0, peak: 0, gaps: 0, chunks: 0, route: "none",
      framesSent: 0, framesGated: 0, framesMuted: 0, guard, yields: 0, resumed: 0 };
    // Push-to-talk: while the gate is shut every frame sent is silence, so the server hears
    // nothing and ends the turn by its usual wait. Open by default: no change without PTT.
    this.gateOpen = true;
    this.announce = announce;
    this.closed = false;
    if (announce) AudioEngine.tell("open", this);
    this.yieldedAt = null; // context time the persona was silenced for the user, until clear
    this.resumeTimer = null;
  }

  /** Call from the click handler, before any await: browsers allow audio only on a gesture. */
  begin() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) throw new AudioProblem("This browser cannot play or record audio (no Web Audio).");
    this.ctx = new Ctx();
    this.resuming = this.ctx.resume();
  }

  /** Opens the microphone and the playback path; throws AudioProblem with a sentence. */
  async open() {
    const ctx = this.ctx;
    try {
      await Promise.race([this.resuming, new Promise((r) => setTimeout(r, 3000))]);
    } catch (_) { /* checked below */ }
    if (ctx.state !== "running") {
      throw new AudioProblem("Audio could not start in this browser (the audio system stayed " +
        `"${ctx.state}"). Check that a speaker or headphones are available, then try again.`);
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true,
          autoGainControl: true },
      });
    } catch (err) {
      throw new AudioProblem(micProblem(err));
    }
    this.mic = stream;
    for (const track of stream.getAudioTracks()) {
      track.addEventListener("ended", () => {
        this.onProblem("The microphone stopped (unplugged?). What you said so far is kept; " +
          "end the session, or plug the microphone back in and start again.");
        this.onMicLost();
      });
    }
    if (!ctx.audioWorklet) throw new AudioProblem("This browser is too old for voice-rp (no AudioWorklet).");
    try {
      await ctx.audioWorklet.addModule(await AudioEngine.workletUrl());
    } catch (err) {
      throw new AudioProblem("The page could not load its microphone code; reload the page. " +
        `(${err.message || err})`);
    }
    this.capture = new AudioWorkletNode(ctx, "pcm-capture", {
      numberOfInputs: 2, numberOfOutputs: 1, outputChannelCount: [1],
      processorOptions: { guard: this.guard, sampleRate: VOICE_RP.audio.sample_rate,
        frameSamples: VOICE_RP.audio.frame_samples },
    });
    this.capture.port.onmessage = (e) => this.frame(e.data);
    ctx.createMediaStreamSource(stream).connect(this.capture, 0, 0);
    this.capture.connect(ctx.destination); // pulled by the graph; it outputs silence

    this.out = ctx.createGain();
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 2048;
    this.out.connect(this.analyser);
    this.out.connect(this.capture, 0, 1); // the echo reference: exactly what is played
    this.streamOut = ctx.createMediaStreamDestination();
    this.out.connect(this.streamOut);
    this.stats.route = "web-audio";
    if (this.wantLoopback) {
      try {
        await this.startLoopback();
        this.stats.route = "webrtc-loopback";
      } catch (err) {
        this.stopLoopback();
        console.warn("voice-rp: playing through Web Audio; the WebRTC loopback failed:", err);
      }
    }
    if (this.stats.route === "web-audio") this.out.connect(ctx.destination);
    this.meterTimer = setInterval(() => this.measure(), 50);
  }

  /** The capture worklet, fetched once with the page, so a later session needs no request. */
  static workletUrl() {
    if (!AudioEngine.worklet) {
      AudioEngine.worklet = fetch("capture-worklet.js")
        .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`HTTP ${res.status}`))))
        .then((code) => URL.createObjectURL(new Blob([code], { type: "text/javascript" })))
        .catch(() => { AudioEngine.worklet = null; return "capture-worklet.js"; });
    }
    return AudioEngine.worklet;
  }

  async startLoopback() {
    const a = new RTCPeerConnection(), b = new RTCPeerConnection();
    this.peers = [a, b];
    a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate).catch(() => {}); };
    b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate).catch(() => {}); };
    const track = new Promise((resolve) => {
      b.ontrack = (e) => resolve(e.streams[0] || new MediaStream([e.track]));
    });
    for (const t of this.streamOut.stream.getAudioTracks()) a.addTrack(t, this.streamOut.stream);
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
    const connected = new Promise((resolve, reject) => {
      const check = () => {
        if (b.connectionState === "connected") resolve();
        else if (b.connectionState === "failed") reject(new Error("loopback connection failed"));
      };
      b.onconnectionstatechange = check;
      check();
    });
    const timeout = new Promise((_, reject) =>
      setTimeout(() => reject(new Error("loopback did not connect")), LOOPBACK_WAIT_MS));
    const remote = await Promise.race([track, timeout]);
    await Promise.race([connected, timeout]);
    this.audioEl.srcObject = remote;
    await this.audioEl.play();
  }

  stopLoopback() {
    for (const pc of this.peers) { try { pc.close(); } catch (_) { /* closed */ } }
    this.peers = [];
    if (this.audioEl) { this.audioEl.pause(); this.audioEl.srcObject = null; }
  }

  setGuard(on) {
    this.guard = on;
    this.stats.guard = on;
    if (this.capture) this.capture.port.postMessage({ guard: on });
  }

  /** Push-to-talk's gate: shut (false), the frames sent are zeros; open (true) as captured. */
  setGate(open) {
    this.gateOpen = !!open;
  }

  static tell(phase, engine) {
    window.dispatchEvent(new CustomEvent("voice-rp-audio", { detail: { phase, engine } }));
  }

  frame(data) {
    this.onLevel(data.level, data.gated);
    if (data.gated) this.stats.framesGated++;
    // The echo guard's state, for diagnosis: the learned echo path's total gain, the room's
    // echo ratio, how often the gate opened while a reply played.
    this.stats.guardGain = data.gain;
    this.stats.guardRatio = data.ratio;
    if (data.stats.opened > (this.stats.gateOpened || 0)) {
      this.stats.gateOpenedAt = performance.now();
    }
    this.stats.gateOpened = data.stats.opened;
    let pcm = data.pcm;
    if (!this.gateOpen) {
      // Talk not held: silence of the same size, and the user's voice cannot fade the persona.
      this.stats.framesMuted++;
      pcm = new ArrayBuffer(data.pcm.byteLength);
    } else if (data.sure) this.yieldToUser();
    if (this.onFrame(pcm)) this.stats.framesSent++;
  }

  // Measured at the output: proof that sound really went out, and how loud.
  measure() {
    if (!this.analyser) return;
    const buf = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(buf);
    let sum = 0, peak = 0;
    for (const v of buf) { sum += v * v; peak = Math.max(peak, Math.abs(v)); }
    if (Math.sqrt(sum / buf.length) > 0.003) this.stats.audibleMs += 50;
    this.stats.peak = Math.max(this.stats.peak, peak);
  }

  turn(turn) {
    let t = this.turns.get(turn);
    if (!t) {
      t = { start: null, scheduledMs: 0, sources: [], cleared: false, clearedAt: 0, reported: -1 };
      this.turns.set(turn, t);
    }
    return t;
  }

  /** Queue PCM16 of a reply right after what is already queued. Returns its start (ctx time). */
  enqueue(turn, pcm16, rate) {
    const t = this.turn(turn);
    if (t.cleared || !this.ctx || !this.out) return null;
    const pcm = new Int16Array(pcm16);
    if (pcm.length === 0) return null;
    const buffer = this.ctx.createBuffer(1, pcm.length, rate);
    const ch = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.out);
    const now = this.ctx.currentTime;
    if (this.playHead > 0 && this.playHead < now && t.start !== null) this.stats.gaps++;
    const when = Math.max(now + LEAD_S, this.playHead);
    if (t.start === null) t.start = when;
    src.start(when);
    src.onended = () => { t.sources = t.sources.filter((s) => s !== src); };
    this.playHead = when + buffer.duration;
    t.scheduledMs += buffer.duration * 1000;
    t.sources.push(src);
    this.stats.chunks++;
    return when;
  }

  /** Milliseconds of turn `turn`'s reply played so far. */
  playedMs(turn) {
    const t = this.turns.get(turn);
    if (!t || t.start === null || !this.ctx) return 0;
    if (t.cleared) return t.clearedAt;
    return Math.max(0, Math.min(t.scheduledMs, (this.ctx.currentTime - t.start) * 1000));
  }

  /** Context time at which `offsetMs` of the turn's audio plays (null: nothing queued yet). */
  timeOf(turn, offsetMs) {
    const t = this.turns.get(turn);
    return t && t.start !== null ? t.start + offsetMs / 1000 : null;
  }

  now() { return this.ctx ? this.ctx.currentTime : 0; }

  /** The user interrupted: silence the turn at once and forget what was queued. */
  clear(turn) {
    const t = this.turn(turn);
    if (t.cleared) return;
    t.clearedAt = this.playedMs(turn);
    if (this.yieldedAt !== null && t.start !== null) {
      // Silenced since then for the user: what was heard ends there.
      t.clearedAt = Math.max(0, Math.min(t.clearedAt, (this.yieldedAt - t.start) * 1000));
    }
    t.cleared = true;
    for (const src of t.sources) { try { src.stop(); } catch (_) { /* not started yet */ } }
    t.sources = [];
    if (this.ctx) this.playHead = this.ctx.currentTime;
    this.unyield();
  }

  /** The echo guard is sure the user is speaking over the persona: fade the persona out now. */
  yieldToUser() {
    if (this.yieldedAt !== null || !this.busy() || !this.out) return;
    this.yieldedAt = this.ctx.currentTime;
    this.stats.yields++;
    this.stats.yieldedAt = performance.now();
    this.fadeTo(0);
    this.resumeTimer = setTimeout(() => {
      this.stats.resumed++;
      this.unyield();
    }, RESUME_MS);
  }

  /** The persona's voice back at full level (after a clear, or when no clear came). */
  unyield() {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
    if (this.yieldedAt === null) return;
    this.yieldedAt = null;
    if (this.out && this.ctx) this.fadeTo(1);
  }

  fadeTo(level) {
    const gain = this.out.gain, now = this.ctx.currentTime;
    gain.cancelScheduledValues(now);
    gain.setValueAtTime(gain.value, now);
    gain.linearRampToValueAtTime(level, now + FADE_S);
  }

  /** True while any reply audio is still queued or playing. */
  busy() { return !!this.ctx && this.playHead > this.ctx.currentTime; }

  /** Release the microphone, the loopback and the context. Safe to call more than once. */
  close() {
    if (!this.closed && this.announce) AudioEngine.tell("closed", this);
    this.closed = true;
    this.unyield();
    if (this.meterTimer) clearInterval(this.meterTimer);
    this.meterTimer = null;
    for (const t of this.turns.values()) {
      for (const src of t.sources) { try { src.stop(); } catch (_) { /* done */ } }
    }
    this.turns.clear();
    if (this.mic) this.mic.getTracks().forEach((track) => track.stop());
    this.mic = null;
    if (this.capture) this.capture.port.onmessage = null;
    this.stopLoopback();
    if (this.ctx && this.ctx.state !== "closed") this.ctx.close().catch(() => {});
    this.ctx = null; this.capture = null; this.out = null; this.analyser = null;
    this.playHead = 0;
  }
}

window.AudioEngine = AudioEngine;
window.AudioProblem = AudioProblem;
