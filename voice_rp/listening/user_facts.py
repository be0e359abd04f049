"""Facts the user states about themselves, and questions asking the persona to recall them.

"My name is Sam and I work at Acme as a data analyst" gives name=Sam, employer=Acme and
role=data analyst; "what was my name again?" asks for one back. English, Spanish and French,
tolerant of Whisper's output (no punctuation, lower-case names, fillers). Precision comes first:
a persona that says "Thank you, Happy" has shown it does not listen, while a fact missed costs
only a less personal line. So every rule is anchored on a first-person phrase, and every value
must look like what it claims to be: a name is not a common word, a role's head is a job, an
employer is a proper name or "a bank".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from voice_rp.listening.fact_words import (
    ADJ_ENDINGS,
    ARTICLES,
    ASKS,
    CLAUSE_SPLIT,
    COMMON,
    CONNECTORS,
    DEMONYMS,
    DISCOURSE,
    FILLERS,
    FIRST_PERSON,
    GOAL_END,
    GREETING,
    NEGATION,
    NOT_BEFORE,
    NUMBER,
    NUMBER_NOT_AFTER,
    ORGS,
    PLACES,
    RECALL_CUES,
    RECALL_MARKED,
    RECALL_MARKERS,
    REL,
    REPORTED,
    ROLE_ENDINGS,
    ROLE_HEADS,
    ROLE_PHRASES,
    SECTORS,
    SPEAKERS,
    TITLES,
    TRAITS,
    VALUE_END,
    fold,
    words,
)

SINGLE_KINDS = frozenset({"name", "role", "employer", "field", "place", "origin", "study",
                          "learning", "goal"})  # a later statement replaces an earlier one


@dataclass(frozen=True)
class UserFact:
    """One thing the user told about themselves."""

    kind: str  # "name", "role", "employer", "field", "place", "origin", "person", "number"...
    value: str  # "Sam", "data analyst", "Acme", "my manager Tom", "five years of experience"
    said: str  # the clause it came from


@dataclass(frozen=True)
class RecallTopic:
    """What a recall question asks for: a fact kind, "person" (detail: the relation, "manager";
    in French with its possessive, "ma sœur"), "about" (detail: what, "my team"), "said" (what
    they said, asked without naming it: "what was the first thing I told you?") or "all"."""

    kind: str
    detail: str = ""


def _value(group: str, lang: str) -> str:
    """A value: the shortest run of words up to a word that starts a new thought."""
    ends = sorted((re.escape(w) for w in VALUE_END[lang].split()), key=len, reverse=True)
    return (rf"(?P<{group}>[^,;:]+?)(?=\s*[,;:]|\s*$|\s+(?:{'|'.join(ends)})"
            r"(?:\b|(?<='))(?!'))")


def _goal(lang: str) -> str:
    return rf"(?=\s*[,;:]|\s*$|\s+(?:{GOAL_END[lang]})\b)"


def _rules(lang: str, patterns: list[str]) -> list[re.Pattern[str]]:
    fills = {g: _value(g, lang) for g in ("name", "iname", "x", "role", "jrole", "emp", "pemp",
                                          "at", "field", "place", "origin", "pname", "study",
                                          "learning")}
    fills |= {"rel": REL[lang], "goal_end": _goal(lang), "im": r"(?:i'm|im|i\s+am)",
              "adv": r"(?:(?:currently|now|actually|also|just|still|really|originally)\s+)?"}
    return [re.compile(p.format(**fills)) for p in patterns]


_RULES = {
    "en": _rules("en", [
        r"\b(?:my\s+(?:first\s+)?name\s+is|my\s+name's|(?:the\s+)?name's|{im}\s+called|"
        r"(?:you\s+can\s+|please\s+|just\s+)?call\s+me|people\s+call\s+me|everyone\s+calls\s+me|"
        r"i\s+go\s+by)\s+(?:actually\s+|just\s+|simply\s+)?{name}",
        r"\b{im}\s+(?:actually\s+)?{iname}(?:\s*,\s*(?:an?|the)\s+{role}(?:\s+(?:at|for|with)\s+"
        r"{emp})?)?",
        r"(?:^|\b(?:hi|hello|hey|yes|yeah)\W+)this\s+is\s+{iname}",
        r"\b(?:{im}|i(?:'ve|\s+have)\s+been)\s+{adv}(?:an?|the)\s+{role}(?:\s+(?:at|for|with)\s+"
        r"{emp})?(?:\s+from\s+{origin})?",
        r"\b(?:i\s+{adv}work|{im}\s+{adv}working)\s+as\s+(?:an?\s+|the\s+)?{jrole}"
        r"(?:\s+(?:at|for|in)\s+{emp})?",
        r"\b(?:i\s+{adv}work|{im}\s+{adv}working|i(?:'ve|\s+have)\s+been\s+working)\s+(?:at|for)"
        r"\s+{emp}(?:\s+as\s+(?:an?\s+|the\s+)?{jrole})?",
        r"\b(?:i\s+{adv}work|{im}\s+{adv}working)\s+in\s+{at}",
        r"\b{im}\s+in\s+{field}",
        r"\bi(?:'ve|\s+have)\s+been\s+(?:at|with)\s+{pemp}",
        r"\b(?:my\s+(?:company|employer)\s+is|{im}\s+employed\s+(?:at|by))\s+{emp}",
        r"\bmy\s+(?:current\s+)?(?:role|job|job\s+title|title|position|occupation|profession)\s+"
        r"is\s+(?:an?\s+|the\s+)?{jrole}",
        r"\b(?:i\s+{adv}(?:live|reside)\s+in|{im}\s+{adv}(?:living|based|staying)\s+in|"
        r"i(?:'ve|\s+have)\s+(?:been\s+living|lived)\s+in|"
        r"i\s+(?:just\s+|recently\s+)?moved\s+to)\s+{place}",
        r"\b(?:{im}\s+{adv}from|i\s+{adv}come\s+from|i\s+was\s+born\s+(?:and\s+raised\s+)?in|"
        r"i\s+grew\s+up\s+in)\s+{origin}",
        r"\bmy\s+(?P<rel>{rel})(?:'s\s+name\s+is|\s*,?\s+(?:is\s+)?(?:named|called)|\s+is|\s*,)?"
        r"\s+{pname}",
        r"\b(?:i\s+{adv}(?:study|studied|majored\s+in)|{im}\s+{adv}studying|i\s+have\s+an?\s+"
        r"(?:degree|master's|masters|bachelor's|phd|diploma)\s+in)\s+{study}",
        r"\b(?:{im}|i(?:'ve|\s+have)\s+been)\s+{adv}learning\s+{learning}",
        r"\b(?:i\s+(?:really\s+)?(?:want|hope|plan|would\s+like)|i'd\s+(?:really\s+)?like|"
        r"{im}\s+(?:hoping|planning))\s+to\s+(?P<goal>(?:become|be|work\s+(?:as|in|at|for)|"
        r"move\s+to|live\s+in|get\s+(?:a|into)|pass|start|open|run|lead|manage|switch|change)"
        r"\b[^,;:]*?){goal_end}",
        r"\bmy\s+(?:main\s+)?(?:goal|dream|plan|aim)\s+is\s+(?:to\s+)?(?P<goal>[^,;:]+?)"
        r"{goal_end}"]),
    "es": _rules("es", [
        r"\b(?:me\s+llamo|mi\s+nombre\s+(?:completo\s+)?es|me\s+llaman|me\s+dicen|"
        r"puedes\s+llamarme|llamame)\s+{name}",
        r"\b(?:yo\s+)?soy\s+(?:(?P<art>un|una)\s+)?{x}(?:\s+(?:en|para)\s+{emp})?",
        r"(?:^|\b(?:hola|buenas|buenos\s+dias)\W+)(?:le\s+|te\s+)?habla\s+{iname}",
        r"\btrabajo\s+(?:actualmente\s+)?como\s+{jrole}(?:\s+(?:en|para)\s+{emp})?",
        r"\btrabajo\s+de\s+{role}(?:\s+(?:en|para)\s+{emp})?",
        r"\b(?:trabajo|estoy\s+trabajando)\s+(?:actualmente\s+)?para\s+{emp}"
        r"(?:\s+como\s+{jrole})?",
        r"\b(?:trabajo|estoy\s+trabajando)\s+(?:actualmente\s+)?en\s+{at}(?:\s+como\s+{jrole})?",
        r"\bmi\s+empresa\s+es\s+{emp}",
        r"\bmi\s+(?:puesto|cargo)\s+es\s+(?:de\s+)?{jrole}",
        r"\b(?:(?:vivo|resido|estoy\s+viviendo)\s+(?:actualmente\s+|ahora\s+)?en|"
        r"me\s+(?:mude|he\s+mudado)\s+a)\s+{place}",
        r"\b(?:soy\s+(?:originalmente\s+|originaria\s+|originario\s+)?(?:de|del)|vengo\s+"
        r"(?:de|del)|naci\s+en|creci\s+en)\s+{origin}",
        r"\bmi\s+(?P<rel>{rel})(?:\s+se\s+llama|\s*,?\s+que\s+se\s+llama|\s*,?\s+llamad[oa]|"
        r"\s+es|\s*,)?\s+{pname}",
        r"\b(?:estudio|estudie|estoy\s+estudiando|soy\s+estudiante\s+de)\s+{study}",
        r"\b(?:estoy\s+aprendiendo|aprendo)\s+{learning}",
        r"\b(?:quiero|me\s+gustaria|quisiera|espero)\s+(?P<goal>(?:ser|llegar\s+a\s+ser|"
        r"convertirme\s+en|trabajar|vivir|mudarme|conseguir|aprobar|abrir|montar|crear)"
        r"\b[^,;:]*?){goal_end}",
        r"\bmi\s+(?:objetivo|meta|sueno)\s+es\s+(?P<goal>[^,;:]+?){goal_end}"]),
    "fr": _rules("fr", [
        r"\b(?:je\s+m'appelle|mon\s+(?:nom|prenom)\s+(?:est|c'est)|moi\s+c'est|on\s+m'appelle|"
        r"appelle-moi|appelez-moi)\s+{name}",
        r"\bje\s+suis\s+(?:(?P<art>un|une)\s+)?{x}(?:\s+(?:chez|pour|a|au|dans)\s+{emp})?",
        r"\bje\s+(?:travaille|bosse)\s+(?:actuellement\s+|maintenant\s+)?(?:comme|en\s+tant\s+"
        r"que)\s+{jrole}(?:\s+(?:chez|pour|a|au|dans)\s+{emp})?",
        r"\bje\s+(?:travaille|bosse)\s+(?:actuellement\s+|maintenant\s+|toujours\s+)?"
        r"(?:chez|pour)\s+{emp}(?:\s+(?:comme|en\s+tant\s+que)\s+{jrole})?",
        r"\bje\s+(?:travaille|bosse)\s+(?:actuellement\s+|maintenant\s+|toujours\s+)?"
        r"(?:a|au|aux|dans|en)\s+{at}(?:\s+(?:comme|en\s+tant\s+que)\s+{jrole})?",
        r"\b(?:j'habite|je\s+reside)\s+(?:actuellement\s+|maintenant\s+)?"
        r"(?:(?:a|au|aux|en|dans)\s+)?{place}",
        r"\b(?:je\s+vis|je\s+suis\s+basee?|je\s+(?:me\s+)?suis\s+installee?)\s+"
        r"(?:actuellement\s+|maintenant\s+)?(?:a|au|aux|en|dans)\s+{place}",
        r"\bje\s+(?:viens|suis\s+originaire|suis)\s+(?:de\s+|d'|du\s+|des\s+){origin}",
        r"\b(?:je\s+suis\s+nee?|j'ai\s+grandi)\s+(?:a|au|aux|en|dans)\s+{origin}",
        r"\b(?:mon|ma)\s+(?P<rel>{rel})(?:\s+s'appelle|\s*,?\s+qui\s+s'appelle|\s+est|\s*,)?"
        r"\s+{pname}",
        r"\b(?:j'etudie|je\s+fais\s+des\s+etudes\s+(?:de\s+|d')|je\s+suis\s+etudiante?\s+en\s+|"
        r"j'ai\s+etudie\s+)\s*{study}",
        r"\b(?:j'apprends|je\s+suis\s+en\s+train\s+d'apprendre)\s+{learning}",
        r"\b(?:je\s+veux|je\s+voudrais|j'aimerais|j'espere)\s+(?P<goal>(?:devenir|etre|"
        r"travailler|vivre|partir|m'installer|obtenir|reussir|passer|ouvrir|creer|trouver)"
        r"\b[^,;:]*?){goal_end}",
        r"\bmon\s+(?:objectif|reve|but)\s*,?\s+(?:est|c'est)\s+(?:de\s+|d')(?P<goal>[^,;:]+?)"
        r"{goal_end}"]),
}


def language_of(language: str) -> str:
    """"es-MX" -> "es"; anything this module does not know reads as English."""
    base = language.split("-")[0].split("_")[0].lower()
    return base if base in _RULES else "en"


def clean(text: str) -> str:
    """Fillers out, plain apostrophes, single spaces: the text the rules read."""
    text = FILLERS.sub("", text.replace("\u2019", "'").replace("\u2018", "'"))
    return " ".join(text.split())


def facts_in(text: str, *, language: str = "en") -> list[UserFact]:
    """The facts `text` states about the speaker, in the order said. Questions state none."""
    lang, said_text = language_of(language), clean(text)
    low, cased = fold(said_text), _is_cased(said_text)
    facts: list[UserFact] = []
    for start, end in _clauses(low, lang):
        clause, clause_low = said_text[start:end], low[start:end]
        asked = _asked_spans(clause_low, lang)
        found: list[tuple[int, UserFact]] = []
        for rule in _RULES[lang]:
            for m in rule.finditer(clause_low):
                if not any(a <= m.start() < b for a, b in asked) and not _vetoed(
                        clause_low, m.start(), lang):
                    found += _read(m, clause, cased, lang)
        for m in NUMBER[lang].finditer(clause_low):
            if _counts(clause_low, m.start(), lang) and not any(a <= m.start() < b
                                                                for a, b in asked):
                found.append((m.start(), UserFact("number", _span(clause, m, "number"),
                                                  clause.strip(" ,.;"))))
        seen: set[tuple[str, str]] = set()
        for _, fact in sorted(found, key=lambda f: f[0]):
            if (fact.kind, fact.value.lower()) not in seen:
                seen.add((fact.kind, fact.value.lower()))
                facts.append(fact)
    return facts


def _is_cased(text: str) -> bool:
    """Whether capitals mean something here: a capital inside a sentence that is not "I"."""
    start = True
    for word in text.split():
        bare = word.lstrip("¿¡\"'(«")
        if (bare[:1].isupper() and not start
                and fold(bare).rstrip(".,!?;:") not in ("i", "i'm", "i've", "i'd", "i'll")):
            return True
        start = word.endswith((".", "!", "?"))
    return False


_SENTENCE_END = r"(?<!\bdr)(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bst)(?<!\bprof)[.!?;]+(?=\s|$)"


def _clauses(low: str, lang: str) -> Iterator[tuple[int, int]]:
    """Spans of the clauses: sentences, and "... and I ..." parts of one."""
    cuts = [(m.end(), m.end()) for m in re.finditer(_SENTENCE_END, low)]
    cuts += [(m.start(), m.end()) for m in re.finditer(CLAUSE_SPLIT[lang], low)]
    start = 0
    for end, after in [*sorted(cuts), (len(low), len(low))]:
        if end > start and low[start:end].strip(" ,.!?;"):
            yield start, end
        start = max(start, after)


def _asked_spans(clause: str, lang: str) -> list[tuple[int, int]]:
    """The comma-separated parts of a clause that ask rather than tell ("what's yours?")."""
    spans, start = [], 0
    parts = clause.split(",")
    for i, part in enumerate(parts):
        body = DISCOURSE.sub("", part.strip())
        if (i == len(parts) - 1 and clause.rstrip().endswith("?")) or ASKS[lang].match(body):
            spans.append((start, start + len(part)))
        start += len(part) + 1
    return spans


def _vetoed(clause: str, start: int, lang: str) -> bool:
    """"I don't...", "if I...", "my boss says I'm...": not the speaker stating a fact."""
    before = clause[:start].split()
    if before and before[-1].strip(",") in NOT_BEFORE[lang]:
        return True
    for m in REPORTED.finditer(clause, 0, start):
        speaker = clause[:m.start()].split()[-1:]
        if not speaker or speaker[0] not in SPEAKERS:
            return True
    return False


def _counts(clause: str, start: int, lang: str) -> bool:
    """A number is a fact about the speaker: said of themselves, not negated, not future."""
    before = clause[:start].split()
    return (not (before and before[-1] in NUMBER_NOT_AFTER)
            and not NEGATION.search(clause[:start]) and bool(FIRST_PERSON[lang].search(clause)))


def _span(clause: str, m: re.Match[str], group: str) -> str:
    return clause[m.start(group):m.end(group)].strip(" .,!?;:")


def _read(m: re.Match[str], clause: str, cased: bool, lang: str) -> list[tuple[int, UserFact]]:
    """The facts one rule's match states, each value checked for what it claims to be."""
    said, prefix = clause.strip(" ,.;"), fold(clause[:m.start()])
    out: list[tuple[int, UserFact]] = []
    lead_ok = True  # an employer after a role counts only if the role did
    for group, raw in m.groupdict().items():
        if raw is None or group in ("rel", "art"):
            continue
        text, kind, value = _span(clause, m, group), group, None
        if group == "name":
            value = _name(text, cased, lang, strong=True)
        elif group == "iname":
            kind, value = "name", _name(text, cased, lang, strong=False, prefix=prefix)
        elif group == "x":
            kind, value = _role_or_name(text, m.group("art"), cased, lang, prefix)
            lead_ok = kind == "role" and value is not None
        elif group in ("role", "jrole"):
            kind, value = "role", _role(text, lang, strong=group == "jrole")
            lead_ok = value is not None
        elif group in ("emp", "pemp"):
            kind = "employer"
            value = _proper(text, cased, lang, ORGS if group == "emp" else frozenset()) \
                if lead_ok else None
        elif group in ("at", "field"):
            kind = "field" if _bare(text) in SECTORS else "employer"
            value = text if kind == "field" else (
                _proper(text, cased, lang, ORGS) if group == "at" else None)
        elif group in ("place", "origin"):
            value = _proper(text, cased, lang, PLACES)
        elif group == "pname":
            name = _name(text, cased, lang, strong=True) if not cased or text[:1].isupper() \
                else None
            kind, value = "person", name and " ".join(
                [clause[m.start():].split()[0].lower(), _span(clause, m, "rel"), name])
        elif group in ("study", "learning"):
            value = text if _subject(text) else None
        elif group == "goal":
            value = text if _goal_ok(text) else None
        if value:
            out.append((m.start(group), UserFact(kind, value, said)))
    return out


def _bare(text: str) -> str:
    """Folded, without a leading article: "le marketing" -> "marketing"."""
    low = fold(text)
    low = low[2:] if low.startswith(("l'", "d'")) else low
    first, _, rest = low.partition(" ")
    return rest if first in ARTICLES and rest else low


def _namelike(word: str, lang: str, *, capital: bool) -> bool:
    """`capital`: the text has meaningful capitals, and a name must have one."""
    low = fold(word)
    if (len(low) < 2 or not low.replace("-", "").replace("'", "").isalpha()
            or low in COMMON or low in ROLE_HEADS or low in SECTORS or low in DEMONYMS):
        return False
    if capital or word[:1].isupper():
        return word[:1].isupper()  # "Ahmed" is a name, though "-ed" ends many verbs
    return not (len(low) > 4 and low.endswith(ADJ_ENDINGS[lang]))


def _name(text: str, cased: bool, lang: str, *, strong: bool, prefix: str = "") -> str | None:
    """A person's name from the words after "my name is" (strong) or "I'm" (weak: in lower-case
    text only when it opens the turn, "hi I'm sam", and is one or two name-like words)."""
    said = text.split()
    title = said.pop(0) if len(said) > 1 and fold(said[0]) in TITLES else ""
    if not said or not _namelike(said[0], lang, capital=cased and not strong) or (
            cased and not strong and said[0] != said[0].capitalize()):
        return None
    kept = said[:1]
    if cased:
        for word in said[1:3]:
            if not _namelike(word, lang, capital=True):
                break
            kept.append(word)
    elif len(said) <= 2 and all(_namelike(w, lang, capital=False) for w in said):
        if not strong and not GREETING.match(prefix):
            return None
        kept = said  # "my name is priya patel", "hi i'm sam"
    elif not strong:
        return None
    return " ".join([title.capitalize()] * bool(title) + [w[:1].upper() + w[1:] for w in kept])


def _role_or_name(text: str, article: str | None, cased: bool, lang: str,
                  prefix: str) -> tuple[str, str | None]:
    """"soy ingeniera" is a role, "soy Lucía" a name, "soy de Lima" neither (an origin rule's)."""
    if _bare(text).split()[0] in ("de", "del", "du", "des"):
        return "role", None
    if (role := _role(text, lang, strong=False)) is not None:
        return "role", role
    return "name", None if article else _name(text, cased, lang, strong=False, prefix=prefix)


def _role(text: str, lang: str, *, strong: bool) -> str | None:
    """A job: its head noun is a job ("data analyst", "head of marketing", "ingeniera de
    software"), not a trait ("a fast learner", "a people person")."""
    said = [fold(w) for w in text.split()]
    if not said or len(said) > 6 or said[0] in COMMON or said[0] in TRAITS:
        return None
    core = said[:next((i for i, w in enumerate(said) if w in ("of", "de", "del", "d'", "du",
                                                                 "des", "en")), len(said))]
    head = (core or said)[-1 if lang == "en" else 0]
    if " ".join(core[-2:]) in ROLE_PHRASES:
        return text
    if head in TRAITS:
        return None
    if head in ROLE_HEADS or (len(head) > 4 and head.endswith(ROLE_ENDINGS[lang])):
        return text
    return text if strong and head not in COMMON and not head.endswith(ADJ_ENDINGS[lang]) else None


def _proper(text: str, cased: bool, lang: str, nouns: frozenset[str]) -> str | None:
    """A proper name ("Acme Corp", "Lyon"), or an article and one of `nouns` ("a bank")."""
    said = text.split()
    low = [fold(w) for w in said]
    if not said or len(said) > 6:
        return None
    if low[0].startswith(("l'", "d'")) and len(low[0]) > 2:
        if cased and said[0][2:3].isupper():
            return text  # "L'Oréal"
        return text if _names_noun([low[0][2:], *low[1:]], nouns) else None
    if low[0] in ARTICLES:
        if len(said) > 1 and cased and said[1][:1].isupper() and said[1] != said[1].lower():
            return text  # "the BBC", "la SNCF"
        return text if _names_noun(low[1:], nouns) else None
    if not low[0][:1].isalpha() or (low[0] in COMMON and not (cased and said[0][:1].isupper())):
        return None
    if cased:
        kept: list[str] = []
        for i, word in enumerate(said):
            if word[:1].isupper() or (kept and low[i] in CONNECTORS and i + 1 < len(said)
                                      and said[i + 1][:1].isupper()):
                kept.append(word)
            else:
                break
        return " ".join(kept) or None
    if lang == "fr" and low[0].endswith(("er", "ir", "re")):
        return None  # "je viens de finir": a verb, not a town
    return " ".join(w if fold(w) in CONNECTORS else w[:1].upper() + w[1:] for w in said)


def _names_noun(low: list[str], nouns: frozenset[str]) -> bool:
    """Whether the words before "of"/"de" hold one of `nouns`: "una empresa de software"."""
    cut = next((i for i, w in enumerate(low) if w in ("of", "de", "d'", "du", "des")), len(low))
    return any(w in nouns for w in low[:cut])


def _subject(text: str) -> bool:
    """What one studies or learns: "computer science", "l'espagnol"; not "hard", "a lot"."""
    low = _bare(text).split()
    return 0 < len(low) <= 5 and low[0] not in COMMON and fold(text.split()[0]) not in (
        "a", "an", "un", "una", "une", "des")


def _goal_ok(text: str) -> bool:
    low = fold(text).split()
    if not 0 < len(low) <= 10:
        return False
    return low[0] not in ("be", "ser", "etre") or (
        len(low) > 1 and (low[1] in ("a", "an", "un", "una", "une") or low[1] in ROLE_HEADS))


_ME = words("me myself mi moi")
_TOLD = ("about", "said")  # asking for what was said rather than for a fact


def recall_topics(text: str, *, language: str = "en") -> list[RecallTopic]:
    """What the user asks the persona to recall of what they said, in the order asked; [] when
    `text` is not such a question ("where do you work?" asks the character, not memory)."""
    lang = language_of(language)
    low = re.sub(r"[¿¡\"«»“”]", " ", fold(clean(text)))
    topics: list[RecallTopic] = []
    for part in _asking_parts(low, lang):
        marked = RECALL_MARKERS[lang].search(part) is not None
        cues = RECALL_CUES[lang] + (RECALL_MARKED[lang] if marked else [])
        found = sorted(((m.start(), kind, m) for kind, cue in cues for m in cue.finditer(part)),
                       key=lambda f: f[0])
        # "what did I tell you about my manager?" asks for the manager: the specific topic
        # inside an "about" question answers it better than the words said.
        found = [(at, kind, m) for at, kind, m in found if kind not in _TOLD or not any(
            other not in _TOLD and at2 >= at for at2, other, _ in found)]
        # One question about what was said: its narrowest reading ("about my team").
        told = sorted((f for f in found if f[1] in _TOLD), key=lambda f: len(f[2]["x"]))
        found = [f for f in found if f[1] not in _TOLD or f is told[0]]
        for _, kind, m in found:
            groups = m.groupdict()
            detail = " ".join(g for g in (groups.get("poss"), groups.get("rel"),
                                          groups.get("x")) if g).strip(" ?.")
            if kind == "about" and detail in _ME:
                kind, detail = "all", ""
            if RecallTopic(kind, detail) not in topics:
                topics.append(RecallTopic(kind, detail))
    return topics


def is_recall_question(text: str, *, language: str = "en") -> bool:
    """Whether `text` asks the persona to recall something the user told ("what was my name
    again?", "¿dónde trabajo?", "tu te souviens où je travaille ?")."""
    return bool(recall_topics(text, language=language))


def _asking_parts(low: str, lang: str) -> Iterator[str]:
    """The comma-separated parts of each sentence that ask something, without "so, wait"."""
    for sentence in re.findall(r"[^.!?;]+[.!?;]*", low):
        asked = sentence.rstrip().endswith("?")
        parts = sentence.strip().rstrip(" .!?;").split(",")
        for i, part in enumerate(parts):
            body = DISCOURSE.sub("", part.strip()).strip()
            if body and ((asked and i == len(parts) - 1) or ASKS[lang].match(body)
                         or any(cue.match(body) for _, cue in RECALL_CUES[lang])):
                yield body
