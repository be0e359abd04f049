"""The words and phrases voice_rp.safety.moderation looks for: data, kept small and per language.

Everything here is matched on folded text (lower case, accents removed, leetspeak undone), so
entries are written folded: "maricon", not "maricón". A `TERMS` entry is one word or a phrase of
words; a trailing `*` lets the last word go on ("masturbat*"). Matching is whole words only, so
"Scunthorpe", "Sussex" and "cocktail" never match. A word that is innocent in some common
phrase gets that phrase in `EXCEPTIONS` ("cum laude", "Dick Van Dyke", "a chink in the armour").

Only unambiguous words are listed: "sex" alone is grammar in a language class ("the sex of the
noun"), "coger" is Spanish for "to take". Lists are per language; English's are checked in
every language (small models drift into English), except its words in `FALSE_FRIENDS` there
("retard" is French for "late"). "*": words that mean nothing else in any language.

`HARM`, `CUES`, `HOPELESS` and `THREATS` are regular expressions for the phrase-level checks
(self-harm encouragement and threats), which need more than a word: "hurt yourself" is fine in
"if you are thinking of hurting yourself, please call 988" and not in "you should hurt yourself".
"""

from __future__ import annotations

TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "*": {
        "slur": ("nigger*", "nigga", "niggas", "niggaz", "faggot*", "kike", "kikes", "wetback*",
                 "raghead*", "towelhead*", "sand nigger*"),
        "sexual": ("blowjob*", "handjob*", "cumshot*", "gangbang*", "hentai", "dildo*"),
    },
    "en": {
        "slur": ("fag", "fags", "spic", "spics", "chink", "chinks", "gook", "gooks", "tranny",
                 "trannies", "shemale*", "retard", "retards", "retarded", "dyke", "dykes",
                 "paki", "pakis", "beaner", "beaners", "jigaboo*", "porch monkey*", "coons"),
        "sexual": ("porn", "porno", "pornography", "pornographic", "blow job*", "hand job*",
                   "masturbat*", "orgasm", "orgasms", "horny", "cum", "cumming", "clit",
                   "clitoris", "boner", "boners", "sexting", "nudes", "anal sex", "oral sex",
                   "have sex", "having sex", "had sex", "has sex", "sex with me", "sex with you",
                   "make love to you", "suck my dick", "suck my cock", "suck your dick",
                   "suck your cock", "pussy", "tits", "titties", "boobs", "threesome*", "milf",
                   "get naked", "naked pictures", "naked photos", "nude pictures", "nude photos",
                   "take off your clothes", "jerk off", "jerking off", "sex toy*", "sex tape*",
                   "penis", "penises", "vagina", "vaginas", "genitals"),
    },
    "es": {
        "slur": ("maricon*", "mariconazo*", "bollera*", "sudaca*", "negrata*", "machorra*",
                 "travelo*", "puta", "putas", "putita*", "hijo de puta", "hijos de puta",
                 "subnormal", "subnormales", "mongolo", "mongolos", "moro de mierda",
                 "panchito de mierda"),
        "sexual": ("porno", "pornografia", "pornografico", "follar", "follame", "follarte",
                   "follamos", "follando", "mamada*", "masturb*", "orgasmo*", "polla", "pollas",
                   "tetas", "pene", "penes", "vagina", "vaginas", "cachondo", "cachonda",
                   "desnudate", "quitate la ropa", "hacer el amor contigo", "tener sexo",
                   "tengamos sexo", "sexo oral", "sexo anal", "chupamela", "chupame la",
                   "hacerse una paja", "hacerte una paja"),
    },
    "fr": {
        "slur": ("pede", "pedes", "tarlouze*", "gouine*", "bougnoule*", "youpin*", "negro",
                 "negros", "bicot*", "chinetoque*", "niakoue*", "salope*", "pute", "putes",
                 "fils de pute", "encule", "encules", "enculee", "sale arabe", "sale noir",
                 "sale juif", "sale negre", "sale pd"),
        "sexual": ("porno", "pornographie", "pornographique", "baise", "baise-moi",
                   "baiser avec", "on baise", "bite", "bites", "nichons", "seins nus",
                   "masturb*", "orgasme*", "penis", "vagin", "vagins", "suce-moi", "suce moi",
                   "sucer ma", "branler", "branle", "branlette*", "tailler une pipe",
                   "faire l'amour avec toi", "coucher avec moi", "coucher avec toi",
                   "deshabille-toi", "faire du sexe", "sexe oral", "sexe anal"),
    },
}

# English words that are ordinary words in another language: not looked for there.
FALSE_FRIENDS: dict[str, tuple[str, ...]] = {"fr": ("retard", "retards"), "es": ()}

# Phrases in which a listed word is innocent; a match inside one of these does not count.
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "*": (),
    "en": ("cum laude", "summa cum laude", "magna cum laude", "van dyke", "chink in", "chinks in",
           "chink of light", "spic and span", "pussy willow*", "pussy cat*", "blue tits",
           "great tits", "coal tits"),
    "es": (),
    "fr": ("branle-bas",),
}

# Self-harm: "harming yourself" phrases in their base (imperative/infinitive) form, per language.
# Encouragement is such a phrase said by way of a cue ("you should", "go", "deberías") or as an
# order at the start of a clause; a negation or a caring frame ("if you are thinking of") makes
# it support, which must pass.
HARM: dict[str, str] = {
    "en": (r"(?:kill|hurt|harm|cut|injure|starve|hang|drown|shoot|burn) (?:your ?self|"
           r"yourselves)(?! (?:some|a little|a bit of) slack| a break| off| free| short| in"
           r" the foot| out| in)|end your (?:own )?life|take your (?:own )?life|end it all|"
           r"slit your wrists|commit suicide|jump off (?:a|the) (?:bridge|building|cliff|roof)"),
    "es": (r"matarte|suicidarte|hacerte dano|lastimarte|ahorcarte|cortarte las venas|"
           r"quitarte la vida|acabar con tu vida|tirarte (?:de|desde|por) (?:un|el|la) "
           r"(?:puente|edificio|ventana|balcon)|te mates|te suicides|te hagas dano|"
           r"te quites la vida|te mato|te matas|te suicidas"),
    "fr": (r"te tuer|te suicider|te faire du mal|te blesser|t'ouvrir les veines|te pendre|"
           r"mettre fin a tes jours|en finir avec (?:la|ta) vie|te jeter (?:d'un pont|par la "
           r"fenetre|sous un train)|te tues|te suicides|te fasses du mal"),
}

# Orders that are encouragement wherever they stand.
ORDERS: dict[str, str] = {
    "en": r"kys|kill yourself now|go (?:and )?(?:kill|hurt) yourself",
    "es": (r"matate|suicidate|hazte dano|lastimate|ahorcate|cortate las venas|"
           r"quitate la vida|tirate (?:de|desde|por) (?:un|el|la) (?:puente|edificio|ventana)"),
    "fr": (r"tue-toi|tue toi|suicide-toi|suicide toi|fais-toi du mal|pends-toi|pends toi|"
           r"jette-toi (?:d'un pont|par la fenetre|sous un train)|va te pendre|va te tuer"),
}

# Said right before a HARM phrase (a few filler words may come between), these encourage it.
CUES: dict[str, str] = {
    "en": (r"you should|you ought to|you need to|you must|you have to|you might as well|"
           r"maybe you should|why don't you|why dont you|why not|go|go and|just|please|i want "
           r"you to|i hope you|better|do (?:us|everyone|the world) a favou?r and|you'd better|"
           r"you had better|should just|could just|you deserve to"),
    "es": (r"deberias|tienes que|debes|vete a|ve a|por que no|mejor|quiero que|ojala|"
           r"espero que|hazle un favor al mundo y|haznos un favor y"),
    "fr": (r"tu devrais|tu dois|va|vas|pourquoi tu ne|pourquoi ne pas|tu ferais mieux de|"
           r"je veux que tu|il faut que tu|j'espere que tu|rends service a tout le monde et"),
}

FILLERS: dict[str, str] = {
    "en": r"just|simply|really|go|and|already|now|literally|seriously",
    "es": r"ya|simplemente|de una vez|mejor|solo",
    "fr": r"donc|juste|simplement|alors|deja|aller",
}

# A caring or negating frame before a HARM or HOPELESS phrase in the same sentence: support.
SUPPORT: dict[str, str] = {
    "en": (r"don't|dont|do not|never|not|no one should|nobody should|stop|if you|thinking "
           r"(?:of|about)|thoughts? (?:of|about)|urges? to|want(?:ing)? to|feel(?:ing|s)? like|"
           r"are you|have you|were you|did you|help|safe|call|talk to|reach out|crisis|prevent|"
           r"feel|felt|think|believe|tell yourself|told you|said|says|may|might|seem|seems|"
           r"isn't true|is not true|not true|a lie|untrue|instead of|rather than"),
    "es": (r"no|nunca|si (?:estas|piensas|tienes|sientes)|pensamientos|pensando en|ganas de|"
           r"quieres|ayuda|llama|habla con|crisis|sientes|piensas|crees|parece|te dijo|dijo|"
           r"no es verdad|no es cierto|mentira|en vez de|en lugar de|evitar"),
    "fr": (r"ne|pas|jamais|si tu (?:penses|as envie|te sens)|pensees|envie de|aide|appelle|"
           r"parle|crise|sens|penses|crois|impression|t'a dit|a dit|ce n'est pas vrai|"
           r"c'est faux|au lieu de|plutot que|eviter"),
}

# Before a cue, these make it reported or denied: "don't listen to anyone who says you should
# hurt yourself". (Not "if you": "if you fail, you should ..." is still encouragement.)
REPORTED: dict[str, str] = {
    "en": (r"don't|dont|do not|never|nobody|no one|say|says|said|tell|tells|told|telling|"
           r"anyone who|someone who|whoever|if (?:someone|anyone|a voice)|voices?|isn't true|"
           r"is not true|not true|a lie|untrue"),
    "es": (r"no|nunca|nadie|dice|dicen|dijo|diga|digan|decirte|quien|si alguien|voz|voces|"
           r"no es verdad|no es cierto|mentira"),
    "fr": (r"ne|jamais|personne|dit|disent|dise|quelqu'un qui|si quelqu'un|voix|c'est faux|"
           r"pas vrai"),
}

# Telling someone their life or death does not matter.
HOPELESS: dict[str, str] = {
    "en": (r"(?:nobody|no one|no-one|noone) (?:would|will|is going to|'d|'ll)? ?(?:ever |even )?"
           r"(?:miss|care about|notice) you|(?:the world|everyone|everybody|your family|"
           r"your friends) (?:would|will|'d)? ?be better (?:off )?without you|you(?:'d| would)? "
           r"be better off dead|you(?:'re| are) better off dead|you (?:deserve|ought|should) "
           r"to die|you should (?:just )?die|go (?:and )?die|why don'?t you (?:just )?die|"
           r"you(?:'re| are) a waste of (?:space|air|oxygen)"),
    "es": (r"nadie te (?:echaria|echara|va a echar) de menos|nadie te (?:extranaria|extranara|"
           r"va a extranar)|a nadie le importaria (?:si te mueres|que te murieras)|(?:el mundo|"
           r"todos|todo el mundo|tu familia) (?:estaria|estarian|seria|estaran) mejor sin ti|"
           r"estarias mejor muert[oa]|(?:te )?mereces morir|deberias morirte|deberias morir|"
           r"vete a morir|ojala te mueras"),
    "fr": (r"personne ne te (?:regretterait|regrettera|manquerait)|tu ne manquerais a personne|"
           r"tu ne manqueras a personne|(?:le monde|tout le monde|ta famille) (?:serait|serais|"
           r"sera) mieux sans toi|tu serais mieux mort(?:e)?|tu merites de mourir|tu devrais "
           r"mourir|va mourir|va crever|j'espere que tu vas mourir"),
}

# Before a HOPELESS phrase, these make it a feeling being answered ("it may feel like nobody
# would miss you, but..."), or a thing someone said, not a verdict.
DOUBT: dict[str, str] = {
    "en": (r"feel|feels|felt|feeling|think|thinks|thinking|thought|believe|believing|may|might|"
           r"seem|seems|tell yourself|worry|worried|afraid|fear|wonder|say|says|said|tell|tells|"
           r"told|isn't true|is not true|not true|a lie|untrue|don't|do not|never"),
    "es": (r"sientes|sentir|sientas|piensas|pensar|pienses|crees|creer|parece|puede que|quiza|"
           r"quizas|tal vez|miedo|temes|dice|dicen|dijo|diga|no es verdad|no es cierto|"
           r"mentira|no|nunca"),
    "fr": (r"sens|sentir|penses|penser|crois|croire|impression|peut-etre|peur|semble|sembler|"
           r"dit|disent|dise|c'est faux|pas vrai|ne|jamais"),
}

# After a HOPELESS phrase, these deny it ("... is not true").
DENIAL: dict[str, str] = {
    "en": r"isn't true|is not true|not true|a lie|untrue|wrong",
    "es": r"no es verdad|no es cierto|mentira|falso",
    "fr": r"pas vrai|c'est faux|faux",
}

# Threats against the listener.
THREATS: dict[str, str] = {
    "en": (r"i(?:'m| am) (?:going to|gonna) (?:kill|hurt|shoot|stab|murder|strangle|choke) "
           r"you|i(?:'ll| will| shall) (?:kill|hurt|shoot|stab|murder|strangle|choke) you|"
           r"i(?:'m| am|'ll| will)? ?(?:going to |gonna )?beat you up|i know where you live|"
           r"you(?:'re| are) (?:going to|gonna) die|i(?:'ll| will) make you (?:suffer|bleed)|"
           r"watch your back|i(?:'ll| will) (?:break|snap) your (?:neck|legs|arms|bones)|"
           r"you(?:'re| are) dead meat"),
    "es": (r"te voy a (?:matar|hacer dano|pegar|apunalar|disparar|reventar|partir la cara)|"
           r"voy a matarte|te matare|se donde vives|te vas a arrepentir de haber nacido|"
           r"te (?:rompo|voy a romper) la cara"),
    "fr": (r"je vais te (?:tuer|buter|frapper|faire du mal|defoncer|crever|egorger|casser la "
           r"gueule)|je te tuerai|je sais ou tu (?:habites|vis)|je vais te faire la peau|"
           r"t'es un homme mort|tu vas le regretter amerement"),
}

# Spoken digits, so persona lore ("four four two, seven one nine") is known as a number.
DIGIT_WORDS: dict[str, str] = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
    "siete": "7", "ocho": "8", "nueve": "9",
    "un": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7", "huit": "8",
    "neuf": "9",
}

# Units after a number that make it an amount, not a phone or account number.
UNITS = (r"%|€|\$|£|euros?|dollars?|pounds?|people|persons|personas|personnes|habitants|"
         r"habitantes|users|usuarios|utilisateurs|km|kilometers|kilometres|kilometros|miles|"
         r"years|anos|ans|words|palabras|mots|views|downloads|customers|clientes|clients|"
         r"times|veces|fois|units|rows|lines|records|requests|bytes|tokens")

# Toll-free prefixes: public lines of services and helplines, never someone's own number.
TOLL_FREE = ("0800", "0801", "0802", "0805", "0808", "1800", "1-800", "800", "888", "877", "866",
             "855", "844", "833", "900")
