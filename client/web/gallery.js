// voice-rp browser client: the practice gallery (GET /api/personas) and the chosen options.
"use strict";

async function loadGallery() {
  $("retry").hidden = true;
  $("gallery-status").textContent = "Loading the practices...";
  try {
    const res = await fetch("/api/personas", { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    app.gallery = await res.json();
  } catch (err) {
    $("gallery-status").textContent = "Could not reach the voice-rp server to list the " +
      "practices. Is it running? Start it with scripts/serve.";
    $("retry").hidden = false;
    return;
  }
  renderGallery(app.gallery.personas);
  $("token-box").hidden = !app.gallery.token_required;
}

function minutes(seconds) {
  const m = Math.round(seconds / 60);
  return m >= 1 ? `${m} min` : `${Math.round(seconds)} s`;
}

function renderGallery(personas) {
  const box = $("gallery");
  box.textContent = "";
  if (!personas.length) {
    $("gallery-status").textContent = "This server has no practices installed.";
    return;
  }
  $("gallery-status").textContent = `${personas.length} practices. Pick one, then press Start.`;
  const wanted = params.get("persona");
  personas.forEach((p, i) => {
    const label = document.createElement("label");
    label.className = "card";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "persona";
    input.value = p.id;
    input.checked = wanted ? p.id === wanted : i === 0;
    input.addEventListener("change", choose);
    const facts = [p.language_name + (p.level ? ` ${p.level}` : ""), p.turn_taking_text];
    if (p.difficulty) facts.push(`difficulty: ${p.difficulty}`);
    if (p.time_limit_s) facts.push(`up to ${minutes(p.time_limit_s)}`);
    if (p.speakers.length > 1) facts.push(`${p.speakers.length} speakers`);
    label.append(input, span("title", p.title), span("who", `${p.speakers.join(" and ")}: ${p.who}`),
      span("practise", `You practise: ${p.practise}`));
    const factBox = span("facts", "");
    for (const f of facts) factBox.append(span("", f));
    label.append(factBox);
    label.dataset.persona = p.id;
    box.append(label);
  });
  choose();
  $("start").disabled = false;
}

function chosen() {
  const input = document.querySelector('input[name="persona"]:checked');
  return input && app.gallery ? app.gallery.personas.find((p) => p.id === input.value) : null;
}

function choose() {
  const p = chosen();
  const levelled = p && !p.difficulty;
  $("difficulty").disabled = !!levelled;
  $("difficulty-note").hidden = !levelled;
  if (p) $("speaks-first").disabled = !p.speaks_first;
}

// The practice and its options stay as chosen while a session runs.
function setupLocked(locked) {
  $("gallery-box").disabled = locked;
  $("options").disabled = locked;
  if (!locked) choose();
}
