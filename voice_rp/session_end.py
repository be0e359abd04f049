"""When a scenario ends: after N questions, a time limit, or a phrase the user says."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voice_rp.feedback import SessionStats
from voice_rp.personas import Persona


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def _says(text: str, phrase: str) -> bool:
    """`phrase` occurs in `text` as whole words: "bye" is not in "maybe"."""
    phrase = _norm(phrase)
    return bool(phrase) and f" {phrase} " in f" {text} "


def _ends_with(text: str, phrase: str, *, slack_words: int = 2) -> bool:
    """`phrase` closes `text`: at most `slack_words` words follow it ("bye for now")."""
    phrase = _norm(phrase)
    if not phrase:
        return False
    words = text.split()
    for extra in range(slack_words + 1):
        if _says(" ".join(words[len(words) - extra - len(phrase.split()):]), phrase):
            return True
    return False


@dataclass(frozen=True)
class EndingRules:
    after_questions: int | None = None
    time_limit_s: float | None = None
    phrases: tuple[str, ...] = ()  # the user says one: close the scenario
    talk_end_phrases: tuple[str, ...] = ()  # monologue: the talk is over, questions begin

    @classmethod
    def for_persona(cls, persona: Persona) -> EndingRules:
        ending = persona.scenario.ending
        return cls(
            after_questions=ending.after_questions,
            time_limit_s=ending.time_limit_s,
            phrases=tuple(ending.phrases),
            talk_end_phrases=tuple(persona.end_phrases),
        )

    def user_wants_to_end(self, text: str) -> bool:
        """The user's last words hold an ending phrase ("goodbye" closing a turn, not
        "I said goodbye to my grandmother" early in a story)."""
        said = _norm(text)
        return any(_ends_with(said, p) for p in self.phrases)

    def talk_ended(self, text: str) -> bool:
        """The talk's last words contain an end phrase ("thank you for listening")."""
        tail = " ".join(_norm(text).split()[-12:])
        return any(_says(tail, p) for p in self.talk_end_phrases)

    def out_of_time(self, elapsed_s: float) -> bool:
        return self.time_limit_s is not None and elapsed_s >= self.time_limit_s

    def enough_questions(self, stats: SessionStats) -> bool:
        return self.after_questions is not None and stats.questions_asked >= self.after_questions
