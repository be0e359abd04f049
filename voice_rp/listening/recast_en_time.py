"""English time markers: the words that make a present-tense verb a slip ("yesterday", "two years
ago", "when I was a child") and the ones that make it right again ("today", "now").

A marker only counts when it names a finished time: "since last year" and "better than last
year" do not ask for the simple past, so they are not markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import recast_en_words as w
from .recast_text import word_set

_LAST = word_set("""
night week weekend month year summer winter spring autumn fall time monday tuesday wednesday
thursday friday saturday sunday christmas holiday holidays semester term easter
""")
_UNITS = word_set("""
second seconds minute minutes hour hours day days week weeks month months year years decade
decades time while ages century centuries
""")
_QUANT = word_set("""
a an one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty
fifty few several many some couple of long
""")
_NOT_AFTER = frozenset({"since", "until", "till", "from", "than", "like", "as", "of", "after",
                        "before", "the", "this", "my", "his", "her", "our", "their", "your",
                        "at", "every", "by"})
_CHILDHOOD = (("a", "child"), ("a", "kid"), ("a", "boy"), ("a", "girl"), ("a", "teenager"),
              ("a", "student"), ("a", "baby"), ("young",), ("younger",), ("little",),
              ("small",), ("at", "school"), ("in", "school"), ("at", "university"), ("kids",),
              ("children",), ("students",), ("teenagers",), ("in", "high", "school"))
_NOW = frozenset({"today", "now", "tomorrow", "currently", "tonight", "anymore"})
_NOW_AFTER = {"next": None, "these": {"days"}, "this": {"week", "year", "month", "weekend",
                                                         "morning", "summer", "evening"},
              "at": {"the"}}
_HABIT = frozenset({"every", "usually", "normally", "nowadays"})
_BLOCK = frozenset({"i", "he", "she", "we", "they", "you", "who", "that", "which", "where"})


@dataclass(frozen=True)
class TimeMarkers:
    """Where a sentence's past-time markers are, and whether it also speaks of now."""

    spans: tuple[tuple[int, int], ...]
    now: tuple[int, ...]
    habit: tuple[int, ...]
    low: tuple[str, ...]

    @property
    def past(self) -> bool:
        return bool(self.spans)

    def inside(self, i: int) -> bool:
        return any(lo <= i < hi for lo, hi in self.spans)

    def starting(self, i: int) -> int | None:
        """Where the marker that starts at token i ends (None when none starts there)."""
        return next((hi for lo, hi in self.spans if lo == i), None)

    def present_within(self, lo: int, hi: int) -> bool:
        """ "today", "now", "next week": this clause is not about the past."""
        return any(lo <= i < hi for i in self.now)

    def habit_within(self, lo: int, hi: int) -> bool:
        """ "every day", "usually": about the past only with a marker of its own."""
        return any(lo <= i < hi for i in self.habit)

    def after(self, verb: int, hi: int) -> bool:
        """A marker later in the clause that belongs to this verb: no other verb, subject or
        relative word stands between ("I like the film we watched last week" has one)."""
        for lo, _ in self.spans:
            if verb < lo < hi:
                between = self.low[verb + 1 : lo]
                if self.low[verb] in {"get", "gets"} and between:
                    between = between[1:]  # "get married in 1990"
                return not any(t in _BLOCK or t in w.PARTICIPLES or t in w.BE
                               or t in w.MODALS or t in w.SAME_PAST or t.endswith("ed")
                               for t in between)
        return False


def time_markers(low: Sequence[str]) -> TimeMarkers:
    """The past-time markers and the words of now in a lower-cased sentence."""
    spans: list[tuple[int, int]] = []
    now: list[int] = []
    habit = [i for i, word in enumerate(low) if word in _HABIT]
    n = len(low)
    for i, word in enumerate(low):
        span = _marker_at(low, i)
        if span is not None and (span[0] == 0 or low[span[0] - 1] not in _NOT_AFTER):
            spans.append(span)
        nxt = low[i + 1] if i + 1 < n else ""
        if word in _NOW or (word in _NOW_AFTER and (
                _NOW_AFTER[word] is None or nxt in (_NOW_AFTER[word] or ()))):
            if word == "at" and low[i + 2 : i + 3] != ["moment"]:
                continue
            now.append(i)
    return TimeMarkers(tuple(spans), tuple(now), tuple(habit), tuple(low))


def _marker_at(low: Sequence[str], i: int) -> tuple[int, int] | None:
    """The past-time marker whose key word is at i, as (start, end), or None."""
    word, n = low[i], len(low)
    if word == "yesterday":
        end = i + 1 + (i + 1 < n and low[i + 1] in {"morning", "afternoon", "evening", "night"})
        start = i - 3 if list(low[max(0, i - 3) : i]) == ["the", "day", "before"] else i
        return start, end
    if word == "last" and i + 1 < n and low[i + 1] in _LAST:
        return i, i + 2
    if word == "ago":
        j = i
        while j > 0 and (low[j - 1] in _UNITS or low[j - 1] in _QUANT or low[j - 1].isdigit()):
            j -= 1
        return (j, i + 1) if j < i else None
    if word == "in" and i + 1 < n and low[i + 1].isdigit() and 1900 <= int(low[i + 1]) <= 2024:
        return i, i + 2
    if word == "other" and i > 0 and low[i - 1] == "the" and i + 1 < n and low[i + 1] == "day":
        return i - 1, i + 2
    if word == "when" and tuple(low[i + 1 : i + 3]) in {("i", "was"), ("we", "were")}:
        rest = tuple(low[i + 3 : i + 6])
        for phrase in _CHILDHOOD:
            if rest[: len(phrase)] == phrase:
                return i, i + 3 + len(phrase)
        if rest and rest[0].isdigit():
            old = rest[1:3] == ("years", "old")
            return i, i + 4 + 2 * old
    return None
