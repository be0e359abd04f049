"""The benchmark's user: speech with known text and a known end of speech.

Each line is synthesised (the bundled Piper voice, or espeak-ng as a second, robotic speaker),
trimmed to where its energy starts and ends, and joined with exact pauses. Everything after the
returned `speech_end_s` is silence by construction, so the true end of speech is known to the
sample, not estimated. `SETS` names the sets `--set` chooses from.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from voice_rp.audio import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    float_to_pcm16,
    frames,
    pcm16_to_float,
    read_wav,
    resample,
    wav_bytes,
)

Engine = Literal["piper", "espeak"]

PAUSE_S = 0.4
"""The mid-sentence pause: longer than a comma, shorter than a turn end: it must not end one."""


@dataclass(frozen=True)
class Line:
    """What the benchmark's user says. Several parts are joined by `pause_s` of silence."""

    name: str
    parts: tuple[str, ...]
    engine: Engine = "piper"
    pause_s: float = PAUSE_S
    barge_in: bool = False  # interrupt the reply to this line mid-way
    gaps_s: tuple[float, ...] = ()
    """The silence after each part but the last, when they differ (a long answer's breaths
    between sentences); empty: `pause_s` after every part."""

    def __post_init__(self) -> None:
        if self.gaps_s and len(self.gaps_s) != len(self.parts) - 1:
            raise ValueError(f"line {self.name!r}: {len(self.parts)} parts need "
                             f"{len(self.parts) - 1} gaps, got {len(self.gaps_s)}")

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def gap_after(self, part: int) -> float:
        """Seconds of silence between part `part` and the next."""
        return self.gaps_s[part] if self.gaps_s else self.pause_s


UTTERANCES: tuple[Line, ...] = (
    Line("greeting", ("Hi, thanks for having me today.",)),
    Line("experience", ("I have five years of experience as a project coordinator.",), "espeak",
         barge_in=True),
    Line("team", ("In my last job I worked with the marketing team",
                  "to launch a new product in the spring."), "piper"),
    Line("strength", ("I think my greatest strength is", "staying calm under pressure."),
         "espeak"),
    Line("client", ("Last year our biggest client threatened to leave because deliveries were "
                    "late. I met their manager and set up a weekly call. Within two months "
                    "every delivery was on time again.",),
         barge_in=True),
    Line("question", ("Can you tell me more about the team I would join?",), "espeak"),
    Line("disagree", ("My colleague and I disagreed about the schedule,",
                      "so we sat down and compared the numbers together."), "piper"),
    Line("yes", ("Yes, I did.",), "espeak"),
    Line("migration", ("I led the migration to the new billing system, and we finished two "
                       "weeks ahead of schedule.",), "piper", barge_in=True),
    Line("deadline", ("When the deadline moved", "I split the work into smaller tasks and asked "
                      "for help early."), "espeak"),
    Line("think", ("That's a good question. Let me think about it for a second. I would say "
                   "communication, because most problems I have seen started with a message "
                   "nobody read.",), "piper"),
    Line("mistake", ("The biggest mistake I made", "was promising a date before I had talked "
                     "to the developers."), "piper"),
)
"""The turns of one run: 1-10 s each, two engines, a third with a mid-sentence pause."""

INTERRUPTIONS: tuple[Line, ...] = (
    Line("interrupt-1", ("Sorry, can I add something here?",), "piper"),
    Line("interrupt-2", ("Wait, one more thing about that.",), "espeak"),
    Line("interrupt-3", ("Actually, let me correct myself.",), "piper"),
)
"""Said over the persona's reply to the lines marked `barge_in`."""

LONG_GAPS_S = (0.2, 0.5)
"""Breaths between a long answer's sentences: inside a turn, they must not end it."""
LONG_SEED = 2026


def long_answer(name: str, sentences: Sequence[str], engine: Engine, *, seed: int) -> Line:
    """One speaker's answer of several sentences with seeded gaps of `LONG_GAPS_S` between them:
    the same gaps every run, so runs compare, yet not one fixed pause a detector could learn."""
    rng = np.random.default_rng(seed)
    gaps = rng.uniform(*LONG_GAPS_S, size=len(sentences) - 1)
    return Line(name, tuple(sentences), engine, gaps_s=tuple(round(float(g), 2) for g in gaps))


_LONG_TEXTS: tuple[tuple[str, Engine, tuple[str, ...]], ...] = (
    ("long-12s", "piper", (
        "In my first month I noticed that our weekly report took a whole day to put together.",
        "I wrote a small spreadsheet that collected the numbers for us, and now it takes an "
        "hour.",
        "My manager liked it so much that two other teams use it now.",
    )),
    ("long-20s", "espeak", (
        "Our support team was getting the same three questions every single day.",
        "I collected the questions and wrote short answers for each of them.",
        "We put the answers on the help page and sent the link with every new order.",
        "After a month the number of calls had dropped by almost a third.",
    )),
    ("long-30s", "piper", (
        "The hardest project I managed was moving our office to a new building.",
        "We had three weeks, and nobody wanted to lose a day of work.",
        "I made a plan with every team, so each of them moved on a different evening.",
        "The network people set up the new rooms the weekend before.",
        "On the last Friday the sales team packed their desks at five.",
        "On Monday morning everyone found their computer working and their boxes in place.",
        "Only one printer was missing, and we found it in the old kitchen.",
        "We moved the whole office without losing a single working day.",
    )),
    ("long-45s", "piper", (
        "Two years ago our biggest customer told us they would leave at the end of the month.",
        "Their orders had arrived late four times in a row, and they had lost patience.",
        "I asked for a meeting with their manager and listened to every complaint.",
        "Then I went through each late order with our warehouse team.",
        "We found that most delays came from one supplier who shipped on Fridays.",
        "I moved the orders to a second supplier and set up a weekly call with the customer.",
        "For the next six weeks I sent them a short note every Monday.",
        "In the end they stayed with us and signed a contract for two more years.",
        "I learned that an angry customer is often a customer who still wants to stay.",
        "Since then I call a client myself as soon as a second order is late.",
        "It is a short call, and it has saved us more than one contract.",
        "That customer even sent us a card at the end of the year.",
    )),
    ("long-58s", "espeak", (
        "I would like to tell you about a mistake I made and what I learned from it.",
        "A client asked when their new website would be ready, and I wanted to please them.",
        "Without asking the developers, I promised a date three weeks away.",
        "When I told the team, they said the work needed at least six weeks.",
        "I felt terrible, because I had made a promise we could not keep.",
        "The next morning I called the client and explained what had happened.",
        "I gave them a new plan with the real dates and a few early pages they could review.",
        "They were not happy at first, but they liked seeing the work in steps.",
        "The site went live in six weeks, and they still work with us today.",
        "Since then I never give a date before the people doing the work have checked it.",
        "It takes a day longer to answer, but the answer is one we can keep.",
    )),
)

LONG_ANSWERS: tuple[Line, ...] = tuple(
    long_answer(name, sentences, engine, seed=LONG_SEED + i)
    for i, (name, engine, sentences) in enumerate(_LONG_TEXTS))
"""Answers of ~12-58 s (max_turn_s, 60 s, would cut a longer one): is the response latency
still the same on a long turn, and does a breath between sentences end the turn early? Written
for this set, apart from UTTERANCES; the voices are the same two."""

SETS: dict[str, tuple[Line, ...]] = {"default": UTTERANCES, "long": LONG_ANSWERS}


@dataclass(frozen=True)
class Utterance:
    """A line as 16 kHz float32 samples; speech occupies [0, speech_end_s) and nothing after."""

    line: Line
    samples: np.ndarray
    speech_end_s: float
    pauses: tuple[tuple[float, float], ...] = ()  # (start, end) of each mid-sentence pause

    @property
    def last_speech_frame(self) -> int:
        """Index of the 20 ms frame holding the last speech sample."""
        return max(0, round(self.speech_end_s * SAMPLE_RATE) - 1) // FRAME_SAMPLES

    def pcm_frames(self, *, noise: np.ndarray | None = None) -> list[bytes]:
        """The utterance as 20 ms PCM16 frames (the last one padded), with an optional floor."""
        samples = self.samples
        if noise is not None:
            pad = -len(samples) % FRAME_SAMPLES
            samples = np.concatenate([samples, np.zeros(pad, np.float32)])
            samples = samples + noise[: len(samples)]
        return frames(float_to_pcm16(samples))


def trim_speech(samples: np.ndarray, *, floor_db: float = -40.0, window_s: float = 0.01
                ) -> np.ndarray:
    """Cut leading and trailing silence: keep from the first to the last `window_s` window whose
    RMS is within `floor_db` of the loudest window. Empty input (or all silence) gives empty."""
    win = max(1, round(window_s * SAMPLE_RATE))
    n = len(samples) // win
    if n == 0:
        return samples[:0].astype(np.float32)
    rms = np.sqrt(np.mean(samples[: n * win].reshape(n, win).astype(np.float64) ** 2, axis=1))
    peak = float(rms.max())
    if peak <= 0:
        return samples[:0].astype(np.float32)
    loud = np.flatnonzero(rms >= peak * 10 ** (floor_db / 20))
    return samples[loud[0] * win: (loud[-1] + 1) * win].astype(np.float32)


def assemble(line: Line, parts: Sequence[np.ndarray]) -> Utterance:
    """Trim each part and join them with exactly `line.gap_after(i)` of silence."""
    trimmed = [trim_speech(p) for p in parts]
    out: list[np.ndarray] = []
    pauses: list[tuple[float, float]] = []
    at = 0
    for i, part in enumerate(trimmed):
        if i:
            gap = np.zeros(round(line.gap_after(i - 1) * SAMPLE_RATE), np.float32)
            out.append(gap)
            pauses.append((at / SAMPLE_RATE, (at + len(gap)) / SAMPLE_RATE))
            at += len(gap)
        out.append(part)
        at += len(part)
    samples = np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)
    return Utterance(line, samples, at / SAMPLE_RATE, tuple(pauses))


def noise_floor(seconds: float, *, dbfs: float, seed: int = 0) -> np.ndarray:
    """Gaussian noise at `dbfs` RMS: a real microphone never sends digital zeros."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(round(seconds * SAMPLE_RATE)) * 10 ** (dbfs / 20)).astype(
        np.float32)


# --- synthesis ---------------------------------------------------------------------------------


def espeak(text: str, *, voice: str = "en-us", words_per_minute: int = 150) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        # A 20 ms gap between words: tiny.en mishears espeak's run-together words.
        subprocess.run([exe, "-v", voice, "-s", str(words_per_minute), "-g", "2", "-w",
                        str(wav), text], check=True, capture_output=True)
        return read_wav(str(wav), to_rate=SAMPLE_RATE).samples


def piper_speaker() -> Callable[[str], np.ndarray]:
    """The bundled Piper voice as a function text -> 16 kHz samples (loaded once)."""
    from voice_rp.tts import VoiceCatalog

    synth = VoiceCatalog().synthesizer("joe")

    def say(text: str) -> np.ndarray:
        pcm = b"".join(synth.synthesize(text))
        return resample(pcm16_to_float(pcm), synth.sample_rate, SAMPLE_RATE)

    return say


def synthesize(lines: Sequence[Line], cache_dir: Path | None) -> list[Utterance]:
    """Speak every line, reusing WAVs cached in `cache_dir` (keyed by engine and text)."""
    piper: Callable[[str], np.ndarray] | None = None
    out = []
    for line in lines:
        parts = []
        for text in line.parts:
            key = hashlib.sha1(f"{line.engine}\n{text}".encode()).hexdigest()[:16]
            cached = cache_dir / f"{key}.wav" if cache_dir is not None else None
            if cached is not None and cached.is_file():
                parts.append(read_wav(str(cached)).samples)
                continue
            if line.engine == "espeak":
                samples = espeak(text)
            else:
                piper = piper or piper_speaker()
                samples = piper(text)
            # Quantised like the cached copy, so a first run and a rerun send the same audio.
            samples = pcm16_to_float(float_to_pcm16(samples))
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(wav_bytes(float_to_pcm16(samples), SAMPLE_RATE))
            parts.append(samples)
        out.append(assemble(line, parts))
    return out
