"""The English words the recaster knows, and the verb forms made from them.

The recaster corrects only words it knows: a verb it can conjugate for sure, a noun it knows
is countable and singular. A word outside these lists is left as the learner said it, which
costs a missed recast, never a false one.
"""

from __future__ import annotations

import re

from .recast_text import word_set

# base, past, past participle. Verbs whose past is their base ("put") are here so that "I put it
# there yesterday" is known to be past already.
_IRREGULAR = """
arise arose arisen; be was been; bear bore borne; beat beat beaten; become became become
begin began begun; bend bent bent; bet bet bet; bite bit bitten; bleed bled bled
blow blew blown; break broke broken; bring brought brought; build built built
burst burst burst; buy bought bought; cast cast cast; catch caught caught
choose chose chosen; come came come; cost cost cost; creep crept crept; cut cut cut
deal dealt dealt; dig dug dug; do did done; draw drew drawn; drink drank drunk
drive drove driven; eat ate eaten; fall fell fallen; feed fed fed; feel felt felt
fight fought fought; find found found; flee fled fled; fly flew flown; forbid forbade forbidden
forget forgot forgotten; forgive forgave forgiven; freeze froze frozen; get got got
give gave given; go went gone; grow grew grown; hang hung hung; have had had; hear heard heard
hide hid hidden; hit hit hit; hold held held; hurt hurt hurt; keep kept kept; know knew known
lay laid laid; lead led led; leave left left; lend lent lent; let let let; light lit lit
lose lost lost; make made made; mean meant meant; meet met met; pay paid paid; put put put
quit quit quit; read read read; ride rode ridden; ring rang rung; rise rose risen; run ran run
say said said; see saw seen; seek sought sought; sell sold sold; send sent sent; set set set
shake shook shaken; shine shone shone; shoot shot shot; show showed shown; shut shut shut
sing sang sung; sink sank sunk; sit sat sat; sleep slept slept; slide slid slid
speak spoke spoken; spend spent spent; split split split; spread spread spread
stand stood stood; steal stole stolen; stick stuck stuck; sting stung stung; strike struck struck
swear swore sworn; sweep swept swept; swim swam swum; swing swung swung; take took taken
teach taught taught; tear tore torn; tell told told; think thought thought; throw threw thrown
understand understood understood; upset upset upset; wake woke woken; wear wore worn
win won won; write wrote written
"""
IRREGULAR: dict[str, tuple[str, str]] = {
    base: (past, pp)
    for base, past, pp in (row.split() for row in re.split(r"[;\n]", _IRREGULAR) if row.strip())
}

REGULAR = word_set("""
accept add admire agree allow answer appear apply arrange arrive ask attend bake behave believe
belong book borrow brush call carry celebrate change chat check clean climb close collect
compare complain complete cook copy count cover crash create cross cry cycle dance decide
deliver depend describe design die discover download drop earn email end enjoy enter escape
explain fail fill finish fix follow graduate greet guess happen hate help hope hug hurry
improve invite join jump kick kiss knock laugh learn like listen live look love marry miss move
need notice offer open order paint pass phone pick plan play practice practise pray prefer
prepare print promise pull push rain reach relax remember rent repair repeat reply rest return
save search seem share shop shout smile snow sound start stay step stop study suggest surf talk
taste text thank touch train travel try turn type use visit vote wait walk want wash watch
wish wonder work worry
""")

# Verbs that double their last consonant although they have two syllables (stress at the end).
_DOUBLE = frozenset({"prefer", "refer", "admit", "regret", "permit", "commit", "occur",
                     "control", "equip"})
# Regular spellings that are standard too, or that name another verb: never "overregularised".
_REGULAR_TOO = frozenset({"shine", "light", "hang", "dream", "learn", "burn", "spell", "lay",
                          "wake", "bear", "arise", "show", "swing", "sting", "speed"})


def past_of(base: str) -> str:
    """The simple past: "went", "studied", "stopped", "played", "liked"."""
    if base in IRREGULAR:
        return IRREGULAR[base][0]
    if base.endswith("e"):
        return base + "d"
    if base.endswith("y") and base[-2:-1] not in tuple("aeiou"):
        return base[:-1] + "ied"
    if base in _DOUBLE or _one_syllable_cvc(base):
        return base + base[-1] + "ed"
    return base + "ed"


def _one_syllable_cvc(word: str) -> bool:
    """"stop", "plan", "chat" double their consonant; "rain", "fix", "snow", "visit" do not."""
    groups = re.findall(r"[aeiou]+", word)
    return (len(groups) == 1 and bool(re.search(r"[^aeiou][aeiou][^aeiouwxy]$", word))
            and len(groups[0]) == 1)


def third_of(base: str) -> str:
    """The third person singular: "goes", "watches", "studies", "plays", "has"."""
    if base == "have":
        return "has"
    if base == "be":
        return "is"
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if base.endswith("y") and base[-2:-1] not in tuple("aeiou"):
        return base[:-1] + "ies"
    return base + "s"


VERBS = frozenset(IRREGULAR) | REGULAR
THIRD = {third_of(b): b for b in VERBS}
PAST = {past_of(b): b for b in VERBS}
PARTICIPLES = frozenset(pp for _, pp in IRREGULAR.values()) | frozenset(
    past_of(b) for b in REGULAR)
SAME_PAST = frozenset(b for b, (past, _) in IRREGULAR.items() if past == b)
"""Verbs whose past is their base: a learner saying "I read it yesterday" said it right."""
# "seed", "singed", "bended" (knee) are words of their own.
_NOT_OVERREGULAR = _REGULAR_TOO | SAME_PAST | {"be", "see", "tear", "creep", "lead", "pay", "ring",
                                              "fly", "win", "sing", "bend"}


def _naive_past(base: str) -> str:
    if _one_syllable_cvc(base):
        return base + base[-1] + "ed"
    return base + ("d" if base.endswith("e") else "ed")


OVERREGULAR = {_naive_past(b): b for b in IRREGULAR if b not in _NOT_OVERREGULAR} | {
    "readed": "read", "cutted": "cut", "hitted": "hit", "hurted": "hurt", "winned": "win",
    "flyed": "fly"}
""""goed", "buyed", "runned": a regular ending on an irregular verb."""
PARTICIPLE_ONLY = {pp: b for b, (past, pp) in IRREGULAR.items()
                   if pp not in (past, b) and b not in {"be", "get", "know", "forget"}}
""""seen", "done", "gone": said straight after "I" they stand for the past ("I seen him")."""
PAST_AFTER_DID = {p: b for p, b in PAST.items()
                  if p != b and p not in {"bore", "fell", "lay", "used"}}
""""I didn't went": a past form where the base belongs, after "did"."""

# Saying what one thinks now about then ("Yesterday, I think, was the worst"): not a tense slip.
OPINION = frozenset({"think", "know", "believe", "guess", "mean", "suppose", "remember", "hope",
                     "understand", "wonder", "bet", "say", "reckon", "forget"})
MODALS = frozenset({"can", "could", "will", "would", "shall", "should", "may", "might", "must",
                    "can't", "couldn't", "won't", "wouldn't", "shouldn't", "mustn't", "cannot",
                    "ought", "did", "didn't", "does", "doesn't", "do", "don't", "had", "hadn't",
                    "was", "were", "wasn't", "weren't", "used", "gonna", "wanna"})
BE = frozenset({"am", "is", "are", "was", "were", "be", "been", "being", "isn't", "aren't",
                "wasn't", "weren't", "has", "have", "had", "'s", "will", "would", "can", "could",
                "should", "must", "might", "may", "does", "did", "do"})
ADVERBS = frozenset({"also", "always", "usually", "often", "sometimes", "never", "really",
                     "just", "only", "still", "even", "normally", "generally", "rarely",
                     "seldom", "actually", "finally", "first", "then", "all", "both"})

SG_NOUNS = word_set("""
mother father mom mum dad brother sister son daughter wife husband friend boyfriend girlfriend
boss teacher grandmother grandfather grandma grandpa uncle aunt cousin neighbour neighbor
dog cat baby partner colleague roommate flatmate sister-in-law brother-in-law niece nephew
""")
NOUN_ADJ = frozenset({"little", "big", "older", "younger", "old", "best", "new", "elder",
                      "oldest", "youngest", "baby", "twin"})

PROFESSIONS = word_set("""
teacher doctor engineer nurse student lawyer accountant architect artist designer developer
programmer waiter waitress chef driver mechanic dentist farmer pilot singer writer
journalist scientist pharmacist electrician plumber builder cashier receptionist
photographer musician actor actress translator housewife vet surgeon consultant analyst
economist officer interpreter tutor hairdresser babysitter volunteer intern nanny librarian
""")
PROFESSION_ADJ = word_set("""
english spanish french german italian chinese japanese good new young famous retired
professional software math maths music art history science primary high school university
police taxi bus truck language computer web graphic medical nursing freelance
""")

COUNTABLE = word_set("""
idea question problem day place city country book movie film job decision choice restaurant
hotel person man woman friend thing opportunity story game song party trip house car plan
reason answer example word dog cat brother sister bike boyfriend girlfriend meeting interview
appointment exam test headache cold child son daughter flat apartment garden computer
phone park weekend holiday vacation teacher accident
""")
HAVE_NOUNS = word_set("""
car dog cat brother sister question problem idea boyfriend girlfriend house bike job meeting
interview appointment exam test headache cold son daughter flat apartment garden computer plan
""")
ADJECTIVES = word_set("""
good great bad big small nice beautiful interesting difficult hard easy new little long short
funny boring important serious wonderful amazing fantastic terrible huge cheap expensive
popular famous busy quiet strange different excellent perfect lovely horrible awful
""")

PLACES = word_set("""
cinema beach park supermarket airport station gym mall bank zoo museum library
pharmacy doctor dentist hairdresser pool swimming-pool mountains
""")
COLOURS = word_set("red blue green black white yellow pink purple brown grey gray orange")
NATIONALITIES = word_set("""
english spanish french german italian chinese japanese american british mexican brazilian
russian indian korean
""")
LANGUAGES = frozenset(n for n in NATIONALITIES if n not in
                      {"american", "british", "mexican", "brazilian", "indian"}) | {"portuguese"}
THINGS = word_set("""
car dog cat house dress shirt bag bike book phone flower apple jacket hat table chair box door
room sofa coat skirt umbrella ball bicycle t-shirt
""")
PEOPLE = word_set("friend girl boy man woman teacher boyfriend girlfriend colleague")
SPORTS = word_set("""
football soccer tennis basketball volleyball golf chess guitar piano violin drums cards
""")


def article_for(word: str) -> str:
    """ "a" or "an" by the sound of the next word ("an engineer", "a university")."""
    low = word.lower()
    if low.startswith(("uni", "use", "usu", "eu", "one")):
        return "a"
    if low.startswith(("hour", "honest")):
        return "an"
    return "an" if low[:1] in tuple("aeiou") else "a"

ALL_FORMS = (VERBS | frozenset(THIRD) | frozenset(PAST) | PARTICIPLES | BE | MODALS
             | frozenset({"am", "are", "don't", "doesn't", "isn't", "aren't"}))
"""Every verb form known: a word that ends a subject ("my brother | go")."""
_FUNCTION = word_set("""
i me my we us our you your he him his she her it its they them their the a an this that these
those there here and but so or because when if then also very really yesterday today tomorrow
last next ago now usually always often sometimes never every day week year month night
morning evening afternoon weekend summer winter spring autumn in on at to for with from of by
about after before well actually um oh ah yes no not just only still even that's it's there's
she's he's we're they're nowadays everybody everyone somebody someone nobody two three four
five six seven eight nine ten twenty few
""")
KNOWN = (_FUNCTION | ALL_FORMS | SG_NOUNS | PROFESSIONS | COUNTABLE | ADJECTIVES | PLACES
         | NATIONALITIES | COLOURS | THINGS | PEOPLE | SPORTS | NOUN_ADJ | ADVERBS)
"""Words, not names: lower-cased at the start of the partner's line."""

PRONOUNS = {"i": "1s", "we": "1p", "he": "3s", "she": "3s", "it": "3s", "they": "3p",
            "there": "there"}
"""Subject pronouns and their person ("there" as in "there is")."""
COORD = frozenset({"and", "but", "so", "then", "or"})
SUBORD = frozenset({"because", "cause", "cos", "when", "if", "that", "who", "which", "while",
                    "until", "since", "although", "though", "where", "unless", "whether",
                    "what", "how", "why"})
THAT_VERBS = frozenset({"think", "know", "believe", "hope", "sure", "guess", "feel", "say",
                        "says"})
"""After these a clause follows, with or without "that" ("I think she lives here")."""
