"""Reports and history for one user's store: what the CLI and the HTTP API both call.

Language corrections and rubrics cost a model call, so a session's are kept in the store once
made (per model, for the words they judged) and history only ever reads them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_rp.feedback.language import FeedbackSettings, JsonChat, language_feedback
from voice_rp.feedback.report import PersonaFacts, build_report, persona_facts
from voice_rp.feedback.rubric import InterviewAnswer, interview_rubric, talk_rubric
from voice_rp.progress import parse_goal, recurring_corrections, session_metrics, trends
from voice_rp.storage import SessionStore


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
        records = self.store.read_session(session_id)
        start = next((r for r in records if r.get("kind") == "session_start"), {})
        facts = self.facts(str(start.get("persona", "?")), start.get("persona_name"))
        key = f"language:{self.settings.model}"

        def language(turns: Sequence[tuple[int, str]], lang: str) -> dict[str, Any]:
            cached = self.store.analysis(session_id, key)
            if cached is not None and cached.get("turns") == len(turns):
                return dict(cached["result"])
            if not ask_model:
                return {"available": False, "corrections": [], "level": None,
                        "reason": "Open this session's report to ask for corrections."}
            result = language_feedback(turns, lang, self.settings, self.chat)
            if result.get("available"):
                self.store.save_analysis(session_id, key, {"turns": len(turns),
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

        report = build_report(session_id, records, facts, language=language, rubric=rubric)
        report["goals"] = self.check_goals(session_metrics(report))
        return report

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
            metrics = session_metrics(self.report(s.id, ask_model=False))
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
