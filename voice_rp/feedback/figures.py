"""The figures a person sees about a session, computed once.

The end screen, the HTML report, the CLI and history all show these items and nothing else, so no
two views can disagree (they once did: "Fillers 0 per 100 words" above "22.8 fillers a minute").
Each item says what it measures in plain words, how sure it is where that matters, and, when it
was not measured, why: a figure that was not measured is never shown as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voice_rp.feedback.delivery import FILLERS_OK_PER_MIN, PACE_BAND

_PACE_EXPLAIN = (f"Words you said per minute of speaking; pauses over a second are left out. "
                 f"{PACE_BAND[0]:.0f}-{PACE_BAND[1]:.0f} is easy to follow.")
_PACE_WORDS = {"slow": "slow", "a little slow": "a little slow", "in band": "easy to follow",
               "a little fast": "a little fast", "fast": "fast"}


def _item(key: str, label: str, value: float | int | None, unit: str, text: str, explain: str,
          *, reason: str | None = None, certainty: str | None = None,
          verdict: str | None = None) -> dict[str, Any]:
    measured = value is not None
    return {"key": key, "label": label, "value": value, "unit": unit,
            "text": text if measured else "not measured", "explain": explain,
            "measured": measured, "reason": None if measured else reason,
            "certainty": certainty if measured else None, "verdict": verdict if measured else None}


def _n(v: float, digits: int = 0) -> str:
    return f"{v:.{digits}f}" if digits else f"{round(v)}"


def session_figures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures of a report (see voice_rp.feedback.report), in the order they are shown."""
    d = report.get("delivery") or {}
    answers: Sequence[dict[str, Any]] = report.get("answers") or []
    practice = report.get("practice")
    n = len(answers)
    aside = report.get("not_judged") or []
    out = [_item("answers", "Your answers" if practice != "talk" else "Your turns", n, "",
                 str(n), "Times you spoke and were heard in this session." + (
                     f" Not counted, and not judged: {len(aside)} turn(s) about the "
                     "conversation itself (" + "; ".join(sorted({a["why"] for a in aside}))
                     + ")." if aside else ""))]
    no_audio = "No timing of your speech was saved for this session."
    speaking = d.get("speaking_s")
    out.append(_item(
        "speaking_s", "You spoke for", speaking if d.get("wpm") is not None else None, "s",
        _duration(speaking or 0.0), "Time from your first word to your last in each answer, "
        "long pauses left out, added up.", reason=no_audio))
    wpm = d.get("wpm")
    out.append(_item(
        "wpm", "Pace", wpm, "words a minute",
        f"{_n(wpm or 0)} words a minute ({_PACE_WORDS.get(d.get('pace') or '', '')})",
        _PACE_EXPLAIN, reason=no_audio,
        certainty=("Counted from the words speech recognition heard: on recorded speech about "
                   "1 word in 20 is misheard, so read it as give or take 5%."),
        verdict=d.get("pace")))
    out.append(_fillers(d, n, str((report.get("persona") or {}).get("language") or "en")))
    pauses_known = d.get("wpm") is not None
    long_pauses = d.get("long_pauses") if pauses_known else None
    longest = d.get("longest_pause_s")
    out.append(_item(
        "long_pauses", "Pauses over a second", long_pauses, "",
        f"{long_pauses}" + (f", the longest {longest:.1f} s" if long_pauses and longest else ""),
        "Silences of more than a second inside your answers. A pause before a key point helps; "
        "many long ones can sound unsure.", reason=no_audio,
        certainty="Placed from the audio to about a tenth of a second."))
    onset = d.get("onset_median_s")
    out.append(_item(
        "onset_s", "Time to start answering", onset, "s", f"{_n(onset or 0.0, 1)} s (median)",
        "How long you took to start speaking after the question ended (the middle value over "
        "your answers). Up to about 2 s sounds natural; a short pause to think is fine.",
        reason="No question was fully heard before you answered."))
    share = d.get("talk_share")
    out.append(_item(
        "talk_share", "Your share of the talking", None if share is None else round(100 * share),
        "%", f"{_n(100 * (share or 0.0))}%",
        "Of all the speaking time in the session, how much was yours.",
        reason=no_audio))
    if practice == "talk":
        rng = d.get("pitch_range_st")
        out.append(_item(
            "pitch_range_st", "Voice variety", rng, "semitones",
            f"{_n(rng or 0.0, 1)} semitones" + (" (flat)" if rng is not None and rng < 3 else ""),
            "How far your voice rose and fell (the middle of your answers). Below about 3 "
            "semitones a voice sounds flat; stressing key words widens it.",
            reason="Your voice's pitch could not be measured in this session.",
            certainty="Measured on the voiced parts of your answers; a noisy room or a "
                      "microphone far away can make it read wider or flatter than it was."))
    if practice == "interview":
        stars = [a["star"] for a in answers if a.get("star") and a["star"].get("judged", True)]
        full = sum(all(s["parts"].values()) for s in stars)
        out.append(_item(
            "star_complete", "Answers with all four STAR parts",
            round(100 * full / len(stars)) if stars else None, "%",
            f"{full} of {len(stars)}",
            "STAR: the Situation, the Task you had, the Action you took and the Result. "
            "Interviewers listen for all four in an example.",
            reason=("STAR parts are only read in English answers."
                    if not str((report.get("persona") or {}).get("language") or "en"
                               ).lower().startswith("en")
                    else "No answer was long enough to judge (15 words or more).")))
    out.append(_item(
        "interruptions", "Times you spoke over the partner", report.get("interruptions"), "",
        str(report.get("interruptions")), "Replies you cut short by talking (ending the "
        "session is not counted).", reason="Not recorded for this session."))
    tt = report.get("turn_taking") or {}
    out.append(_item(
        "cut_offs", "Times the partner cut in", tt.get("cut_offs"), "", str(tt.get("cut_offs")),
        "Times the partner started its reply while you were still going.",
        reason="Not recorded for sessions saved before this was kept."))
    wait = tt.get("thinking_wait_s")
    out.append(_item(
        "thinking_wait_s", "How long the partner waits when you stop mid-sentence", wait, "s",
        f"up to {_n(wait or 0.0, 1)} s ({_learned(tt)})",
        "When you pause after words that leave a sentence open (\"and\", \"because\", \"um\"), "
        "the partner waits this long before it answers. It learns from your own pauses.",
        reason="Not recorded for sessions saved before this was kept."))
    return out


def _learned(tt: dict[str, Any]) -> str:
    sessions = int(tt.get("learned_from_sessions") or 0)
    if sessions:
        return ("learned from your last session" if sessions == 1
                else f"learned from your last {sessions} sessions")
    pauses = int(tt.get("pauses_heard") or 0)
    return f"learned as you go: {pauses} {'pause' if pauses == 1 else 'pauses'} so far"


def _fillers(d: dict[str, Any], answers: int, language: str) -> dict[str, Any]:
    per_min = d.get("fillers_per_min")
    heard_in = d.get("fillers_heard_in", answers)
    counts = d.get("fillers") or {}
    top = ", ".join(f'"{k}" ×{v}' for k, v in list(counts.items())[:3])
    text = f"{per_min:.1f} a minute" + (f" ({top})" if top else "") if per_min is not None else ""
    if per_min is not None and heard_in < answers:
        text += f", listened for in {heard_in} of {answers} answers"
    if not language.lower().startswith("en"):
        reason = "Filler words are only listened for in English sessions."
    elif answers == 0:
        reason = "You did not answer in this session."
    else:
        reason = ("Speech recognition was not listening for \"um\" and \"uh\" in your answers "
                  "(it writes them down only when asked to).")
    verdict = None if per_min is None else (
        "noticeable" if per_min > FILLERS_OK_PER_MIN else "fine")
    return _item(
        "fillers_per_min", "Filler words", per_min, "a minute", text,
        f"Sounds like \"um\", \"uh\" and \"you know\". Up to about {FILLERS_OK_PER_MIN:.0f} a "
        "minute listeners hardly notice; around 12 a minute they distract.",
        reason=reason, verdict=verdict,
        certainty="Speech recognition misses some fillers: the true count may be higher.")


def _duration(s: float) -> str:
    s = round(s)
    return f"{s // 60} min {s % 60} s" if s >= 60 else f"{s} s"


def end_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The end screen's content: the report's own figures and "what to work on", as they are."""
    return {"session": report.get("session"), "figures": report.get("figures") or [],
            "work_on": report.get("work_on") or [], "empty": bool(report.get("empty")),
            "empty_reason": report.get("empty_reason")}
