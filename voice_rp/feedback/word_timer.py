"""Word timings for feedback, made off the reply's path: the decodes `AnswerTimer` schedules.

The conversation tells the timer what it emits and when a reply is made; the timer times each
answer's words in a worker task of the conversation's (`spawn`) and emits `AnswerWords`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from voice_rp import events as ev
from voice_rp.audio import SAMPLE_RATE, pcm16_to_float
from voice_rp.feedback.timing import AnswerTimer, TimingJob, shift
from voice_rp.models import Models
from voice_rp.personas import Persona
from voice_rp.stt import FILLER_PROMPT, recognition_prompt, timed_words

log = logging.getLogger(__name__)


def keeps_fillers(persona: Persona) -> bool:
    """The word-timing decode runs after the reply, off its critical path, so it can afford
    the prompt that keeps "um" and "uh": fillers are listened for in every English session,
    not only when the user asked for them in the live transcript (FILLER_PROMPT is English)."""
    return persona.language.replace("_", "-").split("-")[0].lower() == "en"


def timing_prompt(persona: Persona, live_prompt: str | None) -> str | None:
    """The prompt of the word-timing decode: the practice's words and the filler prompt."""
    if not keeps_fillers(persona):
        return live_prompt
    return recognition_prompt(persona.recognition_hints, FILLER_PROMPT,
                              language=persona.language)


class WordTimer:
    """Times answers one at a time, a piece at a time, each piece only while no user turn is
    live (voice_rp.feedback.timing says why)."""

    def __init__(self, models: Models, *, language: str, prompt: str | None,
                 emit: Callable[[ev.Event], None],
                 spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
                 fillers_kept: bool = False) -> None:
        """`fillers_kept`: `prompt` makes Whisper write "um" and "uh" down, so the timed words
        are where the report counts fillers (this decode is off the reply's critical path)."""
        self.timer = AnswerTimer()
        self.fillers_kept = fillers_kept
        self._models, self._language, self._prompt = models, language, prompt
        self._emit, self._spawn = emit, spawn
        self._free = asyncio.Event()
        self._free.set()
        self._jobs: asyncio.Queue[TimingJob] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    @classmethod
    def for_persona(cls, models: Models, persona: Persona, live_prompt: str | None, *,
                    emit: Callable[[ev.Event], None],
                    spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]
                    ) -> WordTimer:
        return cls(models, language=persona.language,
                   prompt=timing_prompt(persona, live_prompt), emit=emit, spawn=spawn,
                   fillers_kept=keeps_fillers(persona))

    def seen(self, event: ev.Event) -> None:
        """Every event the conversation emits, in order."""
        self.timer.seen(event)
        self._gate()

    def reply_made(self, attempt: int) -> None:
        """The reply of `attempt` is made: its answer is timed next."""
        job = self.timer.reply_made(attempt)
        self._gate()
        if job is None:
            return
        self._jobs.put_nowait(job)
        if self._worker is None:
            self._worker = self._spawn(self._loop())

    def _gate(self) -> None:
        if self.timer.user_turn_live:
            self._free.clear()
        else:
            self._free.set()

    async def _loop(self) -> None:
        """A failure costs that answer its timings, never the conversation."""
        language = self._language
        while True:
            job = await self._jobs.get()
            words: list[list[Any]] = []
            try:
                transcriber = self._models.transcriber_for(language)
                for start, end in job.pieces:
                    await self._free.wait()
                    pcm = job.pcm[2 * round(start * SAMPLE_RATE): 2 * round(end * SAMPLE_RATE)]
                    got = await asyncio.to_thread(timed_words, transcriber, pcm16_to_float(pcm),
                                                  language=language, prompt=self._prompt)
                    if got is None:  # this speech service gives no timings: estimates stay
                        words = []
                        break
                    words += shift(got, start)
            except Exception:  # feedback is a by-product
                log.exception("timing the words of turn %d failed", job.turn)
                continue
            if words:
                self._emit(ev.AnswerWords(job.turn, words, fillers_kept=self.fillers_kept))
