"""The words and phrases `user_facts` reads with, per language: what is never a name, what a
job's name ends in, which nouns make "a bank" an employer and "a flat" a home, relations,
numbers and units; and the phrasings of questions that ask to recall ("what was my name?").

Kept apart from the rules so each file stays one screenful of one thing. Every list is folded
(lower case, no accents), as the rules read folded text.
"""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case without accents, one character for one: a span found in the folded text is
    the same span in the original."""
    out = []
    for c in text:
        low = c.lower()
        if len(low) != 1:
            out.append(c)
        elif low in "\u2019\u2018`\u00b4":
            out.append("'")
        else:
            base = "".join(x for x in unicodedata.normalize("NFKD", low)
                           if not unicodedata.combining(x))
            out.append(base if len(base) == 1 else low)
    return "".join(out)


def words(*chunks: str) -> frozenset[str]:
    """The folded words of `chunks`; "_" joins the words of one entry ("real_estate")."""
    return frozenset(fold(w).replace("_", " ") for chunk in chunks for w in chunk.split())


def alternation(chunk: str) -> str:
    """A regex alternation of folded words, longest first ("best friend" before "friend")."""
    items = sorted(words(chunk), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items)


# Words that are never a name, and in lower-case text never an employer or a place.
COMMON = words(
    "a an the this that it its it's i i'm me my mine myself you your we our us they them their "
    "he she his her him not no never so very really quite just also too still only even always "
    "often here there now then today tomorrow yesterday later soon again back home work school "
    "night day days weekend weekends morning evening hours moment time lot bit little much many "
    "more most less some any all both each every other another same sure fine good great ok okay "
    "well better best bad worse happy glad sorry sad tired nervous excited ready done busy new "
    "old young free right wrong fair true interested afraid scared worried confident proud "
    "grateful thankful available late early alone single married honest serious lucky hungry "
    "angry calm curious open flexible motivated passionate keen fit fast quick slow hard easy "
    "big small large huge fun living money life love hope fear peace denial music charge "
    "trouble control doubt people person anyone someone everyone nobody something nothing "
    "anything everything about around because if and or but with without from for to of in on "
    "at by as into over after before like than what who where when why how which yes yeah hi "
    "hello hey thanks thank please maybe perhaps probably definitely actually basically totally "
    "currently recently originally able unable certain unsure aware familiar unemployed retired "
    "is am are was were be been do does did have has had will would can could should may might "
    "said told asked says tells gave got made went came took sent put let saw felt found left "
    "kept paid brought met heard won lost became wrote spoke think thinks know knew want need "
    "works lives loves likes hates helps wants needs knows goes does makes takes gives gets "
    "calls runs keeps seems feels sick ill shy alright bilingual vegan "
    "pretty super totally abroad bus car train bike foot anytime whenever tonight sometime one "
    "two three four five six seven eight nine ten eleven twelve twenty thirty hundred few "
    "several",
    # Spanish
    "al algo alguien aqui ahi alli asi bien mal muy mucho mucha poco bastante mas menos ya si "
    "que como cuando donde de del desde el la lo los las un una unos unas uno mi mis tu tus su "
    "sus yo el ella usted este esta esto ese esa eso nuevo nueva feliz contento contenta triste "
    "cansado cansada nervioso nerviosa seguro segura listo lista bueno buena malo mala mejor peor "
    "casa equipo trabajo oficina todo toda todos nada siempre nunca tambien tampoco ahora hoy "
    "manana ayer luego despues antes pronto tarde temprano y o pero porque para por con sin en "
    "entre sobre hasta ni encantado encantada interesado interesada preparado preparada capaz "
    "sincero sincera honesto honesta puntual soltero soltera casado casada libre ocupado ocupada "
    "joven mayor trabajador trabajadora emprendedor emprendedora verdad gente persona estar ser "
    "estoy soy es fue era dice dijo dicen cree piensa loco loca dos tres cuatro cinco seis siete "
    "ocho nueve diez veinte",
    # French
    "a au aux de du des d le la les l un une en dans sur sous pour par avec sans chez et ou mais "
    "donc car ni que qui quoi quel quelle ce cet cette ces c ca cela il elle on nous vous je j "
    "me m moi toi lui eux mon ma mes ton ta tes son sa ses notre nos votre vos leur tres trop "
    "assez bien mal plus moins beaucoup peu tout toute tous rien jamais toujours encore deja "
    "aussi ici la maintenant demain hier bientot tard tot content contente heureux heureuse "
    "triste fatigue fatiguee desole desolee sur sure pret prete nerveux nerveuse motive motivee "
    "serieux serieuse curieux curieuse nouveau nouvelle jeune vieux seul seule libre occupe "
    "occupee celibataire ravi ravie interesse interessee capable pareil sympa "
    "gentil gentille super genial bon bonne mauvais mauvaise maison equipe travail bureau temps "
    "moment vie musique argent vivre train retard avance accord personne gens chose dessus "
    "ailleurs etre avoir faire dire aller venir finir suis es est sommes etes sont etait ai "
    "avons dit pense trouve deux trois quatre cinq six sept huit neuf dix vingt")
# Nationalities and languages: capitalised in English, yet not names ("I'm English").
DEMONYMS = words("english spanish french german italian portuguese chinese japanese american "
                 "british canadian mexican brazilian indian irish australian dutch polish "
                 "russian scottish welsh swiss swedish korean turkish greek arabic "
                 "espanol espanola ingles inglesa frances francesa aleman alemana italiano "
                 "italiana mexicano mexicana argentino argentina colombiano colombiana peruano "
                 "peruana chileno chilena francais francaise anglais anglaise espagnol espagnole "
                 "allemand allemande italien italienne americain americaine canadien canadienne "
                 "belge suisse bresilien bresilienne")
ARTICLES = words("a an the un una el la los las une le les des l'")
CONNECTORS = words("of de del du des la le y and & 's d' di van von da")
# The head nouns of jobs: "data analyst", "ingeniera de software", "chef de projet".
ROLE_HEADS = words(
    "analyst engineer developer programmer manager coordinator designer teacher nurse doctor "
    "physician surgeon dentist student consultant accountant auditor scientist researcher "
    "lawyer attorney solicitor paralegal architect administrator assistant director officer "
    "specialist technician clerk chef cook baker driver pilot writer editor journalist reporter "
    "professor lecturer tutor intern trainee apprentice salesperson representative rep agent "
    "advisor adviser head owner founder co-founder cofounder ceo cto cfo coo vp president "
    "executive secretary receptionist cashier pharmacist therapist psychologist counselor "
    "counsellor electrician plumber carpenter mechanic farmer artist musician photographer "
    "freelancer contractor recruiter economist marketer strategist supervisor associate partner "
    "librarian veterinarian vet paramedic firefighter soldier translator interpreter tester "
    "producer banker broker planner buyer waiter waitress bartender barista caregiver carer "
    "cleaner builder coach trainer instructor operator courier nanny graduate",
    "ingeniero ingeniera analista profesor profesora maestro maestra medico medica enfermero "
    "enfermera abogado abogada desarrollador desarrolladora programador programadora disenador "
    "disenadora gerente director directora jefe jefa estudiante contable contador contadora "
    "consultor consultora coordinador coordinadora administrativo administrativa camarero "
    "camarera cocinero cocinera vendedor vendedora periodista arquitecto arquitecta cientifico "
    "cientifica investigador investigadora tecnico tecnica secretario secretaria recepcionista "
    "traductor traductora psicologo psicologa economista dependiente dependienta conductor "
    "conductora autonomo autonoma becario becaria asistente comercial informatico informatica "
    "farmaceutico farmaceutica veterinario veterinaria dentista electricista fontanero mecanico "
    "policia bombero funcionario funcionaria empresario empresaria cajero cajera doctora piloto "
    "fotografo fotografa escritor escritora peluquero peluquera",
    "ingenieur ingenieure developpeur developpeuse professeur professeure prof enseignant "
    "enseignante medecin infirmier infirmiere avocat avocate analyste consultant consultante "
    "comptable directeur directrice gerant gerante etudiant etudiante vendeur vendeuse serveur "
    "serveuse cuisinier cuisiniere architecte journaliste chercheur chercheuse technicien "
    "technicienne secretaire stagiaire designer graphiste traducteur traductrice pharmacien "
    "pharmacienne dentiste electricien plombier mecanicien boulanger boulangere chauffeur pilote "
    "commerciale coordinateur coordinatrice assistante conducteur conductrice fonctionnaire "
    "policier pompier artisan agriculteur caissier caissiere coiffeur coiffeuse photographe "
    "ecrivain auteur cadre employe employee ouvrier ouvriere psychologue veterinaire educateur "
    "educatrice instituteur institutrice")
ROLE_PHRASES = words("social_worker care_worker support_worker health_worker team_lead "
                     "team_leader tech_lead project_lead")
# What someone is that is not a job: "a fast learner", "una persona trabajadora".
TRAITS = words(
    "player learner listener worker thinker believer lover fan person people reader runner "
    "beginner achiever communicator solver starter speaker perfectionist optimist pessimist "
    "realist idealist introvert extrovert individual guy girl man woman human mom mum dad "
    "mother father parent fit candidate member customer user winner leader christian "
    "vegetarian vegan soltero soltera sincero sincera primero primera extranjero extranjera "
    "trabajador trabajadora emprendedor emprendedora encantador encantadora optimista "
    "pesimista perfeccionista realista idealista deportista travailleur travailleuse menteur "
    "optimiste pessimiste perfectionniste realiste idealiste meilleur meilleure number monster "
    "brother daughter other")
# What makes "a bank", "una academia", "l'hôpital" an employer.
ORGS = words(
    "bank company firm startup start-up agency hospital clinic school university college bakery "
    "restaurant cafe hotel store shop supermarket factory warehouse charity nonprofit ngo "
    "consultancy studio lab laboratory council ministry airline retailer publisher newspaper "
    "museum library pharmacy garage salon gym "
    "banco empresa compania agencia clinica escuela colegio universidad instituto academia "
    "panaderia restaurante cafeteria tienda supermercado fabrica almacen consultora estudio "
    "laboratorio ayuntamiento ministerio multinacional aerolinea editorial periodico museo "
    "biblioteca farmacia taller peluqueria gimnasio fundacion ong "
    "banque entreprise societe boite agence hopital clinique ecole college lycee universite fac "
    "boulangerie hotel magasin boutique supermarche usine entrepot cabinet laboratoire labo "
    "mairie ministere multinationale compagnie association")
# What makes "a small flat", "un pueblo" a place to live.
PLACES = words("flat apartment house village town city suburb suburbs countryside area "
               "neighbourhood neighborhood island coast north south east west centre center "
               "capital piso apartamento casa pueblo ciudad barrio campo isla costa norte sur "
               "este oeste centro afueras appartement maison ville banlieue campagne quartier "
               "ile cote nord ouest capitale region")
# Fields of work: "I work in marketing" names no employer.
SECTORS = words(
    "marketing sales finance it tech technology healthcare health education hr retail "
    "logistics engineering consulting banking insurance hospitality tourism construction "
    "design research customer_service real_estate human_resources government law media "
    "advertising software accounting manufacturing pharma publishing journalism nursing "
    "medicine ventas finanzas informatica tecnologia salud sanidad educacion recursos_humanos "
    "logistica hosteleria turismo banca seguros construccion diseno investigacion "
    "atencion_al_cliente comercio publicidad contabilidad vente ventes informatique sante "
    "ressources_humaines rh logistique hotellerie restauration assurance recherche commerce "
    "publicite communication comptabilite btp industrie")
# People users mention by name: "my manager Tom", "mi hermana Ana", "ma sœur Julie".
REL = {"en": alternation(
    "manager boss supervisor team_lead team_leader line_manager mentor colleague coworker "
    "co-worker teammate sister brother mother mom mum father dad wife husband partner girlfriend "
    "boyfriend fiance fiancee son daughter friend best_friend cousin aunt uncle grandmother "
    "grandfather grandma grandpa niece nephew roommate flatmate neighbour neighbor teacher tutor "
    "coach client dog cat"),
    "es": alternation(
    "jefe jefa gerente supervisor supervisora companero_de_trabajo companera_de_trabajo "
    "companero companera colega hermano hermana madre mama padre papa esposo esposa marido mujer "
    "pareja novio novia hijo hija mejor_amigo mejor_amiga amigo amiga primo prima tio tia abuelo "
    "abuela profesor profesora cliente clienta perro gato"),
    "fr": alternation(
    "chef cheffe patron patronne manager responsable superieur superieure collegue sœur soeur "
    "frere mere maman pere papa femme mari copine copain compagnon compagne conjoint conjointe "
    "fils fille meilleur_ami meilleure_amie ami amie cousin cousine oncle tante grand-mere "
    "grand-pere prof professeur client cliente chien chat")}
# Endings of adjectives and verb forms: "i'm working", "soy cansado" are no names.
ADJ_ENDINGS = {"en": ("ing", "ed", "ly", "ful", "ous", "ive", "able", "ible", "less"),
               "es": ("ado", "ada", "ido", "ida", "mente", "oso", "osa", "ando", "iendo"),
               "fr": ("eux", "euse", "ment", "ante", "ive", "er", "ir")}
# Endings of job nouns not listed: "-ist", "-ista", "-teur".
ROLE_ENDINGS = {"en": ("ist", "ian", "eer", "er", "or"),
                "es": ("ista", "ero", "era", "dor", "dora"),
                "fr": ("iste", "teur", "trice", "eur")}
_NUM = {"en": r"(?:\d[\d,.]*|a\s+dozen|a\s+couple\s+of|a\s+hundred|(?:twenty|thirty|forty|fifty|"
              r"sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|"
              r"nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
              r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|hundreds|thousands)",
        "es": r"(?:\d[\d,.]*|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|"
              r"doce|trece|catorce|quince|dieci\w+|veinte|veinti\w+|(?:treinta|cuarenta)"
              r"(?:\s+y\s+\w+)?|cincuenta|cien|ciento|mil)",
        "fr": r"(?:\d[\d,.]*|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|"
              r"treize|quatorze|quinze|seize|dix-\w+|vingt(?:-\w+)?|trente(?:-\w+)?|"
              r"quarante(?:-\w+)?|cinquante|soixante|cent|mille)"}
_UNITS = {"en": r"(?:years?|months?|weeks?|people|persons|employees|staff|members|engineers|"
                r"developers|analysts|direct\s+reports|reports|clients|customers|accounts|"
                r"projects|kids|children|sons|daughters|languages|countries|stores|shops|"
                r"offices|teams|students|patients)(?:\s+(?:of\s+(?:\w+\s+)?experience|ago|old))?",
          "es": r"(?:anos?|meses|mes|semanas?|personas|empleados?|empleadas|trabajadores|"
                r"clientes|proyectos|hijos|hijas|ninos|ninas|idiomas|paises|tiendas|oficinas|"
                r"miembros|alumnos|estudiantes|pacientes)(?:\s+de\s+experiencia)?",
          "fr": r"(?:ans|an|annees|mois|semaines|personnes|employes|salaries|collaborateurs|"
                r"clients|projets|enfants|fils|filles|langues|pays|magasins|membres|eleves|"
                r"etudiants|patients)(?:\s+d'experience)?"}
_TEAM = {"en": r"(?:team|group|department|staff|class)\s+of", "es": r"(?:equipo|grupo|"
         r"departamento|plantilla)\s+de", "fr": r"(?:equipe|groupe|service)\s+de"}
# "five years of experience", "a team of eight people", "tengo dos hijos".
NUMBER = {lang: re.compile(rf"\b(?P<number>{_TEAM[lang]}\s+{_NUM[lang]}\s+\w+|"
                            rf"{_NUM[lang]}\s+{_UNITS[lang]})\b") for lang in _NUM}
# A number is the speaker's own only in a clause about them.
FIRST_PERSON = {
    "en": re.compile(r"\b(?:i|i'm|im|i've|i'd|my|me|we|we're|we've|our)\b"),
    "es": re.compile(r"\b(?:yo|mi|mis|nuestro|nuestra|tengo|llevo|trabajo|tenemos|somos|soy|he|"
                     r"estoy|vivo|gestiono|dirijo|lidero|hace)\b"),
    "fr": re.compile(r"(?:\bje\b|\bj'|\bmoi\b|\bmon\b|\bma\b|\bmes\b|\bnotre\b|\bnos\b|\bnous\b)")}
NOT_BEFORE = {"en": words("not never if no"),  # "if I lived in Paris", "no trabajo en..."
              "es": words("no nunca si jamas tampoco mi el un su tu de del al ese este buen "
                          "nuevo primer otro lo"),  # "mi trabajo en...": the noun, not the verb
              "fr": words("si ne n'")}
NUMBER_NOT_AFTER = words("in next within every like en dentro proximos dans prochaines")
NEGATION = re.compile(r"\b(?:not|never|no|nunca|ne|pas|jamais)\b|n't\b|\bn'")
REPORTED = re.compile(r"\b(?:said|says|told|tells|thinks|thought|dice|dijo|dicen|piensa|cree|"
                      r"dit|disait|pense|pensait|trouve)\b")
SPEAKERS = words("i we ai j'ai yo nous")
# What opens an introduction: "hi, I'm sam" is a name where a bare "i'm sick" is not.
GREETING = re.compile(r"^(?:(?:so|well|yes|yeah|oh|ok|okay|and|bueno|pues|alors|oui|bon)\W*\s*)*"
                      r"(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|hola|buenas|"
                      r"buenos\s+dias|buenas\s+tardes|bonjour|bonsoir|salut)\b(?:\W*\s*(?:so|"
                      r"well|everyone|there|all|a\s+todos|tout\s+le\s+monde))*\W*$")
TITLES = words("dr dr. mr mr. mrs mrs. ms ms. miss prof prof. doctor professor")
FILLERS = re.compile(r"\b(?:u+m+|u+h+|uhm+|erm+|hmm+|mm+|euh+|heu+|ehm+|emm+)\b[,.]?\s*",
                     re.IGNORECASE)
# Words that end a value: "Acme" in "I work at Acme as a data analyst".
VALUE_END = {
    "en": "and but so because cause as for since in at with where which who that when while "
          "though although or then now right currently actually i i'm im i've i'd we we're my "
          "our it it's from on to until before after about like there here nice pleased what "
          "how if is was are were calling speaking by yeah yes too also anyway please thanks "
          "thank last next this ago yesterday today recently every most already anymore "
          "full-time part-time near",
    "es": "y e pero porque como en desde hace con que donde cuando mientras o ahora actualmente "
          "tambien pues para yo mi mis me soy trabajo vivo tengo estoy llevo aunque asi hoy ayer "
          "todos todas cada muy a al por sin hasta es era cerca",
    "fr": "et mais parce car comme chez a au aux en depuis avec que qui ou donc pour dans aussi "
          "maintenant actuellement je j' mon ma mes puis quand alors sinon est c'est il elle on "
          "cette ce tous toutes tres vraiment pres"}
GOAL_END = {"en": r"because|since|so\s+that|but|and\s+i|which",
            "es": r"porque|pero|y\s+(?:yo|me|mi)", "fr": r"parce|car|mais|et\s+(?:je|j')"}
CLAUSE_SPLIT = {  # "... and I ...": where one statement ends and the next begins
    "en": r"\s+(?:and|but|so|because|then)\s+(?=(?:i|i'm|im|i've|i'd|my|we|we're|our)\b)",
    "es": r"\s+(?:y|e|pero|porque|pues|aunque)\s+(?=(?:yo|mi|mis|trabajo|vivo|soy|tengo|estoy|"
          r"llevo|estudio|me|naci|vengo|creci|quiero)\b)",
    "fr": r"\s+(?:et|mais|car|donc|puis)\s+(?=(?:je\b|j'|mon\b|ma\b|mes\b|moi\b))"}
# How a part of a sentence that asks begins: it tells no fact, and may ask to recall one.
ASKS = {
    "en": re.compile(r"^(?:what|what's|whats|where|where's|who|who's|how|why|when|which|do|does|"
                     r"did|can|could|would|will|have|has|is|are|am|remind|tell\s+me|say|remember|"
                     r"you\s+(?:remember|know|recall|forgot)|i\s+(?:already\s+|just\s+)?"
                     r"(?:told|said|mentioned))\b"),
    "es": re.compile(r"^(?:que|como|donde|cual|cuales|quien|cuant[oa]s?|de\s+donde|a\s+que|"
                     r"para\s+quien|en\s+que|te\s+acuerdas|recuerdas|se\s+acuerda|sabes|sabe|"
                     r"me\s+recuerdas|dime|(?:ya\s+)?te\s+dije)\b"),
    "fr": re.compile(r"^(?:comment|ou|quel|quelle|quels|qui|qu'est-ce|est-ce|d'ou|pour\s+qui|"
                     r"chez\s+qui|combien|tu\s+te|vous\s+vous|te\s+souviens|vous\s+souvenez|"
                     r"tu\s+sais|vous\s+savez|rappelle|rappelez|dis-moi|dites-moi|"
                     r"je\s+(?:t'ai|vous\s+ai)|c'(?:est|etait)\s+quoi|tu\s+t'en\s+souviens)\b")}
DISCOURSE = re.compile(r"^(?:(?:and|so|also|wait|sorry|ok|okay|hey|oh|well|but|then|quick\s+"
                       r"question|by\s+the\s+way|y|pues|bueno|oye|perdona|perdon|disculpa|"
                       r"entonces|et|alors|mais|bon|attends|pardon|dis|dites)\b[\s,]*)+")


# ---------------------------------------------------------------------------- recall questions


def _cues(lang: str, cues: list[tuple[str, str]]) -> list[tuple[str, re.Pattern[str]]]:
    return [(kind, re.compile(p.format(rel=REL[lang]))) for kind, p in cues]


_IS = r"(?:'s|s|\s+is|\s+was)"
_ROLE_WORDS = r"(?:job|job\s+title|title|position|occupation|profession)"
_NOT_JOB_TALK = r"(?!\s+(?:interview|offer|application|search))"
RECALL_CUES = {
    "en": _cues("en", [
        ("name", rf"\bwhat{_IS}\s+my\s+(?:first\s+|full\s+|last\s+)?name\b"),
        ("name", r"^who\s+am\s+i(?:\s+again)?$|\bwhat\s+am\s+i\s+called\b"),
        ("name", r"\bwhat\s+(?:do|did)\s+(?:you\s+call\s+me|i\s+say\s+my\s+name\s+(?:is|was))\b"),
        ("name", r"^(?:(?:can|could|would)\s+you\s+)?(?:say|tell\s+me|repeat)\s+my\s+name\b"
                 r"(?!\s+(?:in|correctly|right|properly))"),
        ("employer", r"\bwhere\s+(?:do|did)\s+i\s+(?:say\s+(?:that\s+)?i\s+(?:was\s+)?)?"
                     r"work(?:ed|ing)?\b"),
        ("employer", r"\b(?:who|what\s+company|what\s+firm)\s+(?:do|did)\s+i\s+(?:say\s+i\s+)?"
                     r"work\b"),
        ("employer", rf"\bwhat{_IS}\s+(?:the\s+name\s+of\s+)?my\s+(?:company|employer)\b"),
        ("role", r"\bwhat\s+(?:do|did)\s+i\s+(?:say\s+i\s+)?(?:do\s+(?:for\s+(?:a\s+living|work)|"
                 r"again)|work\s+as)\b"),
        ("role", rf"\bwhat{_IS}\s+my\s+{_ROLE_WORDS}\b{_NOT_JOB_TALK}"),
        ("place", r"\bwhere\s+(?:do|did)\s+i\s+(?:say\s+(?:that\s+)?i\s+(?:was\s+)?)?"
                  r"liv(?:e|ed|ing)\b|\bwhere\s+am\s+i\s+(?:living|"
                  r"based)\b|\bwhat\s+(?:city|town|country)\s+(?:do|did)\s+i\s+(?:say\s+i\s+)?"
                  r"live\b"),
        ("origin", r"\bwhere\s+am\s+i\s+(?:originally\s+)?from\b|\bwhere\s+(?:do|did|was)\s+i\s+"
                   r"(?:say\s+i\s+)?(?:come\s+from|grow\s+up|grew\s+up|born)\b"),
        ("person", rf"\bwho{_IS}\s+my\s+(?P<rel>{{rel}})\b"),
        ("person", rf"\bwhat{_IS}\s+(?:the\s+name\s+of\s+)?my\s+(?P<rel>{{rel}})(?:'s\s+name)?\b"),
        ("study", r"\bwhat\s+(?:do|did)\s+i\s+(?:say\s+i\s+)?(?:study|studied)\b|\bwhat\s+am\s+i\s+"
                  r"(?:studying|learning)\b"),
        ("goal", rf"\bwhat{_IS}\s+my\s+(?:goal|dream|plan)\b"),
        ("all", r"\bwhat\s+do\s+you\s+(?:know|remember|recall)\s+about\s+me\b|\bwhat\s+(?:have|did)"
                r"\s+i\s+told?\s+you\s+(?:about\s+(?:me|myself)|so\s+far)\b"),
        ("about", r"\bwhat\s+(?:did|have)\s+i\s+(?:say|said|tell\s+you|told\s+you|mention|"
                  r"mentioned)\s+about\s+(?P<x>.+)"),
        ("about", r"\bhow\s+many\s+(?P<x>.*\b(?:i|my|me)\b.*)"),
        ("about", r"\bhow\s+long\s+(?:have|had|did)\s+i\s+(?:been|worked)\s+(?P<x>(?:at|with|in|"
                  r"for|working)\b.*)"),
        ("said", r"^(?:what|which|where|who)\b(?P<x>.*\b(?:i\s+(?:already\s+)?(?:told\s+you|said|"
                 r"mentioned|gave|talked\s+about)|did\s+i\s+(?:already\s+)?(?:tell\s+you|say|"
                 r"mention|give|talk\s+about))\b(?!\s+(?:wrong|right|correctly|well|badly)).*)")]),
    "es": _cues("es", [
        ("name", r"\bcomo\s+(?:te\s+dije\s+que\s+)?me\s+llam(?:o|aba)\b|"
                 r"\bcual\s+(?:es|era)\s+mi\s+nombre\b|^quien\s+soy(?:\s+yo)?$"),
        ("employer", r"\b(?:donde|para\s+quien|en\s+que\s+empresa)\s+(?:te\s+dije\s+que\s+)?"
                     r"trabaj(?:o|aba)\b|"
                     r"\bcual\s+(?:es|era)\s+mi\s+empresa\b"),
        ("role", r"\ba\s+que\s+me\s+dedico\b|\b(?:de|en)\s+que\s+trabajo\b|\bcual\s+(?:es|era)\s+"
                 r"mi\s+(?:trabajo|puesto|profesion|cargo)\b"),
        ("place", r"\b(?:donde|en\s+que\s+ciudad)\s+(?:te\s+dije\s+que\s+)?viv(?:o|ia)\b"),
        ("origin", r"\bde\s+donde\s+(?:soy|vengo)\b|\bdonde\s+naci\b"),
        ("person", r"\b(?:como\s+se\s+llama|quien\s+es)\s+mi\s+(?P<rel>{rel})\b"),
        ("study", r"\bque\s+(?:estudio|estudie|estoy\s+estudiando)\b"),
        ("goal", r"\bcual\s+(?:es|era)\s+mi\s+(?:objetivo|meta|sueno)\b"),
        ("all", r"\bque\s+(?:sabes|recuerdas|sabe|recuerda)\s+(?:de|sobre)\s+mi\b"),
        ("about", r"\bque\s+te\s+(?:dije|conte|he\s+dicho|he\s+contado|hable)\s+(?:sobre|de|"
                  r"acerca\s+de)\s+(?P<x>.+)"),
        ("about", r"\bcuant[oa]s?\s+(?P<x>.*\b(?:mi|mis|tengo|llevo|yo)\b.*)"),
        ("said", r"\bque\s+te\s+(?:dije|conte|he\s+dicho|he\s+contado)\b(?P<x>.*)")]),
    "fr": _cues("fr", [
        ("name", r"\bcomment\s+(?:est-ce\s+que\s+)?(?:je\s+(?:t'ai|vous\s+ai)\s+dit\s+que\s+)?"
                 r"je\s+m'appel(?:le|ais)\b|\bje\s+m'appelle\s+"
                 r"comment\b|\b(?:quel\s+(?:est|etait)|c'(?:est|etait)\s+quoi)\s+mon\s+(?:nom|prenom)\b|"
                 r"^qui\s+suis-je$"),
        ("employer", r"\b(?:ou|pour\s+qui|chez\s+qui)\s+(?:est-ce\s+que\s+)?je\s+travaille\b|"
                     r"\bje\s+travaille\s+(?:ou|chez\s+qui|pour\s+qui)\b|\b(?:quelle\s+est|"
                     r"c'(?:est|etait)\s+quoi)\s+(?:mon\s+entreprise|ma\s+boite|ma\s+societe)\b"),
        ("role", r"\b(?:qu'est-ce\s+que\s+|ce\s+que\s+)?je\s+fais(?:\s+quoi)?\s+(?:dans\s+la\s+vie|"
                 r"comme\s+(?:travail|metier|boulot))\b|\b(?:quel\s+(?:est|etait)|c'(?:est|etait)\s+quoi)\s+mon\s+"
                 r"(?:metier|poste|travail|job|boulot)\b"),
        ("place", r"\bou\s+(?:est-ce\s+que\s+)?(?:j'habite|je\s+vis)\b|\b(?:j'habite|je\s+vis)\s+"
                  r"ou\b"),
        ("origin", r"\bd'ou\s+(?:est-ce\s+que\s+)?je\s+(?:viens|suis)\b|\bje\s+viens\s+d'ou\b"),
        ("person", r"\b(?:comment\s+s'appelle|qui\s+est)\s+(?P<poss>mon|ma)\s+(?P<rel>{rel})\b"),
        ("study", r"\b(?:qu'est-ce\s+que|ce\s+que)\s+j'etudie\b|\bj'etudie\s+quoi\b"),
        ("goal", r"\b(?:quel\s+(?:est|etait)|c'(?:est|etait)\s+quoi)\s+mon\s+"
                 r"(?:objectif|but|reve)\b"),
        ("all", r"\b(?:qu'est-ce\s+que|ce\s+que)\s+(?:tu\s+sais|vous\s+savez|tu\s+te\s+rappelles|"
                r"vous\s+vous\s+rappelez)\s+(?:sur|de)\s+moi\b"),
        ("about", r"\b(?:(?:qu'est-ce\s+que|ce\s+que)\s+je\s+(?:t'ai|vous\s+ai)\s+dit\s+(?:sur|de|"
                  r"a\s+propos\s+de)|je\s+(?:t'ai|vous\s+ai)\s+dit\s+quoi\s+(?:sur|a\s+propos\s+"
                  r"de))\s+(?P<x>.+)"),
        ("about", r"\bcombien\s+(?P<x>.*(?:\bje\b|\bj'|\bmon\b|\bma\b|\bmes\b).*)"),
        ("said", r"\b(?:(?:qu'est-ce\s+que|ce\s+que)\s+je\s+(?:t'ai|vous\s+ai)\s+(?:dit|raconte)|"
                 r"je\s+(?:t'ai|vous\s+ai)\s+(?:deja\s+)?dit\s+(?=ou|quand|comment|quel|qui|ce\s+que|"
                 r"pourquoi))\b(?P<x>.*)")]),
}
# A question that names what to remember ("do you remember ...", "... again?") then asks
# about these.
RECALL_MARKERS = {
    "en": re.compile(r"\b(?:remember|recall|remind\s+me|again|forgot|forget|forgotten)\b|"
                     r"\byou\s+(?:still\s+)?know\b|\bdid\s+i\s+(?:already\s+|ever\s+)?(?:say|"
                     r"tell\s+you|mention)\b|\bhave\s+i\s+(?:already\s+)?(?:told|said|mentioned)\b|\bi\s+(?:already\s+|just\s+)?"
                     r"(?:told|said|mentioned)\b"),
    "es": re.compile(r"\b(?:te\s+acuerdas|recuerdas|se\s+acuerda|recuerda|sabes|sabe|"
                     r"me\s+recuerdas|otra\s+vez|te\s+dije|olvidaste|olvidado)\b"),
    "fr": re.compile(r"\b(?:tu\s+te\s+souviens|vous\s+vous\s+souvenez|te\s+souviens-tu|"
                     r"vous\s+souvenez-vous|tu\s+te\s+rappelles|vous\s+vous\s+rappelez|"
                     r"rappelle-moi|rappelez-moi|tu\s+sais|vous\s+savez|deja|encore|oublie)\b|"
                     r"\bje\s+(?:t'ai|vous\s+ai)\s+(?:deja\s+)?dit\b")}
RECALL_MARKED = {
    "en": _cues("en", [
        ("name", r"\bmy\s+(?:first\s+|full\s+|last\s+)?name\b(?!\s*(?:is|'s)\b)|\bwho\s+i\s+am\b|"
                 r"\bwhat\s+i'?m\s+called\b|\b(?:remember|forgot|forget|forgotten|know)\s+me\b"),
        ("employer", r"\bwhere\s+i\s+(?:said\s+i\s+)?work\b|\bwho\s+i\s+work\s+for\b|\bmy\s+"
                     r"(?:company|employer|workplace)\b"),
        ("role", rf"\bwhat\s+i\s+(?:do|work\s+as)\b|"
                 rf"\bmy\s+(?:role|{_ROLE_WORDS})\b{_NOT_JOB_TALK}"),
        ("place", r"\bwhere\s+i\s+live\b|\bwhere\s+i'?m\s+(?:living|based)\b"),
        ("origin", r"\bwhere\s+i'?m\s+from\b|"
                   r"\bwhere\s+i\s+(?:come\s+from|grew\s+up|was\s+born)\b"),
        ("person", r"\bmy\s+(?P<rel>{rel})\b"),
        ("study", r"\bwhat\s+i\s+(?:study|studied|am\s+studying|'m\s+studying)\b"),
        ("goal", r"\bmy\s+(?:goal|dream|plan)s?\b|\bwhat\s+i\s+want\s+to\s+(?:become|be|do)\b"),
        ("said", r"\b(?:remember|recall|remind\s+me|forgot|forget)\b.*?\b(?:what|where|which|who|"
                 r"when|how|if|whether)\b(?!.*\b(?:should|could|can|need|must|have\s+to|will|"
                 r"going\s+to)\b)(?P<x>.*\b(?:i|my|me|i'm|i've|i'd)\b.*)")]),
    "es": _cues("es", [
        ("name", r"\bmi\s+nombre\b(?!\s+es\b)|\bde\s+mi$"),
        ("employer", r"\bmi\s+empresa\b"),
        ("role", r"\bmi\s+(?:trabajo|puesto|profesion|cargo)\b"),
        ("person", r"\bmi\s+(?P<rel>{rel})\b"),
        ("goal", r"\bmis?\s+(?:objetivos?|metas?|suenos?)\b"),
        ("said", r"\b(?:te\s+acuerdas|recuerdas|se\s+acuerda|me\s+recuerdas)\b.*?\b(?:que|donde|"
                 r"adonde|cuando|como|quien|cual)\b(?P<x>.*\b(?:mi|mis|me|yo|quiero|queria|tengo|"
                 r"tenia|he|dije|hice|fui|estoy|soy|voy|vivo|trabajo|estudio)\b.*)")]),
    "fr": _cues("fr", [
        ("name", r"\bmon\s+(?:nom|prenom)\b(?!\s+(?:est|c'est)\b)|\b(?:de\s+|d')moi$"),
        ("employer", r"\bmon\s+(?:entreprise|employeur)\b|\bma\s+(?:boite|societe)\b"),
        ("role", r"\bce\s+que\s+je\s+fais\b|\bmon\s+(?:metier|poste|travail|job|boulot)\b"),
        ("person", r"\b(?P<poss>mon|ma)\s+(?P<rel>{rel})\b"),
        ("goal", r"\b(?:mon|mes)\s+(?:objectifs?|buts?|reves?)\b"),
        ("said", r"\b(?:souviens|souvenez|rappelles|rappelez|rappelle-moi|rappelez-moi)\b.*?"
                 r"(?:\bce\s+que|\bce\s+qu'|\bou|\bquand|\bcomment|\bqui|\bquel|\bquelle|"
                 r"\bpourquoi)\b(?P<x>.*(?:\bje\b|\bj'|\bmon\b|\bma\b|\bmes\b|\bm'|\bmoi\b).*)")]),
}
