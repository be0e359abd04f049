"""Memory within a budget: the prompt stays small however long the session runs.

`HistoryWindow` keeps the newest turns of the history under a token budget. It drops old turns
in one jump (down to half the budget) rather than one at a time, so the prompt's beginning stays
the same for many turns and the model can reuse what it has already read. What the persona must
not forget (the user's name, what they said in earlier answers) is kept in `SessionMemory`, a few
lines that go into the prompt after the history. It also answers the user who asks what they
told ("what was my name again?") from what they said, never from the model's guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from voice_rp.listening.fact_words import fold, words
from voice_rp.listening.user_facts import (
    SINGLE_KINDS,
    RecallTopic,
    UserFact,
    clean,
    facts_in,
    language_of,
    recall_topics,
)
from voice_rp.llm import ChatMessage

_KEEP_PER_KIND = 6  # people and numbers mentioned: the newest few


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
    language: str = "en"  # the persona's: how the user's words are read and recall answered
    facts: list[UserFact] = field(default_factory=list)  # what the user said of themselves

    def note(self, user_text: str, *, question: str = "", language: str | None = None) -> None:
        """Remember what matters in one user turn (and the question it answered). A fact of a
        kind that has one value ("actually my name is Samuel") replaces the earlier one."""
        for fact in facts_in(user_text, language=language or self.language):
            self._keep(fact)
        said = user_text.split()
        if len(said) >= 6:
            gist = " ".join(said[: self.gist_words]) + ("..." if len(said) > self.gist_words
                                                         else "")
            self.answers.append((question, gist))
            del self.answers[: -self.max_answers]

    def _keep(self, fact: UserFact) -> None:
        if fact.kind in SINGLE_KINDS:
            self.facts = [f for f in self.facts if f.kind != fact.kind]
        else:
            self.facts = [f for f in self.facts
                          if (f.kind, f.value.lower()) != (fact.kind, fact.value.lower())]
            same = [f for f in self.facts if f.kind == fact.kind]
            if len(same) >= _KEEP_PER_KIND:
                self.facts.remove(same[0])
        self.facts.append(fact)
        if fact.kind == "name":
            self.name = fact.value

    def fact(self, kind: str) -> UserFact | None:
        """The newest fact of `kind` the user stated, if any."""
        return next((f for f in reversed(self.facts) if f.kind == kind), None)

    def address(self) -> str:
        """The user's name for a closing line ("Thank you, Sam."), or "" if they never said it."""
        return self.name

    def recall(self, question: str, *, language: str | None = None) -> str | None:
        """A short spoken answer, in the persona's language, to a user asking what they told
        ("You're Sam, and you work at Acme as a data analyst."); an honest "you haven't told
        me" for what they did not; None when `question` is not such a question."""
        lang = language_of(language or self.language)
        topics = recall_topics(question, language=lang)
        if not topics:
            return None
        vous = lang == "fr" and re.search(r"\bvous\b", fold(question)) is not None
        recalled = _Recalled(self.facts, [a for _, a in self.answers], lang, question,
                             "fr_vous" if vous else lang)
        for topic in topics:
            recalled.add(topic)
        return recalled.spoken()

    def render(self, *, include_answers: bool = True) -> str:
        """The memory as prompt text ("" when there is nothing to remember yet)."""
        lines = []
        if self.name:
            lines.append(f"The name of {self.user_label} is {self.name}.")
        lines += _fact_lines(self.facts)
        if self.role:
            lines.append(f"This is about: {self.role}")
        if include_answers and self.answers:
            said = "; ".join(f'to "{q}" they said "{a}"' if q else f'they said "{a}"'
                             for q, a in self.answers)
            lines.append(f"Earlier, {said}.")
        return " ".join(lines)


def _fact_lines(facts: list[UserFact]) -> list[str]:
    """The user's facts as short English prompt lines ("They work at Acme as a data analyst.")."""
    last = {f.kind: f for f in facts}
    emp, role = last.get("employer") or last.get("field"), last.get("role")
    lines = []
    if emp or role:
        where = f"{_prep(emp, 'en')} {emp.value}" if emp else ""
        what = f" as {_with_article(role.value)}" if role else ""
        lines.append(f"They work {where}{what}.".replace("  ", " ").replace(" .", "."))
    for kind, line in (("place", "They live in {}."), ("origin", "They are from {}."),
                       ("study", "They study {}."), ("learning", "They are learning {}."),
                       ("goal", "Their goal: {}.")):
        if kind in last:
            lines.append(line.format(last[kind].value))
    others = [_their(f.value) for f in facts if f.kind in ("person", "number")]
    if others:
        lines.append(f"They mentioned: {'; '.join(others)}.")
    return lines


def _their(value: str) -> str:
    return re.sub(r"^(?:my|our)\b", "their", value, flags=re.IGNORECASE)


def _with_article(role: str) -> str:
    if role.split()[0].lower() in ("a", "an", "the"):
        return role
    return f"{'an' if role[:1].lower() in 'aeiou' else 'a'} {role}"


# How a fact's preposition is said back, per language and kind: (the ones kept from the user's
# own words, the default). "je viens du Brésil" -> "tu viens du Brésil".
_PREPS = {("en", "employer"): (("at", "for", "in", "with"), "at"),
          ("en", "field"): ((), "in"),
          ("es", "employer"): (("en", "para"), "en"), ("es", "field"): ((), "en"),
          ("es", "place"): ((), "en"), ("es", "origin"): (("de", "del"), "de"),
          ("fr", "employer"): (("chez", "pour", "à", "au", "aux", "dans", "en"), "chez"),
          ("fr", "field"): ((), "dans"), ("fr", "place"): (("à", "au", "aux", "en", "dans"), "à"),
          ("fr", "origin"): (("de", "du", "des", "d'"), "de")}


def _prep(fact: UserFact, lang: str) -> str:
    kept, default = _PREPS.get((lang, fact.kind), ((), ""))
    said = fact.said.lower()
    at = said.find(fact.value.lower())
    before = said[:at].split() if at > 0 else []
    word = before[-1] if before else ""
    word = "d'" if word.endswith("d'") else word
    prep = word if word in kept else default
    if prep == "de" and fold(fact.value[:1]) in "aeiouh":
        prep = "d'"
    return prep


def _at(prep: str, value: str) -> str:
    return f"{prep}{'' if prep.endswith(chr(39)) or not prep else ' '}{value}"


_SAY = {
    "en": {"name": "you're {v}", "employer": "you work {v}", "role": "you work as {v}",
           "as": " as {v}", "place": "you live in {v}", "origin": "you're from {v}",
           "study": "you study {v}", "learning": "you're learning {v}", "goal": "you want to {v}",
           "person": "your {rel} is {v}", "about": "you said {v}", "and": ", and ",
           "no_name": "you haven't told me your name yet",
           "no_employer": "you haven't told me where you work yet",
           "no_role": "you haven't told me what you do yet",
           "no_place": "you haven't told me where you live yet",
           "no_origin": "you haven't told me where you're from yet",
           "no_study": "you haven't told me what you study yet",
           "no_goal": "you haven't told me about your goals yet",
           "no_person": "you haven't told me about your {rel} yet",
           "no_about": "I don't think you've told me about {v} yet",
           "no_said": "I'm sorry, I don't remember that. Could you tell me again?",
           "no_all": "you haven't told me much about yourself yet"},
    "es": {"name": "te llamas {v}", "employer": "trabajas {v}", "role": "trabajas como {v}",
           "as": " como {v}", "place": "vives {v}", "origin": "eres {v}",
           "study": "estudias {v}", "learning": "estás aprendiendo {v}", "goal": "quieres {v}",
           "person": "tu {rel} se llama {v}", "about": "me dijiste: «{v}»", "and": " y ",
           "no_name": "todavía no me has dicho tu nombre",
           "no_employer": "todavía no me has dicho dónde trabajas",
           "no_role": "todavía no me has dicho a qué te dedicas",
           "no_place": "todavía no me has dicho dónde vives",
           "no_origin": "todavía no me has dicho de dónde eres",
           "no_study": "todavía no me has dicho qué estudias",
           "no_goal": "todavía no me has contado tus objetivos",
           "no_person": "todavía no me has hablado de tu {rel}",
           "no_about": "no recuerdo que me hayas hablado de {v}",
           "no_said": "perdona, no lo recuerdo. ¿Me lo repites?",
           "no_all": "todavía no me has contado mucho sobre ti"},
    "fr": {"name": "tu t'appelles {v}", "employer": "tu travailles {v}",
           "role": "tu travailles comme {v}", "as": " comme {v}", "place": "tu habites {v}",
           "origin": "tu viens {v}", "study": "tu étudies {v}", "learning": "tu apprends {v}",
           "goal": "tu veux {v}", "person": "{poss} {rel} s'appelle {v}",
           "about": "tu m'as dit : « {v} »", "and": " et ",
           "no_name": "tu ne m'as pas encore dit ton nom",
           "no_employer": "tu ne m'as pas encore dit où tu travailles",
           "no_role": "tu ne m'as pas encore dit ce que tu fais dans la vie",
           "no_place": "tu ne m'as pas encore dit où tu habites",
           "no_origin": "tu ne m'as pas encore dit d'où tu viens",
           "no_study": "tu ne m'as pas encore dit ce que tu étudies",
           "no_goal": "tu ne m'as pas encore parlé de tes objectifs",
           "no_person": "tu ne m'as pas encore parlé de {poss} {rel}",
           "no_about": "je ne crois pas que tu m'aies parlé de {v}",
           "no_said": "pardon, je ne m'en souviens pas. Tu peux me le redire ?",
           "no_all": "tu ne m'as pas encore beaucoup parlé de toi"},
    "fr_vous": {"name": "vous vous appelez {v}", "employer": "vous travaillez {v}",
                "role": "vous travaillez comme {v}", "as": " comme {v}",
                "place": "vous habitez {v}", "origin": "vous venez {v}",
                "study": "vous étudiez {v}", "learning": "vous apprenez {v}",
                "goal": "vous voulez {v}", "person": "{poss} {rel} s'appelle {v}",
                "about": "vous m'avez dit : « {v} »", "and": " et ",
                "no_name": "vous ne m'avez pas encore dit votre nom",
                "no_employer": "vous ne m'avez pas encore dit où vous travaillez",
                "no_role": "vous ne m'avez pas encore dit ce que vous faites dans la vie",
                "no_place": "vous ne m'avez pas encore dit où vous habitez",
                "no_origin": "vous ne m'avez pas encore dit d'où vous venez",
                "no_study": "vous ne m'avez pas encore dit ce que vous étudiez",
                "no_goal": "vous ne m'avez pas encore parlé de vos objectifs",
                "no_person": "vous ne m'avez pas encore parlé de {poss} {rel}",
                "no_about": "je ne crois pas que vous m'ayez parlé de {v}",
                "no_said": "pardon, je ne m'en souviens pas. Vous pouvez me le redire ?",
                "no_all": "vous ne m'avez pas encore beaucoup parlé de vous"},
}
_SAME_PERSON = [words(group) for group in (
    "manager boss supervisor team_lead team_leader line_manager chef cheffe patron patronne "
    "responsable superieur superieure", "jefe jefa gerente supervisor supervisora",
    "mom mum mother", "dad father", "mama madre", "papa padre pere", "maman mere",
    "esposo marido", "esposa mujer", "soeur sœur", "femme epouse")]
_NOT_KEYWORDS = words(
    "i me my mine you your the a an of on in at to about did do does say said tell told mention "
    "mentioned are is was were have has how many much long been with for and again mi mis el "
    "la los las de del en que te dije sobre yo tengo llevo un una mon ma mes le les du des je "
    "j' t'ai vous ai dit sur propos combien what which where who when remember recall remind "
    "already earlier today thing gave give talked talk acuerdas recuerdas conte quoi ce souviens "
    "rappelles raconte tu")
_YOU = {"i": "you", "i'm": "you're", "im": "you're", "i've": "you've", "i'd": "you'd",
        "i'll": "you'll", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
        "am": "are", "we": "you", "we're": "you're", "we've": "you've", "our": "your", "us": "you"}
_YOUR = {"en": {"my": "your", "our": "your"}, "es": {"mi": "tu", "mis": "tus"},
         "fr": {"mon": "ton", "ma": "ta", "mes": "tes"},
         "fr_vous": {"mon": "votre", "ma": "votre", "mes": "vos"}}


class _Recalled:
    """The answer to one recall question, built topic by topic: what the user told (said back
    in one sentence) and what they have not told (said honestly, one sentence each)."""

    def __init__(self, facts: list[UserFact], gists: list[str], lang: str, question: str,
                 style: str) -> None:
        self.facts, self.gists, self.lang, self.question = facts, gists, lang, question
        self.last = {f.kind: f for f in facts}
        self.style, self.say = style, _SAY[style]  # style: the language, or "fr_vous"
        self.known: list[str] = []
        self.unknown: list[str] = []

    def add(self, topic: RecallTopic) -> None:
        last, say = self.last, self.say
        if topic.kind == "all":
            for kind in ("name", "employer", "place", "origin", "study", "goal"):
                self._one(kind, quiet=True)
            for fact in self.facts:
                if fact.kind == "person":
                    self._tell(self._person(fact))
            if not self.known:
                self.unknown.append(say["no_all"])
        elif topic.kind == "person":
            rel = topic.detail.split()[-1]
            found = [f for f in self.facts if f.kind == "person" and _same_person(f, rel)]
            if found:
                self._tell(self._person(found[-1]))
            else:  # French details carry their possessive: "ma soeur"
                poss, _, rel = topic.detail.rpartition(" ") if self.lang == "fr" else (
                    "", "", topic.detail)
                self.unknown.append(say["no_person"].format(rel=self._unfold(rel),
                                                            poss=self._your(poss)))
        elif topic.kind in ("about", "said"):
            self._about(topic.detail, named=topic.kind == "about")
        elif topic.kind == "role" and "role" not in last and ("employer" in last
                                                              or "field" in last):
            self._one("employer")
            self.unknown.append(say["no_role"])
        else:
            self._one(topic.kind)

    def _one(self, kind: str, *, quiet: bool = False) -> None:
        """Say back the fact of `kind` (for work: where and as what), or that it was not told."""
        last, say = self.last, self.say
        if kind in ("employer", "role"):
            emp, role = last.get("employer") or last.get("field"), last.get("role")
            if emp is None and role is None:
                if not quiet:
                    self.unknown.append(say[f"no_{kind}"])
                return
            if emp is None:
                self._tell(say["role"].format(v=self._role(role)))
                if kind == "employer" and not quiet:
                    self.unknown.append(say["no_employer"])
                return
            line = say["employer"].format(v=_at(_prep(emp, self.lang), emp.value))
            self._tell(line + (say["as"].format(v=self._role(role)) if role else ""))
            return
        fact = last.get(kind) or (last.get("learning") if kind == "study" else None)
        if fact is None:
            if not quiet:
                self.unknown.append(say[f"no_{kind}"])
            return
        value = fact.value
        if kind in ("place", "origin") and self.lang != "en":
            value = _at(_prep(fact, self.lang), value)
        self._tell(say["learning" if fact.kind == "learning" else kind].format(v=value))

    def _role(self, role: UserFact | None) -> str:
        assert role is not None
        return _with_article(role.value) if self.lang == "en" else role.value

    def _person(self, fact: UserFact) -> str:
        said = fact.value.split()
        name = [w for w in said[1:] if w[:1].isupper()]
        rel = " ".join(said[1:len(said) - len(name)])
        return self.say["person"].format(rel=rel, v=" ".join(name), poss=self._your(said[0]))

    def _your(self, possessive: str) -> str:
        return _YOUR[self.style].get(fold(possessive), possessive)

    def _about(self, detail: str, *, named: bool) -> None:
        """Say back the clause that best matches `detail`'s words; if none, say so (naming the
        thing when the user named it: "your hobbies")."""
        keys = {_stem(w) for w in detail.split() if w not in _NOT_KEYWORDS}
        best, score = "", 0
        candidates = self.gists + [f.said for f in self.facts]  # on a tie, a fact's clause
        for said in candidates:
            hits = len(keys & {_stem(w) for w in fold(said).split()})
            if hits and hits >= score:
                best, score = said, hits
        if best:
            best = best.rstrip(" .!?…")
            self._tell(self.say["about"].format(v=_you(best) if self.lang == "en" else best))
        elif named:
            thing = " ".join(_YOUR[self.style].get(w, w) for w in detail.split())
            self.unknown.append(self.say["no_about"].format(v=self._unfold(thing)))
        else:
            self.unknown.append(self.say["no_said"])

    def _unfold(self, text: str) -> str:
        """Words of the folded `text` as the user wrote them ("equipe" -> "équipe")."""
        written = {fold(w): w for w in re.findall(r"[\w'-]+", clean(self.question))}
        return " ".join(written.get(w, w) for w in text.split())

    def _tell(self, line: str) -> None:
        if line not in self.known:
            self.known.append(line)

    def spoken(self) -> str:
        sentences = []
        if self.known:
            head, tail = self.known[:-1], self.known[-1]
            body = f"{', '.join(head)}{self.say['and']}{tail}" if head else tail
            sentences.append(body)
        sentences += [u for u in self.unknown if u not in sentences]
        return " ".join(s[:1].upper() + s[1:] + ("" if s.endswith(("?", ".")) else ".")
                        for s in sentences)


def _same_person(fact: UserFact, rel: str) -> bool:
    said = fold(fact.value)
    return f" {rel} " in f" {said} " or any(
        rel in group and any(w in group for w in said.split()) for group in _SAME_PERSON)


def _stem(word: str) -> str:
    word = fold(word).strip(".,!?;:«»\"")
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _you(said: str) -> str:
    """The user's words said back to them: "I lead our team" -> "you lead your team"."""
    out, previous = [], ""
    for word in said.rstrip(" .!?").split():
        low = word.lower()
        swapped = "were" if low == "was" and previous in ("i", "we") else _YOU.get(low, word)
        out.append(swapped)
        previous = low
    return " ".join(out)
