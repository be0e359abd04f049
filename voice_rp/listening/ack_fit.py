"""The first words a reply opens with must fit what the user just said.

A scenario's reply often opens with a short acknowledgement, made ahead so it can play the moment
the turn ends. Said after every answer alike it rings false: "That's a great way to start." after
"I'm not sure, maybe", or after the story of a project that failed. So the answer's tone is read
(plain rules over the transcript, English, Spanish and French), an acknowledgement that praises is
kept for answers that earn it, a hard story gets a sympathetic one, and a one-word answer gets
none: the reply starts with the question.
"""

from __future__ import annotations

import re
from enum import Enum

from voice_rp.completeness import fold


class Tone(Enum):
    SHORT = "short"    # a few words ("Yes, I did."): nothing to acknowledge
    UNSURE = "unsure"  # hedged or unsure: "I'm not sure, maybe..."
    HARD = "hard"      # a difficulty: a failure, a conflict, a loss
    FULL = "full"      # an ordinary answer with substance


_SHORT_WORDS = 4

_UNSURE = re.compile(
    r"\b(i'?m not (really |quite )?sure|not sure|i don'?t (really )?know|no idea|i guess|maybe|"
    r"perhaps|i can'?t remember|i don'?t remember|hard to say|i suppose|"
    r"no (lo )?se|no estoy (muy |del todo )?segur[oa]|quiza[s]?|tal vez|a lo mejor|supongo|"
    r"je ne sais pas|je sais pas|pas (tres |vraiment )?sur|peut-etre|je suppose|aucune idee)\b")
_HARD = re.compile(
    r"\b(i failed|we failed|failure|(my|a|big) mistake|i was (fired|laid off)|got (fired|laid off)|"
    r"lost (my|our|the) (job|client|customer|deal)|missed (the|a|our) deadline|passed away|died|"
    r"i was (sick|ill|burnt out|burned out)|struggled|rejected|blamed|it went badly|"
    r"fracase|fracasamos|fracaso|me despidieron|perdi (mi|el) trabajo|mi error|"
    r"estuve enferm[oa]|fallecio|murio|"
    r"j'ai echoue|echec|mon erreur|j'ai ete licencie|j'ai perdu mon (travail|emploi)|"
    r"j'etais malade|est mort|est decede)\b")
"""A difficulty the user lived through and did not turn around."""
_TURNED_AROUND = re.compile(
    r"\b(solved|fixed|resolved|worked out|succeeded|improved|learn(ed|t)|recovered|managed to|"
    r"in the end|eventually|resolvi|solucion|aprendi|al final|mejor[oe]|"
    r"j'ai (appris|resolu|reussi)|resolu|finalement|au final)\b")
"""Words that turn a hard story into one of overcoming it: an ordinary acknowledgement fits."""

_PRAISE = re.compile(
    r"\b(great|wonderful|excellent|fantastic|amazing|awesome|impressive|brilliant|perfect|"
    r"love|lovely|nice|good (one|start|answer|example|point)|well done|"
    r"genial|estupendo|excelente|fantastico|perfecto|increible|maravillos[oa]|"
    r"super|genial|parfait|excellent|formidable|magnifique|bravo|top)\b")

_SYMPATHY = {
    "en": ("That sounds like a tough spot.", "I see. That can't have been easy.",
           "Thanks for being open about that."),
    "es": ("Vaya, eso suena difícil.", "Entiendo, no debió de ser fácil."),
    "fr": ("Ah, ça n'a pas dû être facile.", "Je vois, c'était difficile."),
}
_EASY = {
    "en": ("That's fair.", "Okay, no problem.", "All right."),
    "es": ("Vale, no pasa nada.", "De acuerdo."),
    "fr": ("D'accord, pas de souci.", "Bon, d'accord."),
}


def tone_of(text: str) -> Tone:
    """The tone of the user's answer `text`, as Whisper heard it."""
    folded = fold(text)
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+", folded)
    if len(words) <= _SHORT_WORDS:
        return Tone.SHORT
    if _UNSURE.search(folded) and len(words) <= 25:
        return Tone.UNSURE
    if _HARD.search(folded) and not _TURNED_AROUND.search(folded):
        return Tone.HARD
    return Tone.FULL


def fits(ack: str, tone: Tone) -> bool:
    """Whether the acknowledgement `ack` fits an answer of this tone: praise only for FULL."""
    return tone is Tone.FULL or not _PRAISE.search(fold(ack))


def opens_without_ack(tone: Tone) -> bool:
    """A reply to a few words starts with the question itself: "Thank you." after "Yes." is
    filler the user has to wait through."""
    return tone is Tone.SHORT


def fixed_choices(acks: tuple[str, ...], tone: Tone, language: str) -> tuple[str, ...]:
    """The made-ahead acknowledgements that fit `tone`: the persona's own (less praise), and for
    a hard or unsure answer the lines written for it."""
    lang = language.split("-")[0].lower()
    fitting = tuple(a for a in acks if fits(a, tone))
    if tone is Tone.HARD:
        return _SYMPATHY.get(lang, _SYMPATHY["en"])
    if tone is Tone.UNSURE:
        return _EASY.get(lang, _EASY["en"])
    return fitting or acks


def all_fixed(acks: tuple[str, ...], language: str) -> tuple[str, ...]:
    """Every fixed acknowledgement a session may say: their audio is made ahead."""
    lang = language.split("-")[0].lower()
    return (*acks, *_SYMPATHY.get(lang, _SYMPATHY["en"]), *_EASY.get(lang, _EASY["en"]))
