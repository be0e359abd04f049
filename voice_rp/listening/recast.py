"""Recasts for language learners: a learner's slip said back correctly inside the partner's reply.

"Yesterday I go to the cinema" is answered "Oh, you went to the cinema!" before the partner's
next question: the learner hears the right form without being stopped. The recaster is plain
rules over Whisper's transcript, no model, so the embedded model's partner recasts as well as a
large one's. It returns a recast only when it is sure, because a false correction teaches a
mistake: most turns get None.
"""

from __future__ import annotations

from .recast_en import recast_en
from .recast_es import recast_es
from .recast_fr import recast_fr
from .recast_text import Recast

__all__ = ["Recast", "recast"]


def recast(text: str, *, language: str = "en") -> Recast | None:
    """The first sure slip in the learner's words, with the partner's line, or None.

    `language` is a BCP-47-ish code ("en", "en-US", "es", "fr-CA"); other languages get None."""
    base = language.lower().replace("_", "-").split("-")[0]
    if base == "en":
        return recast_en(text)
    if base == "es":
        return recast_es(text)
    if base == "fr":
        return recast_fr(text)
    return None
