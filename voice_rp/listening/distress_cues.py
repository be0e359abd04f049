"""The words that show a user in distress, in English, Spanish and French.

Data for voice_rp.listening.turn_kind, kept apart from the other kinds' cues because it is the
largest table and the one that must never miss: regular expressions over folded text (lower
case, no accents, plain apostrophes). Grow it when a labelled set (tests/data/turn_kinds*.tsv,
tests/data/distress_dev*.tsv) or the spoken benchmark (scripts/bench_listening.py) shows a miss.
"""

from __future__ import annotations

import re

from voice_rp.listening.turn_cues import any_of

# Every pattern runs on folded text: lower case, no accents, plain apostrophes, one space.
DISTRESS = any_of(
    # English
    r"\b(i'm|i am|im|feel|feeling|been|get|getting|was|i've been) "
    r"(so |very |really |a bit )?suicidal",
    r"\b(my|i) (\w+ ){0,3}suicide\b(?! (prevention|awareness|hotline|line|rates?|research|risk))",
    r"\b(attempt|attempted|commit|committing|commit) suicide\b", r"\bsuicidal (thoughts|feelings)",
    r"\b(kill|killing|hurt|hurting|harm|harming|cut|cutting|off) myself\b",
    r"\b(i|i've|i'm) (\w+ ){0,3}self[ -]?(harm|arm)", r"\bself[ -]?harm(ing)? again\b",
    r"\b(end|ending|take|taking) (my|my own) li(fe|ves)\b",
    r"\b(want|wanna|going|like) (to )?die\b", r"\bwant(ed)? to be dead\b",
    r"\bwish (i|i'd) (was|were|had) (dead|never been born|died)\b", r"\bbetter off dead\b",
    r"\b(don't|do not|dont|no longer) (want|wanna) to (live|be alive|exist|wake up)\b",
    r"\b(no|nothing to|no reason to|no point in) (reason to )?liv(e|ing)\b",
    r"\bnothing (left )?to live for\b",
    r"\b(see|is) (no|the) point (of|in) (anything|living|life|going on|it all|trying)\b",
    r"\bno point (of|in) (anything|living|life|going on|it all)\b",
    r"\bend (it|things) all\b", r"\bending (it|things) all\b", r"\bending it\b.*\bfor good\b",
    r"\b(can't|cannot|cant) (go on|take (it|this) any ?more|do this any ?more|cope)\b",
    r"\b(nobody|no one|no-one) (would|will) (care|notice|miss me)\b",
    r"\b(better off|be happier) without me\b", r"\b(disappear|vanish)(ing)? forever\b",
    r"\bi (feel|am|'m|m) (so |completely |totally )?(hopeless|worthless)\b",
    r"\bi (hate|don't want) my life\b",
    r"\b(i|i've|i'm|took|take|an) (\w+ ){0,3}over ?dos(e|ed|ing)\b",
    r"\b(i'm|i am|im) (not safe|in danger)\b", r"\b(hits|beats|hurts|abuses|chokes) me\b",
    r"\bgive up on (everything|life|living)\b", r"\bwant (it|everything) to (stop|end)\b",
    r"\bpoint (in|of) (living|life|going on|anything|being alive)\b", r"\bno way out\b",
    r"\bend(ing)? (my|it|things|at) (all|live|lives)\b",
    r"\b(think|thinking|thought) (to|of|about) (die|dying|death|suicide|ending it)\b",
    r"\b(took|take|taking|swallowed) (many|a lot of|all (of )?(my|the)|too many|loads of) "
    r"(pills|tablets)\b", r"\b(to|and) not wake up\b", r"\bnever wake up\b",
    r"\bgoodbye (letter|letters|note|notes)\b", r"\bsuicide note",
    r"\b(want|wanna) to disappear\b", r"\b(be|being) here any ?more\b",
    r"\b(i'm|i am|im) (just )?a burden\b", r"\beveryone would be better off\b",
    r"\b(jump|jumping) (off|from|in front of)\b", r"\b(hang|hanging|drown|shoot) myself\b",
    r"\b(scared|afraid) to go home\b", r"\bcan't stop crying\b",
    # Spanish
    r"\bquitar(me)? la vida\b", r"\bmatarme\b", r"\bme quiero matar\b",
    r"\b(hacerme|hacerme mucho) dano\b", r"\blastimarme\b", r"\bcortarme\b",
    r"\b(me )?autolesion(o|e|arme)\b",
    r"\b(quiero|quisiera|ganas de) morir", r"\bno quiero (seguir )?vivir\b",
    r"\bno (tiene|le veo) sentido (vivir|nada|la vida|seguir)\b", r"\bacabar con (todo|mi vida)\b",
    r"\bno puedo mas\b", r"\bnadie me (echaria|extranaria)\b", r"\bmejor muert[oa]\b",
    r"\bme siento (tan )?(desesperad[oa]|sin esperanza)\b",
    r"\bno le veo sentido\b", r"\b(me pega|me golpea|me maltrata)\b",
    r"\bquitar ?me la vida\b", r"\bcarta de despedida\b", r"\bno aguanto mas\b",
    r"\b(ganas de|quiero) desaparecer\b", r"\bno (quiero )?despertar(me)? nunca\b",
    r"\bmejor (estarian|estaria|estarias) sin mi\b", r"\bmiedo de volver a casa\b",
    r"\b(tome|me tome|tomarme) (muchas|todas las|un monton de) pastillas\b",
    # French
    r"\bme (suicider|tuer)\b", r"\b(me suicider|suicidaire|suicidarme|suicidar me)\b",
    r"^suicide[.!]?$", r"\b(me faire|me fais) du mal\b", r"\bme blesser\b",
    r"\bmettre fin a (mes jours|ma vie)\b", r"\b(envie de|veux|voudrais) mourr?ir\b",
    r"\bvois plus (l'interet|le sens|de sens|d'interet)\b", r"\bme foutre en l'air\b",
    r"\bpersonne ne (remarquerait|verrait|s'apercevrait)\b", r"\b(me frappe|me bat)\b",
    r"\b(envie de|veux|voudrais) disparaitre\b", r"\blettre d'adieu\b",
    r"\bpeur de rentrer (chez moi|a la maison)\b",
    r"\b(pris|avale) (plein de|beaucoup de|tous mes|trop de) (cachets|medicaments)\b",
    r"\b(plus envie de|ne veux plus|veux plus) vivre\b", r"\ben finir\b",
    r"\bj[e']? ?n?'?en peux plus( de (vivre|tout|rien))?([.!,]|$)", r"\bpersonne ne me regretter",
    r"\bplus aucun sens\b", r"\bje me sens (tellement |si )?(desespere|sans espoir)",
)

# More ways people say it, in the three languages: wanting not to be alive, harming oneself.
DISTRESS_MORE = any_of(
    r"\b(don't|do not|dont|no longer|never) (want|wanna|wish) to (be )?(alive|here|around|exist)\b",
    # what recognition makes of it: "I don't want to love anymore", "kill my shelf"
    r"\b(don't|do not|dont) (want|wanna) to (love|leave|life) any ?more\b",
    r"\b(kill|hurt|harm) my ?shelf\b", r"\bwant to (dye|dy)\b",
    r"\b(not|isn't|is not|isnt) worth (living|it any ?more|going on)\b", r"\bworth living\b",
    r"\b(easier|better) (for everyone )?if i (was|were|wasn't|weren't) (gone|dead|here|around)\b",
    r"\bif i (was|were) (gone|dead|not here|not around)\b",
    r"\b(cutting|cut) (again|my (arms?|wrists?|legs?))\b",
    r"\b(burn|burning|punish|punishing|starve|starving) myself\b",
    r"\b(pills|tablets) (saved|stored|hidden)\b",
    r"\b(sleep|go to sleep) (forever|and (never|not) wake)\b",
    r"\bend (it|everything|things)( now| tonight| soon)?[.!]?$",
    r"\b(ending|end) (it|everything|my life|things) (tonight|soon|for good)\b", r"\bkill myself\b",
    r"\bplan(ning)? to (die|end it|kill)\b", r"\bdark thoughts\b",
    r"\bthoughts of (dying|death|suicide|ending)\b",
    r"\b(want|wanna) (it all|everything) to (be over|end|stop)\b", r"\b(be|being) (dead|gone)\b",
    r"\bno (reason|will) to (go on|keep going|live|continue)\b", r"\b(end|take) my (own )?life\b",
    r"\b(mi vida|la vida) no (vale|tiene sentido)\b",
    r"\bno (quiero|quisiera) (estar|seguir) (aqui|viv[oa])\b",
    r"\bno (quiero|quisiera) existir\b",
    r"\b(pienso|pensando|pense) en (morir|matarme|suicid|acabar)\b",
    r"\b(tirarme|lanzarme) (de|por|al|a las?)\b",
    r"\b(me corto|me he cortado) (las?|los?|el|mis?) (brazos?|munecas?|piernas?)\b",
    r"\bno vale la pena (vivir|seguir)\b", r"\bdesaparecer\b.*\bnadie\b",
    r"\bdormir y no despertar\b",
    r"\ben finir avec (la vie|tout|ma vie)\b",
    r"\bne (veux|voudrais) plus (etre la|exister|vivre)\b",
    r"\b(me jeter|sauter) (sous|du|d'un|par)\b", r"\b(je me coupe|me scarifier|scarif)\b",
    r"\bpense a (mourir|me tuer|en finir|la mort|me suicider)\b",
    r"\bdormir et ne (plus|pas) me reveiller\b",
    r"\bla vie (ne vaut|n'a) (pas|plus|aucun)\b", r"\bvaut pas la peine (de vivre|de continuer)\b",
)

# What people in crisis say besides the words above: a passive wish to die, the means and the
# plan, goodbyes, self-harm, and danger at home; in the three languages, with learners' grammar.
DISTRESS_EXTRA = any_of(
    r"\b(stop|end|be over),? (permanently|forever|for good)\b",
    r"\breason to (keep )?(living|live|go on|going on|be alive)\b",
    r"\b(thinking|thought|think) (of|about) ending (things|it|everything|my life)\b",
    r"\b(giving|give) up for good\b", r"\b(estoy|me siento|soy) (muy )?suicida\b",
    r"\b(pense|pienso|pensando) (au|a la|en el|en la) (suicid|mort)",
    r"\b(easier|better) if i (just )?(didn't|did not|don't|never|wouldn't) wake up\b",
    r"\bwish (i hadn't|i had not|i didn't|i never) (woken|woke|wake) up\b",
    r"\bwish (a|the|some) (car|bus|train|truck) would hit me\b", r"\bwish i (could )?(vanish|"
    r"disappear)(ed)?\b", r"\b(painless|easiest|quickest) way to (die|go)\b",
    r"\b(saving|saved|stockpiling|hoarding) (up )?(my |the )?(pills|tablets|meds|medication)\b",
    r"\btake them all\b", r"\bhow many (tablets|pills) (it takes|to take)\b",
    r"\b(a|the) rope\b.*\b(use|hang)\b", r"\b(bridge|roof|window|ledge|floor)\b.*\b(jump|jumping|"
    r"letting go|let go)\b", r"\b(jump|jumping)\b.*\b(bridge|roof|window|ledge)\b",
    r"\b(gun|knife|blade|razor)\b.*\b(on myself|myself|again)\b", r"\bknife out again\b",
    r"\binjecting all\b", r"\b(driving|drive) (my car )?into (a|the) (wall|tree|river|truck)\b",
    r"\b(of|about|keep|been|i'm|im) walking into the (sea|river|lake)\b",
    r"\b(a|my) plan and a date\b",
    r"\b(unalive|unaliving|on alive|un alive) myself\b", r"\bkms\b", r"\bkys\b",
    r"\bchecking out for good\b", r"\bcheck out for good\b",
    r"\b(do|doing) something (stupid|drastic)\b.*\b(tonight|can't breathe|cant breathe|myself)\b",
    r"\bi think i'?m going to do something (stupid|drastic)\b",
    r"\bdone with (life|living|everything)\b", r"\b(i'm|im|i am) ready to go\b",
    r"\b(won't|will not|wont) be (here|around|needing (it|this|them)) (after|by|next|much|for)",
    r"\b(don't|do not) (think i'll|plan to) be (here|around)\b", r"\bnot (going to|gonna) be "
    r"(a problem|around|here) for (anyone|anybody|much)", r"\b(my|this is my) last "
    r"(conversation|message|call|session|goodbye)\b", r"\bgiving away my (things|stuff)\b",
    r"\bmy own funeral\b", r"\bgoodbye (messages|letters?|notes?) to\b", r"\bletters to my "
    r"(family|kids|children|friends)\b", r"\bwritten letters\b",
    r"\b(scratching|cutting|cut|carving) (my )?(wrists?|arms?|legs?|skin)\b",
    r"\bcut (deeper|again)\b", r"\bneed stitches\b", r"\bburn(ed|t|ing)? myself\b",
    r"\bjust need to feel something\b", r"\bdeserve to (suffer|die|be hurt)\b",
    r"\bonly way out\b.*\b(death|dying|die)\b", r"\b(happier|better off) if i (just )?"
    r"(vanished|disappeared|was gone|were gone|died|wasn't here)\b",
    r"\bdragging (them|everyone) down\b", r"\btired of being alive\b", r"\brather not exist\b",
    r"\bdreaming about dying\b", r"\b(i )?want(ed)? (to )?(die|dead)\b", r"\bwant to kill me\b",
    r"\b(kill|hurt|strangle|beat) me if\b", r"\b(threatens?|threatened)( that)? "
    r"(he|she|they)('d| would| will|'ll) (kill|hurt) (me|us|the kids)\b",
    r"\bthreatened to (hurt|kill)\b", r"\b(touches|touched) me\b", r"\bcomes into my room at "
    r"night\b", r"\blocks me in\b", r"\bgets violent\b", r"\b(he|she) has a (knife|gun)\b",
    r"\bbroke the door\b", r"\bscared (he's|she's|they're) coming back\b",
    r"\bhide in the (bathroom|closet|wardrobe)\b", r"\bit all (just )?(would )?stop,? "
    r"(permanently|forever)\b", r"\blet it (all )?be over\b", r"\bdead,? probably\b",
    # Spanish
    r"\bsi no me desperta(ra|se)\b", r"\b(todos|mi familia) (estarian|estaria|seria|serian) "
    r"(mejor|mas felices?) (sin mi|si yo no)\b", r"\bsi yo no existiera\b",
    r"\bpastillas (guardadas|escondidas)\b", r"\bme las voy a tomar todas\b",
    r"\b(hacer|voy a hacer) una locura\b", r"\bsoy una carga\b", r"\bmi despedida\b",
    r"\bno voy a volver\b", r"\btirarme (del|de un|por la|al)\b", r"\bsaltar por la ventana\b",
    r"\bme hago dano\b", r"\bseguir viviendo\b", r"\b(matar ?me|morirme|morir me)\b",
    r"\bnadie (notaria|se daria cuenta) si me muero\b", r"\bojala me (atropellara|muriera)\b",
    r"\bno estoy segur[ao] en (mi|casa)\b", r"\bcuerda para (colgarme|ahorcarme)\b",
    r"\b(colgarme|ahorcarme)\b", r"\bmi padrastro\b.*\b(noche|miedo|toca)\b",
    r"\bharto de vivir\b", r"\bharta de vivir\b", r"\bdeseo morir", r"\bcartas de despedida\b",
    r"\bquitarme de en medio\b", r"\bme rindo con la vida\b", r"\bya no voy a estar aqui\b",
    r"\bme va a matar\b", r"\bme quemo\b", r"\bpara sentir algo\b",
    # French
    r"\bsi je ne me reveillais (pas|plus)\b", r"\bjamais me reveiller\b",
    r"\bme scarifi", r"\bme mutile\b", r"\b(tout le monde|ma famille) serait mieux sans moi\b",
    r"\bfaire une betise\b", r"\b(mis de cote|garde) des medicaments\b",
    r"\btout prendre ce soir\b",
    r"\bplus aucun espoir\b", r"\bun fardeau pour\b", r"\bmon dernier message\b",
    r"\badieu\b.*\bmerci\b",
    r"\bme blesse expres\b", r"\b(allait|va|vais|veut) me tuer\b", r"\bpas en securite\b",
    r"\bcorde pour me pendre\b", r"\bme pendre\b", r"\bque (ca|tout) s'arrete\b",
    r"\bmon beau-pere\b.*\b(nuit|peur|touche)\b", r"\blaisse tomber pour de bon\b",
    r"\bbrule avec une cigarette\b", r"\bpour sentir quelque chose\b",
    r"\b(je )?(ne )?serai plus la\b", r"\blettres d'adieu\b", r"\benvie de me faire mal\b",
    r"\bvouloir (mort|mourir)\b", r"\bune voiture me renverse\b",
    r"\b(avec|a) un couteau\b.*\b(porte|maison|chez)\b|\bdevant ma porte avec\b",
    r"\bje devrais pas exister\b", r"\bidees noires\b", r"\bm'en aller definitivement\b",
    r"\bm'a etrangle\b", r"\bm'etrangl",
)

# Said obliquely: what people in crisis say without the obvious words. Violence to the user or
# a child, panic, hiding, a passive wish not to go on, the means, goodbyes, a decision made.
DISTRESS_OBLIQUE = any_of(
    r"\b(dad|father|stepdad|step dad|stepfather|mum's|mom's|uncle|coach|husband|boyfriend|"
    r"partner|ex|he|she)\b[^.]{0,40}\b(hits?|hitting|beats?|throws (stuff|things) at|"
    r"touch(es|ed)|broke my|hurts? my|locks?|won't let me)\b",
    r"\b(he|she|they|dad|father|mum|mom|husband|boyfriend|partner|wife|girlfriend)\b[^.]{0,30}"
    r"\b(hit|hits|hitting|beat|beats|pushed|pushes|choked?|strangled?) (me|my (mum|mom|mother|"
    r"sister|brother|son|daughter))\b", r"\bmarks on (his|her|my) (back|arms?|legs?)\b",
    r"\bworse if we tell\b", r"\bfinish me off\b", r"\bnext time he'll\b",
    r"\b(i'm|im|i am) (ten|eleven|twelve|thirteen|fourteen|fifteen|1[0-5]) and my\b",
    r"\bhiding in (the|my) (bathroom|closet|cupboard|wardrobe|room)\b",
    r"\bbanging on (the|my) (front )?door\b", r"\b(frightened|afraid|scared) of (what he'?ll|"
    r"him|her|what she'?ll)\b",
    r"\bcan't (get air|breathe)\b(?! without)", r"\b(think|feel like) i'?m (dying|going to die)\b",
    r"\bgoing to pass out\b", r"\bcan't stop shaking\b",
    r"\b(rather|hoping|hope|wish)( i)? (just )?(not|never|won't|wouldn't) (wake|get) up\b",
    r"\bnever get up\b", r"\b(don't|dont) want tomorrow to come\b",
    r"\bwish i'?d been in the car\b", r"\bwhy i'?m still here\b",
    r"\b(won't|wont) be (around|here|hear|anywhere|going)\b", r"\bbetter (with ?out|without) me\b",
    r"\b(happier|better off|easier) if i (wasn't|weren't|was not|just wasn't) (around|here)\b",
    r"\bdeserve a break from me\b", r"\ba burden to\b", r"\bone way out\b",
    r"\b(sleeping pills|paracetamol|painkillers)\b", r"\bthe whole box\b",
    r"\b(he|she) (had|has|pulled|held|carries) a (knife|gun)\b",
    r"\b(took|swallowed) (a bunch of|lots of|a lot of|all (of )?my) (pills|tablets)\b",
    r"\b(don't|dont|do not) think i can (survive|make it|go on|keep going|get through)\b",
    r"\b(me fuera|irme) para siempre\b",
    r"\b(servira|sert) plus a rien pour moi\b",
    r"\bpeur de ce que (j'allais|je vais|je pourrais) (faire|me faire)\b",
    r"\b(frapper|frappe|tape)\b[^.]{0,60}\b(il|elle) a \w+ ans\b",
    r"\b(bridge|roof|rooftop|ledge|train tracks|tracks)\b[^.]{0,60}\b(looking down|on my mind|"
    r"jump)\b", r"\bopen window\b", r"\bpunish my body\b", r"\bhate myself\b",
    r"\b(razor|blade)\b[^.]{0,30}\b(legs?|arms?|wrists?|skin|feel)\b",
    r"\bthe thing to my arms\b", r"\bsaid my goodbyes\b", r"\b(given|giving|gave) (most of )?(my )?"
    r"(stuff|things|belongings) away\b", r"\bwrote a note for\b", r"\bleaving for good\b",
    r"\bplan(ning)? how to end\b", r"\bthe plan in my head\b",
    r"\bat peace\b.*\b(sorted|decided)\b|"
    r"\b(sorted|decided)\b.*\bat (peace|piece)\b", r"\bi'?ve decided\b.*\bnever\b|\bnot have to "
    r"worry about anything ever again\b",
    r"\bno future for me\b", r"\bstuck like this forever\b", r"\bcan't bear it\b",
    r"\bcan'?t survive\b", r"\b(don't|dont) (really )?care what happens to me\b",
    r"\bnothing left in me\b", r"\btired of (the )?life\b", r"\bno more force\b",
    r"\b(make|making) it to the end of the (month|week|year)\b", r"\bfrightened myself\b",
    r"\bdriving (really )?fast on purpose\b", r"\bwant the pain to stop\b",
    r"\b(not|isn't) going to change\b[^.]{0,30}\bforever\b", r"\bdrowning\b[^.]{0,30}\bland\b",
    r"\bdon't want to keep going\b", r"\bwon't have to (carry|worry)\b",
    # Spanish
    r"\b(le pega|me pega|le pegan|me empuja|la encierra|me toca|entra en mi cuarto)\b",
    r"\bno salgo viva\b", r"\bencerrad[oa] en el bano\b", r"\bgolpeando la puerta\b",
    r"\bmiedo de lo que haga\b", r"\bno puedo respirar\b", r"\bcreo que me muero\b",
    r"\blloro sin parar\b", r"\b(agotad[oa]|cansad[oa]) de vivir\b",
    r"\bno quiero (mas )?la vida\b",
    r"\bno quiero seguir\b", r"\bnada tiene sentido\b", r"\bquerer morir\b",
    r"\b(juntando|guardando) pastillas\b", r"\bazotea\b", r"\bvias del tren\b",
    r"\b(desaparecer|irme) (y no volver|para siempre)\b", r"\bhaberme ido con\b",
    r"\bno quiero despertarme\b", r"\bme hundo\b", r"\bno veo salida\b",
    r"\bno hay futuro para mi\b", r"\bme queme\b", r"\bme despedi de todos\b",
    r"\bhe regalado\b", r"\bcartas para mis hijos\b", r"\bel plan en mi cabeza\b",
    r"\btodo decidido\b", r"\bno se si llego a\b", r"\bno voy a estar aqui\b",
    r"\bme di miedo\b", r"\b(mi papa|mi padre|su padre)\b[^.]{0,30}\b(pega|encierra|sin comer)\b",
    # French
    r"\b(tape|frappe|cogne)\b[^.]{0,30}\b(maman|moi|me|porte)\b", r"\bpapa tape\b",
    r"\bmon mari frappe\b", r"\bmains autour de mon cou\b", r"\bs'arretera pas\b",
    r"\bl'enferme\b", r"\bpour me toucher\b", r"\bpeur de lui\b", r"\bm'empeche de sortir\b",
    r"\bcachee? dans\b", r"\bplus a respirer\b", r"\bje vais mourr?ir\b",
    r"\bpleure sans arret\b", r"\bau secours\b", r"\busee?\b[^.]{0,30}\bpar la vie\b",
    r"\bplus envie de continuer\b", r"\bveux plus la vie\b", r"\bpas que je vais tenir\b",
    r"\b(compte|comptes) pas etre la\b", r"\bregle mes affaires\b", r"\bsi j'existais pas\b",
    r"\bcachets de cote\b", r"\bfailli pas redescendre\b", r"\bplus simple de (ne )?plus etre la\b",
    r"\bsi je disparaissais\b", r"\bune lettre pour mes parents\b", r"\bpartir avec (elle|lui)\b",
    r"\bme fous de ce qui peut m'arriver\b", r"\bun poids pour\b", r"\bcomment je ferais\b",
    r"\bavale toute la boite\b", r"\bsomniferes\b", r"\bveux plus me reveiller\b",
    r"\bje coulais\b", r"\bpas d'avenir pour moi\b", r"\bcigarette ecrasee\b",
    r"\bje suis pret\b[^.]{0,10}$", r"\bc'etait la derniere fois\b", r"\bavancer d'un pas\b",
    r"\bj'ai recommence\b[^.]{0,30}\blame\b", r"\btout sera fini\b",
    r"\bapres\b[^.]{0,20}\bils la trouveront\b|\bils la trouveront apres\b",
)

# Weaker signs: one alone is an everyday complaint, two together with the user's own voice are
# a person in trouble ("I'm so tired of everything, I feel trapped and alone").
DISTRESS_SIGNS = any_of(
    r"\bhopeless", r"\bworthless\b", r"\bpointless\b", r"\bno point\b", r"\btrapped\b",
    r"\ba burden\b", r"\b(so |all |completely |very )alone\b", r"\bempty\b", r"\bnumb\b",
    r"\btired of (everything|living|life|it all|being alive)\b",
    r"\b(give|giving) up\b(?! on (?!everything|life|living|myself))",
    r"\b(can't|cannot|cant) (go on|take (it|this|any more)|cope|do this|"
    r"handle (it|this|anything))\b",
    r"\bno way (out|forward)\b", r"\bno future\b",
    r"\b(nobody|no one) (cares|would (care|notice|miss))\b",
    r"\bbetter off without me\b", r"\bdisappear\b", r"\bfalling apart\b", r"\bbreaking down\b",
    r"\bend of my (rope|tether)\b", r"\b(scared|afraid) (of|for) my (life|safety)\b", r"\bunsafe\b",
    r"\bnothing matters\b", r"\bwhat's the point\b", r"\bcrying (all|every)\b", r"\bdarkness\b",
    r"\bsin salida\b", r"\bdesesperad[oa]\b", r"\bno valgo nada\b", r"\buna carga\b",
    r"\bsol[oa]s?\b",
    r"\bvaci[oa]\b", r"\b(harto|harta|cansad[oa]) de (todo|vivir|la vida)\b", r"\brendirme\b",
    r"\bnadie (me quiere|se daria cuenta|me echaria)\b", r"\bno tiene sentido\b",
    r"\bno puedo mas\b",
    r"\bsans issue\b", r"\bdesespere", r"\bje ne vaux rien\b", r"\bun fardeau\b", r"\bseule?\b",
    r"\bvide\b", r"\b(marre|fatigue|epuise|epuisee) de (tout|vivre|la vie)\b", r"\babandonner\b",
    r"\bpersonne (ne )?(m'aime|s'en rendrait)\b", r"\bca ne sert a rien\b", r"\bn'en peux plus\b",
)

SELF = re.compile(r"\b(i|i'm|i've|i'd|me|my|myself|im|ive|yo|me siento|mi|mis|je|j'|j'ai|moi|"
                   r"ma|mon|mes)\b")

# "I'd never hurt myself": the only distress phrases a negation turns around.
NEGATED_SELF_HARM = re.compile(
    r"\b(never|wouldn't|would not|won't|will not|not going to|don't want to|do not want to)"
    r" (\w+ ){0,2}(hurt|kill|harm|cut) myself\b")
