"""When a scenario ends: after N questions, a time limit, or a phrase the user says."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voice_rp.feedback import SessionStats
from voice_rp.feedback.stats import filler_of
from voice_rp.personas import Persona


def _norm(text: str) -> str:
    """Lower-case words, fillers left out: "end the, uh, interview" still ends the interview."""
    return " ".join(w for w in re.findall(r"[\w']+", text.lower()) if filler_of(w) is None)


def _spellings(word: str) -> set[str]:
    """How speech recognition may write `word` down: a contraction's "'s" comes back as
    "lets" or is lost ("let stop here"); the other words must be heard as they are."""
    if word.endswith("'s"):
        return {word, word[:-2] + "s", word[:-2]}
    return {word}


def _says(text: str, phrase: str) -> bool:
    """`phrase` occurs in `text` as whole words: "bye" is not in "maybe"."""
    wanted = [_spellings(w) for w in _norm(phrase).split()]
    words = text.split()
    n = len(wanted)
    return n > 0 and any(all(w in ok for w, ok in zip(words[i:i + n], wanted, strict=True))
                         for i in range(len(words) - n + 1))


def _ends_with(text: str, phrase: str, *, slack_words: int = 2) -> bool:
    """`phrase` closes `text`: at most `slack_words` words follow it ("bye for now")."""
    tail = len(_norm(phrase).split()) + slack_words
    return _says(" ".join(text.split()[-tail:]), phrase)


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
