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
//
// The echo is predicted per 20 ms frame from the reference's energy over the last 500 ms
// through a learned echo path in the energy domain (delay and room tail in one set of taps,
// normalised LMS). It starts as loud as a loud laptop speaker could be and is learned down
// from frames the gate kept shut while the reference was playing. The user's voice cannot
// ratchet it up: frames heard after a reply (when users answer) are not learned from, a loud
// frame opens the gate instead of teaching the path, a softer one moves it at most by what
// was heard (an average, not a maximum) and the next echo brings it back, and the path never
// exceeds GAIN_MAX.

const TAPS = 25; // 500 ms of echo path: output latency, acoustic delay and room tail
const REF_ACTIVE = 1e-6; // reference energy (RMS 0.001, -60 dBFS) below which nothing plays
const MARGIN = 3; // the user must carry 3x (5 dB) the energy of the predicted echo
const STAY = 2; // once the gate is open, 2x (3 dB) keeps it open: the user goes on
const STRONG = 10; // one frame 10x (10 dB) above the echo is the user at once
const OPEN_FRAMES = 2; // else two such frames in a row (40 ms): clicks do not open the gate
// Once open, the gate stays open TRY_FRAMES (100 ms) after the last frame above STAY x the
// echo, and once HEARD_FRAMES loud frames were heard (the user, surely) HOLD_FRAMES (300 ms),
// through the gaps between words. A burst of echo that opened it by mistake passes for 100 ms, too little to count as
// a barge-in at the server (300 ms of speech: TurnPolicy.barge_in_s in voice_rp/endpointer.py).
// The page silences the persona at once when the gate has heard HEARD_FRAMES loud frames
// (the user, surely), before the server's barge-in rule has heard its 300 ms (audio.js).
const TRY_FRAMES = 5;
const HEARD_FRAMES = 5;
const HOLD_FRAMES = 15;
const GAIN_MAX = 4; // the echo path never exceeds +6 dB over the playback in total
// Before anything is learned, the most echo there can be, spread over the first 200 ms: even a
// loud laptop speaker stays gated during the first reply, and the room is learned down from
// there, which the user's voice cannot do (it only ever adds energy).
const PRIOR_TAPS = 10;
const STEP = 0.3; // NLMS step size: a room is learned within the first second of playback
const NOISE_FRAMES = 100; // the noise floor: the quietest frame of the last 2 s
// The room tail after a loud word dies away no faster than 2 dB per frame (a reverberation
// time of 0.6 s), whatever the learned taps say: they learn a tail only from what they hear.
const DECAY = 0.63;
// The prediction never falls below FLOOR x the room's echo ratio x the loudest reference frame
// of the last 500 ms, whatever the delay: when the echo's delay jumps (a device or stream
// glitch), the taps are wrong until relearned, and without this floor the echo at the new
// delay would open the gate, and so never be learned from. The echo ratio is the highest
// echo-to-loudest-reference ratio of the last 3 s of playback, taken only from frames the
// taps explain (within 3 dB of their prediction), so the user's voice cannot raise it much.
const FLOOR = 0.4;
const RATIO_FRAMES = 150;
const RATIO_START = 1; // until RATIO_SETTLE frames are measured: the echo as loud as the playback
const RATIO_SETTLE = 25;
const EXPLAINED = 2;

class EchoPath {
  constructor() {
    this.h = new Float32Array(TAPS);
    for (let k = 0; k < PRIOR_TAPS; k++) this.h[k] = GAIN_MAX / PRIOR_TAPS;
    this.ref = new Float32Array(TAPS); // ref[0] is the newest frame's reference energy
  }

  push(refE) {
    this.ref.copyWithin(1, 0, TAPS - 1);
    this.ref[0] = refE;
  }

  // The echo energy of this frame by the taps.
  predict() {
    let y = 0;
    for (let k = 0; k < TAPS; k++) y += this.h[k] * this.ref[k];
    return y;
  }

  loudest() {
    let m = 0;
    for (let k = 0; k < TAPS; k++) if (this.ref[k] > m) m = this.ref[k];
    return m;
  }

  gain() {
    let g = 0;
    for (let k = 0; k < TAPS; k++) g += this.h[k];
    return g;
  }

  playing() {
    for (let k = 0; k < TAPS; k++) if (this.ref[k] > REF_ACTIVE) return true;
    return false;
  }

  // One normalised LMS step of the taps towards `echoE`, the echo energy of this frame, whose
  // prediction (with the floor) was `expected`. The taps stay non-negative, one step raises
  // the prediction by at most STEP x `expected`, and the path never exceeds GAIN_MAX.
  learn(echoE, expected) {
    const ref = this.ref;
    let norm = 1e-12, predicted = 0;
    for (let k = 0; k < TAPS; k++) { norm += ref[k] * ref[k]; predicted += this.h[k] * ref[k]; }
    const step = STEP * Math.min(echoE - predicted, expected) / norm;
    let total = 0;
    for (let k = 0; k < TAPS; k++) {
      this.h[k] = Math.max(0, this.h[k] + step * ref[k]);
      total += this.h[k];
    }
    if (total > GAIN_MAX) for (let k = 0; k < TAPS; k++) this.h[k] *= GAIN_MAX / total;
  }
}

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
    this.path = new EchoPath();
    this.quiet = new Float32Array(NOISE_FRAMES).fill(1);
    this.quietAt = 0;
    this.tail = 0; // the predicted echo, held up by the slowest room decay
    this.ratios = new Float32Array(RATIO_FRAMES); // echo / loudest reference, explained frames
    this.measured = 0;
    this.ratio = RATIO_START;
    this.above = 0; // consecutive frames louder than the echo
    this.heard = 0; // loud frames since the gate opened
    this.hold = 0; // frames the gate stays open
    this.stats = { frames: 0, gated: 0, passedDuringPlayback: 0, learned: 0, opened: 0 };
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

  // The room's echo ratio: the highest of the last RATIO_FRAMES measured. A maximum, not an
  // average, so the pauses between words cannot lower it.
  measure(ratio) {
    this.ratios[this.measured % RATIO_FRAMES] = ratio;
    this.measured++;
    if (this.measured < RATIO_SETTLE) return;
    let highest = 0;
    for (let i = 0; i < Math.min(this.measured, RATIO_FRAMES); i++) {
      if (this.ratios[i] > highest) highest = this.ratios[i];
    }
    this.ratio = Math.min(GAIN_MAX, highest);
  }

  noiseFloor(micE) {
    this.quiet[this.quietAt] = micE;
    this.quietAt = (this.quietAt + 1) % NOISE_FRAMES;
    let floor = Infinity;
    for (let i = 0; i < NOISE_FRAMES; i++) if (this.quiet[i] < floor) floor = this.quiet[i];
    return floor;
  }

  emit() {
    const micE = this.micSum / this.frameSamples;
    const refE = this.refCount ? this.refSum / this.refCount : 0;
    this.micSum = 0; this.refSum = 0; this.refCount = 0;
    const path = this.path;
    path.push(refE);
    const noise = this.noiseFloor(micE);
    const playing = path.playing();
    let gated = false;
    let echo = 0;
    this.stats.frames++;
    if (playing && this.guard) {
      const taps = path.predict(), loudest = path.loudest();
      const direct = Math.max(taps, FLOOR * this.ratio * loudest);
      echo = this.tail = Math.max(direct, this.tail * DECAY);
      // The noise floor is the quietest frame: the room's noise is about twice that.
      const excess = Math.max(0, micE - 2 * noise);
      const loud = excess > MARGIN * (echo + 2 * noise);
      this.above = loud ? this.above + 1 : 0;
      if (this.hold > 0) { // open
        if (loud) this.heard++;
        if (excess > STAY * (echo + 2 * noise)) {
          this.hold = Math.max(this.hold, this.heard >= HEARD_FRAMES ? HOLD_FRAMES : TRY_FRAMES);
        } else this.hold--;
      } else if (this.above >= OPEN_FRAMES || (loud && excess > STRONG * (echo + 2 * noise))) {
        this.heard = this.above;
        this.hold = TRY_FRAMES;
        this.stats.opened++;
      }
      gated = this.hold === 0;
      // Learn only while the reference plays now (not in the room tail after a reply, when
      // the user answers) and from frames the gate kept shut that were not loud.
      if (gated && refE > REF_ACTIVE && !loud) {
        if (excess < EXPLAINED * taps) this.measure(excess / loudest);
        path.learn(excess, direct);
        this.stats.learned++;
      }
      if (gated) this.stats.gated++; else this.stats.passedDuringPlayback++;
    } else {
      this.above = 0; this.hold = 0; this.tail = 0;
    }
    const out = gated ? new Int16Array(this.frameSamples) : this.frame.slice(0);
    const sure = playing && this.guard && !gated && this.heard >= HEARD_FRAMES;
    this.port.postMessage({ pcm: out.buffer, level: Math.sqrt(micE), gated, playing, sure,
      gain: path.gain(), ratio: this.ratio, echo, stats: this.stats }, [out.buffer]);
  }
}

registerProcessor("pcm-capture", PcmCapture);
