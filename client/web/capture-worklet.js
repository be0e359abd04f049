// Microphone capture for voice-rp: downmix, resample to 16 kHz and post 20 ms PCM16 frames
// (320 samples, 640 bytes) to the page, which sends each one as a websocket binary message.
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / 16000; // input samples per output sample
    this.pos = 0; // fractional read position into the pending input
    this.pending = new Float32Array(0);
    this.frame = new Int16Array(320);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const n = input[0].length;
    const mono = new Float32Array(this.pending.length + n);
    mono.set(this.pending);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let c = 0; c < input.length; c++) sum += input[c][i];
      mono[this.pending.length + i] = sum / input.length;
    }
    // Average over each output sample's span of input: a cheap low-pass against aliasing.
    while (this.pos + this.step <= mono.length) {
      const start = Math.floor(this.pos), end = Math.floor(this.pos + this.step);
      let sum = 0;
      for (let i = start; i < end; i++) sum += mono[i];
      const v = end > start ? sum / (end - start) : mono[start];
      this.frame[this.filled++] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
      if (this.filled === 320) {
        this.port.postMessage(this.frame.buffer.slice(0));
        this.filled = 0;
      }
      this.pos += this.step;
    }
    const keep = Math.floor(this.pos);
    this.pending = mono.slice(keep);
    this.pos -= keep;
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
