"""The French the recaster knows: verbs conjugated with "avoir", number words, and nouns whose
gender learners get wrong.

Nouns are all consonant-initial (before a vowel "le" and "la" both become "l'", so the gender
cannot be heard) and none is also a verb form ("je le porte", "je la gare": there "le" and "la"
are pronouns). Nouns of both genders ("le/la livre", "le/la tour") are left out.
"""

from __future__ import annotations

from .recast_romance import Articles
from .recast_text import word_set

_PERSONS = ("1s", "3s", "1p", "3p")
_VERBS = """
manger: mange mange mangeons mangent / mangé
regarder: regarde regarde regardons regardent / regardé
acheter: achète achète achetons achètent / acheté
travailler: travaille travaille travaillons travaillent / travaillé
parler: parle parle parlons parlent / parlé
jouer: joue joue jouons jouent / joué
visiter: visite visite visitons visitent / visité
écouter: écoute écoute écoutons écoutent / écouté
rencontrer: rencontre rencontre rencontrons rencontrent / rencontré
cuisiner: cuisine cuisine cuisinons cuisinent / cuisiné
préparer: prépare prépare préparons préparent / préparé
étudier: étudie étudie étudions étudient / étudié
appeler: appelle appelle appelons appellent / appelé
téléphoner: téléphone téléphone téléphonons téléphonent / téléphoné
trouver: trouve trouve trouvons trouvent / trouvé
oublier: oublie oublie oublions oublient / oublié
commencer: commence commence commençons commencent / commencé
danser: danse danse dansons dansent / dansé
chanter: chante chante chantons chantent / chanté
nager: nage nage nageons nagent / nagé
voyager: voyage voyage voyageons voyagent / voyagé
gagner: gagne gagne gagnons gagnent / gagné
finir: finis finit finissons finissent / fini
choisir: choisis choisit choisissons choisissent / choisi
voir: vois voit voyons voient / vu
faire: fais fait faisons font / fait
prendre: prends prend prenons prennent / pris
apprendre: apprends apprend apprenons apprennent / appris
boire: bois boit buvons boivent / bu
lire: lis lit lisons lisent / lu
écrire: écris écrit écrivons écrivent / écrit
dormir: dors dort dormons dorment / dormi
perdre: perds perd perdons perdent / perdu
attendre: attends attend attendons attendent / attendu
vendre: vends vend vendons vendent / vendu
entendre: entends entend entendons entendent / entendu
répondre: réponds répond répondons répondent / répondu
dire: dis dit disons disent / dit
mettre: mets met mettons mettent / mis
recevoir: reçois reçoit recevons reçoivent / reçu
"""
PRESENT: dict[str, tuple[str, frozenset[str]]] = {}
"""A present form -> its verb and the persons it serves ("mange": 1s and 3s)."""
PARTICIPLE: dict[str, str] = {}
for _row in _VERBS.strip().splitlines():
    _verb, _forms = _row.split(":")
    _now, _done = _forms.split("/")
    PARTICIPLE[_verb] = _done.strip()
    for _form, _person in zip(_now.split(), _PERSONS, strict=True):
        _persons = PRESENT[_form][1] if _form in PRESENT else frozenset()
        PRESENT[_form] = (_verb, _persons | {_person})

NUMBERS = word_set("""
un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize
vingt trente quarante cinquante soixante quatre-vingt quatre-vingts cent
""")

_MASCULINE = """
problème système travail jour pays musée lycée film restaurant cinéma magasin gâteau chapeau
château bateau vélo train bus stylo café fromage pain lait repas matin soir week-end téléphone
poisson chien chat parc marché thème collège légume verre silence sourire genre rôle prix
bureau métier quartier village pont sac mur toit dîner déjeuner sel niveau
mariage nuage visage garage message stage paysage courage football
"""
_FEMININE = """
voiture maison table ville famille semaine plage chose chambre fleur fenêtre boulangerie
pharmacie banque mer chanson question réponse nuit journée soirée clé pomme musique voix télé
langue tête main salle chaise robe jupe chemise montagne campagne forêt rivière photo fin
cuillère fourchette soupe salade viande bouteille lettre
"""
_DETS = {"le": ("m", "def.s"), "la": ("f", "def.s"), "un": ("m", "ind.s"),
         "une": ("f", "ind.s"), "ce": ("m", "this.s"), "cette": ("f", "this.s"),
         "mon": ("m", "my.s"), "ma": ("f", "my.s"), "son": ("m", "his.s"), "sa": ("f", "his.s")}
_FOLLOW = frozenset({"", ",", "est", "était", "a", "va", "de", "du", "des", "à", "au", "aux",
                     "avec", "pour", "dans", "en", "et", "mais", "qui", "que", "qu'", "sur",
                     "me", "m'", "ne", "n'", "se", "s'", "ici", "là", "parce", "il", "elle",
                     "je", "j'", "ce", "c'", "aujourd'hui", "hier", "demain", "chez", "près",
                     "ou", "depuis", "pendant", "cette"})
ARTICLES = Articles(
    dets=_DETS,
    forms={value: key for key, value in _DETS.items()},
    fused={"du": ("de", "le"), "au": ("à", "le")},
    nouns={noun: (gender, "s") for gender, words in (("m", _MASCULINE), ("f", _FEMININE))
           for noun in words.split()},
    follow=_FOLLOW,
    trailing=frozenset({"est", "était", "a", "va", "de", "à", "avec", "pour", "dans", "en",
                        "sur", "me", "m'", "ne", "n'", "se", "s'", "il", "elle", "je", "j'",
                        "ce", "c'", "chez", "près", "depuis", "pendant"}),
    clitic_after=frozenset({"je", "j'", "tu", "il", "elle", "on", "nous", "vous", "ils",
                            "elles", "ne", "n'", "me", "m'", "te", "t'", "se", "s'", "qui"}),
    copulas=frozenset({"est", "était", "semble", "sont", "reste", "devient"}),
)
