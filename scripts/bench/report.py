"""The benchmark's results: per-turn rows, the summary (the --json document), a table, a chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .runner import TurnRecord
from .stats import STAGES, openings, stage_segments, summarize, wer

SERVER_STAGES = (
    "endpoint_ms", "stt_ms", "stt_done_ms", "llm_first_token_ms", "first_piece_ms",
    "tts_first_audio_ms", "tts_ms", "response_ms", "speculative_lead_ms",
)
"""The stages of the server's metrics event, each in ms after the true end of speech (except
stt_ms and tts_ms: durations, and speculative_lead_ms: how early the reply work started)."""

QUIET_CORES = 0.25
"""A turn counts as quiet if other processes used at most this much CPU while it was answered."""

TARGETS = {
    "response_p50_ms": 800.0,
    "response_p95_ms": 1200.0,
    "gaps_ms_total": 0.0,
    "barge_in_p50_ms": 300.0,
    "premature_ends": 0.0,
    "server_rss_mb": 1536.0,
}


def turn_row(index: int, rec: TurnRecord) -> dict[str, Any]:
    """Everything measured about one user turn, JSON-ready."""
    latency = rec.latency_ms
    stages: dict[str, float | None] = {k: rec.metrics.get(k) for k in SERVER_STAGES}
    server = stages.get("response_ms")
    stages["transport_ms"] = (round(latency - server, 1)
                              if latency is not None and server is not None else None)
    heard = " ".join(rec.transcripts)
    return {
        "n": index,
        "name": rec.utt.line.name,
        "kind": rec.kind,
        "engine": rec.utt.line.engine,
        "text": rec.utt.line.text,
        "speech_s": round(rec.utt.speech_end_s, 2),
        "mid_pause": bool(rec.utt.pauses),
        "pauses": len(rec.utt.pauses),
        "session": rec.session,
        "reply_turn": rec.reply_turn,
        "response_ms": None if latency is None else round(latency, 1),
        "stages": stages,
        "segments": stage_segments(rec.metrics, latency) if latency is not None else None,
        "gaps_ms": round(rec.gaps_ms, 1),
        "reply_audio_s": round(sum(d for _, d in rec.chunks), 2),
        "barge_in_ms": None if rec.barge_in_ms is None else round(rec.barge_in_ms, 1),
        "barge_in_tried": rec.barge_in_at is not None,
        "audio_after_clear": rec.audio_after_clear,
        "premature": rec.premature,
        "speech_starts": rec.speech_starts,
        "transcripts": rec.transcripts,
        "wer": round(wer(rec.utt.line.text, heard), 3) if rec.transcripts else None,
        "reply": rec.reply_text,
        "first_piece": rec.first_piece,
        "interrupted": bool(rec.metrics.get("interrupted")),
        "closing": rec.closing,
        "error": rec.error,
        "others_cores": rec.others_cores,
    }


def build_summary(rows: Sequence[Mapping[str, Any]], *, rss_mb: float | None,
                  config: Mapping[str, Any]) -> dict[str, Any]:
    """The --json document: overall figures first, then the per-turn rows."""
    answered = [r for r in rows if r["response_ms"] is not None]
    stage_keys = (*SERVER_STAGES, "transport_ms")
    wers = [r["wer"] for r in rows if r["wer"] is not None]
    barge = summarize(r["barge_in_ms"] for r in rows)
    quiet = [r for r in answered if (r["others_cores"] or 0.0) <= QUIET_CORES]
    out: dict[str, Any] = {
        "response_latency_ms": summarize(r["response_ms"] for r in answered),
        "response_latency_ms_quiet_turns": summarize(r["response_ms"] for r in quiet),
        "stages_ms": {k: summarize(r["stages"].get(k) for r in answered) for k in stage_keys},
        "segments_ms": {name: summarize(r["segments"][name] for r in answered)
                        for name, _ in STAGES},
        "gaps_ms_total": round(sum(r["gaps_ms"] for r in rows), 1),
        "turns_with_gaps": sum(1 for r in rows if r["gaps_ms"] > 0),
        "barge_in_ms": barge,
        "barge_in_tried": sum(1 for r in rows if r["barge_in_tried"]),
        "barge_in_missed": sum(1 for r in rows if r["barge_in_tried"] and
                               r["barge_in_ms"] is None),
        "audio_after_clear": sum(r["audio_after_clear"] for r in rows),
        "premature_ends": sum(1 for r in rows if r["premature"]),
        "premature_ends_mid_pause": sum(1 for r in rows if r["premature"] and r["mid_pause"]),
        "mid_pause_turns": sum(1 for r in rows if r["mid_pause"]),
        "openings": openings(r["first_piece"] for r in answered),
        "server_rss_mb": rss_mb,
        "wer_mean": round(sum(wers) / len(wers), 3) if wers else None,
        "turns": len(rows),
        "unanswered": sum(1 for r in rows if r["response_ms"] is None),
        "config": dict(config),
    }
    out["targets"] = check_targets(out)
    out["per_turn"] = list(rows)
    return out


def check_targets(s: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    values = {
        "response_p50_ms": s["response_latency_ms"]["p50"],
        "response_p95_ms": s["response_latency_ms"]["p95"],
        "gaps_ms_total": s["gaps_ms_total"],
        "barge_in_p50_ms": s["barge_in_ms"]["p50"],
        "premature_ends": s["premature_ends"],
        "server_rss_mb": s["server_rss_mb"],
    }
    return {k: {"target": TARGETS[k], "value": v, "met": None if v is None else v <= TARGETS[k]}
            for k, v in values.items()}


def _ms(x: float | None, width: int = 5) -> str:
    return f"{'-':>{width}}" if x is None else f"{x:>{width}.0f}"


_COLUMNS = (  # header, key in the row's server stages (else in the row), width
    ("resp", "client_ms", 5), ("endpt", "endpoint_ms", 5), ("stt", "stt_ms", 4),
    ("sttd", "stt_done_ms", 5), ("llm1", "llm_first_token_ms", 5), ("pc1", "first_piece_ms", 5),
    ("tts1", "tts_first_audio_ms", 5), ("srv", "server_response", 5),
    ("trans", "transport_ms", 5), ("gaps", "gaps_ms", 4), ("barge", "barge_in_ms", 5),
)


def _cores(x: float | None) -> str:
    return "    -" if x is None else f"{x:5.2f}"


FIRST_WORDS_WIDTH = 32


def _first_words(r: Mapping[str, Any]) -> str:
    """The reply's first piece as heard, cut to the column (its opening is what matters)."""
    if r["response_ms"] is None:
        return f"{'-':<{FIRST_WORDS_WIDTH}}"
    text = " ".join(r["first_piece"].split())
    if len(text) > FIRST_WORDS_WIDTH:
        text = text[: FIRST_WORDS_WIDTH - 1] + "…"
    return f"{text:<{FIRST_WORDS_WIDTH}}"


def print_report(s: Mapping[str, Any], out: TextIO) -> None:
    """A table a person can read: one line per turn, then percentiles and the targets."""
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p("Per turn (ms after the true end of speech; stt = STT duration; srv = server's own "
      "response_ms;")
    p("trans = client-measured minus srv; gaps = player ran dry; barge = speech start to clear;")
    p("oth = cores other processes used while the reply was made; first words = the text of the")
    p("reply's first audio piece)")
    head = (f"{'#':>2} {'turn':<12} {'eng':<6} {'spch':>4} "
            + " ".join(f"{h:>{w}}" for h, _, w in _COLUMNS)
            + f"  wer   oth  {'first words':<{FIRST_WORDS_WIDTH}} notes")
    p(head)
    p("-" * len(head))
    for r in s["per_turn"]:
        cells = []
        for _, key, width in _COLUMNS:
            if key == "client_ms":
                value = r["response_ms"]
            elif key == "server_response":
                value = r["stages"].get("response_ms")
            elif key in r["stages"]:
                value = r["stages"][key]
            else:
                value = r[key]
            cells.append(_ms(value, width))
        notes = []
        if r["mid_pause"]:
            notes.append("pause" if r["pauses"] == 1 else f"{r['pauses']} pauses")
        if r["kind"] == "interruption":
            notes.append("interrupts")
        if r["interrupted"]:
            notes.append("interrupted")
        if r["premature"]:
            notes.append(f"PREMATURE({len(r['transcripts'])} transcripts)")
        if r["closing"]:
            notes.append("closing line")
        if r["error"]:
            notes.append(r["error"])
        w = "    -" if r["wer"] is None else f"{r['wer']:5.2f}"
        line = (f"{r['n']:>2} {r['name'][:12]:<12} {r['engine']:<6} {r['speech_s']:>4.1f} "
                + " ".join(cells) + f" {w} {_cores(r['others_cores'])}  {_first_words(r)} "
                + ", ".join(notes))
        p(line.rstrip())
    p("")
    p(f"{'':<26}{'p50':>7}{'p95':>7}{'max':>7}{'n':>4}")
    rows = [("response latency", s["response_latency_ms"]),
            (f"  quiet turns (oth<={QUIET_CORES})", s["response_latency_ms_quiet_turns"])]
    rows += [(f"  {k}", v) for k, v in s["stages_ms"].items()]
    rows += [(f"  path: {label}", s["segments_ms"][name]) for name, label in STAGES]
    rows += [("barge-in reaction", s["barge_in_ms"])]
    for label, v in rows:
        p(f"{label:<26}{_ms(v['p50'], 7)}{_ms(v['p95'], 7)}{_ms(v['max'], 7)}{v['n']:>4}")
    p("")
    p(f"audio gaps: {s['gaps_ms_total']:.0f} ms in total over {s['turns_with_gaps']} turn(s); "
      f"audio after clear: {s['audio_after_clear']} message(s)")
    p(f"barge-in: {s['barge_in_tried']} tried, {s['barge_in_missed']} without a clear")
    p(f"premature turn ends: {s['premature_ends']} ({s['premature_ends_mid_pause']} of "
      f"{s['mid_pause_turns']} turns with a pause inside)")
    o = s["openings"]
    if o["replies"]:
        p(f"openings: {o['distinct']} distinct over {o['replies']} replies; most repeated: "
          f"{o['most_repeated']!r} ({o['most_repeated_count']} of {o['replies']})")
    rss = s["server_rss_mb"]
    p(f"server peak RSS: {'unknown' if rss is None else f'{rss:.0f} MB'}; mean WER "
      f"{s['wer_mean']}; {s['turns']} turns, {s['unanswered']} unanswered")
    p("")
    p("targets:")
    for name, t in s["targets"].items():
        verdict = {True: "ok", False: "MISSED", None: "not measured"}[t["met"]]
        value = "-" if t["value"] is None else f"{t['value']:.0f}"
        p(f"  {name:<18} {value:>6} <= {t['target']:<6.0f} {verdict}")


def draw_png(s: Mapping[str, Any], path: Path) -> None:
    """Stacked bars: each turn's response latency split into the stages of its critical path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in s["per_turn"] if r["segments"] is not None]
    fig, ax = plt.subplots(figsize=(max(8.0, 0.55 * len(rows) + 3), 5))
    labels = [f"{r['n']} {r['name']}" for r in rows]
    bottom = [0.0] * len(rows)
    for name, label in STAGES:
        heights = [r["segments"][name] for r in rows]
        ax.bar(labels, heights, bottom=bottom, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for target, style in ((TARGETS["response_p50_ms"], "--"), (TARGETS["response_p95_ms"], ":")):
        ax.axhline(target, color="black", linestyle=style, linewidth=0.8)
    p50 = s["response_latency_ms"]["p50"]
    ax.set_title(f"Response latency per turn (p50 {p50:.0f} ms; lines: 800 / 1200 ms targets)"
                 if p50 is not None else "Response latency per turn")
    ax.set_ylabel("ms after the end of speech")
    ax.tick_params(axis="x", rotation=60)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
