"""Transcribe a turn while the user is still speaking, so its end leaves only the tail to decode.

Each short pause in a turn starts a speculative transcription of the turn so far (see
voice_rp.endpointer). When the user goes on, that work used to be thrown away and the next pause
decoded the whole turn again, so a long answer cost its whole length at its end. Here each decode
is kept, keyed by the audio it covered: a later decode of the same turn whose audio begins with
an earlier one's decodes only what came after, with the earlier words as Whisper's prompt, and
joins the two. The cut lies in a pause (the endpointer only looks at a turn at a silence), so no
word is split. A decode still running when the next one is asked for is waited for rather than
run twice at once on a machine with two cores.

What is kept is one turn's audio (the latest few decodes); a new turn's audio, which does not
begin with the old one, starts afresh.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voice_rp.audio import SAMPLE_RATE, pcm16_to_float
from voice_rp.stt import Transcript

Decode = Callable[[np.ndarray, str | None], Transcript]
"""Transcribe float32 samples with this prompt (blocking; run in a worker thread)."""

MIN_HEAD_S = 4.0
"""A decoded part shorter than this is not reused: decoding it again costs little."""
MIN_TAIL_S = 0.3
"""Less new audio than this after a decoded part: decode the whole turn again."""
OVERLAP_S = 1.0
"""The tail's decode starts this far before the end of the decoded part (see `merge`)."""
_MAX_OVERLAP_WORDS = 8
_KEEP = 4
_BYTES_PER_S = SAMPLE_RATE * 2
_LOWER_START = re.compile(r"^[\"'(\[]?[a-z]")


@dataclass(frozen=True)
class _Decoded:
    audio: bytes
    text: str


class IncrementalTranscriber:
    """One conversation's transcriptions, reusing earlier decodes of the same turn."""

    def __init__(self, decode: Decode, *, prompt: str | None = None) -> None:
        self._decode = decode
        self._prompt = prompt
        self._done: list[_Decoded] = []
        self._running: tuple[bytes, asyncio.Future[Transcript]] | None = None
        self.reused_s = 0.0  # audio not decoded again thanks to earlier decodes, for the logs

    async def transcribe(self, audio: bytes) -> Transcript:
        """The transcript of `audio` (PCM16), decoding only what earlier decodes did not cover.
        Cancelling the caller does not stop a decode under way: its result is kept for the
        next call."""
        running = self._running
        if running is not None and _extends(audio, running[0]) and not running[1].done():
            # The user went on after a pause whose decode is still under way: finish it first.
            await asyncio.wait({running[1]})
        head = self._best_head(audio)
        if head is not None:
            # The tail is decoded with the end of the head before it: Whisper reads a word
            # better in context, and the words heard twice show where the two parts meet.
            start = max(0, len(head.audio) - _frame_align(OVERLAP_S * _BYTES_PER_S))
            prompt = " ".join(p for p in (self._prompt, head.text) if p)
            self.reused_s += start / _BYTES_PER_S
            return await self._run(audio, audio[start:], prompt,
                                   merge=lambda tail: merge(head.text, tail))
        return await self._run(audio, audio, self._prompt, merge=lambda text: text)

    async def _run(self, audio: bytes, part: bytes, prompt: str | None,
                   merge: Callable[[str], str]) -> Transcript:
        loop = asyncio.get_running_loop()
        samples = pcm16_to_float(part)
        future = loop.run_in_executor(None, self._decode, samples, prompt)
        self._running = (audio, future)

        def keep(f: asyncio.Future[Transcript]) -> None:
            if not f.cancelled() and f.exception() is None:
                self._remember(audio, merge(f.result().text))

        future.add_done_callback(keep)
        result = await asyncio.shield(future)
        return Transcript(merge(result.text), result.language, len(audio) / _BYTES_PER_S)

    def _best_head(self, audio: bytes) -> _Decoded | None:
        best = None
        for d in self._done:
            if (len(d.audio) >= MIN_HEAD_S * _BYTES_PER_S
                    and len(audio) - len(d.audio) >= MIN_TAIL_S * _BYTES_PER_S
                    and _extends(audio, d.audio) and d.text
                    and (best is None or len(d.audio) > len(best.audio))):
                best = d
        return best

    def _remember(self, audio: bytes, text: str) -> None:
        # Decodes of another turn cannot be reused again: keep only this turn's.
        self._done = [d for d in self._done if _extends(audio, d.audio) or _extends(d.audio, audio)]
        self._done.append(_Decoded(audio, text))
        del self._done[:-_KEEP]


def _extends(audio: bytes, head: bytes) -> bool:
    return len(audio) >= len(head) and audio[:len(head)] == head


def _frame_align(n: float) -> int:
    return int(n) // 2 * 2


def _norm(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def merge(head: str, tail: str) -> str:
    """Join a decoded part and the decode of what follows it, which began a little before the
    part's end. Whisper, prompted with the part's words, mostly goes straight on; when it writes
    the overlap's words again (maybe a little differently: "telemarketers" / "the marketers"),
    they are dropped. The tail's first word may be a word cut in two by the overlap's start."""
    h = [_norm(w) for w in head.split()]
    t_words = tail.split()
    t = [_norm(w) for w in t_words]
    if not h or not t:
        return join(head, tail)
    for skip in (0, 1):
        for kt in range(min(_MAX_OVERLAP_WORDS, len(t) - skip), 0, -1):
            if skip and kt < 2:
                break  # one word after a skipped one is too weak a match
            said_again = " ".join(t[skip: skip + kt])
            if len(said_again) < 4:
                continue
            for kh in (kt, kt - 1, kt + 1):
                if 1 <= kh <= len(h) and _alike(" ".join(h[-kh:]), said_again):
                    return join(head, " ".join(t_words[skip + kt:]))
    return join(head, tail)


def _alike(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8


def join(head: str, tail: str) -> str:
    """The words of two parts of one utterance as one text. Whisper ends a part it saw alone
    with a period; when the next part carries on the sentence in lower case, the period goes."""
    head, tail = head.strip(), tail.strip()
    if not head or not tail:
        return head or tail
    if head.endswith(".") and not head.endswith("...") and _LOWER_START.match(tail):
        head = head[:-1]
    return f"{head} {tail}"
