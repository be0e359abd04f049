"""Speaker labels in a reply: small models write them, a voice must not say them.

SmolLM2 sometimes opens its reply with its own name ("Interviewer: Tell me about...") and now and
then goes on to write the user's next turn ("\\nCandidate: I worked at..."). `LabelFilter` sits
between the LLM stream and the chunker: it drops a label of the persona's own at the start of a
line, and ends the reply at a line that starts with the user's label. Plain logic on text deltas,
so the result does not depend on how the text was split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from voice_rp.personas import Persona, Speaker

__all__ = ["OWN_LABELS", "USER_LABELS", "AsideFilter", "LabelFilter", "label_filter"]

OWN_LABELS = frozenset({"assistant", "ai", "bot", "character", "persona", "interviewer",
                        "audience", "partner", "caller", "customer", "panel"})
"""Labels a reply may open with that name its speaker (besides the persona's own names)."""
USER_LABELS = frozenset({"user", "human", "you", "me", "candidate", "interviewee", "applicant",
                         "speaker", "presenter", "learner", "student", "agent", "support agent"})
"""Labels that start the *user's* turn: the model has stopped answering and is impersonating."""

_LABEL_LINE = re.compile(r"^[ \t]*[*_]{0,2}((?:[\w'.-]+ ?){1,3}?)[*_]{0,2}[ \t]*:[*_]{0,2}[ \t]*")
_MAYBE_LABEL = re.compile(r"^[ \t]*[*_]{0,2}(?:[\w'.-]+ ?){0,3}[*_]{0,2}[ \t]*$")


def _norm(label: str) -> str:
    return " ".join(label.lower().replace("*", " ").replace("_", " ").split())


class LabelFilter:
    """Feed reply deltas to `push`, end with `flush`; both return the text to speak.

    `ended` turns True when the model began writing the user's turn: stop reading it then.
    """

    def __init__(self, own: Iterable[str] = (), user: Iterable[str] = ()) -> None:
        self._own = OWN_LABELS | {_norm(n) for n in own if n.strip()}
        self._user = USER_LABELS | {_norm(n) for n in user if n.strip()}
        self._line = ""  # the start of the current line, held while it may still be a label
        self._holding = True  # at a line start, until the line is known not to be a label
        self._after_label = False  # a label was just dropped: so is the space after it
        self._asides = AsideFilter()
        self.ended = False

    def push(self, delta: str) -> str:
        return self._asides.push(self._push(delta))

    def _push(self, delta: str) -> str:
        if self.ended:
            return ""
        out: list[str] = []
        for part in re.split(r"(\n)", delta):
            if not part:
                continue
            if part == "\n":
                out.append(self._release())
                out.append("\n")
                self._holding = True
                continue
            if self._after_label:
                part = part.lstrip(" \t*_")  # the space and markup closing the label
                if not part:
                    continue
                self._after_label = False
            if not self._holding:
                out.append(part)
                continue
            self._line += part
            out.append(self._decide())
            if self.ended:
                break
        return "".join(out)

    def flush(self) -> str:
        """The end of the reply: what is still held goes out; ready for the next reply."""
        text = "" if self.ended else self._release()
        self._line, self._holding, self.ended, self._after_label = "", True, False, False
        return self._asides.push(text) + self._asides.flush()

    def _decide(self) -> str:
        """With `_line` grown: drop it as a label, end the reply, release it, or hold on."""
        match = _LABEL_LINE.match(self._line)
        if match:
            label = _norm(match.group(1))
            if label in self._user:
                self.ended = True
                self._line = ""
                return ""
            if label in self._own:
                rest = self._line[match.end():]
                self._line = ""
                self._holding = False
                self._after_label = not rest
                return rest
            return self._release()
        if _MAYBE_LABEL.match(self._line):  # at most three words, nothing but label characters
            return ""  # could still become "Interviewer:": wait for more
        return self._release()

    def _release(self) -> str:
        text, self._line, self._holding = self._line, "", False
        return text


class AsideFilter:
    """Drops stage directions from streamed text: "(smiling)", "[laughs]", "*nods*".

    Small models write them when asked to play a part; a voice must not read them out. Text
    inside an aside that never closes is dropped to the end of the reply.
    """

    _CLOSE: ClassVar[dict[str, str]] = {"(": ")", "[": "]", "*": "*"}

    def __init__(self) -> None:
        self._closer: str | None = None
        self._prev = ""  # the last character let through ("" at the start of a reply)

    def push(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if self._closer is not None:
                if char == self._closer:
                    self._closer = None
                continue
            if char in self._CLOSE:
                self._closer = self._CLOSE[char]
                continue
            if char == " " and self._prev in ("", " "):
                continue  # the space on each side of a dropped aside
            out.append(char)
            self._prev = char
        return "".join(out)

    def flush(self) -> str:
        self._closer, self._prev = None, ""
        return ""


def label_filter(persona: Persona, speaker: Speaker, user_name: str) -> LabelFilter:
    """A filter for one reply of `persona` spoken by `speaker` (a panel member, or itself)."""
    names = {persona.character.name, speaker.name, *(member.name for member in persona.panel)}
    own = names | {name.split()[0] for name in names if name.split()}  # "Alex" of "Alex Morgan"
    return LabelFilter(own=own, user=(user_name,))
