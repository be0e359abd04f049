"""Plain checks on what the user said and what the persona replied: deterministic, no model.

Used twice: the flow engine decides on them (a vague answer gets a follow-up; a model's
acknowledgement that fails a check is replaced by a fixed one), and the persona-fidelity
benchmark (scripts/bench_fidelity.py) scores every reply with them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_WORD = re.compile(r"[\w']+", re.UNICODE)
# Text a voice must not say: (smiles), [laughs], *nods*, <pause>.
_STAGE_DIRECTION = re.compile(r"\([^)]*\)|\[[^\]]*\]|\*[^*]*\*|<[^>]*>|\*")
_LABEL = re.compile(r"(^|\n)\s*[*_]{0,2}[A-Z][\w .'-]{0,30}[*_]{0,2}\s*:\s", re.UNICODE)
_AS_AI = re.compile(r"\b(as an ai|language model|i am an ai|i'm an ai|as a chatbot|"
                    r"i cannot roleplay|openai)\b", re.IGNORECASE)
_USER_VOICE = re.compile(r"(^|\n)\s*(user|candidate|learner|speaker|agent|human|me)\s*:",
                         re.IGNORECASE)

# A few of the most frequent words per language: enough to tell which one a reply is in.
_COMMON = {
    "en": {"the", "and", "you", "to", "is", "that", "it", "of", "a", "in", "what", "i", "do",
           "your", "was", "for", "this", "me", "thank", "can", "how", "so", "about", "are",
           "have", "with", "we", "my", "be", "did", "would", "tell", "there", "at", "on"},
    "es": {"el", "la", "que", "de", "y", "es", "en", "un", "una", "los", "por", "tu", "qué",
           "muy", "yo", "te", "con", "para", "cómo", "me", "gracias", "hola", "sí", "tú", "del",
           "al", "lo", "las", "su", "pero", "más", "está", "hay", "mi", "se", "también", "dónde"},
    "fr": {"le", "la", "les", "et", "est", "de", "un", "une", "que", "tu", "vous", "je", "pas",
           "en", "pour", "qu'est-ce", "c'est", "très", "merci", "bonjour", "oui", "avec", "ça",
           "il", "elle", "nous", "du", "des", "au", "ce", "cette", "chez", "toi", "moi", "mais",
           "dans", "sur", "qui", "ne", "bien", "aussi", "où", "près"},
}
_WE = {"we", "our", "us", "ours", "we're", "we've", "we'd"}
_I = {"i", "my", "me", "mine", "i'm", "i've", "i'd", "myself"}
_RESULT = ("result", "in the end", "finally", "outcome", "led to", "ended up", "percent", "%",
           "reduced", "increased", "improved", "saved", "learned", "learnt", "so we", "so i",
           "which meant", "worked", "succeeded", "delivered", "shipped", "on time", "fixed",
           "solved")
# The heart of each stall phrase, without its subject: recognisers bend the words around it
# ("Um... I don't know." came back as "I might don't know." from tiny.en).
_STALL = ("don't know", "do not know", "dunno", "not sure", "no idea", "no sé", "no lo sé",
          "ne sais pas", "sais pas", "pass")
_FILLERS = {"um", "uh", "erm", "er", "hmm", "mm", "eh", "euh", "ehm", "este", "pues", "bueno"}


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


# --------------------------------------------------------------------------- the user's answer


def vague_reason(answer: str, *, min_words: int = 25) -> str | None:
    """Why an interview answer is vague ("too_short", "we_only", "no_result"), or None.

    STAR asks for the situation, the task, the speaker's own action and the result. The checks
    that hold up on speech-to-text: a short answer; "we" with no "I"; no sign of a result.
    """
    said = words(answer)
    if len(said) < min_words:
        return "too_short"
    if any(w in _WE for w in said) and not any(w in _I for w in said):
        return "we_only"
    lowered = " ".join(said) + (" %" if "%" in answer else "")
    if not any(marker in lowered for marker in _RESULT):
        return "no_result"
    return None


def stalled(answer: str, *, min_words: int = 4) -> bool:
    """The learner is stuck: almost nothing said, only fillers, or "I don't know"."""
    said = [w for w in words(answer) if w not in _FILLERS]
    lowered = f" {' '.join(said)} "
    # "I'm... I don't know": a stall phrase in a short answer (not "I don't know why, but...").
    return len(said) < min_words or (len(said) <= 8 and any(
        f" {' '.join(words(p))} " in lowered for p in _STALL))


# --------------------------------------------------------------------------- a persona's reply


def stage_directions(reply: str) -> list[str]:
    """Bracketed or starred asides ("(smiling)", "*nods*") and stray asterisks."""
    return _STAGE_DIRECTION.findall(reply)


def strip_stage_directions(reply: str) -> str:
    return " ".join(_STAGE_DIRECTION.sub(" ", reply).split())


def has_label(reply: str) -> bool:
    """A speaker label such as "Interviewer:" or "Maya:" at the start of a line."""
    return bool(_LABEL.search(reply))


def out_of_role(reply: str) -> str | None:
    """Why the reply is not the persona speaking, or None when it is in role."""
    if not reply.strip():
        return "empty"
    if _AS_AI.search(reply):
        return "as_ai"
    if _USER_VOICE.search(reply):
        return "written_as_user"
    if has_label(reply):
        return "label"
    if stage_directions(reply):
        return "stage_direction"
    return None


def similarity(a: str, b: str) -> float:
    """0..1, on words: how much of the two texts is the same."""
    return difflib.SequenceMatcher(None, words(a), words(b), autojunk=False).ratio()


def is_echo(reply: str, user_text: str, *, run: int = 8, ratio: float = 0.6) -> bool:
    """The reply repeats the user: a long run of their words, or mostly the same text."""
    r, u = words(reply), words(user_text)
    if not r or not u:
        return False
    if similarity(reply, user_text) >= ratio:
        return True
    grams = {tuple(u[i:i + run]) for i in range(len(u) - run + 1)}
    return any(tuple(r[i:i + run]) in grams for i in range(len(r) - run + 1))


def near_duplicate(reply: str, earlier: list[str], *, ratio: float = 0.8) -> bool:
    return any(similarity(reply, old) >= ratio for old in earlier if old.strip())


def speakable_length(reply: str, *, max_words: int = 60) -> bool:
    return 0 < len(words(reply)) <= max_words


# Spoken prompts that ask as much as a question mark does: "Tell me about a time you...".
_PROMPT = re.compile(r"(^|[.!?]\s+)(tell me|tell us|describe|walk me through|walk us through|"
                     r"give me an example|explain|cuéntame|háblame|describe|raconte-moi|"
                     r"parle-moi|décris)\b", re.IGNORECASE)


def asks_question(reply: str) -> bool:
    """A question mark, or a prompt that asks for an answer ("Tell me about...")."""
    return "?" in reply or "¿" in reply or bool(_PROMPT.search(reply))


def language_guess(text: str) -> str | None:
    """"en", "es" or "fr" by common words; None when too short or unclear to say."""
    said = words(text)
    scores = {lang: sum(w in common for w in said) for lang, common in _COMMON.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < 2:
        return None
    ranked = sorted(scores.values(), reverse=True)
    return best if ranked[0] > ranked[1] else None


def in_language(reply: str, language: str) -> bool:
    """The reply is not clearly in another language than `language` (a primary code)."""
    primary = language.split("-")[0].lower()
    guess = language_guess(reply)
    return guess is None or primary not in _COMMON or guess == primary


@dataclass(frozen=True)
class ReplyCheck:
    """One reply scored: every field True is good."""

    in_role: bool
    no_stage_directions: bool
    not_echo: bool
    not_near_duplicate: bool
    speakable: bool
    in_language: bool
    asks_question: bool


def check_reply(reply: str, *, user_text: str, earlier: list[str], language: str,
                max_words: int = 60) -> ReplyCheck:
    return ReplyCheck(
        in_role=out_of_role(reply) in (None, "stage_direction"),
        no_stage_directions=not stage_directions(reply),
        not_echo=not is_echo(reply, user_text),
        not_near_duplicate=not near_duplicate(reply, earlier),
        speakable=speakable_length(reply, max_words=max_words),
        in_language=in_language(reply, language),
        asks_question=asks_question(reply),
    )
