"""What kind of turn the user just took, decided before a reply is planned.

A plain function over Whisper's text: no model, no I/O, a few microseconds a turn. It reads the
three languages the built-in partners speak (English, Spanish, French) in every session, since
learners switch languages and a cry for help must be heard in any of them. Recognition writes
no quotes and drops punctuation, so the rules look at words, tolerate "my self" for "myself"
and missing accents, and look for the turn's intent where people put it: a request or a
question at the end of what they said, distress anywhere.

The order of the checks is the order of what matters: distress first (it is never missed),
then abuse aimed at the character, whether it is an AI, wanting to stop, recalling what the user
said, a request to repeat or simplify, a stall, a question to the character, an off-topic
remark; everything else is an answer. Measured on labelled turns by scripts/eval_turn_kinds.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from voice_rp.completeness import Ending, read_ending
from voice_rp.listening import user_facts
from voice_rp.listening.distress_cues import (
    DISTRESS,
    DISTRESS_EXTRA,
    DISTRESS_MORE,
    DISTRESS_OBLIQUE,
    DISTRESS_SIGNS,
    NEGATED_SELF_HARM,
    SELF,
)
from voice_rp.listening.turn_cues import (
    ABUSE,
    AI_CHECK,
    AI_WORDS,
    ANSWERING,
    ASK_BACK,
    CLARIFY,
    FILLER_SOUND,
    FILLERS,
    GOES_ON,
    I_DO,
    NARRATIVE,
    OFF_TOPIC,
    OFF_TOPIC_CHAT,
    ON_TOPIC,
    QUESTION_START,
    REPORTED,
    ROLE_TOPICS,
    SECOND_PERSON,
    STALL,
    STOP,
)


class TurnKind(StrEnum):
    ANSWER = "answer"  # an answer, or any ordinary contribution to the practice
    QUESTION = "question"  # a question to the character
    CLARIFY = "clarify"  # repeat, say it more simply or more slowly, what does a word mean
    STALL = "stall"  # "I don't know", only fillers, "next question"
    OFF_TOPIC = "off_topic"  # small talk that has nothing to do with the practice
    AI_CHECK = "ai_check"  # is the character a person, a bot, an AI?
    DISTRESS = "distress"  # distress, self-harm, danger
    ABUSE = "abuse"  # insults or threats aimed at the character
    STOP = "stop"  # the user wants to end the session
    RECALL = "recall"  # "what was my name again?": recall what the user said
    HOLD = "hold"  # "give me a moment", and nothing more came before the hold ran out


@dataclass(frozen=True)
class TurnReading:
    """The kind of a user turn and the words that showed it (for logs and the benchmark)."""

    kind: TurnKind
    cue: str = ""
    concern: str = ""
    """One sign of distress in the user's own voice, now ("I feel so empty"), too little to step
    out of the role for: the persona says it heard it and that the user can pause."""


NOTHING_SAID = "nothing said"  # the cue of a turn with no words in it (noise, a cough)

# How many words a turn may have for a request at its end to be the point of it.
_SHORT_TURN = 30
_HOLD_WORDS = 12  # "Hmm, that's a hard one, let me think about it." is all a request for time


def read_turn(text: str, *, language: str = "en", persona_kind: str = "interviewer",
              question: str = "") -> TurnReading:
    """The kind of the user's turn `text`, as Whisper heard it.

    `persona_kind`: the persona's kind ("interviewer", "audience", "language_partner",
    "caller", "character"); `question`: the last question the persona asked ("" if none).
    """
    # Whisper's tags for what is not speech ("[BLANK_AUDIO]", "(music)") are not words said.
    folded = fold(re.sub(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*", " ", text))
    # "Can we stop here, please..." and "¿Tienes hermanos?." end as a plain sentence does.
    folded = re.sub(r"(\.\.\.|\u2026|\.)+$", ".", re.sub(r"\?\s*\.+$", "?", folded))
    content = _content(folded)
    if not content:
        return TurnReading(TurnKind.STALL, NOTHING_SAID)
    if (hit := _distress(folded)) is not None:
        return TurnReading(TurnKind.DISTRESS, hit)
    tail = _tail(folded)
    short = len(content) <= _SHORT_TURN
    if (hit := _aimed_abuse(folded)) is not None:
        return TurnReading(TurnKind.ABUSE, hit)
    if (hit := _ai_check(folded if short else tail, tail, short=short)) is not None:
        return TurnReading(TurnKind.AI_CHECK, hit)
    if (hit := _search(STOP, tail)) is not None:
        return TurnReading(TurnKind.STOP, hit)
    if len(content) <= _HOLD_WORDS and read_ending(text, language=language) is Ending.HOLD:
        return TurnReading(TurnKind.HOLD, tail)
    if user_facts.is_recall_question(tail, language=language):
        return TurnReading(TurnKind.RECALL, tail)
    if (hit := _search(CLARIFY, folded if short else tail)) is not None and (
            short or _ends_asking(tail)):
        return TurnReading(TurnKind.CLARIFY, hit)
    if len(content) <= 3 and all(w in _PRONOUNS for w in content):
        return TurnReading(TurnKind.STALL, "trailed off")
    if (len(content) <= 12 and (hit := _search(STALL, folded)) is not None
            and not GOES_ON.search(folded[folded.find(hit) + len(hit):])):
        return TurnReading(TurnKind.STALL, hit)  # "I don't know", not "I don't know, maybe X"
    # A learner's chat is the practice: only the plainest detours count (the weather, hunger).
    detours = OFF_TOPIC_CHAT if persona_kind == "language_partner" else OFF_TOPIC
    if (len(content) <= 20 and (hit := _search(detours, folded)) is not None
            and not ON_TOPIC.search(folded) and not ANSWERING.search(folded)
            and not (persona_kind == "language_partner" and NARRATIVE.search(folded))
            and not _shares_words(folded, fold(question))):
        return TurnReading(TurnKind.OFF_TOPIC, hit)
    # An agent's questions to a caller are the practice; so is a talk's rhetorical question.
    asks_character = persona_kind != "caller" and (persona_kind != "audience"
                                                   or len(content) <= 25)
    if asks_character and (hit := _question_to_character(tail, persona_kind)) is not None:
        return TurnReading(TurnKind.QUESTION, hit)
    return TurnReading(TurnKind.ANSWER, concern=_concern(folded))


def _content(folded: str) -> list[str]:
    return [w for w in (t.strip(".,!?;:-") for t in folded.split())
            if w and w not in FILLERS and not FILLER_SOUND.match(w)]


_PRONOUNS = {"i", "i'm", "me", "well", "and", "yo", "je", "y", "et", "so", "but", "like"}


def fold(text: str) -> str:
    """Lower case, without accents, with plain apostrophes and single spaces."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    text = re.sub(r"\bmy self\b", "myself", text)
    text = re.sub(r"[\"\u201c\u201d\u00ab\u00bb\u00bf\u00a1]", " ", text)
    return " ".join(text.split())


def _search(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(0) if match else None


def _distress(folded: str) -> str | None:
    joking = _JOKING.search(folded) is not None
    for chunk in _chunks(folded):
        for match in [*DISTRESS.finditer(chunk), *DISTRESS_MORE.finditer(chunk),
                      *DISTRESS_EXTRA.finditer(chunk), *DISTRESS_OBLIQUE.finditer(chunk)]:
            before = chunk[max(0, match.start() - 40):match.end()]
            threat = _THREAT.search(match.group(0))
            if threat and joking:
                continue  # "the chef said he'd kill me if I burned the sauce, he was laughing"
            if NEGATED_SELF_HARM.search(before) or (_quoted(chunk, match.start()) and not threat):
                continue
            return match.group(0)
    for sentence in _chunks(folded):
        signs = [m for m in DISTRESS_SIGNS.finditer(sentence)
                 if not _quoted(sentence, m.start())]
        if len({m.group(0) for m in signs}) >= 2 and SELF.search(sentence):
            return " + ".join(m.group(0) for m in signs)
    return None


# Someone else's words: "a teammate used to say 'I just want to die'", "ma sœur m'a dit « ... »".
_SAYS = re.compile(r"\b(said|says|say|saying|wrote|writes|write|things like|stuff like|"
                   r"texted|texts|posted|messaged|tweeted|"
                   r"dijo|dice|decia|escribio|"
                   r"grito|dit|disait|ecrit|criait|crie)\b")
_I_SAID = re.compile(r"\b(i|i've|i'd|yo|je|j'ai)\b(\s+\w+){0,2}\s*$")
# A threat to the user is danger even when reported ("he says he'll kill me"), unless laughed off.
_THREAT = re.compile(r"\b(kill|hurt|strangle|beat|finish) me\b|\bme (va a|vas a) matar\b|"
                     r"\b(va|vais|allait|veut) me tuer\b")
_JOKING = re.compile(r"\b(laughing|laughed|joking|joke|kidding|broma|bromeando|rigolait|"
                     r"blague|riait)\b")


def _quoted(folded: str, at: int) -> bool:
    """The words at `at` are someone else's, quoted ("she kept saying 'I feel hopeless'"); the
    user's own ("I told my therapist I want to die") still count."""
    start = max(folded.rfind(". ", 0, at), folded.rfind("! ", 0, at), folded.rfind("? ", 0, at))
    before = folded[start + 1:at]
    said = list(_SAYS.finditer(before))
    if not said or len(before[said[-1].end():].split()) > 3:
        return False
    return not _I_SAID.search(before[:said[-1].start()])


_NOW_ME = re.compile(r"\b(i feel|i'm|im|i am|i keep|i just|me siento|estoy|je me sens|je suis|"
                     r"j'ai l'impression|i've been feeling|lately i)\b")


def _concern(folded: str) -> str:
    for sentence in _sentences(folded):
        for match in DISTRESS_SIGNS.finditer(sentence):
            if _NOW_ME.search(sentence) and not _quoted(sentence, match.start()):
                return match.group(0)
    return ""


def _aimed_abuse(folded: str) -> str | None:
    """Abuse aimed at the character, not abuse the user reports ("he called me an idiot")."""
    for sentence in _sentences(folded):
        match = ABUSE.search(sentence)
        if match and not REPORTED.search(sentence[:match.start()]):
            return match.group(0)
    return None


def _chunks(folded: str, *, size: int = 400) -> list[str]:
    """The text in pieces of at most `size` characters that overlap: each sentence with the next
    (a thought can run over a full stop: "It's all sorted now. I finally feel at peace."), a long
    one cut into windows, so a monologue with no full stop costs no more than its length."""
    out: list[str] = []
    sentences = _sentences(folded)
    for n, sentence in enumerate(sentences):
        if len(sentence) > size:
            step = size - 100  # windows overlap by more than any phrase is long
            out.extend(sentence[i:i + size] for i in range(0, len(sentence) - 100, step))
            continue
        after = sentences[n + 1] if n + 1 < len(sentences) else ""
        joined = f"{sentence} {after}"
        out.append(joined if after and len(joined) <= size else sentence)
    return out


def _sentences(folded: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", folded) if s.strip()]


def _tail(folded: str) -> str:
    """The last sentence or two: where a request or question at the end of a turn sits."""
    sentences = _sentences(folded)
    tail = sentences[-1] if sentences else folded
    if len(sentences) > 1 and len(tail.split()) < 6:
        tail = f"{sentences[-2]} {tail}"
    return tail


def _ends_asking(tail: str) -> bool:
    return tail.endswith("?") or bool(QUESTION_START.search(tail))


def _question_to_character(tail: str, persona_kind: str) -> str | None:
    """The question at the end of the turn, when it is put to the character."""
    last = (_sentences(tail) or [tail])[-1]
    clause = re.split(r"[,;:]\s+", last.rstrip("?!. "))[-1] if last else last
    for candidate in (last, clause):
        if ASK_BACK.search(candidate):
            return candidate
    asks = last.endswith("?") or any(QUESTION_START.search(c) and len(c.split()) <= 14
                                     for c in (last, clause))
    if not asks:
        return None
    if (persona_kind == "language_partner" and len(last.split()) <= 8
            and re.match(r"^(y )?(tienes|eres|estas|vives|trabajas|te gusta|puedes|sabes|"
                         r"quieres|conoces|has (estado|ido|visto))\b", last)):
        return last  # Whisper dropped the "?" of "¿Tienes hermanos?"
    if re.match(r"^(you know|do you know what i|guess what)\b", clause):
        return None  # "You know what I did?": telling, not asking
    if SECOND_PERSON.search(last) or (persona_kind == "interviewer"
                                      and ROLE_TOPICS.search(last)):
        return last
    plain = persona_kind in ("interviewer", "language_partner", "character") and last.endswith("?")
    if plain and (not re.search(r"\b(i|i'm|i've|my|me)\b", last) or re.search(
            r"\b(can|may|could) i ask\b|\bwill i\b|\bwould i\b|\bdo i need\b", last)):
        return last  # "is overtime common?", "¿Tienes hermanos?"
    return None


def _ai_check(text: str, tail: str, *, short: bool) -> str | None:
    if (hit := _search(AI_CHECK, text)) is not None:
        return hit
    # Else a short question naming what the character might be: in the asking sentence.
    asks = tail.endswith("?") or bool(QUESTION_START.search(tail)) or " or are you" in tail
    if short and asks and not I_DO.search(tail) and (hit := _search(AI_WORDS, tail)):
        return hit
    return None


def _shares_words(a: str, b: str) -> bool:
    long_words = {w.strip(".,!?") for w in b.split() if len(w) > 4}
    return any(w.strip(".,!?") in long_words for w in a.split())
