"""The flow engine: which stage a scenario is in, and what the persona does next.

A plain object: feed it what the user said and the time, and it returns a `Step` (speak this
scripted question, follow up on a vague answer, let the model answer freely, close). It never
calls a model or reads a clock, so its decisions are tested without an event loop. The
conversation asks it once per user turn and turns the step into a spoken reply
(voice_rp.stage_reply).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from voice_rp.fidelity import stalled, vague_reason, words
from voice_rp.personas.scenario import Flow, Question, Stage

# Words a talk question may not be built around: they say nothing about the talk.
_STOP_WORDS = """a an the and or but so if then than that this these those there here it its
is are was were be been being am i you he she we they me my your our their them us him her
to of in on at by for with from about as into over under up down out not no yes do does did
done have has had will would can could should may might must just very really also too more
most some any all each every much many such what which who whom whose when where why how
thank thanks talk today going get got make made like one two well okay um uh because let
let's lets now know think want way thing things lot something need needs help helps stay
stop start come coming back every week day use keep keeps try makes takes gives goes says"""
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Step:
    """What the persona does in reply to one user turn."""

    kind: str  # "question", "follow_up", "topic", "line", "fact", "free", "closing", "aside"
    say: str = ""  # the scripted words, spoken as they are (with a small model)
    question: str = ""  # the question inside `say`, for a capable model to phrase itself
    acknowledge: bool = False  # put a short acknowledgement of the user's words first
    instruction: str = ""  # the stage's instruction, for the model
    stage: str = ""
    closing: bool = False  # the session ends once this is said

    @property
    def expects_question(self) -> bool:
        return self.kind in ("question", "follow_up", "topic")


@dataclass
class _StageState:
    stage: Stage
    started_at: float
    answers: int = 0
    follow_ups: int = 0  # in the stage
    question_follow_ups: int = 0  # for the current question
    asked: int = 0  # questions or topics asked in the stage
    lines_said: int = 0
    current: Question | None = None
    topic_follow_ups: list[str] = field(default_factory=list)


class FlowEngine:
    """Runs one session of a `Flow`. `rng` draws the questions: seed it to repeat a session."""

    def __init__(self, flow: Flow, *, difficulty: str = "neutral",
                 rng: random.Random | None = None, now: float = 0.0) -> None:
        self.flow = flow
        self._rng = rng or random.Random()
        bank = list(flow.questions_for(difficulty)) or list(flow.bank)
        self._rng.shuffle(bank)
        self._bank = bank
        topics = list(flow.topics)
        self._rng.shuffle(topics)
        self._topics = topics
        self._heard: list[str] = []
        self._used_phrases: set[str] = set()
        self._used_follow_ups: set[str] = set()
        self.asked: list[str] = []  # every question put to the user, in order
        self.closed = False
        self._state = _StageState(flow.stages[0], now)

    @property
    def stage(self) -> Stage:
        return self._state.stage

    # -- the session's edges ---------------------------------------------------------------

    def opening(self, opening_line: str) -> str:
        """The opening line, followed by the first stage's first question if it asks one."""
        step = self._begin(self.flow.stages[0], self._state.started_at, line=opening_line)
        return step.say

    def finish(self) -> Step:
        """Close now (the user asked to, or time is up): the end stage's line."""
        end = next(s for s in self.flow.stages if s.end)
        return self._begin(end, self._state.started_at)

    def upcoming(self, questions: int = 2) -> list[str]:
        """Lines the session may say word for word soon: the next questions from the bank, the
        follow-ups that could come, the stages' lines. For making their audio ahead."""
        lines = [q.text for q in self._bank[:questions]]
        current = self._state.current
        for q in ([current] if current is not None else []) + self._bank[:questions]:
            lines.extend(q.follow_ups)
        for options in (self.flow.follow_ups or {}).values():
            lines.extend(options)
        for stage in self.flow.stages:
            lines.extend(line for line in (stage.line, *stage.lines) if line)
        return list(dict.fromkeys(lines))

    def current_question(self) -> tuple[str, str]:
        """The question the user was last asked, and its plainer wording ("" if it has none)."""
        if not self.asked:
            return "", ""
        last = self.asked[-1]
        current = self._state.current
        if current is not None and current.text == last:
            return last, current.simpler
        topic = next((t for t in self.flow.topics if t.text == last), None)
        return last, topic.simpler if topic is not None else ""

    # -- one user turn -----------------------------------------------------------------------

    def aside(self, line: str, *, simpler: bool = False, repeat: bool = True) -> Step:
        """Say `line` (an answer to the user's own question, a boundary, a plainer wording) and
        put the current question again: the scenario does not move, no answer is counted."""
        question, plain = self.current_question() if repeat else ("", "")
        again = (plain or question) if simpler else question
        stage = self.stage
        return Step("aside", say=_join(line, again), question=again, acknowledge=False,
                    instruction=stage.instruction, stage=stage.id)

    def skip(self, text: str, now: float) -> Step:
        """The user cannot answer: the next question or topic, without a follow-up."""
        stage = self.stage
        if self.closed or stage.ask not in ("bank", "topics"):
            return self.on_user_turn(text, now)
        self._state.answers += 1
        self._heard.append(text)
        if stage.ask == "bank":
            return self._next_question(now) or self._leave(now)
        return self._next_topic(now) or self._leave(now)


    def on_user_turn(self, text: str, now: float) -> Step:
        if self.closed:
            return Step("closing", closing=True, stage=self.stage.id)
        state = self._state
        state.answers += 1
        self._heard.append(text)
        target = self._transition(text, now)
        if target is not None:
            return self._begin(self.flow.stage(target), now)
        fact = self._fact(text)
        if fact is not None:
            return Step("fact", say=fact, acknowledge=False, instruction=self.stage.instruction,
                        stage=self.stage.id)
        stage = self.stage
        if stage.ask == "bank":
            return self._interview(text, now)
        if stage.ask == "topics":
            return self._topic(text, now)
        if stage.ask == "talk":
            return self._talk_question(now)
        if state.lines_said < len(stage.lines):
            line = stage.lines[state.lines_said]
            state.lines_said += 1
            return Step("line", say=line, acknowledge=False, instruction=stage.instruction,
                        stage=stage.id)
        if stage.lines and stage.next:
            return self._begin(self.flow.stage(stage.next), now)
        return Step("free", instruction=stage.instruction, stage=stage.id)

    def _transition(self, text: str, now: float) -> str | None:
        state = self._state
        for t in state.stage.transitions:
            if ((t.on_phrase and any(says(text, p) for p in t.on_phrase))
                    or (t.after_answers is not None and state.answers >= t.after_answers)
                    or (t.after_follow_ups is not None and state.follow_ups >= t.after_follow_ups)
                    or (t.after_s is not None and now - state.started_at >= t.after_s)):
                return t.to
        return None

    def _fact(self, text: str) -> str | None:
        for fact in self.flow.facts:
            if any(says(text, phrase) for phrase in fact.when):
                return fact.say
        return None

    # -- stages ----------------------------------------------------------------------------

    def _begin(self, stage: Stage, now: float, *, line: str | None = None) -> Step:
        """Enter `stage`: its line, then its first question when it asks any."""
        self._state = _StageState(stage, now)
        said = stage.line if line is None else line
        if stage.end:
            self.closed = True
            return Step("closing", say=said, stage=stage.id, closing=True)
        first = self._first_question(now)
        if first is not None:
            return Step(first.kind, say=_join(said, first.say), question=first.question,
                        acknowledge=first.acknowledge, instruction=stage.instruction,
                        stage=stage.id)
        if said:
            return Step("line", say=said, instruction=stage.instruction, stage=stage.id)
        return Step("free", instruction=stage.instruction, stage=stage.id)

    def _first_question(self, now: float) -> Step | None:
        ask = self.stage.ask
        if ask == "bank":
            return self._next_question(now)
        if ask == "topics":
            return self._next_topic(now)
        if ask == "talk":
            return self._talk_question(now)
        return None

    def _interview(self, answer: str, now: float) -> Step:
        state = self._state
        reason = vague_reason(answer)
        if reason in ("we_only", "no_result") and not asks_for_story(state.current):
            # "How do you decide what to test?" wants reasoning, not a result or an "I".
            reason = None
        if reason is not None and state.question_follow_ups < state.stage.max_follow_ups:
            follow = self._follow_up(reason, state.current)
            if follow:
                state.follow_ups += 1
                state.question_follow_ups += 1
                return self._ask("follow_up", follow)
        return self._next_question(now) or self._leave(now)

    def _next_question(self, now: float) -> Step | None:
        question = self._take(self._bank)
        if question is None:
            return None
        self._state.question_follow_ups = 0
        return self._ask("question", question.text)

    def _follow_up(self, reason: str, question: Question | None) -> str:
        lines = list((self.flow.follow_ups or {}).get(reason, ()))
        if question is not None:
            lines = lines + list(question.follow_ups)
        fresh = [line for line in lines if line not in self._used_follow_ups]
        choice = self._rng.choice(fresh or lines) if lines else ""
        self._used_follow_ups.add(choice)
        return choice

    def _topic(self, answer: str, now: float) -> Step:
        state = self._state
        if not stalled(answer) and state.topic_follow_ups:
            return self._ask("topic", state.topic_follow_ups.pop(0))
        return self._next_topic(now) or self._leave(now)

    def _next_topic(self, now: float) -> Step | None:
        topic = self._take(self._topics)
        if topic is None:
            return None
        self._state.topic_follow_ups = list(topic.follow_ups)
        return self._ask("topic", topic.text)

    def _talk_question(self, now: float) -> Step:
        state = self._state
        if state.asked >= state.stage.questions:
            return self._leave(now)
        phrase = self._phrase()
        templates = [t for t in self.flow.talk_questions if "{phrase}" in t]
        template = templates[state.asked % len(templates)]
        if phrase is None:  # nothing usable was heard: a question about the talk as a whole
            phrase = "your main point"
        state.asked += 1
        return self._ask("question", template.replace("{phrase}", phrase),
                         acknowledge=state.asked > 1)

    def _take(self, pool: list[Question]) -> Question | None:
        """The next question (or topic) from `pool`, if the stage asks any more."""
        state = self._state
        if state.asked >= state.stage.questions or not pool:
            return None
        state.asked += 1
        state.current = pool.pop(0)
        return state.current

    def _ask(self, kind: str, question: str, *, acknowledge: bool = True) -> Step:
        """Put `question` to the user: it is said as the stage's step."""
        self.asked.append(question)
        stage = self._state.stage
        return Step(kind, say=question, question=question, acknowledge=acknowledge,
                    instruction=stage.instruction, stage=stage.id)

    def _phrase(self) -> str | None:
        """A phrase the speaker said (two or three content words in a row) not asked about yet."""
        counts: dict[str, int] = {}
        said: dict[str, int] = {}
        for n, text in enumerate(self._heard):
            weight = 3 if n == 0 else 1  # the talk itself counts more than the answers after it
            for run in _content_runs(text):
                for size in (3, 2):
                    for i in range(len(run) - size + 1):
                        phrase = " ".join(run[i:i + size])
                        counts[phrase] = counts.get(phrase, 0) + weight
                        said[phrase] = said.get(phrase, 0) + 1
        # Two words make a topic ("remote teams"); three only when the speaker repeats them.
        candidates = {p: c * len(p.split()) for p, c in counts.items()
                      if len(p.split()) == 2 or said[p] >= 2}
        fresh = [p for p in candidates
                 if not any(w in used.split() for used in self._used_phrases for w in p.split())]
        if not fresh:
            return None
        best = max(candidates[p] for p in fresh)
        phrase = self._rng.choice([p for p in fresh if candidates[p] == best])
        self._used_phrases.add(phrase)
        return phrase

    def _leave(self, now: float) -> Step:
        stage = self.stage
        target = stage.next or next(
            (t.to for t in stage.transitions), "") or next(s.id for s in self.flow.stages if s.end)
        return self._begin(self.flow.stage(target), now)


_STORY = re.compile(r"\b(a time|an example|a situation|a project|an incident|a mistake|"
                    r"a production|the hardest|the last project|a decision)\b", re.IGNORECASE)


def asks_for_story(question: Question | None) -> bool:
    """The question asks for something that happened (STAR), not for reasoning or opinion."""
    return question is None or bool(_STORY.search(question.text))


def _content_runs(text: str) -> list[list[str]]:
    """Runs of content words between stop words and punctuation."""
    runs: list[list[str]] = []
    for clause in re.split(r"[.,;:!?]", text):
        run: list[str] = []
        for word in words(clause):
            if word in _STOP or len(word) < 3 or word.isdigit():
                if len(run) >= 2:
                    runs.append(run)
                run = []
            else:
                run.append(word)
        if len(run) >= 2:
            runs.append(run)
    return runs


def says(text: str, phrase: str) -> bool:
    """`phrase` occurs in `text` as whole words, ignoring case and punctuation."""
    said, wanted = " ".join(words(text)), " ".join(words(phrase))
    return bool(wanted) and f" {wanted} " in f" {said} "


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())
