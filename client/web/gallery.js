// voice-rp browser client: the landing page. The practice gallery (GET /api/personas) as compact
// cards that say what the user practises, the chosen options, and the ways to past sessions.
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

// One practice: what it is, with whom, what the user practises (older servers only say what
// the character does: `practise`), and a short description.
function card(p, checked) {
  const label = document.createElement("label");
  label.className = "card";
  label.dataset.persona = p.id;
  const input = document.createElement("input");
  input.type = "radio";
  input.name = "persona";
  input.value = p.id;
  input.checked = checked;
  input.addEventListener("change", choose);
  const facts = [`with ${p.speakers.join(" and ")}`, p.language_name + (p.level ? ` ${p.level}` : "")];
  if (p.time_limit_s) facts.push(`up to ${minutes(p.time_limit_s)}`);
  label.append(input, span("title", p.title), span("facts", facts.join(" · ")),
    span("practise", `You practise: ${p.you_practise || p.practise}`));
  if (p.description) label.append(span("description", p.description));
  if (p.voice_note) label.append(span("voice-note", p.voice_note));
  return label;
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
  personas.forEach((p, i) => box.append(card(p, wanted ? p.id === wanted : i === 0)));
  choose();
  $("start").disabled = Boolean(app.ws || app.audio);
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
  $("chosen-line").textContent = p ? p.title : "";
}

// The practice and its options stay as chosen while a session runs (the setup is hidden then).
function setupLocked(locked) {
  $("gallery-box").disabled = locked;
  $("options").disabled = locked;
  if (!locked) choose();
}

// The landing page's way back to the last session's report (its id is kept in localStorage).
function updateLandingLinks() {
  const id = lastSessionId();
  const link = $("last-report");
  link.hidden = !id;
  if (id) link.href = `/api/sessions/${encodeURIComponent(id)}/report`;
}
