"""Memory within a budget: the prompt stays small however long the session runs.

`HistoryWindow` keeps the newest turns of the history under a token budget. It drops old turns
in one jump (down to half the budget) rather than one at a time, so the prompt's beginning stays
the same for many turns and the model can reuse what it has already read. What the persona must
not forget (the user's name, what they said in earlier answers) is kept in `SessionMemory`, a few
lines that go into the prompt after the history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from voice_rp.llm import ChatMessage

_NAME = re.compile(r"\b(?:my name is|my name's|i'm called|call me|me llamo|je m'appelle|"
                   r"je suis)\s+([A-Z][\w'-]+)", re.IGNORECASE)
_NOT_NAMES = {"a", "an", "the", "not", "so", "very", "really", "here", "happy", "glad", "sorry",
              "working", "from", "in", "at", "going", "trying", "fine", "good", "ready"}


def estimate_tokens(text: str) -> int:
    """About four characters a token for English text: close enough for a budget."""
    return len(text) // 4 + 1


class HistoryWindow:
    """The part of the history that goes into the prompt: newest turns within `budget_tokens`."""

    def __init__(self, *, budget_tokens: int = 700) -> None:
        self.budget_tokens = budget_tokens
        self._start = 0

    def select(self, history: Sequence[ChatMessage]) -> list[ChatMessage]:
        if self._start > len(history):
            self._start = 0  # a new or shorter history
        if _tokens(history[self._start:]) > self.budget_tokens:
            start = len(history)
            # Back from the end while the window fits half the budget: room for many more turns.
            while start > 0 and _tokens(history[start - 1:]) <= self.budget_tokens // 2:
                start -= 1
            # Open on the persona's turn or a user's turn, whichever keeps roles alternating.
            if start < len(history) and history[start].role == "assistant" and start + 1 < len(
                    history):
                start += 1
            self._start = max(start, self._start)
        return list(history[self._start:])

    @property
    def dropped(self) -> int:
        """How many of the oldest messages are left out now."""
        return self._start


def _tokens(messages: Sequence[ChatMessage]) -> int:
    return sum(estimate_tokens(m.content) + 4 for m in messages)


@dataclass
class SessionMemory:
    """Facts about the user kept for the whole session, in a few lines of prompt."""

    user_label: str = "the user"  # "the candidate", "the learner"
    role: str = ""  # what the session is about, e.g. the job
    name: str = ""
    answers: list[tuple[str, str]] = field(default_factory=list)  # (question, answer gist)
    max_answers: int = 4
    gist_words: int = 14

    def note(self, user_text: str, *, question: str = "") -> None:
        """Remember what matters in one user turn (and the question it answered)."""
        if not self.name:
            match = _NAME.search(user_text)
            if match and match.group(1).lower() not in _NOT_NAMES:
                self.name = match.group(1).capitalize()
        said = user_text.split()
        if len(said) >= 6:
            gist = " ".join(said[: self.gist_words]) + ("..." if len(said) > self.gist_words
                                                         else "")
            self.answers.append((question, gist))
            del self.answers[: -self.max_answers]

    def render(self, *, include_answers: bool = True) -> str:
        """The memory as prompt text ("" when there is nothing to remember yet)."""
        lines = []
        if self.name:
            lines.append(f"The name of {self.user_label} is {self.name}.")
        if self.role:
            lines.append(f"This is about: {self.role}")
        if include_answers and self.answers:
            said = "; ".join(f'to "{q}" they said "{a}"' if q else f'they said "{a}"'
                             for q, a in self.answers)
            lines.append(f"Earlier, {said}.")
        return " ".join(lines)
