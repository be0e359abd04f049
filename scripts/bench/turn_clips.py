"""The end-of-turn benchmark's spoken turns: complete ones, ones with a thinking pause, and ones
where the user asks for a moment, in English, Spanish and French, each with its true end known.

A turn is built from recorded human speech (scripts/bench/real_speech.py), the bundled Piper
voice (English) and espeak-ng at three rates, so a policy tuned on one voice's timing is caught
out by another's. Each clip is 0.5 s of noise floor, the speech, then 4 s of the same floor, so
a wait of up to ~4 s can be seen. Pauses are silence put in by us, so where they begin, how long
they last and where the speech truly ends are known to the sample, not estimated.

Where a pause goes: the sentence's words are force-aligned to its known text with Whisper's
cross-attention (the bundled model, never a download), and the cut is made at the quietest 10 ms
near the word boundary, so no word is split. Half the pauses follow a word a speaker stops on
to think ("and", "the", "que", "parce que"), half any interior word; some have a filler ("um",
"este", "euh") said in the same voice before the silence; a few follow a clause that looks
finished ("I worked there for three years [pause] and then I moved to Berlin"): the hard case
for an endpointer that trusts the words.

Splits: a clip is held out (about 1/3) by a stable hash of its sentence (a hold clip: of its
hold phrase, so held-out phrases are unseen ones; a long answer is made of sentences of one
split), so a policy tuned on "dev" is judged on words it never saw.

Clips are planned first (`plan_clips`: cheap, filterable), then made from a `Speech` that gives
each piece's audio and word times; scripts/bench_turn_taking.py's caches both on disk (Piper's
output differs run to run), so the set is fixed.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voice_rp.audio import SAMPLE_RATE

from .real_speech import ASTERISK_VOICES, RealClip
from .utterances import noise_floor

LEAD_S = 0.5
"""Noise floor before the speech: the VAD warms up and learns the floor."""
TAIL_S = 4.0
"""Noise floor after the speech: the longest wait that can be observed."""
NOISE_DBFS = -60.0
PAUSES_S = (0.8, 1.2, 2.0, 3.0)
"""Thinking pauses, used in turn: 0.8 s is a long breath, 3 s a real search for words."""
HOLDS_S = (2.0, 3.0, 4.0, 6.0, 8.0, 10.0)
"""Silence after "give me a moment": a user taking the moment they asked for."""
LONG_MAX_S = 60.0
"""A long answer's sentences past this are left out."""
LONG_GAPS_S = (0.2, 0.5)
"""Silence between the sentences of a long answer (drawn in this range, fixed seed)."""
KINDS = ("complete_short", "complete_long", "paused", "hold")
LANGUAGES = ("en", "es", "fr")
TTS_SOURCES = {"en": ("piper", "espeak-130", "espeak-160", "espeak-190"),
               "es": ("espeak-115", "espeak-130", "espeak-155"),
               "fr": ("espeak-115", "espeak-130", "espeak-155")}
"""Piper's bundled voice is English; espeak-ng speaks all three. Spanish and French run slower:
the listening bench's pace (130 wpm) x 0.85-1.2."""
ESPEAK_VOICES = {"en": "en-us", "es": "es", "fr": "fr-fr"}
SEED = 2026

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "I have worked in customer support for about four years.", "Yes, I did.",
        "What does the team look like?",
        "My manager asked me to plan the move to the new office.",
        "We finished the project two weeks early and under budget.",
        "The hardest part was getting everyone to agree on a date.",
        "I usually start my day by reading through the support tickets.", "No, not really.",
        "I left because I wanted to work on bigger projects.",
        "How many people would I be working with?",
        "In my last role I trained six new members of the team.",
        "I think the most important thing is to listen to the customer first.",
        "We had a problem with a supplier who kept sending the wrong parts.",
        "So I called them every morning until the orders were right.", "Sure, that sounds good.",
        "I would like to learn more about data analysis.",
        "When I disagree with someone I try to understand their reasons before I answer.",
        "The project taught me to ask for help much earlier.",
        "Is there a chance to work from home some days?",
        "My biggest weakness is that I find it hard to say no.",
        "We built a small tool that saved the team about five hours a week.",
        "I moved to the city three years ago for my first job.",
        "That was probably the best decision I made that year.",
        "I enjoy working with people from different backgrounds.",
        "After the meeting I wrote down every question the client had asked.",
        "Honestly, I was nervous at the start."),
    "es": (
        "Trabajo en una tienda de ropa desde hace dos años.", "Sí, claro.",
        "¿Y tú qué haces los fines de semana?", "Los sábados voy al mercado con mi hermana.",
        "Me gusta cocinar pasta y a veces hago paella para mis amigos.",
        "El verano pasado viajé a la costa con mi familia.", "No, nunca he estado en Valencia.",
        "Mi ciudad es pequeña pero tiene un parque muy bonito.",
        "Estudio español porque quiero trabajar en México.",
        "Por la mañana tomo un café y leo las noticias.", "¿Cuál es tu comida favorita?",
        "Tengo dos hermanos y un perro que se llama Toby.",
        "Creo que el fútbol es muy aburrido en la televisión.",
        "El año que viene quiero aprender a tocar la guitarra.",
        "Vivo cerca del centro, así que voy andando al trabajo.",
        "A veces es difícil entender a la gente cuando habla rápido.",
        "Mi madre es profesora y mi padre trabaja en un hospital.", "No me gusta mucho el frío.",
        "¿Qué me recomiendas visitar en Valencia?",
        "Ayer fui al cine con unos compañeros del trabajo.",
        "Prefiero la playa a la montaña porque me encanta nadar.",
        "Me levanto temprano todos los días, incluso los domingos.",
        "Estoy aprendiendo a cocinar platos de otros países.",
        "Mi trabajo es interesante pero a veces termino muy tarde."),
    "fr": (
        "Je travaille dans une banque depuis trois ans.", "Oui, bien sûr.",
        "Et toi, qu'est-ce que tu fais le week-end ?",
        "Le samedi, je vais au marché avec ma sœur.",
        "J'aime faire la cuisine et inviter mes amis à dîner.",
        "L'été dernier, je suis allé en Bretagne avec ma famille.",
        "Non, je ne suis jamais allé à Lyon.",
        "Ma ville est petite mais il y a un très beau parc.",
        "J'apprends le français parce que je veux travailler à Montréal.",
        "Le matin, je bois un café et je lis les nouvelles.", "Quel est ton plat préféré ?",
        "J'ai deux frères et un chat qui s'appelle Minou.",
        "Je pense que le cinéma français est très intéressant.",
        "L'année prochaine, je voudrais apprendre à jouer du piano.",
        "J'habite près du centre, donc je vais au travail à pied.",
        "Parfois, c'est difficile de comprendre les gens quand ils parlent vite.",
        "Ma mère est médecin et mon père travaille dans une école.",
        "Je n'aime pas beaucoup la pluie.", "Qu'est-ce que tu me conseilles de visiter à Paris ?",
        "Hier, je suis allé au cinéma avec des collègues.",
        "Je préfère la mer à la montagne parce que j'adore nager.",
        "Je me lève tôt tous les jours, même le dimanche.",
        "Je suis en train d'apprendre à cuisiner des plats d'autres pays.",
        "Mon travail est intéressant mais parfois je finis très tard."),
}
"""Interview answers and everyday replies: statements, short answers, questions back."""

CLAUSES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("I worked there for three years", "and then I moved to Berlin."),
           ("We launched the product in March", "but the sales were slow at first."),
           ("I like my job", "although the hours are long."),
           ("It went well", "because the whole team helped.")),
    "es": (("Trabajé allí tres años", "y luego me mudé a Madrid."),
           ("Me gusta mi trabajo", "aunque a veces el día es muy largo."),
           ("Fuimos a la playa", "pero llovió todo el día.")),
    "fr": (("J'ai travaillé là-bas trois ans", "et puis je suis parti à Lyon."),
           ("J'aime bien mon travail", "même si les journées sont longues."),
           ("On est allés à la plage", "mais il a plu toute la journée.")),
}
"""A clause that looks finished, a thinking pause, then more of the same sentence."""

HOLD_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("Give me a moment.", "Let me think.", "Hmm, let me think about that.",
           "Can I have a second?", "Just a second.", "Hold on, let me think.",
           "Good question, let me think."),
    "es": ("Un momento.", "Déjame pensar.", "Dame un segundo.", "A ver, déjame pensar.",
           "Espera un momento.", "Mmm, déjame pensarlo.", "Un segundito.",
           "Espera, que lo pienso."),
    "fr": ("Laisse-moi réfléchir.", "Un instant.", "Attends, je réfléchis.", "Une seconde.",
           "Euh, laisse-moi réfléchir un peu.", "Donne-moi un moment.",
           "Bonne question, voyons voir.", "Laisse-moi une minute.", "Attends, je cherche le mot."),
}
HUMAN_HOLDS = {"en": ("one-moment-please", "One moment, please."),
               "fr": ("one-moment-please", "Un moment, s'il vous plaît.")}
"""Asterisk prompts a person asking for a moment would say (no Spanish one)."""
FILLERS = {"en": ("um", "uh"), "es": ("eh", "este"), "fr": ("euh", "ben")}
HESITATION_WORDS = {lang: frozenset(words.split()) for lang, words in (
    ("en", "and the because but so to of a an in with for that my or"),
    ("es", "y el la los las que porque pero de en un una con a mi"),
    ("fr", "et le la les que parce mais de du des un une à avec mon ma"))}
"""Words a speaker stops after to find the next one (a conjunction, article, preposition)."""


@dataclass(frozen=True)
class TurnClip:
    """One spoken turn in its room: `samples` (16 kHz float32) hold noise, speech, noise."""

    name: str
    language: str
    source: str  # "human", "piper" or "espeak-<wpm>"
    kind: str  # one of KINDS
    text: str
    samples: np.ndarray
    end_s: float
    """Where the whole turn's speech ends: any turn end before it cuts the user off."""
    split: str  # "dev" or "heldout"
    pause_at_s: float | None = None  # where the inserted silence begins (paused, hold)
    pause_s: float | None = None  # how long it lasts
    filler: str = ""  # the filler said just before the pause, if any
    boundary: str = ""  # paused: "hesitation", "any" or "clause"; what the pause follows


@dataclass(frozen=True)
class Piece:
    """One stretch of speech to fetch: synthesised, or a recorded clip (`ref`, its name)."""

    source: str
    language: str
    text: str
    ref: str = ""


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class ClipPlan:
    """What a clip will be, before any audio exists: cheap to list and filter."""

    name: str
    kind: str
    split: str
    pieces: tuple[Piece, ...]
    gaps_s: tuple[float, ...] = ()  # complete_long: silence after each piece but the last
    pause_s: float | None = None
    boundary: str = ""  # paused: "hesitation", "any" or "clause"
    filler: Piece | None = None

    @property
    def language(self) -> str:
        return self.pieces[0].language

    @property
    def source(self) -> str:
        return self.pieces[0].source

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.pieces)


def split_of(key: str) -> str:
    """"heldout" for about a third of keys, always the same one for the same key."""
    return "heldout" if int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 3 == 0 else "dev"


# --- assembly (pure) ---------------------------------------------------------------------------


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.float32)


def in_room(speech: np.ndarray, *, seed: int, noise_dbfs: float = NOISE_DBFS) -> np.ndarray:
    """LEAD_S + speech + TAIL_S, all over one constant noise floor."""
    samples = np.concatenate([_silence(LEAD_S), speech.astype(np.float32), _silence(TAIL_S)])
    return samples + noise_floor(len(samples) / SAMPLE_RATE + 0.01, dbfs=noise_dbfs,
                                 seed=seed)[: len(samples)]


def joined(parts: Sequence[np.ndarray], gaps_s: Sequence[float]) -> np.ndarray:
    """The parts with `gaps_s[i]` of silence after part i (one gap fewer than parts)."""
    if len(gaps_s) != max(0, len(parts) - 1):
        raise ValueError(f"{len(parts)} parts need {len(parts) - 1} gaps, got {len(gaps_s)}")
    out: list[np.ndarray] = []
    for i, part in enumerate(parts):
        if i:
            out.append(_silence(gaps_s[i - 1]))
        out.append(part.astype(np.float32))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def with_pause(head: np.ndarray, tail: np.ndarray, pause_s: float,
               filler: np.ndarray | None = None, *, filler_gap_s: float = 0.12
               ) -> tuple[np.ndarray, float]:
    """head [+ short gap + filler] + pause + tail, and where the pause begins (s)."""
    if filler is not None:
        head = np.concatenate([head, _silence(filler_gap_s), filler.astype(np.float32)])
    speech = np.concatenate([head.astype(np.float32), _silence(pause_s), tail.astype(np.float32)])
    return speech, len(head) / SAMPLE_RATE


def cut_sample(samples: np.ndarray, at_s: float, *, search_s: float = 0.05,
               window_s: float = 0.01) -> int:
    """The sample to cut at near `at_s`: the middle of the quietest window within `search_s`
    of it. Whisper's word times are ~20-100 ms off; the quietest spot near one is mostly the
    gap itself (a wider search finds a stop consonant's closure inside a word as often)."""
    win = max(1, round(window_s * SAMPLE_RATE))
    lo = max(0, round((at_s - search_s) * SAMPLE_RATE))
    hi = min(len(samples) - win, round((at_s + search_s) * SAMPLE_RATE))
    if hi <= lo:
        return min(max(0, round(at_s * SAMPLE_RATE)), len(samples))
    energy = np.convolve(samples[lo: hi + win].astype(np.float64) ** 2, np.ones(win), "valid")
    return lo + int(np.argmin(energy[: hi - lo + 1])) + win // 2


def _norm(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower().split("'")[-1])


def boundaries(words: Sequence[Word], rule: str, hesitation: frozenset[str], *,
               min_head_s: float = 0.5, min_tail_s: float = 0.3) -> tuple[list[int], str]:
    """Indices i of the words a pause may follow (between words i and i+1), and the rule they
    follow: "hesitation" if a hesitation word fits, else "any". Only boundaries that leave
    enough speech on both sides."""
    end = words[-1].end if words else 0.0
    fits = [i for i in range(len(words) - 1)
            if words[i].end >= min_head_s and end - words[i + 1].start >= min_tail_s]
    stops = [i for i in fits if _norm(words[i].text) in hesitation]
    return (stops, "hesitation") if rule == "hesitation" and stops else (fits, "any")


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def pick_cut(samples: np.ndarray, words: Sequence[Word], candidates: Sequence[int],
             rng: random.Random, *, quiet: float = 0.1) -> tuple[int, int]:
    """(word index, sample) of a boundary, drawn from `candidates`, whose cut falls somewhere
    quiet (10 ms below `quiet` x the speech's RMS): where it does not, the alignment missed the
    gap and the cut would split a word. The quietest one if none is."""
    order = list(candidates)
    rng.shuffle(order)
    level, half = _rms(samples), SAMPLE_RATE // 200
    cuts = [(i, cut_sample(samples, (words[i].end + words[i + 1].start) / 2)) for i in order]
    around = [_rms(samples[max(0, c - half): c + half]) for _, c in cuts]
    for (i, c), r in zip(cuts, around, strict=True):
        if r < quiet * level:
            return i, c
    return cuts[int(np.argmin(around))]


# --- planning ----------------------------------------------------------------------------------


def _long_pools(sentences: Sequence[str]) -> dict[str, list[str]]:
    return {split: [s for s in sentences if split_of(s) == split] for split in ("dev", "heldout")}


def _draw(pool: Sequence[str], target_s: float, seconds: Callable[[str], float],
          rng: random.Random) -> list[str]:
    """Sentences from `pool` (shuffled, reused only once it runs out) until about `target_s`."""
    chosen: list[str] = []
    order: list[str] = []
    total = 0.0
    while total < target_s and pool:
        if not order:
            order = list(pool)
            rng.shuffle(order)
        s = order.pop()
        chosen.append(s)
        total += seconds(s) + 0.35
    return chosen


def _spoken_s(text: str, *, wpm: int) -> float:
    return len(text.split()) * 60 / wpm


def _gaps(n: int, rng: random.Random) -> tuple[float, ...]:
    return tuple(round(rng.uniform(*LONG_GAPS_S), 2) for _ in range(max(0, n - 1)))


def plan_language(language: str, humans: Sequence[RealClip]) -> list[ClipPlan]:
    """Every clip of one language (the human ones from `humans`, its recorded speech)."""
    rng = random.Random(f"{SEED}-{language}")
    tts = TTS_SOURCES[language]
    sentences = SENTENCES[language]
    plans: list[ClipPlan] = []

    def add(kind: str, key: str, pieces: Sequence[Piece], *, gaps_s: tuple[float, ...] = (),
            pause_s: float | None = None, boundary: str = "", filler: Piece | None = None
            ) -> None:
        name = f"{kind}/{language}/{pieces[0].source}/{len(plans):03d}"
        plans.append(ClipPlan(name, kind, split_of(key), tuple(pieces), gaps_s, pause_s,
                              boundary, filler))

    # complete_short: every other sentence, the voices in turn; a few recorded prompts.
    for i, s in enumerate(sentences[::2]):
        add("complete_short", s, [Piece(tts[i % len(tts)], language, s)])
    short = [c for c in humans if 2.0 <= c.seconds <= 6.0 and c.speaker != "cards"]
    for c in rng.sample(short, min(5, len(short))):
        add("complete_short", c.text, [Piece("human", language, c.text, c.name)])

    # complete_long: sentences of one split and one voice, 10-60 s.
    pools = _long_pools(sentences)
    for j, (split, target) in enumerate((("dev", 12), ("dev", 25), ("dev", 40), ("dev", 55),
                                         ("heldout", 15), ("heldout", 32))):
        source = tts[j % len(tts)]
        wpm = int(source.removeprefix("espeak-")) if source.startswith("espeak-") else 165
        chosen = _draw(pools[split], target, functools.partial(_spoken_s, wpm=wpm), rng)
        add("complete_long", chosen[0], [Piece(source, language, s) for s in chosen],
            gaps_s=_gaps(len(chosen), rng))
    by_speaker: dict[tuple[str, str], list[RealClip]] = {}
    for c in humans:
        if c.speaker != "cards":
            by_speaker.setdefault((c.speaker, split_of(c.text)), []).append(c)
    for (speaker, split), clips in sorted(by_speaker.items()):
        prompts = speaker == ASTERISK_VOICES[language]
        for target in ((20, 45) if split == "dev" else (30,)) if prompts else (12,):
            seconds = {c.text: c.seconds for c in clips}
            chosen_text = _draw(sorted(seconds), target, seconds.__getitem__, rng)
            names = {c.text: c.name for c in clips}
            add("complete_long", chosen_text[0],
                [Piece("human", language, t, names[t]) for t in chosen_text],
                gaps_s=_gaps(len(chosen_text), rng))

    # paused: a thinking pause inside a sentence; a third of the synthetic ones after a filler.
    long_enough = [s for s in sentences if len(s.split()) >= 6]
    fillers = FILLERS[language]
    for i, s in enumerate(long_enough):
        source = tts[(i + 1) % len(tts)]
        filler = Piece(source, language, fillers[i // 3 % 2]) if i % 3 == 2 else None
        add("paused", s, [Piece(source, language, s)], pause_s=PAUSES_S[i % 4],
            boundary=("hesitation", "any")[i % 2], filler=filler)
    for i, (first, rest) in enumerate(CLAUSES[language]):
        add("paused", f"{first} {rest}", [Piece(tts[i % len(tts)], language, first),
                                          Piece(tts[i % len(tts)], language, rest)],
            pause_s=(1.2, 2.0)[i % 2], boundary="clause")
    pausable = [c for c in humans if 2.5 <= c.seconds <= 8.0 and len(c.text.split()) >= 6
                and c.speaker != "cards"]
    for i, c in enumerate(rng.sample(pausable, min(8, len(pausable)))):
        add("paused", c.text, [Piece("human", language, c.text, c.name)],
            pause_s=PAUSES_S[i % 4], boundary=("hesitation", "any")[i % 2])

    # hold: "give me a moment", a wait of 2-10 s, then the answer (of the phrase's split).
    answers = _long_pools([s for s in sentences if len(s.split()) >= 5])
    for j, phrase in enumerate(HOLD_PHRASES[language]):
        for r in range(2):
            source = tts[(2 * j + r) % len(tts)]
            pool = answers[split_of(phrase)] or answers["dev"]
            answer = pool[(2 * j + r) % len(pool)]
            add("hold", phrase, [Piece(source, language, phrase), Piece(source, language, answer)],
                pause_s=HOLDS_S[(2 * j + r) % len(HOLDS_S)])
    if language in HUMAN_HOLDS and short:
        ref, phrase = HUMAN_HOLDS[language]
        for r, c in enumerate(rng.sample(short, min(2, len(short)))):
            add("hold", phrase, [Piece("human", language, phrase, f"{language}/{ref}"),
                                 Piece("human", language, c.text, c.name)],
                pause_s=HOLDS_S[(3 * r + 2) % len(HOLDS_S)])
    return plans


class Speech(Protocol):
    """Where a plan's audio comes from (the bench caches it on disk; tests pass tones)."""

    def audio(self, piece: Piece) -> np.ndarray:
        """The piece's 16 kHz samples, trimmed to its speech."""
        ...

    def words(self, piece: Piece) -> list[Word]:
        """Its words' times in `audio(piece)`, aligned to its known text."""
        ...


def realise(plan: ClipPlan, speech: Speech) -> TurnClip | None:
    """The clip a plan describes (None: a paused sentence with no boundary to pause at)."""
    seed = int(hashlib.sha1(plan.name.encode()).hexdigest()[:8], 16)
    parts = [speech.audio(p) for p in plan.pieces]
    pause_at: float | None = None
    boundary, text = plan.boundary, plan.text
    if plan.kind == "paused" and plan.boundary != "clause":
        words = speech.words(plan.pieces[0])
        candidates, boundary = boundaries(words, plan.boundary, HESITATION_WORDS[plan.language])
        if not candidates:
            return None
        _, cut = pick_cut(parts[0], words, candidates, random.Random(seed))
        parts = [parts[0][:cut], parts[0][cut:]]
    if plan.kind in ("paused", "hold"):
        assert plan.pause_s is not None
        filler = speech.audio(plan.filler) if plan.filler is not None else None
        said, at = with_pause(parts[0], parts[1], plan.pause_s, filler)
        pause_at = LEAD_S + at
    else:
        keep = len(parts)  # a long answer's sentences that fit in LONG_MAX_S
        while keep > 1 and sum(len(p) for p in parts[:keep]) / SAMPLE_RATE \
                + sum(plan.gaps_s[: keep - 1]) > LONG_MAX_S:
            keep -= 1
        said = joined(parts[:keep], plan.gaps_s[: keep - 1])
        text = " ".join(p.text for p in plan.pieces[:keep])
    return TurnClip(
        name=plan.name, language=plan.language, source=plan.source, kind=plan.kind,
        text=text, samples=in_room(said, seed=seed), end_s=LEAD_S + len(said) / SAMPLE_RATE,
        split=plan.split, pause_at_s=pause_at, pause_s=plan.pause_s,
        filler=plan.filler.text if plan.filler is not None else "", boundary=boundary)


def plan_clips(languages: Sequence[str], humans: Mapping[str, Sequence[RealClip]], *,
               kinds: Sequence[str] = (), sources: Sequence[str] = (), split: str = "all",
               limit: int | None = None) -> list[ClipPlan]:
    """The plans of the chosen clips; `limit` keeps that many spread over the whole list."""
    plans = [p for lang in languages for p in plan_language(lang, humans.get(lang, ()))
             if (not kinds or p.kind in kinds) and (not sources or p.source in sources)
             and split in ("all", p.split)]
    if limit is not None and len(plans) > limit:
        step = len(plans) / limit
        plans = [plans[int(i * step)] for i in range(limit)]
    return plans


def build_clips(plans: Sequence[ClipPlan], speech: Speech) -> list[TurnClip]:
    """Every plan's clip (a paused sentence with nowhere to pause is left out)."""
    return [c for c in (realise(p, speech) for p in plans) if c is not None]
