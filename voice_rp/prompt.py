"""Prompt assembly: a persona's fields become a short system prompt and the message list.

The prompt is kept tight because the embedded model (SmolLM2-135M) is tiny and every token
of prompt costs time before the first word is spoken. The system prompt never changes during a
session, so an LLM server can reuse its prefix; what varies per turn (lorebook facts, the
panel member whose turn it is) goes after the history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from voice_rp.llm import ChatMessage
from voice_rp.personas import Persona, Speaker, expand_macros, language_name

# Said in every prompt: the reply is spoken aloud, so it must sound like speech.
SPEAKING_RULES = (
    "You are speaking aloud: reply in one to three short sentences of plain speech. "
    "No markdown, lists, emoji or stage directions. "
    "Say numbers, symbols and abbreviations as words. Stay in character."
)
# Role rules name the other person by role ("the candidate"), not by {{user}}: in a prompt
# that calls the persona "you", a user named "you" would be ambiguous.
_ROLE_RULES = {
    "interviewer": "Ask the candidate one question at a time, then wait for the answer. If an "
    "answer is vague, ask one follow-up for a concrete example before moving on.",
    "audience": "You are listening to a talk. When it ends, ask the speaker one short question "
    "about it at a time.",
    "language_partner": "When the learner makes a mistake, do not explain grammar: say their "
    "idea again correctly inside your reply, then keep the conversation going.",
    "caller": "You are the customer and the person you talk to is the support agent: explain "
    "your problem bit by bit as they ask, and react to what they offer.",
    "character": "",
}
_DIFFICULTY_RULES = {
    "friendly": "Be warm, patient and encouraging.",
    "neutral": "",
    "tough": "Be demanding: push back on vague or weak answers and ask for specifics.",
}
_EXAMPLE_CHARS = 400  # card example dialogues can be long; a taste of the voice is enough
_START = re.compile(r"^\s*<start>\s*$", re.IGNORECASE | re.MULTILINE)


def system_prompt(
    persona: Persona, *, speaker: Speaker | None = None, user_name: str = "you"
) -> str:
    """The system prompt for `persona`; with `speaker`, told to reply as that panel member."""
    # The role comes right after who the persona is: small models follow early lines best.
    lines = [_framing(persona, user_name), *_rules(persona), *_character_sheet(persona),
             SPEAKING_RULES]
    if speaker is not None and persona.panel:
        lines.append(_speaker_line(speaker))
    return _fill(persona, "\n".join(line for line in lines if line), user_name)


def build_messages(
    persona: Persona,
    history: Sequence[ChatMessage],
    user_text: str,
    *,
    speaker: Speaker | None = None,
    lore_budget_chars: int = 600,
    user_name: str = "you",
    memory: str = "",
) -> list[ChatMessage]:
    """System prompt, history, memory, lorebook facts, post-history instructions, user turn.

    `history` is what fits the prompt's budget (voice_rp.memory.HistoryWindow); `memory` is
    what the persona must keep from earlier turns (voice_rp.memory.SessionMemory.render).

    For a panel the system prompt describes the whole panel and stays the same every turn;
    who answers now is said just before the user's message.
    """
    messages = [ChatMessage("system", system_prompt(persona, user_name=user_name)), *history]
    if memory:
        messages.append(ChatMessage("system", f"Remember: {memory}"))
    if persona.lorebook is not None:
        recent = [m.content for m in history if m.role in ("user", "assistant")]
        entries = persona.lorebook.select(user_text, recent, budget_chars=lore_budget_chars)
        if entries:
            facts = "\n".join(_fill(persona, e.content, user_name) for e in entries)
            messages.append(ChatMessage("system", f"Relevant facts:\n{facts}"))
    late = [persona.post_history_instructions]
    if speaker is not None and persona.panel:
        late.append(_speaker_line(speaker))
    late_text = "\n".join(line for line in late if line)
    if late_text:
        messages.append(ChatMessage("system", _fill(persona, late_text, user_name)))
    messages.append(ChatMessage("user", user_text))
    return messages


def opening_line(persona: Persona, *, user_name: str = "you") -> str:
    """What the persona says first, before the user has spoken."""
    return _fill(persona, persona.scenario.opening_line, user_name)


def closing_line(persona: Persona, *, user_name: str = "you") -> str:
    """What the persona says when an ending condition is met ("" if the file gives none)."""
    return _fill(persona, persona.scenario.ending.closing_line, user_name)


def _fill(persona: Persona, text: str, user_name: str) -> str:
    return expand_macros(text, char=persona.name, user=user_name)


def _framing(persona: Persona, user_name: str) -> str:
    partner = f" with {user_name}" if user_name not in ("", "you") else ""
    if persona.panel:
        members = " and ".join(
            f"{m.name} ({m.focus})" if m.focus else m.name for m in persona.panel
        )
        default = f"You play {persona.name}, talking by voice{partner}: {members}. They take turns."
    else:
        default = f"You are {persona.name}, talking by voice{partner}."
    if persona.card_system_prompt:
        return re.sub(r"\{\{\s*original\s*\}\}", lambda _: default, persona.card_system_prompt,
                      flags=re.IGNORECASE)
    return default


def _character_sheet(persona: Persona) -> list[str]:
    c, s = persona.character, persona.scenario
    labelled = [
        ("About you", c.background), ("Personality", c.personality),
        ("How you speak", c.speech_style), ("Your goals", c.goals), ("You know", c.knowledge),
        ("Setting", s.setting), ("Your task", s.objective),
    ]
    lines = [f"{label}: {value}" for label, value in labelled if value]
    if s.rules:
        lines.append("Rules: " + " ".join(_sentence(rule) for rule in s.rules))
    example = _START.sub("", c.example_dialogue).strip()
    if example:
        if len(example) > _EXAMPLE_CHARS:
            example = example[:_EXAMPLE_CHARS].rsplit("\n", 1)[0]
        lines.append(f"Example of how you talk:\n{example}")
    return lines


def _rules(persona: Persona) -> list[str]:
    lines = [_ROLE_RULES[persona.kind], _DIFFICULTY_RULES[persona.difficulty]]
    language = language_name(persona.language)
    level = f" at CEFR level {persona.level}" if persona.level else ""
    if persona.language.split("-")[0].lower() != "en":
        lines.append(f"Always reply in {language}{level}, even when spoken to in another "
                     "language." + (" Use short sentences and everyday words." if level else ""))
    elif level:
        lines.append(f"Use simple English{level}: short sentences and everyday words.")
    return lines


def _speaker_line(speaker: Speaker) -> str:
    focus = f" Your focus: {speaker.focus}." if speaker.focus else ""
    return f"Now reply as {speaker.name} only, without writing your name.{focus}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
