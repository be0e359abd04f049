// What the page shows and has measured, in one call (tests/web_browser.py).
(() => {
  const app = window.voiceRp, audio = app.audio;
  const lines = [...document.querySelectorAll('#transcript .line')].map((p) => ({
    cls: p.className, text: p.textContent }));
  return {
    state: document.getElementById('state').textContent,
    stateKind: document.getElementById('state-line').dataset.state,
    mode: document.body.className,
    lines,
    events: app.events.map((e) => [e.type, e.turn === undefined ? null : e.turn, e.at]),
    busy: audio ? audio.busy() : false,
    stats: audio ? Object.assign({}, audio.stats) : null,
    problem: document.getElementById('problem').hidden ? null : document.getElementById('problem').textContent,
    endShown: !document.getElementById('end').hidden,
    summary: document.getElementById('summary').textContent,
    hold: !document.getElementById('hold') || document.getElementById('hold').hidden ? null
      : document.getElementById('hold').textContent,
    holds: app.events.filter((e) => e.type === 'holding').map((e) => [e.turn, e.seconds, e.at]),
    now: performance.now(),
  };
})
