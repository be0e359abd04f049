// voice-rp browser client: speaks protocol voice-rp/1 (docs/protocol.md) with the server that
// served this page. Microphone -> 20 ms frames of 16 kHz PCM16; replies -> scheduled playback.
"use strict";

const PROTOCOL = "voice-rp/1";
const $ = (id) => document.getElementById(id);

let ws = null;
let ctx = null;
let micStream = null;
let captureNode = null;
let started = false;
// Playback: one AudioBufferSourceNode per received chunk, scheduled back to back.
let piece = null; // {turn, rate} announced by the last audio_start
let playHead = 0; // context time where the next chunk starts
const turns = new Map(); // turn -> {start, scheduledMs, sources, cleared, reported}
let reportTimer = null;

function say(text, cls) {
  const p = document.createElement("p");
  p.textContent = text;
  if (cls) p.className = cls;
  $("log").appendChild(p);
  p.scrollIntoView({ block: "end" });
}

function status(text) { $("status").textContent = text; }

function serverUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = $("token").value.trim();
  return `${scheme}//${location.host}/ws` + (token ? `?token=${encodeURIComponent(token)}` : "");
}

async function start() {
  $("start").disabled = true;
  try {
    ctx = new AudioContext();
    micStream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (err) {
    say(`No microphone: ${err.message}. Allow microphone access, or use the Python client with --input FILE.wav.`, "error");
    $("start").disabled = false;
    return;
  }
  ws = new WebSocket(serverUrl());
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    status("Connected; starting the session...");
    ws.send(JSON.stringify({
      type: "start", protocol: PROTOCOL, persona: $("persona").value.trim(), options: {},
      audio: { format: "pcm16", sample_rate: 16000, channels: 1, frame_ms: 20 },
    }));
  };
  ws.onmessage = (e) => (typeof e.data === "string" ? onMessage(JSON.parse(e.data)) : onAudio(e.data));
  ws.onclose = (e) => {
    status(`Disconnected (${e.code}${e.reason ? ": " + e.reason : ""}).`);
    stopAudio();
    $("start").disabled = false;
    $("stop").disabled = true;
  };
  ws.onerror = () => say("Could not talk to the server (wrong token, or the server is down?).", "error");
}

async function startMic() {
  const source = ctx.createMediaStreamSource(micStream);
  const send = (buf) => { if (started && ws && ws.readyState === WebSocket.OPEN) ws.send(buf); };
  if (ctx.audioWorklet) {
    await ctx.audioWorklet.addModule("capture-worklet.js");
    captureNode = new AudioWorkletNode(ctx, "pcm-capture");
    captureNode.port.onmessage = (e) => send(e.data);
  } else {
    captureNode = scriptProcessorCapture(send); // old browsers
  }
  source.connect(captureNode);
  // A capture node must reach the destination to be pulled; it outputs silence.
  captureNode.connect(ctx.destination);
}

function scriptProcessorCapture(send) {
  const node = ctx.createScriptProcessor(4096, 1, 1);
  const step = ctx.sampleRate / 16000;
  let pos = 0, pending = new Float32Array(0), frame = new Int16Array(320), filled = 0;
  node.onaudioprocess = (e) => {
    const input = e.inputBuffer.getChannelData(0);
    const mono = new Float32Array(pending.length + input.length);
    mono.set(pending); mono.set(input, pending.length);
    while (pos + step <= mono.length) {
      const a = Math.floor(pos), b = Math.floor(pos + step);
      let sum = 0;
      for (let i = a; i < b; i++) sum += mono[i];
      const v = b > a ? sum / (b - a) : mono[a];
      frame[filled++] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
      if (filled === 320) { send(frame.buffer.slice(0)); filled = 0; }
      pos += step;
    }
    const keep = Math.floor(pos);
    pending = mono.slice(keep); pos -= keep;
    e.outputBuffer.getChannelData(0).fill(0);
  };
  return node;
}

function onMessage(msg) {
  switch (msg.type) {
    case "ready":
      $("notice").textContent = msg.notice;
      $("notice").hidden = false;
      say(`Talking with ${msg.persona.name}${msg.persona.title ? " (" + msg.persona.title + ")" : ""}.`, "meta");
      status("Listening. Speak when you are ready.");
      started = true;
      $("stop").disabled = false;
      startMic();
      reportTimer = setInterval(reportPlayed, 200);
      break;
    case "state":
      status({ listening: "Listening...", thinking: "Thinking...", speaking: "Speaking...", ended: "Ended." }[msg.state] || msg.state);
      break;
    case "transcript": say(`You: ${msg.text}`, "you"); break;
    case "audio_start": piece = { turn: msg.turn, rate: msg.sample_rate }; break;
    case "clear": clearTurn(msg.turn); break;
    case "reply_done": say(`${msg.speaker}: ${msg.text}${msg.interrupted ? " [interrupted]" : ""}`, "persona"); break;
    case "metrics":
      if (msg.stages.response_ms != null) say(`reply began ${Math.round(msg.stages.response_ms)} ms after you stopped`, "meta");
      break;
    case "error": say(`Error ${msg.code}: ${msg.message}`, "error"); break;
    case "session_end":
      say(`Session ended (${msg.reason}).`, "meta");
      if (msg.summary) say(JSON.stringify(msg.summary), "meta");
      break;
  }
}

function onAudio(data) {
  if (!piece || !ctx) return;
  let t = turns.get(piece.turn);
  if (!t) { t = { start: null, scheduledMs: 0, sources: [], cleared: false, reported: -1 }; turns.set(piece.turn, t); }
  if (t.cleared) return;
  const pcm = new Int16Array(data);
  const buffer = ctx.createBuffer(1, pcm.length, piece.rate);
  const ch = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
  const src = ctx.createBufferSource();
  src.buffer = buffer;
  src.connect(ctx.destination);
  const when = Math.max(ctx.currentTime + 0.02, playHead);
  if (t.start === null) t.start = when;
  src.start(when);
  playHead = when + buffer.duration;
  t.scheduledMs += buffer.duration * 1000;
  t.sources.push(src);
}

function playedMs(t) {
  if (t.start === null) return 0;
  if (t.cleared) return t.clearedAt;
  return Math.max(0, Math.min(t.scheduledMs, (ctx.currentTime - t.start) * 1000));
}

function clearTurn(turn) {
  const t = turns.get(turn);
  if (!t) return;
  t.clearedAt = playedMs(t);
  t.cleared = true;
  for (const src of t.sources) { try { src.stop(); } catch (_) { /* not started yet */ } }
  t.sources = [];
  playHead = ctx.currentTime;
}

function reportPlayed() {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  for (const [turn, t] of turns) {
    const ms = Math.round(playedMs(t) * 10) / 10;
    if (ms !== t.reported) {
      t.reported = ms;
      ws.send(JSON.stringify({ type: "played", turn, ms }));
    }
  }
}

function stopAudio() {
  started = false;
  if (reportTimer) clearInterval(reportTimer);
  if (micStream) micStream.getTracks().forEach((track) => track.stop());
  if (ctx) ctx.close();
  ctx = null; micStream = null; captureNode = null; piece = null; turns.clear(); playHead = 0;
}

$("start").onclick = start;
$("stop").onclick = () => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "end" })); };
