// Microphone capture for voice-rp: downmix, resample to the protocol's rate and post PCM16 frames
// of the protocol's size (docs/protocol.md) to the page, which sends each one as a websocket
// binary message. The rate and frame size come from the page (processorOptions), which has them
// from the server's /protocol.js: a worklet cannot load the page's scripts.
//
// Input 0 is the microphone. Input 1 is the persona's voice exactly as the page plays it (the
// echo reference). While the persona speaks, a frame whose level the reference explains (its
// echo) is sent as silence, so a user without headphones does not interrupt the persona with
// its own voice; a frame clearly louder than the echo the reference predicts is the user and
// goes through. See docs/browser.md for the approach and its limits.

const WINDOW = 25; // reference frames remembered: 500 ms of echo delay and room tail
const REF_ACTIVE = 1e-5; // reference energy (RMS ~0.003) below which nothing is playing
const MARGIN = 4; // user speech must carry 4x (6 dB) the energy of the predicted echo
const GAIN_START = 1; // until enough echo is measured, assume it is as loud as the playback
const GAIN_MIN = 0.03; // never assume the echo is weaker than -15 dB of the playback
const LEARN_FRAMES = 150; // the echo gain is the loudest echo of the last 3 s of playback
const SETTLE_FRAMES = 50; // playback frames measured before the learned gain is trusted
const OPEN_FRAMES = 3; // 60 ms above the echo before the gate opens (clicks do not)
const HOLD_FRAMES = 15; // 300 ms: the gate stays open through the gaps between words

class PcmCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const wire = options.processorOptions;
    this.frameSamples = wire.frameSamples;
    this.step = sampleRate / wire.sampleRate; // input samples per output sample
    this.pos = 0; // fractional read position into the pending input
    this.pending = new Float32Array(0);
    this.frame = new Int16Array(this.frameSamples);
    this.filled = 0;
    this.guard = wire.guard !== false;
    this.refSum = 0; // reference energy summed over the frame being built
    this.refCount = 0;
    this.micSum = 0;
    this.refHistory = new Float32Array(WINDOW);
    this.refAt = 0;
    this.gain = GAIN_START;
    this.ratios = new Float32Array(LEARN_FRAMES); // echo / reference energy, playing frames only
    this.learned = 0;
    this.above = 0; // consecutive frames louder than the echo
    this.hold = 0; // frames the gate stays open
    this.stats = { frames: 0, gated: 0, passedDuringPlayback: 0 };
    this.port.onmessage = (e) => { if (e.data && e.data.guard !== undefined) this.guard = e.data.guard; };
  }

  process(inputs) {
    const mic = inputs[0];
    if (!mic || mic.length === 0) return true;
    const ref = inputs[1] && inputs[1].length ? inputs[1][0] : null;
    const n = mic[0].length;
    const mono = new Float32Array(this.pending.length + n);
    mono.set(this.pending);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let c = 0; c < mic.length; c++) sum += mic[c][i];
      mono[this.pending.length + i] = sum / mic.length;
      if (ref) this.refSum += ref[i] * ref[i];
    }
    this.refCount += n;
    // Average over each output sample's span of input: a cheap low-pass against aliasing.
    while (this.pos + this.step <= mono.length) {
      const start = Math.floor(this.pos), end = Math.floor(this.pos + this.step);
      let sum = 0;
      for (let i = start; i < end; i++) sum += mono[i];
      const v = end > start ? sum / (end - start) : mono[start];
      this.micSum += v * v;
      this.frame[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
      if (this.filled === this.frameSamples) {
        this.emit();
        this.filled = 0;
      }
      this.pos += this.step;
    }
    const keep = Math.floor(this.pos);
    this.pending = mono.slice(keep);
    this.pos -= keep;
    return true;
  }

  // How loud this room's echo is: the loudest echo-to-playback ratio of recent playback. A
  // maximum over seconds, not a running average, so pauses between words cannot lower it and
  // let the next word's echo through. Frames where the user was heard are not learned from.
  learn(ratio) {
    this.ratios[this.learned % LEARN_FRAMES] = ratio;
    this.learned++;
    if (this.learned < SETTLE_FRAMES) return;
    let loudest = 0;
    const n = Math.min(this.learned, LEARN_FRAMES);
    for (let i = 0; i < n; i++) if (this.ratios[i] > loudest) loudest = this.ratios[i];
    this.gain = Math.max(GAIN_MIN, loudest);
  }

  emit() {
    const micE = this.micSum / this.frameSamples;
    const refE = this.refCount ? this.refSum / this.refCount : 0;
    this.micSum = 0; this.refSum = 0; this.refCount = 0;
    this.refHistory[this.refAt] = refE;
    this.refAt = (this.refAt + 1) % WINDOW;
    let refMax = 0;
    for (let i = 0; i < WINDOW; i++) if (this.refHistory[i] > refMax) refMax = this.refHistory[i];
    const playing = refMax > REF_ACTIVE;
    let gated = false;
    this.stats.frames++;
    if (playing && this.guard) {
      const echo = this.gain * refMax;
      const loud = micE > MARGIN * echo;
      this.above = loud ? this.above + 1 : 0;
      if (this.above >= OPEN_FRAMES) this.hold = HOLD_FRAMES;
      else if (this.hold > 0) this.hold--;
      gated = this.hold === 0;
      if (gated && !loud) this.learn(micE / refMax); // echo, not the user
      if (gated) this.stats.gated++; else this.stats.passedDuringPlayback++;
    } else {
      this.above = 0; this.hold = 0;
    }
    const out = gated ? new Int16Array(this.frameSamples) : this.frame.slice(0);
    this.port.postMessage({ pcm: out.buffer, level: Math.sqrt(micE), gated, playing,
      gain: this.gain, stats: this.stats }, [out.buffer]);
  }
}

registerProcessor("pcm-capture", PcmCapture);
