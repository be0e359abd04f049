"""The words that show each kind of user turn, in English, Spanish and French.

Data for voice_rp.listening.turn_kind: regular expressions over folded text (lower case, no
accents, plain apostrophes). Kept apart so the logic there reads on one screen; grow these
tables when the labelled sets (tests/data/turn_kinds*.tsv) show a miss.
"""

from __future__ import annotations

import re


def any_of(*parts: str) -> re.Pattern[str]:
    """One pattern matching any of `parts`."""
    return re.compile("|".join(f"(?:{p})" for p in parts))


ABUSE = any_of(
    r"\b(you're|you are|youre|ur|you) (\w+ ){0,2}(stupid|idiot|an idiot|moron|a moron|dumb|"
    r"useless|pathetic|worthless|garbage|trash|incompetent|a joke|a bitch|an ass|an asshole|"
    r"a loser|retarded|ugly|disgusting)\b",
    r"\bshut (up|the fuck up)\b", r"\b(fuck|screw|damn) (you|off|this bot)\b",
    r"\bgo to hell\b", r"\bpiss off\b", r"\byou (suck|stink)\b", r"\bi hate you\b",
    r"\b(stupid|dumb|useless|idiot|fucking|bloody) (bot|robot|machine|computer|thing|"
    r"woman|man|interviewer|bitch)\b",
    r"\bi('ll| will| am going to|'m going to) (\w+ ){0,6}(kill|hurt|punch|beat) you\b",
    r"\bbitch\b", r"\bshut your (mouth|face)\b", r"\byou('re| are) (the )?worst\b",
    # Spanish
    r"\b(eres|sos) (un |una )?(idiota|estupid[oa]|inutil|imbecil|tont[oa]|basura)\b",
    r"\bcallate\b", r"\bvete a la mierda\b", r"\bque te jodan\b", r"\bte odio\b",
    r"\bte voy a (matar|pegar)\b", r"\bdas asco\b", r"\beres (el|la) peor\b",
    # French
    r"\b(t'es|tu es|vous etes) (\w+ )?(un |une |la |le )?(pire|idiot|idiote|stupide|nul|nulle|"
    r"debile|con|conne|"
    r"inutile)\b", r"\bta gueule\b", r"\bferme[- ]la\b", r"\bva te faire\b", r"\bje te deteste\b",
    r"\bconnard\b", r"\bconnasse\b",
    r"\btais[- ]toi\b", r"\bespece d", r"\bje vais te (tuer|frapper)\b",
    r"\b(robot|machine) (debile|stupide|de merde)\b",
)
# "my boss called me an idiot", "she told him to shut up": reported, not aimed at the character.
REPORTED = re.compile(r"\b(said|says|told|tells|called|yelled|shouted|screamed|wrote|"
                       r"dijo|me llamo|grito|m'a dit|a dit|m'a traite|a crie|criait)\b")

AI_CHECK = any_of(
    r"\b(are|r) (you|u) (even |actually |really |just |also )?(a |an )?(real|human|person|"
    r"people|robot|bot|chat ?bot|ai|a ?i|artificial|computer|machine|program|recording|"
    r"recorded|live|alive|automated|software|person or)\b",
    r"\b(am i|are we) (talking|speaking|chatting) (to|with) (a |an )?(real|human|person|robot|"
    r"bot|chat ?bot|ai|a ?i|computer|machine|program|recording|someone real|real person)\b",
    r"\bis (this|that|she|he) (a |an )?(real|human|person|robot|bot|chat ?bot|ai|a ?i|"
    r"computer|machine|program|recording|automated)\b",
    r"\b(you're|you are|youre) (a |an )?(robot|bot|chat ?bot|ai|a ?i|computer|machine|"
    r"program),? (right|aren't you|are you not|isn't it)\b",
    r"\b(is|are) (this|you) (a |an )?(artificial intelligence|language model)\b",
    r"\b(are you|is this) (a )?(real|human) (person|being|interviewer|people)\b",
    r"\bhuman or (a |an )?(robot|bot|ai|a ?i|machine|computer)\b",
    # Spanish
    r"\b(eres|es usted|sos) (una |un )?(persona|humano|humana|real|robot|bot|maquina|ia|"
    r"inteligencia artificial|programa|grabacion)\b",
    r"\b(hablo|estoy hablando) con (una |un )?(persona|humano|robot|bot|maquina|ia|"
    r"programa|grabacion)\b", r"\bes (una|esto una) grabacion\b",
    # French
    r"\b(tu es|es-tu|es tu|etes-vous|etes vous|vous etes|t'es) (un |une )?(robot|bot|vraie "
    r"personne|vrai|vraie|humain|humaine|ia|intelligence artificielle|machine|programme|"
    r"personne reelle|reel|reelle)\b",
    r"\bje parle (a|avec) (un |une )?(robot|bot|machine|vraie personne|humain|ia|programme)\b",
)
# A short question that names what the character might be ("is this ChatGPT?").
AI_WORDS = re.compile(
    r"\b(chat ?gpt|gpt|chatbot|chat bot|robot|bot|(an|the|a) (a\.? ?i\.?|ai)|"
    r"artificial intelligence|"
    r"computer( program)?|machine|pre-?recorded|recording|recorded|real person|human being|"
    r"someone (actually |really )?(listening|there|real)|actually responding|"
    r"inteligencia artificial|grabacion|persona (real|de verdad)|alguien de verdad|"
    r"intelligence artificielle|enregistrement|vraie personne|quelqu'un de vrai|"
    r"une ia|un humain|un robot)\b")
I_DO = re.compile(r"\b(i|i'm|i've|we|my|our|yo|mi|je|j'ai|mon|ma)\b (\w+ )?(use|used|using|built|"
                   r"build|work|worked|like|love|program|trained|wrote|study|studied|develop)")

STOP = any_of(
    r"\b(i want|i'd like|i would like|i wanna|can we|could we|let's|lets|let us|i need|we can|"
    r"i think we should|i'd rather|i have|i've got) (to )?(stop|end|quit|finish|wrap up|"
    r"leave|go)(,? (it |this |the )?(here|now|please|for today|for now|session|interview|"
    r"practice|conversation|call|chat|lesson|talk|exercise|this|then|ok|okay))*[.!?]?$",
    r"\b(stop|end|quit|finish) (the|this) (session|interview|practice|conversation|call|"
    r"chat|lesson|exercise)\b",
    r"^(please )?(stop|enough|exit|quit|i quit|end session|end the session|finish)"
    r"( please| now| for today)?[.!]?$",
    r"\b(let's|lets|can we) wrap (this|it) up\b", r"\bi've had enough\b",
    r"\bi (have|need|gotta|got) to go( now)?,? (bye|goodbye)\b",
    r"\b(exit|leave|quit) (the|this) (session|interview|practice|call)\b",
    r"\b(that's|that is) enough for (today|now)\b", r"\bi'm done for (today|now)\b",
    r"\bi (don't|do not) want to (continue|go on|do this any ?more)\b",
    # Spanish
    r"\b(quiero|quisiera|podemos|me gustaria|vamos a) (parar|terminar|dejarlo|acabar)\b",
    r"\b(paremos|terminemos|dejemoslo)\b", r"\bbasta por hoy\b",
    r"\bno quiero (seguir|continuar)\b", r"\blo dejo( por hoy)?[.!]?$",
    r"\bme tengo que ir(,? adios)?[.!]?$", r"\b(quiero|quisiera) salir de (la|esta)\b",
    # French
    r"\b(je veux|je voudrais|on peut|j'aimerais|je prefere|on va) (arreter|terminer|finir)\b",
    r"\b(arretons|terminons|on arrete)\b", r"\bca suffit pour aujourd'hui\b",
    r"\bje (ne )?veux (pas|plus) continuer\b", r"\bj'arrete\b",
    r"\bje dois y aller(,? au revoir)?[.!]?$",
    r"\b(quitter|arreter) (la|cette) (session|seance|conversation)\b", r"\bquitter l'entretien\b",
)

CLARIFY = any_of(
    r"\b(can|could|would|will) you (please )?(repeat|say (that|it|this) again|rephrase|"
    r"explain (that|it|the question|what you mean)|speak (more )?slow|say it (more )?slow|"
    r"slow down|say (that|it) (more )?simpl|put (that|it) (more )?simpl|say (that|it) "
    r"(in )?(another|a different|an easier|a simpler) way|use (easier|simpler) words)",
    r"\b(repeat|rephrase) (that|the question|it|please|again)\b", r"^(please )?repeat\b",
    r"\bsay (that|it) again\b", r"\b(more slowly|slower please|more simply|simpler please|"
    r"in simpler words|in easier words|in other words please)\b",
    r"\bi (didn't|did not|don't|do not|didnt|dont) (understand|get|catch|hear|follow)"
    r"( (that|the question|what you said|what you mean|you|the word|your question|it|"
    r"the last part|what that means))?[.!?]?$",
    r"\bi (didn't|did not|don't|do not|didnt|dont) (understand|get|know) (the word|what "
    r"(\w+ ){0,2}means|what you mean|what you said|your question|the question)\b",
    r"\bwhat (does|do|did) (\w+ ){1,3}mean\b", r"\bwhat do you mean\b",
    r"^(sorry|pardon|excuse me|what|huh|come again)[?!.]*$", r"^(sorry|pardon),? what\?*$",
    r"\bwhat was the question\b", r"\bwhat did you (say|ask)\b",
    r"\bspeak (a little |a bit )?(more )?(slow|slower|slowly)\b",
    r"\bnot sure (i|if i) (understand|follow|get)\b", r"\bwhat you mean\b",
    r"\b(say|repeat) (that|it|the question) (one more time|again|once more)\b",
    r"^(sorry,? )?did you (just )?say\b", r"^(you mean|do you mean|did you mean)\b",
    r"^(sorry,? )?what('s| is| does) (a|an) \w+( mean)?\??$",
    # Spanish
    r"\b(puedes|podrias|puede|podria) (repetir|hablar mas despacio|decirlo (mas|de otra))",
    r"\brepite\b", r"\brepitelo\b", r"\bno (entiendo|entendi|te entiendo|comprendo)\b",
    r"\bmas (despacio|lento|simple|facil)\b", r"\bque significa\b", r"\bque quiere decir\b",
    r"^(como|perdon|perdona)[?!.]*$", r"\botra vez,? por favor\b",
    r"\bno (te )?(he )?(oido|escuchado|entendido) bien\b", r"\bmas sencill",
    r"\bque quieres decir\b", r"\bno (lo )?he entendido\b", r"^(como|perdon),? ",
    # French
    r"\b(tu peux|pouvez-vous|pouvez vous|peux-tu|peux tu|tu pourrais|vous pourriez) "
    r"(repeter|parler plus lentement|le dire (plus simplement|autrement)|reformuler)",
    r"\brepete[sz]?\b", r"\bje (n'ai pas|n'ai|ai pas) compris\b", r"\bje (ne )?comprends pas\b",
    r"\bplus (lentement|doucement|simplement)\b", r"\bqu'est-ce que (ca|cela|ce mot) veut dire\b",
    r"\bca veut dire quoi\b", r"^(pardon|comment|quoi)[?!.]*$",
    r"\breformuler\b", r"\b(j'ai|je n'ai|n'ai) pas (bien )?(compris|entendu|saisi)\b",
    r"^(comment|pardon),? ", r"\bveut dire\b",
)

STALL = any_of(
    r"\b(i )?(don't|do not|dont|really don't) know\b", r"\bdunno\b", r"\bno idea\b",
    r"\b(i'm|i am|im) not sure\b", r"^(pass|skip|next)( please)?[.!]?$",
    r"\bnext question\b", r"\bskip (this|that|it|the question)\b",
    r"\b(i )?(can't|cannot|cant) think of (anything|one|an example|something)\b",
    r"\bnothing comes to mind\b", r"\bi have no (answer|example)\b",
    r"\b(don't|do not|dont) (really )?have (an|any) (example|answer|idea)\b",
    r"\bnever had (a situation|anything|an experience) like that\b",
    r"\b(can't|cannot|cant) remember\b", r"\b(mind|head) is (completely |totally )?blank\b",
    r"^paso[.!]?$", r"\bno (tengo|se me ocurre) (ningun )?(ejemplo|nada)\b",
    r"^je passe[.!]?$", r"\brien ne me vient\b", r"\b(j'ai|je n'ai) pas d'(exemple|idee)\b",
    r"\bno se\b", r"\bno lo se\b", r"\bni idea\b", r"\bsiguiente pregunta\b",
    r"\bje (ne )?sais pas\b", r"\bsais pas\b", r"\baucune idee\b", r"\bquestion suivante\b",
)

GOES_ON = re.compile(r"\b(because|parce que|porque|but|pero|mais|maybe|perhaps|peut-etre|"
                      r"quizas|tal vez|probably|probablement)\b\W+\w+")
FILLER_SOUND = re.compile(r"^(m+|h+m+|u+h+|u+m+|e+h+|e+r+m*|a+h+|o+h+|e+u+h+|h+u+m+)$")
FILLERS = {"um", "uh", "erm", "er", "hmm", "mm", "mhm", "eh", "euh", "ehm", "ah", "oh", "well",
            "so", "este", "pues", "bueno", "ben", "bah", "hum"}

SECOND_PERSON = re.compile(
    r"\b(you|your|yours|yourself|u|tu|tus|ti|usted|vos|vous|votre|vos|toi|te|t')\b|"
    r"\b\w+(-vous|-tu)\b")
QUESTION_START = re.compile(
    r"^(and |so |but |um |uh |ok |okay |well |also |y |et |alors |pues )*"
    r"(what|what's|whats|where|when|why|who|whom|whose|how|which|do|does|did|are|is|was|were|"
    r"have|has|can|could|would|will|should|may|shall|"
    r"que|como|donde|cuando|cual|cuales|quien|quienes|por que|cuanto|cuantos|cuanta|tienes|"
    r"eres|estas|te gusta|has|hay|vives|trabajas|puedes|"
    r"qu'est-ce|quel|quelle|quels|quelles|ou|quand|pourquoi|comment|combien|qui|est-ce|"
    r"as-tu|es-tu|aimes-tu|tu aimes|vous aimez|avez-vous|etes-vous)\b")
# What a candidate asks an interviewer about besides the interviewer herself.
ROLE_TOPICS = re.compile(
    r"\b(team|company|role|position|job|salary|pay|benefits|office|remote|culture|manager|"
    r"next steps|hear back|start date|hours|vacation|holidays|training|growth|product|"
    r"clients|customers|day to day|day-to-day|typical day|interview process|equipo|empresa|"
    r"puesto|salario|sueldo|equipe|entreprise|poste|salaire)\b")
ASK_BACK = re.compile(r"^(and |what |how )?(about )?(you|yourself|y tu|et toi|et vous)\?*$"
                       r"|^(and you|what about you|how about you|y tu|y usted|et toi|et vous)\b")

# Everyday distractions: the weather, noise, pets, food, phones, sport, traffic, the news.
OFF_TOPIC = any_of(
    r"\b(weather|raining|rains|rain|snowing|sunny|so hot|so cold|freezing|grey|gray|heatwave)\b",
    r"\b(drilling|so loud|noise|noisy|neighbou?r)\b", r"\b(my|a|the) (cat|dog|bird|kitten|puppy)\b",
    r"\b(hungry|thirsty|sleepy|lunch|snack|pizza|oven|coffee here|the coffee)\b",
    r"\b(phone|netflix|video|youtube|tiktok|instagram|bitcoin|crypto|stock market)\b",
    r"\b(football|soccer|basketball|baseball|the game|the match|my team) (lost|won|last night|"
    r"yesterday|again|tonight)\b", r"\b(lost|won) again\b", r"\bteam (lost|won)\b",
    r"\bdid you (see|watch|catch)\b",
    r"\b(traffic|commute|parking)\b", r"\bwhat time is it\b",
    r"\b(random thought|by the way|lol|haha)\b",
    r"\bi (think i )?left the (oven|stove|iron|door)\b",
    r"\bi need (a coffee|to pee|the bathroom)\b",
    r"\b(hace|hizo) (mucho |muy |un )?(calor|frio|buen tiempo|mal tiempo|sol)\b", r"\bllueve\b",
    r"\b(hambre|sed|suen?o)\b", r"\b(mi|el) (gato|perro|vecino)\b", r"\btaladrando\b",
    r"\bel partido\b", r"\b(perdio|gano) otra vez\b", r"\bcomprar pan\b", r"\bque hora es\b",
    r"\bjaja\b", r"\bil fait (super |tres |trop )?(beau|chaud|froid)\b", r"\bil pleut\b",
    r"\b(j'ai|ai) (trop |tres )?(faim|soif|sommeil)\b", r"\b(mon|ma) (chat|chien|voisin|voisine)\b",
    r"\ble match\b", r"\b(a|ont) encore perdu\b", r"\bacheter du pain\b", r"\bdes travaux\b",
    r"\b(un|l') oiseau\b", r"\bquelle heure est-il\b", r"\bmdr\b",
)
# The plainest detours, the only ones a language partner steps around (a learner's chat about
# their dog is the practice).
OFF_TOPIC_CHAT = any_of(
    r"\b(nice|lovely|terrible|awful|beautiful) weather\b", r"\bwhat time is it\b",
    r"\bdid you (see|watch|catch) (the|last night's) (game|match|news)\b",
    r"\b(hace|hizo) (mucho |muy |un )?(calor|frio|buen tiempo|mal tiempo)\b", r"\bque hora es\b",
    r"\bil fait (super |tres |trop )?(beau|chaud|froid)\b", r"\bquelle heure est-il\b",
)
# What an answer to the practice talks about: work, study, the story asked for.
ON_TOPIC = re.compile(
    r"\b(teams?|projects?|managers?|clients?|customers?|deadlines?|colleagues?|company|job|"
    r"work|worked|meeting|report|launch|product|users|study|school|university|because|example|"
    r"equipo|proyecto|trabajo|cliente|empresa|equipe|projet|travail|entreprise)\b")
# A learner telling what happened ("so I stayed home") answers, whatever it is about.
NARRATIVE = re.compile(r"\b(so i|so we|because|and then|alors|porque|parce que|despues|ensuite|"
                        r"ayer|hier|yesterday|last (week|night|weekend))\b")
ANSWERING = re.compile(r"^(i like|i love|i usually|i often|i enjoy|i prefer|normally|usually|"
                        r"my favou?rite|me gusta|me encanta|normalmente|j'aime|j'adore|"
                        r"d'habitude|en general|generalement)\b")

