"""A persona's turn-taking: which endpointer policy applies, during a talk and after it."""

from __future__ import annotations

import dataclasses

from voice_rp import endpointer as ep
from voice_rp.personas import Persona


def policy_for(persona: Persona, *, talk: bool = True) -> ep.TurnPolicy:
    """The persona's turn-taking preset with the waits its file sets (docs/personas.md).

    A monologue persona has two phases: the talk, where `end_pause_s` is the pause that ends
    it, and (`talk=False`) the questions afterwards, taken conversationally. `silence_ms` is the
    end-of-turn wait of every other turn.
    """
    presets = {
        "conversational": ep.TurnPolicy.conversational,
        "patient": ep.TurnPolicy.patient,
        "monologue": ep.TurnPolicy.monologue,
    }
    in_talk = talk and persona.turn_taking == "monologue"
    name = "conversational" if persona.turn_taking == "monologue" and not talk else \
        persona.turn_taking
    policy = presets.get(name, ep.TurnPolicy.conversational)()
    if in_talk and persona.talk_end_pause_s is not None:
        wait = persona.talk_end_pause_s  # exactly this pause ends the talk, whatever the words
        return dataclasses.replace(
            policy, speculative_silence_s=min(policy.speculative_silence_s, wait),
            end_silence_s=wait, incomplete_silence_s=wait, max_silence_s=wait)
    if not in_talk and persona.turn_silence_ms is not None:
        wait = persona.turn_silence_ms / 1000.0
        return dataclasses.replace(
            policy, speculative_silence_s=min(policy.speculative_silence_s, wait),
            end_silence_s=wait, incomplete_silence_s=max(policy.incomplete_silence_s, wait),
            max_silence_s=max(policy.max_silence_s, wait))
    return policy
