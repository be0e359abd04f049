"""A session's report as data: per-answer delivery and content, session totals, notes, transcript.

Built from the saved records alone (see voice_rp.storage), so it can be rebuilt at any time, and a
session cut short by a crash gets one too (marked unfinished). HTML is rendered from this data by
report_html; `python -m client report --json` prints it as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from voice_rp.errors import VoiceRPError
from voice_rp.feedback.coach import verdict, work_on
from voice_rp.feedback.content import (
    StarReader,
    read_sentences,
    star_answer,
    talk_structure,
    vocabulary,
)
from voice_rp.feedback.delivery import (
    AnswerDelivery,
    answer_delivery,
    delivery_notes,
    session_delivery,
)
from voice_rp.feedback.figures import session_figures
from voice_rp.feedback.mistakes import learner_mistakes
from voice_rp.personas import DEFAULT_LANGUAGE, find_persona

REPORT_VERSION = 1
_STAR_MIN_WORDS = 15


@dataclass(frozen=True)
class PersonaFacts:
    """What the report needs to know about the persona a session was held with."""

    id: str
    name: str
    kind: str = "character"
    turn_taking: str = "conversational"
    language: str = DEFAULT_LANGUAGE
    time_limit_s: float | None = None

    @property
    def practice(self) -> str:
        if self.turn_taking == "monologue" or self.kind == "audience":
            return "talk"
        if self.kind == "interviewer":
            return "interview"
        if self.kind == "language_partner":
            return "language"
        return "conversation"


def persona_facts(persona_id: str, name: str | None, dirs: Iterable[Path]) -> PersonaFacts:
    """Facts from the persona's file if it can still be found; a plain conversation if not."""
    try:
        p = find_persona(persona_id, list(dirs))
    except (VoiceRPError, OSError, ValueError):
        return PersonaFacts(persona_id, name or persona_id)
    return PersonaFacts(p.id, p.name, p.kind, p.turn_taking, p.language,
                        p.scenario.ending.time_limit_s)


LanguageFeedback = Callable[[Sequence[tuple[int, str]], str], dict[str, Any]]
RubricFeedback = Callable[[str, dict[str, Any]], dict[str, Any]]
"""(practice, request) -> rubric: "interview" with {"answers": [{"number", "question", "text"}]},
"talk" with {"talk": text, "qa": [[question, answer], ...]} (see feedback.rubric)."""


def build_report(session_id: str, records: Sequence[dict[str, Any]], facts: PersonaFacts, *,
                 language: LanguageFeedback | None = None,
                 rubric: RubricFeedback | None = None,
                 read_star: StarReader = read_sentences) -> dict[str, Any]:
    """The report of one session. `language` asks a capable model for corrections (language
    practice only), `rubric` for its rubric of interview answers or a talk (`read_star`: how
    an answer's sentences are read for STAR, see content.StarReader); without them the
    report says they were not asked for."""
    start = next((r for r in records if r.get("kind") == "session_start"), {})
    end = next((r for r in records if r.get("kind") == "session_end"), None)
    t0 = float(start.get("t", records[0]["t"] if records else 0.0))
    answers = _answers(records, t0)
    heard = _fillers_heard(records, start, facts.language)
    for a in answers:
        a["fillers_heard"] = heard(a["turn"])
        if not a["fillers_heard"]:  # the decode dropped them: no count, not zero
            a["_delivery"] = replace(a["_delivery"], fillers={}, fillers_per_min=None,
                                     fillers_per_100_words=None)
    deliveries = [a["_delivery"] for a in answers]
    assistant_s = sum(float(r.get("audio_ms") or 0.0) for r in records
                      if r.get("kind") == "reply") / 1000.0
    delivery = session_delivery(deliveries, assistant_s=assistant_s,
                                fillers_heard=[a["fillers_heard"] for a in answers])
    practice = facts.practice
    notes = delivery_notes(delivery, talk=practice == "talk")
    content: dict[str, Any] = {"practice": practice}
    if practice == "interview":
        # The sentence model reads English; other languages get no STAR verdict, not a wrong one.
        english = facts.language.replace("_", "-").split("-")[0].lower() == "en"
        for a in answers:
            if english and a["question"] and len(a["text"].split()) >= _STAR_MIN_WORDS:
                a["star"] = star_answer(a["turn"], a["question"], a["text"],
                                        read_star).to_dict()
        content["star_answers"] = sum(a.get("star") is not None for a in answers)
        judged = [{"number": a["number"], "question": a["question"], "text": a["text"]}
                  for a in answers if a.get("star")]
        content["rubric"] = _rubric(rubric, "interview", {"answers": judged})
        for item in content["rubric"].get("answers") or []:
            answers[item["number"] - 1]["rubric"] = item
    elif practice == "talk" and answers:
        talk, rest = answers[0], answers[1:]
        structure = talk_structure(talk["text"], talk["_delivery"].length_s, facts.time_limit_s,
                                   [a["text"] for a in rest])
        content["talk"] = structure.to_dict()
        notes.extend(structure.notes)
        content["rubric"] = _rubric(rubric, "talk", {
            "talk": talk["text"], "qa": [[a["question"], a["text"]] for a in rest]})
    if practice == "language":
        if language is None:
            content["language"] = {"available": False, "corrections": [], "level": None,
                                   "reason": "Language corrections were not asked for."}
        else:
            content["language"] = language([(a["turn"], a["text"]) for a in answers],
                                           facts.language)
        number = {a["turn"]: a["number"] for a in answers}
        model = [{**c, "turn": number.get(c.get("turn"), c.get("turn"))}
                 for c in content["language"].get("corrections") or []]
        content["mistakes"] = learner_mistakes([(a["number"], a["text"]) for a in answers],
                                               facts.language, model)
    content["vocabulary"] = vocabulary([a["text"] for a in answers])
    for a in answers:
        a["delivery"] = a.pop("_delivery").to_dict()
    turn_taking = _turn_taking((end or {}).get("summary") or {}, delivery)
    if turn_taking["cut_offs"]:
        notes.append(f"The partner cut in {turn_taking['cut_offs']} time(s) while you were "
                     "still going; it now waits longer after pauses like those (up to "
                     f"{turn_taking['thinking_wait_s']:.1f} s when you stop mid-sentence).")
    report = {
        "version": REPORT_VERSION,
        "session": session_id,
        "persona": {"id": facts.id, "name": facts.name, "kind": facts.kind,
                    "language": facts.language},
        "practice": practice,
        "started": t0,
        "duration_s": round(float(records[-1]["t"]) - t0, 1) if records else 0.0,
        "ended": end is not None,
        "end_reason": None if end is None else end.get("reason"),
        "unfinished": end is None or end.get("reason") in ("error", "server_shutdown"),
        "delivery": delivery,
        "content": content,
        "notes": notes,
        "answers": answers,
        "not_judged": _not_judged(records),
        "interruptions": _interruptions(records),
        "turn_taking": turn_taking,
        "transcript": _transcript(records, t0),
        "empty": not answers,
        "empty_reason": None if answers else _empty_reason(end, bool(_not_judged(records))),
        "technical": {"latency": _latency(records, {a["turn"]: a["number"] for a in answers})},
    }
    report["figures"] = session_figures(report)
    for a in answers:
        a["verdict"] = verdict(a, practice)
    report["work_on"] = work_on(report)
    return report


def _fillers_heard(records: Sequence[dict[str, Any]], start: dict[str, Any],
                   language: str) -> Callable[[int], bool]:
    """Whether an answer's fillers were listened for: the session kept them in its live
    transcript (an English session with "keep um and uh"), or its words were timed by a decode
    that keeps them (voice_rp.feedback.word_timer)."""
    options = start.get("options")
    options = options if isinstance(options, dict) else {}
    english = language.replace("_", "-").split("-")[0].lower() == "en"
    if not english:  # the filler words counted (stats.FILLERS) are English ones
        return lambda turn: False
    live = bool(options.get("keep_fillers"))
    timed = {int(r.get("turn", 0)) for r in records
             if r.get("kind") == "words" and r.get("fillers_kept") and r.get("words")}
    return lambda turn: live or turn in timed


def _interruptions(records: Sequence[dict[str, Any]]) -> int:
    """Replies the user cut short by speaking: a reply marked interrupted that the user's own
    speech followed. Pressing End over a reply stops it too, and is not an interruption."""
    count = 0
    for i, r in enumerate(records):
        if r.get("kind") == "reply" and r.get("interrupted"):
            after = next((x.get("kind") for x in records[i + 1:]
                          if x.get("kind") in ("speech_start", "user", "reply", "session_end")),
                         None)
            count += after in ("speech_start", "user")
    return count


def _empty_reason(end: dict[str, Any] | None, set_aside: bool = False) -> str:
    if set_aside:
        return ("What you said in this session was about the conversation itself, not answers "
                "to practise on, so there is no feedback on it.")
    if end is None:
        return "The session stopped before you answered, so there is nothing to give feedback on."
    return "You did not answer in this session, so there is nothing to give feedback on."


def _turn_taking(summary: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
    """How the turns were taken: the longest pause inside an answer (from the word timings, as
    in the delivery figures), the times the partner cut in and the waits it used. A session
    saved before these were kept says so (None), never 0."""
    tt = summary.get("turn_taking")
    kept = isinstance(tt, dict)
    return {
        "longest_pause_s": delivery.get("longest_pause_s"),
        "cut_offs": int(summary.get("cut_offs") or 0) if kept else None,
        "thinking_wait_s": tt.get("thinking_wait_s") if isinstance(tt, dict) else None,
        "learned_from_sessions": tt.get("learned_from_sessions") if isinstance(tt, dict)
        else None,
        "pauses_heard": len(tt.get("pauses_s") or []) if isinstance(tt, dict) else None,
    }


def _rubric(rubric: RubricFeedback | None, practice: str, request: dict[str, Any]
            ) -> dict[str, Any]:
    if rubric is None:
        return {"available": False, "reason": "A model rubric was not asked for."}
    return rubric(practice, request)


NOT_JUDGED = {
    "distress": "you said you were not OK",
    "abuse": "words aimed at the character",
    "stop": "you asked to stop",
    "ai_check": "you asked whether the character is an AI",
    "clarify": "you asked to hear something again or more simply",
    "recall": "you asked the character to recall something",
    "hold": "you asked for a moment",
}
"""Turns that are about the conversation, not part of the practice: kept in the transcript,
never judged as answers (no pace, fillers, STAR or verdict for "I'm not OK")."""


def _not_judged(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"turn": int(r.get("turn", 0)), "kind": r["turn_kind"],
             "why": NOT_JUDGED[r["turn_kind"]]}
            for r in records if r.get("kind") == "user" and r.get("turn_kind") in NOT_JUDGED]


def _answers(records: Sequence[dict[str, Any]], t0: float) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    # Word timings are saved after the reply (feedback.timing), so they come after the answer.
    timed = {int(r.get("turn", 0)): r.get("words") for r in records if r.get("kind") == "words"}
    question = ""
    reply_t: float | None = None
    onset: float | None = None
    for r in records:
        kind = r.get("kind")
        if kind == "reply":
            question = str(r.get("text") or "")
            # Onset counts from a reply the user let finish; after a barge-in there is none.
            reply_t = None if r.get("interrupted") else float(r["t"])
            onset = None
        elif kind == "speech_start" and reply_t is not None and onset is None:
            onset = max(0.0, float(r["t"]) - reply_t)
        elif kind == "user" and r.get("turn_kind") in NOT_JUDGED:
            reply_t, onset = None, None
        elif kind == "user":
            text = str(r.get("text") or "")
            audio = r.get("audio") if isinstance(r.get("audio"), dict) else None
            if timed.get(int(r.get("turn", 0))):
                audio = {**(audio or {}), "words": timed[int(r.get("turn", 0))]}
            delivery: AnswerDelivery = answer_delivery(int(r.get("turn", 0)), text, audio, onset)
            # `number` counts answers from 1 as the user would; `turn` is the conversation's
            # own counter (the opening line is turn 0, dropped speculative attempts skip ones).
            answers.append({"number": len(answers) + 1, "turn": int(r.get("turn", 0)),
                            "at_s": round(float(r["t"]) - t0, 1),
                            "question": question if "?" in question else "",
                            "text": text, "heard": r.get("heard"), "star": None,
                            "_delivery": delivery})
            reply_t, onset = None, None
    return answers


def _latency(records: Sequence[dict[str, Any]], numbers: dict[int, int]
             ) -> list[dict[str, Any]]:
    """Reply latency per turn, labelled by the answer the reply followed (from 1)."""
    out = []
    for r in records:
        if r.get("kind") == "metrics":
            ms = (r.get("stages") or {}).get("response_ms")
            if isinstance(ms, (int, float)):
                number = numbers.get(int(r.get("turn") or 0))
                out.append({"turn": r.get("turn"), "answer": number,
                            "label": f"answer {number}" if number else "opening line",
                            "response_ms": round(float(ms))})
    return out


def _transcript(records: Sequence[dict[str, Any]], t0: float) -> list[dict[str, Any]]:
    lines = []
    for r in records:
        kind = r.get("kind")
        if kind == "user":
            lines.append({"at_s": round(float(r["t"]) - t0, 1), "who": "you",
                          "text": r.get("text", "")})
        elif kind == "reply":
            lines.append({"at_s": round(float(r["t"]) - t0, 1), "who": r.get("speaker") or "",
                          "text": r.get("text", ""), "interrupted": bool(r.get("interrupted"))})
        elif kind == "error" and r.get("fatal"):
            lines.append({"at_s": round(float(r["t"]) - t0, 1), "who": "error",
                          "text": r.get("message", "")})
    return lines
