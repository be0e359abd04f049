"""A fitting response to each kind of user turn: the step between hearing and replying.

Plain logic, no I/O. The turn controller reads the turn (voice_rp.listening.turn_kind), then
asks `respond` what to do: an answer goes to the scenario's flow as before; a question to the
character, a request to say it again, "are you a real person?", "what was my name?", an
off-topic remark or abuse gets its own short line and the current question again, with the
scenario standing still; a stall moves on kindly; distress steps out of the role at once,
points to help and pauses the practice until the user chooses to go on or stop.

What must carry from turn to turn (paused, abuse so far, questions put off to the end) is a
frozen `Listening` value: the controller adopts the new one only once the user heard the reply,
as it does with the flow's state.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from voice_rp.flow import FlowEngine, Step, says
from voice_rp.listening.recast import recast
from voice_rp.listening.turn_kind import NOTHING_SAID, TurnKind, TurnReading, fold
from voice_rp.memory import SessionMemory
from voice_rp.personas import Persona, Speaker
from voice_rp.safety import crisis
from voice_rp.safety.moderation import check_spoken

_ABUSE_LIMIT = 3  # the third insult ends the session
_SLOWER = 0.85  # a plainer wording is also said more slowly


@dataclass(frozen=True)
class Listening:
    """What the session keeps of the user's turns besides the scenario's place."""

    paused: bool = False  # the user said they are in distress; the practice waits for them
    abuse: int = 0
    deferred: tuple[str, ...] = ()  # the candidate's questions, answered at the end
    holds: int = 0  # requests for time in a row that ran out with nothing more said


@dataclass(frozen=True)
class Response:
    """What to do about one user turn."""

    step: Step | None = None  # the scenario's step (with a flow), or a scripted line in `say`
    say: str | None = None  # without a flow: a line said as written; None: the model answers
    closing: bool = False
    end_reason: str = ""  # the session ends after this line, for this reason ("abuse")
    safety: crisis.CrisisResources | None = None  # shown to the user with the line
    rate_scale: float = 1.0  # < 1: said more slowly
    note: str = ""  # for the model, when it writes the reply: what kind of turn this was
    listening: Listening = Listening()


_LINES: dict[str, dict[str, str]] = {
    "en": {
        "ai": "Good question. I'm an AI practice partner, not a real person: {name} is a "
              "character I play so you can practise.",
        "ai_go_on": "Let's go on.",
        "clarify": "Of course. Let me say that again, more simply.",
        "clarify_free": "Of course, let me say that again.",
        "off_topic": "Let's keep our focus on the practice for now.",
        "abuse": "I'd like us to keep this respectful, please.",
        "abuse_again": "I'm happy to go on, but only if we keep it respectful. Once more and "
                       "I'll end the session.",
        "abuse_end": "I'm going to end the session here, because the conversation isn't "
                     "respectful. You can start a new one whenever you like.",
        "defer": "Good question, and I'll make time for your questions at the end.",
        "deferred": "Earlier you asked: \"{question}\"",
        "ask_again": "Go ahead and ask it again, and I'll answer.",
        "back": "Now, back to my question.",
        "ask_back": "And you?",
        "stall": "That's all right. Let's try a different one.",
        "stall_topic": "No problem, let's talk about something else.",
        "farewell": "Take care, {name}.",
        "concern": "That sounds hard. If you want to pause at any point, just say so.",
        "missed": "Sorry, I didn't catch that.",
        "hold": "Take your time, there's no rush.",
        "hold_question": "Take your time, there's no rush. Would you like me to repeat the "
                         "question?",
        "hold_again": "I'm still here whenever you're ready. We can also try a different "
                      "question: just say \"next question\".",
    },
    "es": {
        "ai": "Buena pregunta. Soy una inteligencia artificial, un compañero de práctica, no "
              "una persona real: hago el papel de {name} para que puedas practicar.",
        "ai_go_on": "Sigamos.",
        "clarify": "Claro. Te lo digo otra vez, más fácil.",
        "clarify_free": "Claro, te lo repito.",
        "off_topic": "Volvamos a nuestra práctica.",
        "abuse": "Prefiero que hablemos con respeto, por favor.",
        "abuse_again": "Sigo con gusto, pero solo con respeto. Una vez más y termino la sesión.",
        "abuse_end": "Voy a terminar la sesión aquí, porque la conversación no es respetuosa.",
        "defer": "Buena pregunta. Al final tendremos tiempo para tus preguntas.",
        "deferred": "Antes me preguntaste: \"{question}\"",
        "ask_again": "Pregúntamelo otra vez y te respondo.",
        "back": "Volvamos a mi pregunta.",
        "ask_back": "¿Y tú?",
        "stall": "No pasa nada. Probemos con otra.",
        "stall_topic": "No pasa nada, hablemos de otra cosa.",
        "farewell": "Cuídate mucho, {name}.",
        "concern": "Eso suena duro. Si quieres hacer una pausa en algún momento, dímelo.",
        "missed": "Perdona, no te he oído bien.",
        "hold": "Tómate tu tiempo, no hay prisa.",
        "hold_question": "Tómate tu tiempo, no hay prisa. ¿Quieres que repita la pregunta?",
        "hold_again": "Aquí sigo cuando quieras. También podemos pasar a otra: solo di "
                      "«siguiente pregunta».",
    },
    "fr": {
        "ai": "Bonne question. Je suis une intelligence artificielle, un partenaire "
              "d'entraînement, pas une vraie personne : je joue {name} pour que tu puisses "
              "t'entraîner.",
        "ai_go_on": "Continuons.",
        "clarify": "Bien sûr. Je le redis, plus simplement.",
        "clarify_free": "Bien sûr, je répète.",
        "off_topic": "Revenons à notre exercice.",
        "abuse": "J'aimerais qu'on reste respectueux, s'il te plaît.",
        "abuse_again": "Je veux bien continuer, mais dans le respect. Encore une fois et "
                       "j'arrête la séance.",
        "abuse_end": "J'arrête la séance ici, parce que la conversation n'est pas respectueuse.",
        "defer": "Bonne question, on gardera du temps pour tes questions à la fin.",
        "deferred": "Tout à l'heure, tu m'as demandé : « {question} »",
        "ask_again": "Repose-la et je te réponds.",
        "back": "Revenons à ma question.",
        "ask_back": "Et toi ?",
        "stall": "Ce n'est pas grave. Essayons une autre question.",
        "stall_topic": "Pas de souci, parlons d'autre chose.",
        "farewell": "À bientôt, {name}.",
        "concern": "Ça a l'air dur. Si tu veux faire une pause à un moment, dis-le-moi.",
        "missed": "Pardon, je n'ai pas bien entendu.",
        "hold": "Prends ton temps, rien ne presse.",
        "hold_question": "Prends ton temps, rien ne presse. Tu veux que je répète la question ?",
        "hold_again": "Je suis toujours là quand tu veux. On peut aussi passer à autre chose : "
                      "dis simplement « question suivante ».",
    },
}
_NOTES = {
    TurnKind.QUESTION: "The user asked you a question: answer it briefly, in role.",
    TurnKind.CLARIFY: "The user did not understand: say your last question again in plainer "
                      "words.",
    TurnKind.STALL: "The user is stuck: reassure them briefly and make it easier.",
    TurnKind.OFF_TOPIC: "The user went off topic: reply in one short sentence and bring them "
                        "back.",
}


def paced(speaker: Speaker, rate_scale: float) -> Speaker:
    """`speaker` speaking `rate_scale` times as fast (< 1: more slowly)."""
    if rate_scale == 1.0:
        return speaker
    voice = dataclasses.replace(speaker.voice, rate=speaker.voice.rate * rate_scale)
    return dataclasses.replace(speaker, voice=voice)


def line(key: str, language: str, **values: str) -> str:
    """One of the fixed lines in the persona's language (English where it has none)."""
    table = _LINES.get(language.split("-")[0].lower(), _LINES["en"])
    return table[key].format(**values)


def respond(reading: TurnReading, text: str, *, persona: Persona, state: Listening,
            flow: FlowEngine | None, memory: SessionMemory, now: float, closing: bool = False,
            locale: str = "", last_line: str = "") -> Response:
    """What to do about the user's turn `text`, read as `reading`.

    `flow` is the scenario's engine for this attempt (a copy: it may be changed); `closing`:
    the session's own rules end it now (time is up, the user's end phrase); `last_line`: what
    the persona said last, for a session without a flow.
    """
    out = _respond(reading, text, persona=persona, state=state, flow=flow, memory=memory,
                   now=now, closing=closing, locale=locale, last_line=last_line)
    name = _safe(memory.address(), persona.language)
    if out.closing and name and not out.end_reason and out.step is not None and out.step.say:
        # The goodbye is said to the person, by the name they gave.
        farewell = line("farewell", persona.language, name=name)
        out = dataclasses.replace(out, step=dataclasses.replace(
            out.step, say=f"{out.step.say} {farewell}"))
    return out


def _respond(reading: TurnReading, text: str, *, persona: Persona, state: Listening,
             flow: FlowEngine | None, memory: SessionMemory, now: float, closing: bool,
             locale: str, last_line: str) -> Response:
    lang = persona.language
    kind = reading.kind
    if kind is not TurnKind.HOLD and state.holds:
        state = dataclasses.replace(state, holds=0)  # the user spoke: the next hold is a first
    if kind is TurnKind.DISTRESS:
        help_ = crisis.resources_for(language=lang, locale=locale)
        return _say(crisis.step_out_line(help_, language=lang), flow, state, safety=help_,
                    paused=True, repeat=False)
    if state.paused:
        return _while_paused(text, lang, flow, state, now)
    if closing or kind is TurnKind.STOP:
        return _close(flow, state, now)
    if kind is TurnKind.ABUSE:
        return _abuse(lang, flow, state)
    if kind is TurnKind.AI_CHECK:
        disclosure = line("ai", lang, name=persona.name)
        return _say(f"{disclosure} {line('ai_go_on', lang)}", flow, state)
    if kind is TurnKind.RECALL:
        answer = _safe(memory.recall(text, language=lang) or "", lang)
        return _say(answer, flow, state)
    if kind is TurnKind.CLARIFY:
        if flow is None or not flow.current_question()[0]:
            again = last_line or ""
            return _say(f"{line('clarify_free', lang)} {again}".strip(), None, state,
                        rate_scale=_SLOWER)
        return dataclasses.replace(
            _say(line("clarify", lang), flow, state, simpler=True), rate_scale=_SLOWER)
    if kind is TurnKind.QUESTION:
        return _question(text, persona, flow, state, now)
    # A language partner takes small talk as conversation: it is the practice.
    if (kind is TurnKind.OFF_TOPIC and persona.kind != "language_partner" and flow is not None
            and flow.current_question()[0]):
        return _say(line("off_topic", lang), flow, state)
    if kind is TurnKind.HOLD:
        return _hold(lang, flow, state)
    if kind is TurnKind.STALL and reading.cue == NOTHING_SAID:
        return _say(line("missed", lang), flow, state)  # noise, a cough: say it again
    if kind is TurnKind.STALL and flow is not None:
        return _stall(text, lang, flow, state, now)
    out = _answer(text, kind, persona, flow, state, now)
    if reading.concern and out.step is not None and out.step.say:
        # Heard, not stepped out for: the user knows they can pause, and the practice goes on.
        said = f"{line('concern', lang)} {out.step.say}"
        out = dataclasses.replace(out, step=dataclasses.replace(out.step, say=said,
                                                                acknowledge=False))
    return out


def _say(said: str, flow: FlowEngine | None, state: Listening, *, simpler: bool = False,
         repeat: bool = True, paused: bool = False,
         safety: crisis.CrisisResources | None = None, rate_scale: float = 1.0) -> Response:
    """`said`, then (with a flow) the current question again, the scenario standing still."""
    listening = dataclasses.replace(state, paused=paused)
    if flow is None:
        return Response(say=said, safety=safety, listening=listening, rate_scale=rate_scale)
    step = flow.aside(said, simpler=simpler, repeat=repeat)
    return Response(step=step, safety=safety, listening=listening, rate_scale=rate_scale)


def _hold(lang: str, flow: FlowEngine | None, state: Listening) -> Response:
    """The user asked for time and said nothing more while the floor was held: a holding line,
    nothing asked; asked again and again, the way on is offered."""
    asks = flow is not None and bool(flow.current_question()[0])
    key = "hold_again" if state.holds >= 1 and asks else "hold_question" if asks else "hold"
    return _say(line(key, lang), flow, dataclasses.replace(state, holds=state.holds + 1),
                repeat=False)


def quiet_line(lang: str, state: Listening, flow: FlowEngine | None) -> tuple[Listening, str]:
    """The user has said nothing for a long while after the persona spoke: the holding line (and
    the way on, the second time), counted as a request for time."""
    out = _hold(lang, flow, state)
    said = out.step.say if out.step is not None else out.say
    return out.listening, said or line("hold", lang)


def _while_paused(text: str, lang: str, flow: FlowEngine | None, state: Listening,
                  now: float) -> Response:
    chosen = crisis.choice(text)
    if chosen == "stop":
        return _close(flow, dataclasses.replace(state, paused=False), now)
    if chosen == "continue":
        return _say(crisis.resume_line(language=lang), flow, state)
    return _say(crisis.still_paused_line(language=lang), flow, state, repeat=False, paused=True)


def _close(flow: FlowEngine | None, state: Listening, now: float) -> Response:
    if flow is None:
        return Response(closing=True, listening=state)
    step = flow.finish()
    return Response(step=step, closing=step.closing, listening=state)


def _abuse(lang: str, flow: FlowEngine | None, state: Listening) -> Response:
    count = state.abuse + 1
    state = dataclasses.replace(state, abuse=count)
    if count >= _ABUSE_LIMIT:
        said = line("abuse_end", lang)
        step = Step("closing", say=said, closing=True) if flow is not None else None
        return Response(step=step, say=None if step else said, closing=True,
                        end_reason="abuse", listening=state)
    return _say(line("abuse" if count == 1 else "abuse_again", lang), flow, state)


def _question(text: str, persona: Persona, flow: FlowEngine | None, state: Listening,
              now: float) -> Response:
    lang = persona.language
    fact = character_fact(text, persona)
    interviewing = (flow is not None and persona.kind == "interviewer"
                    and flow.stage.ask == "bank" and bool(flow.current_question()[0]))
    if fact and interviewing and _ABOUT_YOU.search(fold(text)):
        return _say(f"{fact} {line('back', lang)}", flow, state)
    if interviewing:
        deferred = (*state.deferred, text.strip())
        return _say(line("defer", lang), flow, dataclasses.replace(state, deferred=deferred))
    if fact and persona.kind == "language_partner":
        return _say(f"{fact} {line('ask_back', lang)}", flow, state, repeat=False)
    if flow is None:
        if fact:
            return Response(say=fact, listening=state)
        return Response(note=_NOTES[TurnKind.QUESTION], listening=state)  # the model answers
    if persona.kind == "language_partner":  # no fact to go on: the model answers in role
        stage = flow.stage
        return Response(step=Step("free", instruction=stage.instruction, stage=stage.id),
                        note=_NOTES[TurnKind.QUESTION], listening=state)
    # The candidate's turn to ask at the end, a question in a free stage: it counts as the
    # user's turn there (a stage may end after two), answered from a fact when one fits.
    step = flow.on_user_turn(text, now)
    if fact and step.kind == "free":
        step = dataclasses.replace(step, kind="fact", say=fact, acknowledge=False)
    return Response(step=step, note=_NOTES[TurnKind.QUESTION], listening=state)


def _stall(text: str, lang: str, flow: FlowEngine, state: Listening, now: float) -> Response:
    ask = flow.stage.ask
    step = flow.skip(text, now)
    if ask in ("bank", "topics") and step.kind in ("question", "topic"):
        key = "stall" if ask == "bank" else "stall_topic"
        step = dataclasses.replace(step, say=f"{line(key, lang)} {step.say}", acknowledge=False)
    return Response(step=step, note=_NOTES[TurnKind.STALL], listening=state)


def _answer(text: str, kind: TurnKind, persona: Persona, flow: FlowEngine | None,
            state: Listening, now: float) -> Response:
    note = _NOTES.get(kind, "")
    if flow is None:
        return Response(note=note, listening=state)
    before = flow.stage.id
    step = flow.on_user_turn(text, now)
    if persona.kind == "language_partner" and step.acknowledge:
        fix = recast(text, language=persona.language)
        if fix is not None and _safe(fix.line, persona.language):
            # The learner hears their own idea said right, in place of an acknowledgement.
            step = dataclasses.replace(step, say=f"{fix.line} {step.say}", acknowledge=False)
    elif step.kind == "follow_up":
        quoted = _you_said(_safe(said_clause(text), persona.language), persona.language)
        if quoted and not says(step.say, quoted):
            step = dataclasses.replace(step, say=f"{quoted} {step.say}")
    if state.deferred and step.stage != before and not step.closing:
        step = _with_deferred(step, persona, state)
        state = dataclasses.replace(state, deferred=())
    return Response(step=step, note=note, listening=state)


def _with_deferred(step: Step, persona: Persona, state: Listening) -> Step:
    """The candidate's questions put off during the interview, answered as its stage ends."""
    lang = persona.language
    parts = []
    for question in state.deferred[-2:]:
        fact = character_fact(question, persona)
        parts.append(line("deferred", lang, question=question))
        parts.append(fact or line("ask_again", lang))
    return dataclasses.replace(step, say=f"{step.say} {' '.join(parts)}")


def _safe(words: str, language: str) -> str:
    """The user's own words, said back by the persona, only if they are fit to be spoken."""
    return words if words and check_spoken(words, language=language).ok else ""


def character_fact(text: str, persona: Persona) -> str:
    """The persona's answer to a question about `text`, from its facts ("" if none fits)."""
    best, best_len = "", 0
    folded = fold(text)
    candidates: list[tuple[Sequence[str], str]] = [(f.about, f.say) for f in persona.facts]
    if persona.flow is not None:
        candidates += [(f.when, f.say) for f in persona.flow.facts]
    for phrases, answer in candidates:
        for phrase in phrases:
            wanted = fold(phrase)
            if (wanted and len(wanted) > best_len
                    and re.search(rf"(?<!\w){re.escape(wanted)}s?(?!\w)", folded)):
                best, best_len = answer, len(wanted)
    return best


# Asked who she is, an interviewer says so at once; the rest waits for the candidate's turn.
_ABOUT_YOU = re.compile(r"\b(your name|who are you|who am i (talking|speaking)|tu nombre|te "
                        r"llamas|ton nom|t'appelles|vous appelez)\b")
_CLAUSE_SPLIT = re.compile(r"[.,;:!?]|\b(?:and then|but|because|so|although|when|and)\b")
_CLAUSE = re.compile(r"^(i|we) (?!(?:think|guess|mean|believe|don't know|know)\b)(\w+)\b")
_YOU = {"i": "you", "my": "your", "me": "you", "myself": "yourself", "i'm": "you're",
        "i've": "you've", "i'd": "you'd", "i'll": "you'll", "am": "are", "mine": "yours"}


def said_clause(text: str, *, max_words: int = 10) -> str:
    """A short clause of the user's answer that says what they or their team did ("we moved
    the launch by a week"), whole, to quote back in a follow-up; "" if none is short enough to
    quote without cutting it mid-phrase."""
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(text.lower()) if c and c.strip()]
    for clause in reversed(clauses):
        words = clause.split()
        if _CLAUSE.match(clause) and 3 <= len(words) <= max_words:
            return " ".join(words)
    return ""


def _you_said(clause: str, language: str) -> str:
    """The clause turned to the second person, in English only ("" otherwise)."""
    if not clause or language.split("-")[0].lower() != "en":
        return ""
    words = clause.split()
    turned = [_YOU.get(w, w) for w in words]
    if words[0] == "i" and len(words) > 1 and words[1] == "was":
        turned[1] = "were"
    return f"You said {' '.join(turned)}."
