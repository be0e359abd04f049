"""Scenario flows as data: the `flow` section of a persona file, parsed with clear errors.

A flow is a list of stages. Each stage tells the persona what to do now (its `instruction`),
may speak a fixed `line` when it begins, may ask questions drawn from the flow's bank (or talk
topics, or questions about the user's talk), and moves on by transitions: after the user has
answered N times, after N follow-ups, when the user says a phrase, after some time in the stage,
or when its questions run out. A stage with `end: true` closes the session after its line.
The engine that runs a flow is `voice_rp.flow.FlowEngine`; docs/personas.md documents the format.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice_rp.errors import PersonaError
from voice_rp.personas.defaults import DIFFICULTIES
from voice_rp.personas.fields import Fields, type_name

ASK_KINDS = ("none", "bank", "topics", "talk")
VAGUE_REASONS = ("too_short", "we_only", "no_action", "no_result", "stalled")


@dataclass(frozen=True)
class Question:
    """One question of the bank (or one talk topic), with the follow-ups that belong to it."""

    text: str
    difficulty: tuple[str, ...] = ()  # empty: any difficulty
    follow_ups: tuple[str, ...] = ()
    # The same question in plainer words, for a user who asks to repeat or simplify it;
    # empty: the engine has no plainer wording and says `text` again.
    simpler: str = ""


@dataclass(frozen=True)
class Fact:
    """A fixed answer the persona gives when the user asks about something (an order number)."""

    when: tuple[str, ...]  # any of these phrases in the user's words
    say: str


@dataclass(frozen=True)
class Transition:
    """Leave the stage for `to` when the one condition holds."""

    to: str
    after_answers: int | None = None  # user turns in this stage
    after_follow_ups: int | None = None  # follow-ups the engine asked in this stage
    on_phrase: tuple[str, ...] = ()  # the user says one of these
    after_s: float | None = None  # seconds since the stage began


@dataclass(frozen=True)
class Stage:
    id: str
    instruction: str
    line: str = ""  # spoken as the stage begins
    lines: tuple[str, ...] = ()  # said one per turn, in order (a caller's complaints)
    ask: str = "none"  # "bank": interview questions; "topics": talk topics; "talk": about the talk
    questions: int = 0  # how many to ask before moving on to `next`
    max_follow_ups: int = 1  # per question, when an answer is vague (0: never)
    transitions: tuple[Transition, ...] = ()
    next: str = ""  # where to go when the questions or lines run out
    end: bool = False  # the session closes after this stage's line


@dataclass(frozen=True)
class Flow:
    stages: tuple[Stage, ...]
    bank: tuple[Question, ...] = ()
    topics: tuple[Question, ...] = ()
    follow_ups: dict[str, tuple[str, ...]] | None = None  # vague reason -> lines
    talk_questions: tuple[str, ...] = ()  # templates with {phrase}: words from the talk
    acknowledgements: tuple[str, ...] = ()  # fallbacks when the model's own fails the checks
    facts: tuple[Fact, ...] = ()

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def questions_for(self, difficulty: str) -> tuple[Question, ...]:
        return tuple(q for q in self.bank if not q.difficulty or difficulty in q.difficulty)


_FLOW = ("stages", "questions", "topics", "follow_ups", "talk_questions", "acknowledgements",
         "facts")
_STAGE = ("id", "instruction", "line", "lines", "ask", "questions", "max_follow_ups",
          "transitions", "next", "end")
_TRANSITION = ("to", "after_answers", "after_follow_ups", "on_phrase", "after_s")
_QUESTION = ("text", "simpler", "difficulty", "follow_ups")
_FACT = ("when", "say")


def parse_flow(top: Fields) -> Flow | None:
    """The persona's `flow` section, or None when the file has none."""
    if not top.has("flow"):
        return None
    f = top.section("flow", _FLOW)
    stages = _list(f, "stages", required=True)
    if not stages:
        raise f.error("stages", "a flow needs at least one stage")
    bank = tuple(_question(f, "questions", n, item)
                 for n, item in enumerate(_list(f, "questions")))
    topics = tuple(_question(f, "topics", n, item) for n, item in enumerate(_list(f, "topics")))
    follow = f.section("follow_ups", VAGUE_REASONS)
    follow_ups = {reason: follow.texts(reason) for reason in VAGUE_REASONS if follow.has(reason)}
    facts = tuple(_fact(f, n, item) for n, item in enumerate(_list(f, "facts")))
    flow = Flow(
        stages=tuple(_stage(f, n, item) for n, item in enumerate(stages)),
        bank=bank, topics=topics, follow_ups=follow_ups or None,
        talk_questions=f.texts("talk_questions"),
        acknowledgements=f.texts("acknowledgements"), facts=facts,
    )
    _check_links(f, flow)
    for n, template in enumerate(flow.talk_questions):
        if "{phrase}" not in template:
            raise PersonaError("a talk question needs {phrase} where the talk's words go",
                               source=f.source, field=f"{f.at('talk_questions')}[{n}]")
    return flow


def _list(f: Fields, key: str, *, required: bool = False) -> list:
    value = f.data.get(key)
    if value is None:
        if required:
            raise f.error(key, "missing required field")
        return []
    if not isinstance(value, list):
        raise f.error(key, f"expected a list, got {type_name(value)}")
    return value


def _item(f: Fields, key: str, n: int, item: object, known: tuple[str, ...]) -> Fields:
    return type(f)(item, source=f.source, path=f"{f.at(key)}[{n}]", known=known)


def _question(f: Fields, key: str, n: int, item: object) -> Question:
    if isinstance(item, str) and item.strip():
        return Question(text=item.strip())
    q = _item(f, key, n, item, _QUESTION)
    levels = q.texts("difficulty")
    for level in levels:
        if level not in DIFFICULTIES:
            raise q.error("difficulty", f"must be among {', '.join(DIFFICULTIES)}, got "
                                        f"{level!r}")
    return Question(text=q.text("text", required=True), difficulty=levels,
                    follow_ups=q.texts("follow_ups"), simpler=q.text("simpler"))


def _fact(f: Fields, n: int, item: object) -> Fact:
    fact = _item(f, "facts", n, item, _FACT)
    when = fact.texts("when")
    if not when:
        raise fact.error("when", "missing required field")
    return Fact(when=when, say=fact.text("say", required=True))


def _stage(f: Fields, n: int, item: object) -> Stage:
    s = _item(f, "stages", n, item, _STAGE)
    end = s.data.get("end", False)
    if not isinstance(end, bool):
        raise s.error("end", f"expected true or false, got {end!r}")
    transitions = tuple(_transition(s, m, t) for m, t in enumerate(_list(s, "transitions")))
    stage = Stage(
        id=s.text("id", required=True),
        instruction=s.text("instruction", required=True),
        line=s.text("line"),
        lines=s.texts("lines"),
        ask=s.choice("ask", ASK_KINDS, "none"),
        questions=s.number("questions", 0, 0, 50, whole=True),
        max_follow_ups=s.number("max_follow_ups", 1, 0, 5, whole=True),
        transitions=transitions,
        next=s.text("next"),
        end=end,
    )
    if stage.ask != "none" and stage.questions == 0:
        raise s.error("questions", f"ask: {stage.ask} needs how many questions to ask")
    if stage.end and (stage.next or stage.transitions):
        raise s.error("end", "an end stage closes the session: it has no next or transitions")
    if stage.end and not stage.line:
        raise s.error("line", "an end stage needs the closing line it says")
    return stage


def _transition(s: Fields, n: int, item: object) -> Transition:
    t = _item(s, "transitions", n, item, _TRANSITION)
    transition = Transition(
        to=t.text("to", required=True),
        after_answers=t.number("after_answers", None, 1, 100, whole=True),
        after_follow_ups=t.number("after_follow_ups", None, 1, 100, whole=True),
        on_phrase=t.texts("on_phrase"),
        after_s=t.number("after_s", None, 1, 4 * 3600),
    )
    conditions = [transition.after_answers, transition.after_follow_ups,
                  transition.on_phrase or None, transition.after_s]
    if sum(c is not None for c in conditions) != 1:
        raise PersonaError("a transition needs exactly one of after_answers, after_follow_ups, "
                           "on_phrase, after_s", source=s.source,
                           field=f"{s.at('transitions')}[{n}]")
    return transition


def _check_links(f: Fields, flow: Flow) -> None:
    """Every stage id is unique, every target exists, and some stage ends the session."""
    ids = [stage.id for stage in flow.stages]
    for n, stage in enumerate(flow.stages):
        if stage.id in ids[:n]:
            raise PersonaError(f"two stages are called {stage.id!r}", source=f.source,
                               field=f"{f.at('stages')}[{n}].id")
    for n, stage in enumerate(flow.stages):
        where = f"{f.at('stages')}[{n}]"
        targets = [("next", stage.next)] + [
            (f"transitions[{m}].to", t.to) for m, t in enumerate(stage.transitions)]
        for key, target in targets:
            if target and target not in ids:
                raise PersonaError(f"no stage is called {target!r}; stages: {', '.join(ids)}",
                                   source=f.source, field=f"{where}.{key}")
        if not stage.end and not stage.next and not stage.transitions:
            raise PersonaError("a stage needs next, transitions or end: true", source=f.source,
                               field=where)
        needs = {"bank": ("questions", flow.bank), "topics": ("topics", flow.topics),
                 "talk": ("talk_questions", flow.talk_questions)}
        if stage.ask in needs and not needs[stage.ask][1]:
            raise PersonaError(f"ask: {stage.ask} needs flow.{needs[stage.ask][0]}",
                               source=f.source, field=f"{where}.ask")
        if stage.ask == "bank" and stage.questions > len(flow.bank):
            raise PersonaError(f"asks {stage.questions} questions but the bank has "
                               f"{len(flow.bank)}", source=f.source, field=f"{where}.questions")
    if not any(stage.end for stage in flow.stages):
        raise f.error("stages", "no stage has end: true, so the session would never close")
