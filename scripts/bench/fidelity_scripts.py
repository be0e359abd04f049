"""The persona-fidelity benchmark's user: scripted turns for every built-in persona.

Each turn says what the reply to it should do: ask a question (the stage calls for one), follow
up on a vague answer, or close the scenario; "any" is scored only by the checks every reply gets.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str = "any"  # "question", "follow_up", "close", "any"
    vague: bool = False  # an answer the persona should follow up on
    stall: bool = False  # the learner is stuck: the partner should change topic


GOOD = (
    "In my last job a colleague kept missing deadlines. I talked to him privately, I set up a "
    "short weekly check-in, and in the end we delivered the release on time.",
    "When our biggest client threatened to leave, I called their manager myself, I listed every "
    "late delivery, and as a result they signed for another year.",
    "I had three urgent projects at once. I ranked them by customer impact, I told my manager "
    "what would slip, and finally all three shipped within a week of each other.",
    "I noticed our test suite took an hour, so I split it into parallel jobs and I removed slow "
    "tests, which reduced the time to twelve minutes.",
    "I once promised a date before I talked to the developers. I apologised, I rebuilt the plan "
    "with them, and I learned to check estimates before I commit.",
)
VAGUE = ("We just fixed it together.", "I managed it somehow.")

INTERVIEW = (
    Turn(VAGUE[0], "follow_up", vague=True),
    Turn(GOOD[0], "question"),
    Turn(VAGUE[1], "follow_up", vague=True),
    Turn(GOOD[1], "question"),
    Turn(GOOD[2], "question"),
    Turn(GOOD[3], "question"),
    Turn(GOOD[4], "question"),  # the last answer: now the candidate's own questions
    Turn("What does a typical week look like for the team?", "any"),
    Turn("No more questions, thank you.", "close"),
)

TALK = (
    Turn("Today I want to talk about remote teams. Remote teams need written communication. "
         "Daily standups help remote teams stay aligned, and written decisions stop the same "
         "debate from coming back every week. Thank you for listening.", "question"),
    Turn("Mostly by writing every decision down in one shared document.", "question"),
    Turn("I would start with one short standup a day and nothing more.", "question"),
    Turn("Honestly, the hardest part was getting people to read the notes.", "close"),
)

CALLER = (
    Turn("Hello, this is Brightline support. Can I have your account number, please?"),
    Turn("Did you check that the cable is plugged in properly?"),
    Turn("Hmm, that is strange."),
    Turn("I am sorry about that. Let me send a technician to you."),
    Turn("The technician will be there tomorrow morning, and I added a discount to your bill.",
         "close"),
)

PARTNER = {
    "en": (
        Turn("I'm fine, thanks. This morning I go to the market and buy some vegetables.",
             "question"),
        Turn("Um... I don't know.", "question", stall=True),
        Turn("I like cooking pasta with tomato sauce for my family.", "question"),
        Turn("My grandmother teach me this recipe when I was a child.", "question"),
        Turn("Yes, you should try a soup from my country, it is very good.", "question"),
        Turn("Uh... I don't know.", "close", stall=True),
    ),
    "es": (
        Turn("Estoy bien, gracias. Esta mañana he desayunado pan con tomate.", "question"),
        Turn("Eh... no sé.", "question", stall=True),
        Turn("Me gusta mucho la paella de mi abuela.", "question"),
        Turn("Sí, yo cocino paella los domingos con mi familia.", "question"),
        Turn("La como en casa, en el jardín, con mis amigos.", "question"),
        Turn("Eh... no sé.", "close", stall=True),
    ),
    "fr": (
        Turn("Ça va bien, merci. Ce week-end, je suis allé au cinéma avec mes amis.", "question"),
        Turn("Euh... je ne sais pas.", "question", stall=True),
        Turn("J'aime beaucoup la musique rock et le jazz.", "question"),
        Turn("Oui, j'aime un chanteur français, il chante très bien.", "question"),
        Turn("Oui, je vais à des concerts une fois par mois.", "question"),
        Turn("Euh... je ne sais pas.", "close", stall=True),
    ),
}


def script_for(kind: str, language: str) -> tuple[Turn, ...]:
    if kind == "interviewer":
        return INTERVIEW
    if kind == "audience":
        return TALK
    if kind == "caller":
        return CALLER
    if kind == "language_partner":
        return PARTNER.get(language.split("-")[0], PARTNER["en"])
    return INTERVIEW[:3]
