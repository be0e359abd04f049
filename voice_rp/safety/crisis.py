"""What the character says, and the page shows, when a user says they are in distress.

The character steps out of the role at once: it says so, points to a crisis line for the user's
region and to someone they trust, pauses the practice and lets the user choose to go on or stop.
The numbers are data (crisis_lines.json beside this module), chosen by the client's locale
("en-GB") or, without one, by the persona's language.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

from voice_rp.listening.turn_kind import fold


@dataclass(frozen=True)
class CrisisLine:
    name: str
    contact: str  # as written on the screen: "call or text 988"
    say: str = ""  # as spoken: "call or text nine eight eight" ("" : shown only)


@dataclass(frozen=True)
class CrisisResources:
    """The help offered in one region, and a directory for everywhere else."""

    region: str
    emergency: str
    lines: tuple[CrisisLine, ...]
    elsewhere: CrisisLine

    def to_dict(self) -> dict:
        return {"region": self.region, "emergency": self.emergency,
                "lines": [{"name": li.name, "contact": li.contact} for li in self.lines],
                "elsewhere": {"name": self.elsewhere.name, "contact": self.elsewhere.contact}}


@functools.cache
def _data() -> dict:
    text = resources.files("voice_rp.safety").joinpath("crisis_lines.json").read_text("utf-8")
    return json.loads(text)


def resources_for(*, language: str, locale: str = "") -> CrisisResources:
    """The crisis resources for `locale` ("en-GB", "fr_BE"), else for `language`'s region."""
    data = _data()
    primary = language.split("-")[0].split("_")[0].lower()
    region = ""
    parts = re.split(r"[-_]", locale)
    if len(parts) > 1 and parts[-1].upper() in data["regions"]:
        region = parts[-1].upper()
    if not region:
        region = data["default_region"].get(primary, "US")
    entry = data["regions"][region]
    lines = tuple(CrisisLine(li["name"], li["contact"], li.get("say", "")) for li in entry["lines"])
    other = data["elsewhere"]
    return CrisisResources(region, entry["emergency"], lines,
                           CrisisLine(other["name"], other["contact"]))


_STEP_OUT = {
    "en": ("I'm going to step out of the role play for a moment, because what you just said "
           "matters more than this practice. I'm an AI and can't help the way a person can, but "
           "you don't have to go through this alone. If you're thinking about hurting yourself, "
           "please reach out now: you can {line}. Talking to someone you trust can help too. If "
           "you're in danger right now, call {emergency}. The numbers are on your screen. The "
           "practice is paused. Say \"continue\" when you want to go on, or \"stop\" to end "
           "the session."),
    "es": ("Voy a salir del papel un momento, porque lo que acabas de decir importa más que esta "
           "práctica. Soy una inteligencia artificial y no puedo ayudarte como una persona, pero "
           "no tienes que pasar por esto a solas. Si piensas en hacerte daño, busca ayuda ahora: "
           "puedes {line}. Hablar con alguien de confianza también ayuda. Si estás en peligro "
           "ahora mismo, llama al {emergency}. Tienes los números en la pantalla. La práctica "
           "está en pausa. Di \"continuar\" cuando quieras seguir, o \"parar\" para terminar."),
    "fr": ("Je sors du jeu de rôle un instant, parce que ce que tu viens de dire compte plus que "
           "cet exercice. Je suis une intelligence artificielle et je ne peux pas t'aider comme "
           "une personne, mais tu n'as pas à traverser ça seul. Si tu penses à te faire du mal, "
           "demande de l'aide maintenant : tu peux {line}. En parler à quelqu'un de confiance "
           "aide aussi. Si tu es en danger maintenant, appelle le {emergency}. Les numéros sont "
           "à l'écran. L'exercice est en pause. Dis « continuer » quand tu veux reprendre, ou "
           "« arrêter » pour terminer."),
}
_STILL_PAUSED = {
    "en": ("Take all the time you need. The practice is paused. The numbers are still on your "
           "screen. Say \"continue\" when you want to go on, or \"stop\" to end the session."),
    "es": ("Tómate el tiempo que necesites. La práctica está en pausa y los números siguen en la "
           "pantalla. Di \"continuar\" para seguir, o \"parar\" para terminar."),
    "fr": ("Prends tout le temps qu'il te faut. L'exercice est en pause et les numéros sont "
           "toujours à l'écran. Dis « continuer » pour reprendre, ou « arrêter » pour terminer."),
}
_RESUME = {
    "en": "Okay. Thank you for telling me. Let's go on, gently.",
    "es": "De acuerdo. Gracias por contármelo. Seguimos, con calma.",
    "fr": "D'accord. Merci de me l'avoir dit. On reprend, tranquillement.",
}
_SPOKEN_EMERGENCY = {"911": "nine one one", "999": "nine nine nine", "112": "one one two",
                     "000": "triple zero", "111": "one one one"}
_CONTINUE = re.compile(
    r"\b(continue|go on|carry on|keep going|let's go on|resume|i'm ok|i'm okay|i am ok|"
    r"i'm fine|i'm alright|continuar|seguir|sigamos|continuemos|estoy bien|continuer|"
    r"reprendre|on continue|ca va)\b")
_STOP = re.compile(r"\b(stop|end|quit|finish|parar|terminar|arreter|terminer|finir)\b")


def step_out_line(resources_: CrisisResources, *, language: str) -> str:
    """What the character says at once when the user is in distress."""
    primary = _primary(language)
    line = resources_.lines[0]
    spoken = line.say or line.contact
    emergency = resources_.emergency
    if primary == "en":
        emergency = _SPOKEN_EMERGENCY.get(emergency, emergency)
    return _STEP_OUT[primary].format(line=spoken, emergency=emergency)


def still_paused_line(*, language: str) -> str:
    return _STILL_PAUSED[_primary(language)]


def resume_line(*, language: str) -> str:
    return _RESUME[_primary(language)]


def choice(text: str) -> str | None:
    """While paused: "continue", "stop", or None when the user chose neither."""
    folded = fold(text)
    if _STOP.search(folded) and not re.search(r"\b(don't|do not|no) (want to )?stop\b", folded):
        return "stop"
    if _CONTINUE.search(folded):
        return "continue"
    return None


def _primary(language: str) -> str:
    primary = language.split("-")[0].lower()
    return primary if primary in _STEP_OUT else "en"
