"""Delivery figures on speech with known words, pauses and rate: Piper and espeak-ng at several
rates, "um" and "uh" spoken, 1.5 s pauses inserted, transcribed by the bundled tiny.en with the
prompt the `keep_fillers` start option uses.

Run with `-s` to see the measured table (wpm error, pause timing error, fillers kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pytest
from speech import concat_with_pause, say, with_silence

from server.wiring import conversation_options
from voice_rp.audio import SAMPLE_RATE
from voice_rp.feedback.audio import answer_audio
from voice_rp.feedback.delivery import answer_delivery, words_of
from voice_rp.stt import WhisperTranscriber

pytestmark = pytest.mark.models

PARTS = ("At my last job I ran the support team for two years.",
         "Um, the queue was long and, uh, customers waited for days.",
         "So I set up a rota and we cleared the backlog in one month.")
PAUSE_S = 1.5
SPOKEN_FILLERS = 2
CASES = [("piper", 0.8), ("piper", 1.0), ("piper", 1.3),
         ("espeak", 0.8), ("espeak", 1.1), ("espeak", 1.35)]
KEEP_FILLERS = conversation_options({"keep_fillers": True})[0].stt_prompt


def _trim(samples: np.ndarray) -> tuple[int, int]:
    """First and last sample of the voice in a synthesised clip (it has silence at its ends)."""
    loud = np.flatnonzero(np.abs(samples) > 0.02 * np.max(np.abs(samples)))
    return int(loud[0]), int(loud[-1]) + 1


@dataclass
class Measured:
    case: str
    wpm_true: float
    wpm: float
    wpm_err: float
    pause_err_ms: float
    pauses: int
    fillers_kept: int
    fillers_kept_plain: int


def measure(transcriber: WhisperTranscriber, engine: str, rate: float) -> Measured:
    clips = [say(p, engine=engine, rate=rate) for p in PARTS]  # type: ignore[arg-type]
    spans = [_trim(c) for c in clips]
    audio = with_silence(concat_with_pause(clips, PAUSE_S), 0.4, 0.6)
    # The truth, from the clips themselves.
    offsets, t = [], 0.4
    for clip in clips:
        offsets.append(t)
        t += len(clip) / SAMPLE_RATE + PAUSE_S
    voice = [(o + a / SAMPLE_RATE, o + b / SAMPLE_RATE) for o, (a, b) in zip(offsets, spans,
                                                                             strict=True)]
    true_pauses = [(end - voice[0][0], nxt - end) for (_, end), (nxt, _) in pairwise(voice)]
    n_words = len(words_of(" ".join(PARTS)))
    wpm_true = 60.0 * n_words / sum(b - a for a, b in voice)

    text = transcriber.transcribe(audio, prompt=KEEP_FILLERS).text
    plain = transcriber.transcribe(audio).text
    d = answer_delivery(1, text, answer_audio(audio).to_dict())
    errors = [max(abs(p.at_s - at), abs(p.at_s + p.length_s - (at + length)))
              for p, (at, length) in zip(d.pauses, true_pauses, strict=False)]
    assert d.wpm is not None
    return Measured(
        case=f"{engine} x{rate}", wpm_true=wpm_true, wpm=d.wpm,
        wpm_err=abs(d.wpm - wpm_true) / wpm_true, pauses=len(d.pauses),
        pause_err_ms=1000 * max(errors) if errors else float("inf"),
        fillers_kept=sum(d.fillers.get(f, 0) for f in ("um", "uh", "umm", "uhm", "erm", "er")),
        fillers_kept_plain=sum(answer_delivery(1, plain, None).fillers.values()))


def test_pace_pauses_and_fillers_on_speech_with_known_truth(transcriber: WhisperTranscriber):
    rows = [measure(transcriber, engine, rate) for engine, rate in CASES]
    print("\ncase            true wpm  wpm   error  pauses  pause err  fillers kept "
          "(prompted / plain, of 2)")
    for r in rows:
        print(f"{r.case:<15} {r.wpm_true:7.0f} {r.wpm:5.0f} {100 * r.wpm_err:5.1f}%  {r.pauses:5d}"
              f"  {r.pause_err_ms:6.0f} ms  {r.fillers_kept} / {r.fillers_kept_plain}")
    kept = sum(min(r.fillers_kept, SPOKEN_FILLERS) for r in rows)
    plain = sum(min(r.fillers_kept_plain, SPOKEN_FILLERS) for r in rows)
    print(f"fillers kept with the keep_fillers prompt: {kept}/{SPOKEN_FILLERS * len(rows)}; "
          f"without: {plain}/{SPOKEN_FILLERS * len(rows)}")
    rates = sorted(rows, key=lambda r: r.wpm_true)
    for r in rows:
        assert r.wpm_err < 0.10, r
        assert r.pauses == 2, r  # the two inserted pauses, and no comma pause taken for one
        assert r.pause_err_ms <= 200, r
    # Faster speech measures faster, within each engine.
    for engine in ("piper", "espeak"):
        mine = [r.wpm for r in rows if r.case.startswith(engine)]
        truth = [r.wpm_true for r in rows if r.case.startswith(engine)]
        assert np.argsort(mine).tolist() == np.argsort(truth).tolist()
    assert rates[0].wpm < rates[-1].wpm
    assert kept >= plain and kept > 0
