"""Spanish recasts: the preterite after a past-time marker ("ayer voy" -> "fui"), the age said
with "tener" ("soy 25 años" -> "tengo 25 años"), "gustar" ("yo gusto" -> "me gusta") and the
gender of an article ("la problema" -> "el problema").

Only verbs whose preterite is certain are changed: "ser", "estar" and "tener" are left alone
because after "ayer" the imperfect ("estaba", "tenía") is as likely as the preterite.
"""

from __future__ import annotations

from collections.abc import Sequence

from .recast_es_nouns import es_gender
from .recast_romance import Marked, Persons, clause_end, clause_start, partner_line, year_marker
from .recast_text import Recast, is_number, join, like_case, sentences, word_set

_PERSONS = ("1s", "3s", "1p", "3p")
_VERBS = """
ir: voy va vamos van / fui fuiste fue fuimos fueron
hacer: hago hace hacemos hacen / hice hiciste hizo hicimos hicieron
ver: veo ve vemos ven / vi viste vio vimos vieron
comer: como come comemos comen / comí comiste comió comimos comieron
beber: bebo bebe bebemos beben / bebí bebiste bebió bebimos bebieron
comprar: compro compra - compran / compré compraste compró compramos compraron
hablar: hablo habla - hablan / hablé hablaste habló hablamos hablaron
trabajar: trabajo trabaja - trabajan / trabajé trabajaste trabajó trabajamos trabajaron
estudiar: estudio estudia - estudian / estudié estudiaste estudió estudiamos estudiaron
visitar: visito visita - visitan / visité visitaste visitó visitamos visitaron
llamar: llamo llama - llaman / llamé llamaste llamó llamamos llamaron
tomar: tomo toma - toman / tomé tomaste tomó tomamos tomaron
cocinar: cocino cocina - cocinan / cociné cocinaste cocinó cocinamos cocinaron
escuchar: escucho escucha - escuchan / escuché escuchaste escuchó escuchamos escucharon
mirar: miro mira - miran / miré miraste miró miramos miraron
terminar: termino termina - terminan / terminé terminaste terminó terminamos terminaron
cenar: ceno cena - cenan / cené cenaste cenó cenamos cenaron
bailar: bailo baila - bailan / bailé bailaste bailó bailamos bailaron
caminar: camino camina - caminan / caminé caminaste caminó caminamos caminaron
viajar: viajo viaja - viajan / viajé viajaste viajó viajamos viajaron
jugar: juego juega - juegan / jugué jugaste jugó jugamos jugaron
llegar: llego llega - llegan / llegué llegaste llegó llegamos llegaron
buscar: busco busca - buscan / busqué buscaste buscó buscamos buscaron
empezar: empiezo empieza - empiezan / empecé empezaste empezó empezamos empezaron
encontrar: encuentro encuentra - encuentran / encontré encontraste encontró encontramos encontraron
limpiar: limpio limpia - limpian / limpié limpiaste limpió limpiamos limpiaron
preparar: preparo prepara - preparan / preparé preparaste preparó preparamos prepararon
ayudar: ayudo ayuda - ayudan / ayudé ayudaste ayudó ayudamos ayudaron
perder: pierdo pierde perdemos pierden / perdí perdiste perdió perdimos perdieron
volver: vuelvo vuelve volvemos vuelven / volví volviste volvió volvimos volvieron
leer: leo lee leemos leen / leí leíste leyó leímos leyeron
escribir: escribo escribe - escriben / escribí escribiste escribió escribimos escribieron
salir: salgo sale - salen / salí saliste salió salimos salieron
dormir: duermo duerme - duermen / dormí dormiste durmió dormimos durmieron
conocer: conozco conoce conocemos conocen / conocí conociste conoció conocimos conocieron
venir: vengo viene - vienen / vine viniste vino vinimos vinieron
decir: digo dice decimos dicen / dije dijiste dijo dijimos dijeron
poder: puedo puede podemos pueden / pude pudiste pudo pudimos pudieron
aprender: aprendo aprende aprendemos aprenden / aprendí aprendiste aprendió aprendimos aprendieron
correr: corro corre corremos corren / corrí corriste corrió corrimos corrieron
recibir: recibo recibe - reciben / recibí recibiste recibió recibimos recibieron
"""
PRESENT: dict[str, tuple[str, str]] = {}
PRETERITE: dict[str, dict[str, str]] = {}
for _row in _VERBS.strip().splitlines():
    _verb, _forms = _row.split(":")
    _now, _then = _forms.split("/")
    PRETERITE[_verb] = dict(zip(("1s", "2s", "3s", "1p", "3p"), _then.split(), strict=True))
    PRESENT.update({form: (_verb, p) for form, p in zip(_now.split(), _PERSONS, strict=True)
                    if form != "-"})

_TIME_UNITS = word_set("""
año mes verano invierno otoño primavera fin de semana lunes martes miércoles jueves viernes
sábado domingo curso
""")
_HACE_UNITS = word_set("""
año años día días mes meses semana semanas hora horas tiempo rato minutos momento
""")
_QUANTITY = word_set("""
un una unos unas dos tres cuatro cinco seis siete ocho nueve diez once doce quince veinte
treinta mucho muchos muchas poco pocos varios varias algunos algunas
""")
_NUMBERS = word_set("""
uno una dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince
dieciséis dieciseis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintidos
veintitrés veintitres veinticuatro veinticinco veintiséis veintiseis veintisiete veintiocho
veintinueve treinta cuarenta cincuenta sesenta setenta ochenta noventa cien
""")
_NOT_BEFORE_MARKER = frozenset({"desde", "hasta", "que", "como", "de", "del", "el", "la"})
_NOW = frozenset({"hoy", "ahora", "siempre", "normalmente", "cada", "todos", "generalmente",
                  "actualmente", "próximo", "próxima", "viene", "este", "esta", "usualmente"})
_BREAKS = frozenset({"y", "pero", "porque", "cuando", "que", "donde", "mientras", "si", "o",
                     "aunque", "entonces", "pues"})
# After these "como" is "I eat"; before anything else it may be "as" ("como siempre").
_EATEN = frozenset({"un", "una", "unos", "unas", "el", "la", "los", "las", "mucho", "mucha",
                    "muchos", "pizza", "pasta", "carne", "pescado", "fruta", "arroz", "en", "con",
                    "algo", "demasiado", "poco", "tacos", "pollo", "ensalada", "sopa", "paella",
                    "tortilla", "pan", "verduras"})
_PEOPLE = word_set("""
hermano hermana madre padre hijo hija abuelo abuela novio novia amigo amiga esposo esposa
marido mujer primo prima tío tía perro gato sobrino sobrina jefe jefa bebé mamá papá
""")
_FLIP = {"mi": "tu", "mis": "tus", "me": "te", "conmigo": "contigo", "mí": "ti",
         "nosotros": "ustedes", "nosotras": "ustedes", "nuestro": "su", "nuestra": "su",
         "nuestros": "sus", "nuestras": "sus"}
_REFUSE = frozenset({"tú", "tu", "tus", "te", "ti", "contigo", "usted", "ustedes", "vosotros",
                     "vosotras", "os", "vuestro", "vuestra", "tuyo", "tuya"})
_FIRST = frozenset({"yo", "nos", "soy", "estoy", "tengo", "era", "estaba", "tenía", "he",
                    "había", "quiero", "puedo", "fui", "estuve", "tuve"}) | frozenset(
    f for f, (_, p) in PRESENT.items() if p in {"1s", "1p"}) | frozenset(
    t[p] for t in PRETERITE.values() for p in ("1s", "1p"))
_KNOWN = frozenset({"ayer", "anoche", "anteayer", "el", "la", "los", "las", "un", "una", "hace",
                    "en", "mi", "mis", "su", "sus", "tu", "ah", "no", "y", "de", "del", "al"}) | (
    frozenset(PRESENT) | frozenset(f for t in PRETERITE.values() for f in t.values()))
PERSONS = Persons(_FLIP, _REFUSE, _FIRST, _BREAKS, _KNOWN)


def recast_es(text: str) -> Recast | None:
    """The first sure Spanish slip in the transcript, said back, or None."""
    for sentence in sentences(text):
        if sentence.question:
            continue
        tokens = [t for t in sentence.tokens if t != "¡"]
        low = [t.lower() for t in tokens]
        for rule in (_past, _age, _gustar):
            made = rule(tokens, low)
            if made is not None:
                return made
        made = es_gender(tokens, low, PERSONS)
        if made is not None:
            return made
    return None


def _markers(low: Sequence[str]) -> list[Marked]:
    found: list[Marked] = []
    for i, word in enumerate(low):
        mark = year_marker(low, i, "en")
        if word in {"ayer", "anoche", "anteayer", "antier"}:
            start = i - 2 if list(low[max(0, i - 2) : i]) == ["antes", "de"] else i
            part_of_day = low[i + 1 : i + 3] == ["por", "la"] and i + 3 < len(low)
            mark = Marked(start, i + 4 if part_of_day else i + 1)
        elif word in {"pasado", "pasada"}:
            j = i
            while j > 0 and low[j - 1] in _TIME_UNITS:
                j -= 1
            if j < i and j > 0 and low[j - 1] in {"el", "la"}:
                mark = Marked(j - 1, i + 1)
        elif word == "hace" and i + 2 < len(low) and (
                low[i + 1] in _QUANTITY or low[i + 1].isdigit()):
            end = i + 3 if low[i + 2] in _HACE_UNITS else (i + 2 if low[i + 1] == "poco" else 0)
            if end and (end >= len(low) or low[end] != "que"):
                mark = Marked(i, end)
        elif word == "otro" and low[i - 1 : i] == ["el"] and low[i + 1 : i + 2] == ["día"]:
            mark = Marked(i - 1, i + 2)
        if mark is not None and (mark.start == 0 or low[mark.start - 1] not in _NOT_BEFORE_MARKER):
            found.append(mark)
    return found


def _subject(tokens: Sequence[str], low: Sequence[str], i: int) -> tuple[int, str | None]:
    """Where an explicit subject at i ends and its person (None: no subject said)."""
    n = len(low)
    word = low[i] if i < n else ""
    if word == "yo":
        return i + 1, "1s"
    if word in {"nosotros", "nosotras"}:
        return i + 1, "1p"
    if word in {"él", "ella"}:
        return i + 1, "3s"
    if word in {"ellos", "ellas"}:
        return i + 1, "3p"
    if word in {"mi", "su", "mis", "sus"} and i + 1 < n:
        if low[i + 2 : i + 4] == ["y", "yo"]:
            return i + 4, "1p"
        return i + 2, "3p" if word.endswith("s") else "3s"
    if 0 < i < n and tokens[i][:1].isupper() and word.isalpha() and word not in _KNOWN:
        return i + 1, "3s"
    return i, None


def _past(tokens: Sequence[str], low: Sequence[str]) -> Recast | None:
    """ "Ayer voy al cine" -> "Ayer fui al cine"."""
    if any(t in _NOW for t in low) or "mañana" in low[:1]:
        return None
    for mark in _markers(low):
        starts = [mark.end + (mark.end < len(low) and low[mark.end] == ",")]
        if mark.start > 0:
            starts.append(clause_start(low, mark.start, _BREAKS))
        for start in starts:
            made = _past_at(tokens, low, start, mark)
            if made is not None:
                return made
    return None


def _past_at(tokens: Sequence[str], low: Sequence[str], start: int, mark: Marked) -> Recast | None:
    end, person = _subject(tokens, low, start)
    verb = end + (end < len(low) and low[end] == "no")
    if verb >= len(low) or low[verb] not in PRESENT:
        return None
    infinitive, said = PRESENT[low[verb]]
    if person != said and not (person is None and said in {"1s", "1p"}):
        return None
    if low[verb] == "como" and (verb + 1 >= len(low) or low[verb + 1] not in _EATEN):
        return None
    if verb < mark.start and any(t in PRESENT for t in low[verb + 1 : mark.start]):
        return None
    past = PRETERITE[infinitive][said]
    new = (*tokens[start:verb], *like_case([past], [tokens[verb]]))
    lo = min(start, mark.start)
    hi = clause_end(low, verb + 1, _BREAKS)
    before = [t for t in tokens[lo:start] if t != ","]
    who = [{"yo": "tú", "mi": "tu", "mis": "tus"}.get(t.lower(), t) for t in tokens[start:end]
           if person != "1s" or t.lower() != "yo"]
    mine = {"1s": "2s", "1p": "3p"}.get(said)
    words = [*before, *who, PRETERITE[infinitive][mine] if mine else past, *tokens[verb + 1 : hi]]
    fixed = range(len(before), len(before) + len(who) + 1)
    if low[start] in {"nosotros", "nosotras"}:
        words[len(before)] = "ustedes"
    line = partner_line(words, PERSONS, fixed=fixed)
    if line is None:
        return None
    return Recast("past_tense", join(tokens[start : verb + 1]), join(new), line)


def _number_end(low: Sequence[str], i: int) -> int:
    """Where a number said at i ends ("25", "treinta y cinco"); i when there is none."""
    j = i
    while j < len(low) and (is_number(low[j], _NUMBERS) or (
            low[j] == "y" and j > i and j + 1 < len(low) and low[j + 1] in _NUMBERS)):
        j += 1
    return j


def _age(tokens: Sequence[str], low: Sequence[str]) -> Recast | None:
    """ "Soy 25 años" -> "Tengo 25 años"; "mi hermano es 30 años" -> "tiene 30 años"."""
    for i, word in enumerate(low):
        if word not in {"soy", "es"}:
            continue
        num_end = _number_end(low, i + 1)
        if num_end == i + 1 or num_end >= len(low) or low[num_end] not in {"años", "año"}:
            continue
        if num_end + 1 < len(low) and low[num_end + 1] not in {",", "y", "pero", "ahora", "ya"}:
            continue
        whose = next((s for s in range(max(0, i - 2), i)
                      if _subject(tokens, low, s) == (i, "3s")), None)
        if word == "soy":
            start = i - 1 if i > 0 and low[i - 1] == "yo" else i
            verb, said = "tengo", "tienes"
        elif whose is None or (i - whose == 2 and low[i - 1] not in _PEOPLE):
            continue  # "mi contrato es 2 años" is how long it lasts, not its age
        else:
            start = whose
            verb = said = "tiene"
        age = tokens[i + 1 : num_end + 1]
        right = (*tokens[start:i], *like_case([verb], [tokens[i]]), *age)
        subject = [{"mi": "tu", "yo": ""}.get(t.lower(), t) for t in tokens[start:i]]
        said_words = [t for t in (*subject, said, *age) if t]
        line = partner_line(said_words, PERSONS, fixed=range(len(said_words)))
        if line is not None:
            return Recast("age", join(tokens[start : num_end + 1]), join(right), line)
    return None


_PLURAL_DETS = frozenset({"los", "las", "mis", "tus", "sus", "estos", "estas", "esos", "esas"})
_SINGULAR_DETS = frozenset({"el", "la", "mi", "tu", "su", "este", "esta", "ese", "esa", "un",
                            "una"})


def _gustar(tokens: Sequence[str], low: Sequence[str]) -> Recast | None:
    """ "Yo gusto la pizza" -> "Me gusta la pizza"; "yo me gusta" -> "me gusta"."""
    for i in range(len(low) - 2):
        if low[i] != "yo" or low[i + 1] not in {"gusto", "me"}:
            continue
        k = i + 2 if low[i + 1] == "gusto" else i + 3
        if low[i + 1] == "me" and low[i + 2] not in {"gusta", "gustan"}:
            continue
        k += k < len(low) and low[k] in {"mucho", "muchísimo", "bastante"}
        what = low[k] if k < len(low) else ""
        infinitive = what.endswith(("ar", "er", "ir")) and len(what) > 3
        if what not in _PLURAL_DETS | _SINGULAR_DETS and not infinitive:
            continue
        verb = "gustan" if what in _PLURAL_DETS else "gusta"
        end = i + 2 if low[i + 1] == "gusto" else i + 3
        right = (*like_case(["me"], [tokens[i]]), verb)
        hi = clause_end(low, end, _BREAKS)
        line = partner_line(["te", verb, *tokens[end:hi]], PERSONS, fixed={0, 1})
        if line is not None:
            return Recast("gustar", join(tokens[i:end]), join(right), line)
    return None
