"""Prompt assembly: what the model is told, in which order, and which lorebook facts it gets."""

from __future__ import annotations

import dataclasses

import pytest

from voice_rp.llm import ChatMessage
from voice_rp.personas import Character, Persona, Scenario, builtin_dirs, find_persona
from voice_rp.personas.lorebook import Lorebook, LoreEntry
from voice_rp.prompt import SPEAKING_RULES, build_messages, opening_line, system_prompt


def persona(**fields) -> Persona:
    base = Persona(
        id="mira",
        character=Character(name="Mira", background="A ship captain.", personality="Bold."),
        scenario=Scenario(setting="An airship deck.", objective="Show {{user}} the ropes.",
                          opening_line="Welcome aboard, {{user}}!"),
    )
    return dataclasses.replace(base, **fields)


def lore(*entries: LoreEntry, **fields) -> Lorebook:
    return Lorebook(entries=entries, **fields)


HISTORY = [ChatMessage("assistant", "Welcome aboard!"), ChatMessage("user", "Thanks, captain."),
           ChatMessage("assistant", "The engine room is below us.")]


# --------------------------------------------------------------------------- system prompt


@pytest.mark.parametrize("persona_id", ["behavioural-interviewer", "technical-screener",
                                        "talk-audience", "spanish-partner", "customer-caller"])
def test_every_prompt_asks_for_short_speakable_in_character_replies(persona_id: str) -> None:
    prompt = system_prompt(find_persona(persona_id, builtin_dirs()))
    assert SPEAKING_RULES in prompt
    for rule in ("short sentences", "No markdown, lists, emoji", "numbers, symbols and "
                 "abbreviations as words", "Stay in character"):
        assert rule in prompt
    assert "*" not in prompt and "#" not in prompt


def test_prompt_is_assembled_from_the_persona_fields() -> None:
    p = persona(character=Character(name="Mira", background="A ship captain.",
                                    personality="Bold.", goals="Train crew.",
                                    knowledge="Knots.", speech_style="Salty."),
                scenario=Scenario(setting="Deck.", objective="Teach knots.", opening_line="Hi!",
                                  rules=("No swearing", "Be brief.")))
    prompt = system_prompt(p, user_name="Sam")
    assert prompt.splitlines()[0] == "You are Mira, talking by voice with Sam."
    for line in ("About you: A ship captain.", "Personality: Bold.", "How you speak: Salty.",
                 "Your goals: Train crew.", "You know: Knots.", "Setting: Deck.",
                 "Your task: Teach knots.", "Rules: No swearing. Be brief."):
        assert line in prompt
    assert "Hi!" not in prompt  # the opening line is spoken, not an instruction


def test_user_name_fills_the_user_macro() -> None:
    p = persona()
    assert "Show Sam the ropes." in system_prompt(p, user_name="Sam")
    assert opening_line(p, user_name="Sam") == "Welcome aboard, Sam!"
    assert opening_line(p) == "Welcome aboard, you!"
    assert "{{" not in system_prompt(p)


def test_interviewer_asks_one_question_at_a_time_and_follows_up() -> None:
    prompt = system_prompt(persona(kind="interviewer"))
    assert "one question at a time" in prompt
    assert "If an answer is vague, ask one follow-up" in prompt
    assert "one question at a time" not in system_prompt(persona())


def test_language_partner_replies_in_its_language_at_the_level_with_recasts() -> None:
    prompt = system_prompt(persona(kind="language_partner", language="fr", level="A2"))
    assert "Always reply in French at CEFR level A2" in prompt
    assert "do not explain grammar: say their idea again correctly" in prompt
    english = system_prompt(persona(kind="language_partner", language="en", level="B1"))
    assert "Use simple English at CEFR level B1" in english
    assert "Always reply in" not in english


def test_difficulty_only_adds_words_when_not_neutral() -> None:
    neutral = system_prompt(persona(kind="interviewer"))
    tough = system_prompt(persona(kind="interviewer", difficulty="tough"))
    assert len(tough) > len(neutral) and "demanding" in tough and "demanding" not in neutral


def test_example_dialogue_is_trimmed_and_markers_removed() -> None:
    example = "<START>\n" + "\n".join(f"{{{{user}}}}: Question {n}?\nMira: Answer {n}."
                                      for n in range(60))
    p = persona(character=Character(name="Mira", example_dialogue=example))
    prompt = system_prompt(p)
    assert "<START>" not in prompt
    assert "you: Question 0?" in prompt and "Answer 59." not in prompt
    assert len(prompt) < 1000


# --------------------------------------------------------------------------- messages


def test_message_order_system_history_lore_post_history_user() -> None:
    p = persona(lorebook=lore(LoreEntry(keys=("engine",), content="The engine burns coal.")),
                post_history_instructions="Stay salty, {{user}}.")
    messages = build_messages(p, HISTORY, "How does the engine work?", user_name="Sam")
    assert [m.role for m in messages] == ["system", "assistant", "user", "assistant",
                                          "system", "system", "user"]
    assert messages[0].content == system_prompt(p, user_name="Sam")
    assert messages[1:4] == HISTORY
    assert messages[4].content == "Relevant facts:\nThe engine burns coal."
    assert messages[5].content == "Stay salty, Sam."
    assert messages[6] == ChatMessage("user", "How does the engine work?")


def test_system_prompt_prefix_is_stable_across_turns() -> None:
    p = find_persona("interview-panel", builtin_dirs())
    first, second = p.speakers()
    turn_a = build_messages(p, [], "Hello.", speaker=first)
    turn_b = build_messages(p, [*HISTORY, ChatMessage("user", "Hello.")], "I led a team.",
                            speaker=second)
    assert turn_a[0] == turn_b[0]
    assert turn_b[1 : 1 + len(HISTORY)] == HISTORY


def test_panel_speaker_is_named_just_before_the_user_turn() -> None:
    p = find_persona("interview-panel", builtin_dirs())
    first, second = p.speakers()
    messages = build_messages(p, HISTORY, "I enjoy data work.", speaker=second)
    assert messages[-2].role == "system"
    assert f"Now reply as {second.name} only" in messages[-2].content
    assert second.focus in messages[-2].content
    assert first.name in messages[0].content and second.name in messages[0].content
    assert f"Now reply as {first.name} only" in system_prompt(p, speaker=first)


def test_no_lore_and_no_post_history_means_no_extra_messages() -> None:
    messages = build_messages(persona(), HISTORY, "Hi.")
    assert [m.role for m in messages] == ["system", "assistant", "user", "assistant", "user"]


# --------------------------------------------------------------------------- lorebook


def facts(p: Persona, user_text: str, history=(), **kwargs) -> str:
    messages = build_messages(p, list(history), user_text, **kwargs)
    lore_messages = [m.content for m in messages if m.content.startswith("Relevant facts:")]
    return lore_messages[0] if lore_messages else ""


def test_entry_triggers_on_a_user_keyword_and_others_stay_out() -> None:
    p = persona(lorebook=lore(
        LoreEntry(keys=("dragon", "wyrm"), content="Dragons nest in the north."),
        LoreEntry(keys=("treasure",), content="The treasure is on Gull Island."),
    ))
    text = facts(p, "Have you ever seen a WYRM up close?")
    assert "Dragons nest in the north." in text
    assert "Gull Island" not in text
    assert facts(p, "What a lovely morning.") == ""


def test_keys_match_whole_words_and_respect_case_sensitivity() -> None:
    p = persona(lorebook=lore(
        LoreEntry(keys=("art",), content="Mira paints."),
        LoreEntry(keys=("Kestrel",), content="The Kestrel is a ship.", case_sensitive=True),
    ))
    assert facts(p, "When do we start the party?") == ""
    assert "Mira paints." in facts(p, "Do you like art?")
    assert facts(p, "a kestrel flew by") == ""
    assert "is a ship" in facts(p, "Tell me about the Kestrel.")


def test_selective_disabled_constant_and_regex_entries() -> None:
    p = persona(lorebook=lore(
        LoreEntry(keys=("engine",), secondary_keys=("fuel", "coal"), selective=True,
                  content="It burns coal."),
        LoreEntry(keys=("engine",), content="Secret.", enabled=False),
        LoreEntry(keys=(), content="Mira never lies.", constant=True),
        LoreEntry(keys=(r"\bstorm(s|y)?\b",), content="Storms come at dusk.", use_regex=True),
    ))
    only_engine = facts(p, "Is the engine loud?")
    assert "It burns coal." not in only_engine and "Secret." not in only_engine
    assert "Mira never lies." in only_engine  # constant entries need no key
    assert "It burns coal." in facts(p, "What fuel does the engine use?")
    assert "Storms come at dusk." in facts(p, "Is it stormy tonight?")


def test_budget_keeps_the_highest_priority_entries_in_insertion_order() -> None:
    p = persona(lorebook=lore(
        LoreEntry(keys=("ship",), content="A" * 150, priority=1, insertion_order=1),
        LoreEntry(keys=("ship",), content="B" * 150, priority=9, insertion_order=3),
        LoreEntry(keys=("ship",), content="C" * 150, priority=5, insertion_order=2),
        LoreEntry(keys=("ship",), content="D" * 20, priority=0, insertion_order=0),
    ))
    text = facts(p, "Tell me about the ship.", lore_budget_chars=340)
    kept = text.removeprefix("Relevant facts:\n").split("\n")
    # B (priority 9) and C (5) fill 302 chars; A no longer fits; small D still does.
    assert kept == ["D" * 20, "C" * 150, "B" * 150]
    assert sum(len(k) + 1 for k in kept) <= 340


def test_card_token_budget_tightens_the_budget() -> None:
    entries = [LoreEntry(keys=("ship",), content=f"{n}" * 90) for n in range(5)]
    p = persona(lorebook=lore(*entries, token_budget=50))  # about 200 characters
    kept = facts(p, "ship?").removeprefix("Relevant facts:\n").split("\n")
    assert len(kept) == 2


def test_scan_depth_looks_back_at_recent_messages() -> None:
    entry = LoreEntry(keys=("engine",), content="It burns coal.")
    shallow = persona(lorebook=lore(entry))
    deep = persona(lorebook=lore(entry, scan_depth=2))
    assert facts(shallow, "How old is it?", HISTORY) == ""
    assert "It burns coal." in facts(deep, "How old is it?", HISTORY)
    assert facts(deep, "How old is it?", HISTORY[:2]) == ""  # "engine" is 2 messages back
