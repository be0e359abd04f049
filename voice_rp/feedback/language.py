"""Language corrections from a chat model that is up to it, validated before anyone sees them.

Rules alone cannot correct grammar, and a small model invents mistakes, so corrections come only
from a model the user lists as capable (`FeedbackSettings.capable_models`; the embedded 135M model
never is). The model answers in JSON; a correction is kept only if what it quotes was really said
and the better version differs from it. When no capable model is configured the report says so
instead of showing anything.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from voice_rp.feedback.delivery import words_of

log = logging.getLogger("voice_rp.feedback")

DEFAULT_CAPABLE = ("gpt-4o*", "gpt-4.1*", "gpt-5*", "o3*", "o4*")
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
_MAX_CORRECTIONS = 8


@dataclass(frozen=True)
class FeedbackSettings:
    """Which chat endpoint may write language feedback and answer rubrics (read from the
    environment at entry points).

    - `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `VOICE_RP_LLM_MODEL`: the endpoint the conversation uses.
    - `VOICE_RP_FEEDBACK_MODELS`: comma-separated model names or patterns (`gpt-4o*`) trusted to
      correct language and to judge interview answers and talks; default: recent OpenAI
      models. Set it to your local model's name to use it.
    """

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    capable_models: tuple[str, ...] = DEFAULT_CAPABLE
    timeout_s: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> FeedbackSettings:
        env = {k: v.strip() for k, v in environ.items() if v.strip()}
        patterns = tuple(p.strip() for p in env.get("VOICE_RP_FEEDBACK_MODELS", "").split(",")
                         if p.strip())
        base = env.get("OPENAI_BASE_URL")
        return cls(base_url=base, api_key=env.get("OPENAI_API_KEY") if base else None,
                   model=env.get("VOICE_RP_LLM_MODEL") or env.get("OPENAI_MODEL") or (
                       "gpt-4o-mini" if base and "api.openai.com" in base else None),
                   capable_models=patterns or DEFAULT_CAPABLE)

    def unavailable_reason(self, purpose: str = "language") -> str | None:
        """Why no model may write this feedback ("language" corrections or a "rubric"), in
        words for the person reading the report, or None if one may. How to set a model up
        is for whoever runs the server: it goes to the log (see `setup_hint`)."""
        hint = self.setup_hint(purpose)
        if hint is None:
            return None
        log.info("%s", hint)
        if purpose == "rubric":
            what, verb = "Judging your answers with a language model", "needs"
        else:
            what, verb = "Grammar corrections", "need"
        if not self.base_url or not self.model:
            return f"{what} {verb} a larger language model than the one this server runs."
        return (f"{what} {verb} a language model this server trusts for them; the one it runs "
                "is not listed as capable.")

    def setup_hint(self, purpose: str = "language") -> str | None:
        """How to configure a model for this feedback (for the server log and the report's
        technical details), or None when one is configured."""
        what, verb = (("A model rubric needs", "judge answers") if purpose == "rubric"
                      else ("Language corrections need", "correct"))
        if not self.base_url or not self.model:
            return (f"{what} a capable chat model: the embedded SmolLM2-135M is too small to "
                    f"{verb} reliably. Set OPENAI_BASE_URL and VOICE_RP_LLM_MODEL (and list the "
                    "model in VOICE_RP_FEEDBACK_MODELS).")
        if not any(fnmatch.fnmatch(self.model, p) for p in self.capable_models):
            return (f"The model {self.model!r} is not listed as capable of {purpose} feedback; "
                    "add it to VOICE_RP_FEEDBACK_MODELS if it is.")
        return None


class JsonChat(Protocol):
    def complete(self, system: str, user: str) -> str:
        """The model's reply text to one system + user message."""
        ...


class OpenAIJsonChat:
    """A blocking chat call to an OpenAI-compatible endpoint asking for a JSON object."""

    def __init__(self, settings: FeedbackSettings) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=settings.base_url, api_key=settings.api_key or "none",
                              timeout=settings.timeout_s, max_retries=1)
        self._model = settings.model or ""

    def complete(self, system: str, user: str) -> str:
        response = self._client.chat.completions.create(
            model=self._model, temperature=0,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            response_format={"type": "json_object"},
        )
        return response.choices[0].message.content or ""


@dataclass(frozen=True)
class Correction:
    turn: int
    said: str
    better: str
    why: str


_SYSTEM = (
    "You are a careful {language} teacher. The learner's spoken turns follow, one per line as "
    "'TURN: text' (speech recognition output, so ignore punctuation and capitalisation). Find real "
    "mistakes of grammar, word choice or idiom only; if there are none, return none. Reply with a "
    "JSON object: {{\"level\": one of A1 A2 B1 B2 C1 C2, \"corrections\": [{{\"turn\": TURN, "
    "\"said\": the exact words from that turn, \"better\": the corrected words, \"why\": one "
    "short sentence}}]}}. Quote 'said' exactly as it appears. At most 8 corrections."
)


def language_feedback(turns: Sequence[tuple[int, str]], language: str,
                      settings: FeedbackSettings, chat: JsonChat | None = None
                      ) -> dict[str, Any]:
    """Corrections and level from a capable model, or why there are none."""
    reason = settings.unavailable_reason()
    if reason is not None:
        return {"available": False, "reason": reason, "corrections": [], "level": None}
    spoken = [(t, s) for t, s in turns if s.strip()]
    if not spoken:
        return {"available": True, "model": settings.model, "corrections": [], "level": None,
                "note": "Nothing was said to correct."}
    try:
        chat = chat or OpenAIJsonChat(settings)
        raw = chat.complete(_SYSTEM.format(language=language),
                            "\n".join(f"{t}: {s}" for t, s in spoken))
    except Exception as exc:  # the endpoint's own errors vary; the report must still be built
        log.warning("language feedback: the model at %s could not be reached: %s",
                    settings.base_url, exc)
        return {"available": False, "reason": "The language model that corrects grammar could "
                "not be reached, so no corrections are shown. Open the report again later.",
                "corrections": [], "level": None}
    corrections, level, rejected = validate(raw, dict(spoken))
    if corrections is None:
        log.warning("language feedback: the model's answer was not the JSON asked for: %.200s",
                    raw)
        return {"available": False, "reason": "The language model's corrections came back "
                "garbled, so none are shown.", "corrections": [], "level": None}
    return {"available": True, "model": settings.model, "level": level, "rejected": rejected,
            "corrections": [asdict(c) for c in corrections]}


def validate(raw: str, said: Mapping[int, str]) -> tuple[list[Correction] | None, str | None, int]:
    """Parse the model's JSON; keep corrections that quote words really said and change them."""
    match = re.search(r"\{.*\}", raw, re.S)  # some servers wrap JSON in prose or fences
    try:
        data = json.loads(match.group(0) if match else raw)
    except ValueError:
        return None, None, 0
    if not isinstance(data, dict) or not isinstance(data.get("corrections", []), list):
        return None, None, 0
    level = data.get("level") if data.get("level") in LEVELS else None
    kept: list[Correction] = []
    rejected = 0
    for item in data.get("corrections", [])[:_MAX_CORRECTIONS]:
        c = _correction(item, said)
        if c is None:
            rejected += 1
        else:
            kept.append(c)
    return kept, level, rejected


def _correction(item: Any, said: Mapping[int, str]) -> Correction | None:
    if not isinstance(item, dict):
        return None
    quote, better, why = (str(item.get(k) or "").strip() for k in ("said", "better", "why"))
    quote_w, better_w = words_of(quote), words_of(better)
    if not quote_w or not better_w or quote_w == better_w:
        return None
    found = [turn for turn, text in said.items()
             if f" {' '.join(quote_w)} " in f" {' '.join(words_of(text))} "]
    if not found:
        return None  # the model quoted words the learner never said
    named = str(item.get("turn"))
    turn = next((t for t in found if str(t) == named), found[0])
    return Correction(turn, quote, better, why)
