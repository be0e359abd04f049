// The room microphone of the browser tests (tests/web_browser.py), installed before the page's
// scripts. It replaces getUserMedia with a Web Audio graph: window.__room.say(b64, rate) plays
// the user's speech into the microphone, and the persona's voice (the page's playback stream)
// leaks back in at ECHO_GAIN after DELAY_S, with a room tail of RT60_S holding half the energy
// of the direct echo, as from a laptop speaker.
(() => {
  const room = window.__room = { echoGain: ECHO_GAIN, delayS: DELAY_S, rt60S: RT60_S,
    tailEnergy: 0.5, said: [], tapped: null };
  const build = async () => {
    const ctx = new AudioContext({ sampleRate: 48000 });
    await ctx.resume();
    const dest = ctx.createMediaStreamDestination();
    const sr = ctx.sampleRate;
    // A quiet room: noise at about -60 dBFS, so the microphone is never digital silence.
    const noise = ctx.createBuffer(1, sr * 2, sr);
    const nd = noise.getChannelData(0);
    for (let i = 0; i < nd.length; i++) nd[i] = (Math.random() * 2 - 1) * 0.0017;
    const ns = ctx.createBufferSource();
    ns.buffer = noise; ns.loop = true; ns.connect(dest); ns.start();
    // The speaker-to-microphone path: direct sound, then an exponentially decaying tail.
    const len = Math.floor(sr * room.rt60S);
    const ir = ctx.createBuffer(1, len, sr);
    const d = ir.getChannelData(0);
    const tailAmp = Math.sqrt(room.tailEnergy / (room.rt60S * sr / 13.8));
    d[0] = 1;
    for (let i = 1; i < len; i++) d[i] = (Math.random() * 2 - 1) * tailAmp * Math.exp(-6.9 * i / (room.rt60S * sr));
    const conv = ctx.createConvolver();
    conv.normalize = false; conv.buffer = ir;
    const delay = ctx.createDelay(1);
    delay.delayTime.value = room.delayS;
    const echo = ctx.createGain();
    echo.gain.value = room.echoGain;
    delay.connect(conv); conv.connect(echo); echo.connect(dest);
    room.ctx = ctx; room.dest = dest; room.echo = echo;
    setInterval(() => {
      const engine = window.voiceRp && window.voiceRp.audio;
      if (engine && engine.streamOut && room.tapped !== engine.streamOut) {
        room.tapped = engine.streamOut;
        ctx.createMediaStreamSource(engine.streamOut.stream).connect(delay);
      }
    }, 20);
    return dest.stream;
  };
  navigator.mediaDevices.getUserMedia = () => build();
  room.say = (b64, rate) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const samples = new Float32Array(bytes.buffer);
    const buf = room.ctx.createBuffer(1, samples.length, rate);
    buf.getChannelData(0).set(samples);
    const src = room.ctx.createBufferSource();
    src.buffer = buf; src.connect(room.dest); src.start();
    room.said.push(performance.now());
    return buf.duration;
  };
})();
