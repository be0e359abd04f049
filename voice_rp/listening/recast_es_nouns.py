"""Spanish nouns whose gender learners get wrong, and the articles that agree with them.

The list holds nouns whose ending misleads ("el problema", "la mano", "la gente") and common
regular ones. Left out: nouns of both genders ("el/la radio", "el/la mar", "el/la arte"),
feminine nouns that take "el" ("el agua"), and nouns that are also verb forms, because "la"
before a verb is a pronoun ("yo la trabajo").
"""

from __future__ import annotations

from collections.abc import Sequence

from .recast_romance import Articles, Persons, gender_recast
from .recast_text import Recast

_MASCULINE = """
problema tema sistema programa idioma día mapa clima planeta sofá poema dilema síntoma esquema
coche café árbol papel hotel hombre restaurante mensaje paisaje garaje lenguaje equipaje
aceite puente postre cine nombre parque valle diente tomate chocolate deporte libro perro gato
año museo mercado vaso barrio pueblo dinero tiempo teléfono coche pie
"""
_FEMININE = """
mano foto moto gente leche noche ciudad clase calle carne llave nube nieve tarde razón canción
televisión lección opinión universidad verdad salud luz nariz piel serie costumbre muerte suerte
frase torre fiebre gripe flor sangre fuente mente casa playa familia escuela semana mesa silla
puerta ventana película música cama cosa voz
"""
_NO_PLURAL = frozenset({"gente", "leche", "salud", "sangre", "dinero", "clima", "nieve",
                        "suerte", "muerte", "gripe", "fiebre", "carne"})


def _plural(noun: str) -> str:
    """ "problema" -> "problemas", "ciudad" -> "ciudades", "canción" -> "canciones"."""
    if noun.endswith("z"):
        return noun[:-1] + "ces"
    if noun[-1] in "aeiouáéó":
        return noun + "s"
    for accented, plain in (("ión", "ion"), ("ón", "on"), ("én", "en")):
        if noun.endswith(accented):
            return noun[: -len(accented)] + plain + "es"
    return noun + "es"


NOUNS: dict[str, tuple[str, str]] = {}
for _gender, _words in (("m", _MASCULINE), ("f", _FEMININE)):
    for _noun in _words.split():
        NOUNS[_noun] = (_gender, "s")
        if _noun not in _NO_PLURAL:
            NOUNS[_plural(_noun)] = (_gender, "p")

_DETS = {"el": ("m", "def.s"), "la": ("f", "def.s"), "los": ("m", "def.p"),
         "las": ("f", "def.p"), "un": ("m", "ind.s"), "una": ("f", "ind.s"),
         "unos": ("m", "ind.p"), "unas": ("f", "ind.p"), "este": ("m", "this.s"),
         "esta": ("f", "this.s"), "estos": ("m", "this.p"), "estas": ("f", "this.p"),
         "ese": ("m", "that.s"), "esa": ("f", "that.s"), "esos": ("m", "that.p"),
         "esas": ("f", "that.p")}
_FOLLOW = frozenset({"", ",", "es", "era", "fue", "está", "estaba", "de", "del", "con", "en",
                     "para", "por", "y", "pero", "que", "a", "al", "no", "me", "te", "se", "le",
                     "lo", "porque", "cuando", "hoy", "ahora", "también", "tiene", "son", "va",
                     "donde", "ayer", "mañana", "o", "aquí", "allí", "ahí", "sobre", "sin"})
ARTICLES = Articles(
    dets=_DETS,
    forms={value: key for key, value in _DETS.items()},
    fused={"del": ("de", "el"), "al": ("a", "el")},
    nouns=NOUNS,
    follow=_FOLLOW,
    trailing=frozenset({"es", "era", "fue", "está", "estaba", "son", "tiene", "va", "no", "me",
                        "se", "le", "lo", "te", "de", "con", "en", "para", "por", "a", "al"}),
    clitic_after=frozenset({"yo", "tú", "él", "ella", "usted", "nosotros", "ellos", "ellas",
                            "ustedes", "no", "se", "me", "te", "nos", "ya", "lo", "le",
                            "también", "nunca", "siempre", "que"}),
    copulas=frozenset({"es", "era", "fue", "está", "estaba", "son", "parece", "eran", "están"}),
)


def es_gender(tokens: Sequence[str], low: Sequence[str], persons: Persons) -> Recast | None:
    """ "la problema" -> "el problema", "de la día" -> "del día"."""
    return gender_recast(tokens, low, ARTICLES, persons)
