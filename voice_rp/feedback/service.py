"""Reports and history for one user's store: what the CLI and the HTTP API both call.

Language corrections and rubrics cost a model call, so a session's are kept in the store once
made (per model, for the words they judged) and history only ever reads them back. The user's
fixes to misheard words are kept beside them (the "corrections" analysis) and made to the records
before every build, so no rebuild loses them and a corrected answer is judged again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_rp.feedback.content import read_sentences
from voice_rp.feedback.corrections import (
    MAX_CORRECTIONS,
    BadCorrection,
    Correction,
    NoSuchCorrection,
    apply,
    check,
    user_texts,
)
from voice_rp.feedback.language import FeedbackSettings, JsonChat, language_feedback
from voice_rp.feedback.report import PersonaFacts, build_report, persona_facts
from voice_rp.feedback.rubric import InterviewAnswer, interview_rubric, talk_rubric
from voice_rp.feedback.star import SentencePart, bundled_model
from voice_rp.progress import parse_goal, recurring_corrections, session_metrics, trends
from voice_rp.storage import SessionStore

CORRECTIONS_KEY = "corrections"
"""The analysis row a session's corrections are kept in: {"items": [{"answer", "heard",
"said"}, ...]}, in the order made (a correction's index is its place here)."""
TERMS_WINDOW = 30
"""How many of the newest sessions' corrections become recognition hints: one small read each
when a session opens, never the sessions' records."""

__all__ = ["BadCorrection", "NoSuchCorrection", "Reports"]


@dataclass
class Reports:
    store: SessionStore
    persona_dirs: Sequence[Path] = ()
    settings: FeedbackSettings = field(default_factory=FeedbackSettings)
    chat: JsonChat | None = None  # None: the endpoint in `settings`
    _facts: dict[str, PersonaFacts] = field(default_factory=dict)

    def report(self, session_id: str, *, ask_model: bool = True) -> dict[str, Any]:
        """The report of one session (raises SessionNotFound). `ask_model` False: corrections
        only if already made."""
        recorded = self.store.read_session(session_id)
        corrections = self.corrections(session_id)
        records, made = apply(recorded, corrections)
        start = next((r for r in records if r.get("kind") == "session_start"), {})
        facts = self.facts(str(start.get("persona", "?")), start.get("persona_name"))
        key = f"language:{self.settings.model}"

        def language(turns: Sequence[tuple[int, str]], lang: str) -> dict[str, Any]:
            cached = self.store.analysis(session_id, key)
            judged = [[turn, text] for turn, text in turns]
            # Rows saved before the words were kept hold for uncorrected words only.
            if cached is not None and (cached.get("judged") == judged if "judged" in cached
                                       else cached.get("turns") == len(turns)
                                       and not any(made)):
                return dict(cached["result"])
            if not ask_model:
                return {"available": False, "corrections": [], "level": None,
                        "reason": "Open this session's report to ask for corrections."}
            result = language_feedback(turns, lang, self.settings, self.chat)
            if result.get("available"):
                self.store.save_analysis(session_id, key, {"turns": len(turns),
                                                           "judged": judged,
                                                           "result": result})
            return result

        def rubric(practice: str, request: dict[str, Any]) -> dict[str, Any]:
            rkey = f"rubric:{self.settings.model}"
            cached = self.store.analysis(session_id, rkey)
            if cached is not None and cached.get("request") == request:
                return dict(cached["result"])  # the same words judged before
            if not ask_model:
                return {"available": False,
                        "reason": "Open this session's report to ask for the model's rubric."}
            if practice == "talk":
                result = talk_rubric(request["talk"], [(q, a) for q, a in request["qa"]],
                                     self.settings, self.chat)
            else:
                result = interview_rubric([InterviewAnswer(**a) for a in request["answers"]],
                                          self.settings, self.chat)
            if result.get("available"):
                self.store.save_analysis(session_id, rkey, {"request": request,
                                                            "result": result})
            return result

        star = self._star_reader(session_id)
        report = build_report(session_id, records, facts, language=language, rubric=rubric,
                              read_star=star)
        star.save()
        # How to get the model's corrections or rubric: for whoever runs the server, so it goes
        # to the collapsed technical details, never to the person's feedback.
        purpose = "language" if report.get("practice") == "language" else "rubric"
        hint = self.settings.setup_hint(purpose) if report.get("practice") != "conversation" \
            else None
        report["technical"]["setup_hints"] = [hint] if hint else []
        report["corrections"] = [{"index": k, **c.to_dict(), "applied": ok}
                                 for k, (c, ok) in enumerate(zip(corrections, made,
                                                                 strict=True))]
        report["goals"] = self.check_goals(session_metrics(report))
        return report

    # -- corrections of misheard words ----------------------------------------------------------

    def corrections(self, session_id: str) -> list[Correction]:
        """The session's corrections, in the order made."""
        data = self.store.analysis(session_id, CORRECTIONS_KEY) or {}
        items = data.get("items") if isinstance(data.get("items"), list) else []
        return [c for c in map(Correction.from_dict, items or []) if c is not None]

    def correct(self, session_id: str, answer: int, heard: str, said: str) -> dict[str, Any]:
        """Correct `heard` to `said` in answer `answer` (from 1) and return the report built
        from the corrected words. Raises BadCorrection (why, in plain words) or
        SessionNotFound."""
        existing = self.corrections(session_id)
        records, _ = apply(self.store.read_session(session_id), existing)
        made = check(Correction(answer, heard, said), user_texts(records))
        if len(existing) >= MAX_CORRECTIONS:
            raise BadCorrection(f"this session has {MAX_CORRECTIONS} corrections already")
        self._keep(session_id, [*existing, made])
        return self.report(session_id)

    def uncorrect(self, session_id: str, index: int) -> dict[str, Any]:
        """Undo correction `index` (as report["corrections"] numbers them) and return the
        report. Raises NoSuchCorrection or SessionNotFound."""
        self.store.read_session(session_id)  # SessionNotFound before "no correction"
        existing = self.corrections(session_id)
        if not 0 <= index < len(existing):
            raise NoSuchCorrection(f"session {session_id} has no correction {index}"
                                   + (f" (0 to {len(existing) - 1})" if existing else ""))
        self._keep(session_id, existing[:index] + existing[index + 1:])
        return self.report(session_id)

    def _keep(self, session_id: str, corrections: Sequence[Correction]) -> None:
        self.store.save_analysis(session_id, CORRECTIONS_KEY,
                                 {"items": [c.to_dict() for c in corrections]})

    def recognition_terms(self, limit: int = 50) -> list[str]:
        """What the user said where recognition misheard them, newest first, each once: the
        words their next sessions' recognition is given as hints. Read from the newest
        TERMS_WINDOW sessions' corrections only."""
        terms: list[str] = []
        seen: set[str] = set()
        if limit <= 0:
            return terms
        for s in reversed(self.store.list_sessions()[-TERMS_WINDOW:]):
            for c in reversed(self.corrections(s.id)):
                if c.said.casefold() not in seen:
                    seen.add(c.said.casefold())
                    terms.append(c.said)
                if len(terms) >= limit:
                    return terms
        return terms

    def _star_reader(self, session_id: str) -> _SavedStar:
        return _SavedStar(self.store, session_id)

    def facts(self, persona_id: str, name: str | None) -> PersonaFacts:
        if persona_id not in self._facts:
            self._facts[persona_id] = persona_facts(persona_id, name, self.persona_dirs)
        return self._facts[persona_id]

    def check_goals(self, metrics: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for goal in self.store.goals():
            try:
                out.append({"id": goal.id, **parse_goal(goal.text).check(metrics)})
            except ValueError as exc:
                out.append({"id": goal.id, "goal": goal.text, "met": None, "error": str(exc)})
        return out

    def history(self, persona: str | None = None) -> dict[str, Any]:
        """Per-session figures, oldest first, and trends overall and per persona."""
        points = []
        for s in self.store.list_sessions():
            if persona is not None and s.persona != persona:
                continue
            report = self.report(s.id, ask_model=False)
            if not report.get("answers"):
                continue  # nothing the user said was saved: no report, no point in history
            metrics = session_metrics(report)
            metrics["ended"] = s.ended
            metrics["goals"] = self.check_goals(metrics)
            points.append(metrics)
        by_persona: dict[str, list[dict[str, Any]]] = {}
        for p in points:
            by_persona.setdefault(str(p["persona"]), []).append(p)
        return {
            "sessions": points,
            "trends": trends(points),
            "personas": {k: trends(v) for k, v in by_persona.items()},
            "recurring_corrections": recurring_corrections(points),
            "goals": [{"id": g.id, "text": g.text} for g in self.store.goals()],
        }


class _SavedStar:
    """Reads answers for STAR once and keeps the readings beside the session: history builds
    every session's report, and reading a sentence costs ~10 ms of the sentence model. The
    readings are trusted only from the same classifier weights."""

    KEY = "star"

    def __init__(self, store: SessionStore, session_id: str) -> None:
        self.store, self.session_id = store, session_id
        self.version: str | None = None
        self.kept: dict[str, list[list[Any]]] = {}
        self.new = False
        try:
            self.version = bundled_model().version
        except (OSError, ValueError, KeyError):
            return
        saved = store.analysis(session_id, self.KEY) or {}
        if saved.get("version") == self.version and isinstance(saved.get("answers"), dict):
            self.kept = dict(saved["answers"])

    def __call__(self, text: str) -> list[SentencePart] | None:
        if text in self.kept:
            return [SentencePart(t, p, c, m) for t, p, c, m in self.kept[text]]
        read = read_sentences(text)
        if read is not None and self.version is not None:
            self.kept[text] = [[s.text, s.part, s.confidence, s.measurable] for s in read]
            self.new = True
        return read

    def save(self) -> None:
        if self.new:
            self.store.save_analysis(self.session_id, self.KEY,
                                     {"version": self.version, "answers": self.kept})
