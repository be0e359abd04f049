"""Lines ready before they are needed: audio of the lines a persona says as written, made ahead.

A persona says many lines word for word: its opening line, a scenario's scripted questions and
follow-ups, the fixed acknowledgements, the holding line, the closing line. Their audio does not
depend on the user, so it is made while the CPU is idle (while earlier audio plays, or before
the user has finished thinking) and kept per voice and rate. When such a line is due, its first
piece plays without waiting for the synthesizer: on a slow laptop Piper's first audio is ~300 ms.

A scripted line is cut into pieces the same way ahead of time and when spoken
(`scripted_pieces`), so the pieces made ahead are exactly the pieces asked for. The cache is
shared by all sessions (the same persona's lines recur in every session) and bounded in bytes;
the least recently used lines leave first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from voice_rp.backends.seams import capabilities_of
from voice_rp.chunker import ChunkPolicy, SentenceChunker
from voice_rp.clock import MonotonicClock
from voice_rp.tts import Synthesizer

DEFAULT_BUDGET_BYTES = 48 * 1024 * 1024
"""About 18 minutes of 22 kHz speech: every built-in persona's lines many times over."""


def scripted_pieces(parts: Sequence[str], policy: ChunkPolicy) -> list[str]:
    """The pieces a scripted line is spoken in: each part on its own (an acknowledgement is
    never glued to the question after it), cut as the chunker cuts a reply whose listener has
    nothing queued yet. The same text always gives the same pieces."""
    out: list[str] = []
    for part in parts:
        if not part.strip():
            continue
        chunker = SentenceChunker(policy, clock=MonotonicClock())
        pieces = chunker.push(part, queued_audio_s=0.0) + chunker.flush()
        out.extend(p.text for p in pieces)
    return out


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    made_ahead: int = 0


class LineCache:
    """Synthesised pieces by (voice, rate, text), bounded in bytes. Thread-safe."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._audio: OrderedDict[tuple[str, float, str], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.stats = CacheStats()
        self.wanted: set[tuple[str, float, str]] = set()  # pieces of scripted lines

    def get(self, key: tuple[str, float, str]) -> bytes | None:
        with self._lock:
            audio = self._audio.get(key)
            if audio is not None:
                self._audio.move_to_end(key)
            return audio

    def put(self, key: tuple[str, float, str], audio: bytes) -> None:
        if len(audio) > self.budget_bytes // 8:
            return  # one long line must not push out everything else
        with self._lock:
            old = self._audio.pop(key, None)
            self._bytes -= len(old or b"")
            self._audio[key] = audio
            self._bytes += len(audio)
            while self._bytes > self.budget_bytes and self._audio:
                _, dropped = self._audio.popitem(last=False)
                self._bytes -= len(dropped)

    def __contains__(self, key: tuple[str, float, str]) -> bool:
        with self._lock:
            return key in self._audio

    def __len__(self) -> int:
        with self._lock:
            return len(self._audio)


class CachedVoice:
    """A voice whose scripted pieces come from the line cache when they were made ahead.

    Only pieces made ahead (`make_ahead`) are looked up and kept: a generated reply's pieces
    never recur, and keeping them would only push the scripted lines out.
    """

    def __init__(self, inner: Synthesizer, cache: LineCache, name: str) -> None:
        self.inner = inner
        self._cache = cache
        self._name = name
        self.capabilities = capabilities_of(inner)

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        key = self._key(text, rate)
        audio = self._cache.get(key)
        if audio is not None:
            self._cache.stats.hits += 1
            yield audio
            return
        if key not in self._cache.wanted:
            yield from self.inner.synthesize(text, rate=rate)
            return
        # A line wanted ahead but asked for before it was made: made now, and kept.
        self._cache.stats.misses += 1
        made = []
        for chunk in self.inner.synthesize(text, rate=rate):
            made.append(chunk)
            yield chunk
        self._cache.put(key, b"".join(made))

    def want(self, texts: Sequence[str], rate: float) -> list[str]:
        """Mark these pieces as lines to keep; returns those not made yet, to `make_ahead`."""
        keys = [self._key(t, rate) for t in texts]
        self._cache.wanted.update(keys)
        return [t for t, k in zip(texts, keys, strict=True) if k not in self._cache]

    def has(self, text: str, rate: float) -> bool:
        return self._key(text, rate) in self._cache

    def make_ahead(self, text: str, rate: float) -> bool:
        """Synthesise one piece into the cache (blocking; from a worker thread). False if it
        was there already."""
        key = self._key(text, rate)
        if key in self._cache:
            return False
        self._cache.put(key, b"".join(self.inner.synthesize(text, rate=rate)))
        self._cache.stats.made_ahead += 1
        return True

    def _key(self, text: str, rate: float) -> tuple[str, float, str]:
        return (self._name, round(rate, 3), text)
