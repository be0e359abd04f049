"""What this machine is and how fast each bundled model runs on it, for the benchmarks' headers.

    .venv/bin/python -m bench.machine        (from scripts/; prints JSON)

Two runs of a benchmark on different machines can only be read side by side when each says
what it ran on: the CPU's name, cores and vector extensions, and each stage's own speed measured
the same way everywhere (the bundled models on fixed inputs, nothing else running):
- STT: Whisper tiny.en on 3 s of speech, ms (median of 3) and as a share of real time;
- LLM: SmolLM2's prompt reading (tokens/s over ~300 tokens) and writing (tokens/s over 32);
- TTS: Piper's time to the audio of an eight-word sentence, ms, and as a share of real time.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_SENTENCE = "Thank you, that is a clear and useful example."
_PROMPT = ("You are Maya Chen, a hiring manager. Ask the candidate one question at a time. " * 12)


def cpu_facts() -> dict[str, Any]:
    from server.capacity import cpu_info

    model, flags = cpu_info()
    vector = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni") if f in flags]
    return {"cpu": model, "cores": os.cpu_count(), "vector": vector}


def _median_ms(fn: Any, n: int = 3) -> float:
    fn()  # warm
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def stage_speeds() -> dict[str, Any]:
    """Each bundled model's speed on fixed inputs. Loads the models (a few seconds)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from voice_rp.audio import SAMPLE_RATE, pcm16_to_float, resample
    from voice_rp.config import Settings
    from voice_rp.llm_embedded import EmbeddedChatModel
    from voice_rp.stt import WhisperTranscriber
    from voice_rp.tts import VoiceCatalog

    out: dict[str, Any] = {}
    voice = VoiceCatalog().synthesizer("joe")
    first: list[float] = []

    def speak() -> bytes:
        start = time.perf_counter()
        chunks: list[bytes] = []
        for chunk in voice.synthesize(_SENTENCE):
            if not chunks:
                first.append((time.perf_counter() - start) * 1000)
            chunks.append(chunk)
        return b"".join(chunks)

    audio = speak()
    took = _median_ms(speak)
    seconds = len(audio) / 2 / voice.sample_rate
    out["tts_first_audio_ms"] = round(statistics.median(first[1:]), 1)
    out["tts_rtf"] = round(took / 1000 / seconds, 3)

    speech = resample(pcm16_to_float(audio), voice.sample_rate, SAMPLE_RATE)[: 3 * SAMPLE_RATE]
    stt = WhisperTranscriber.load("tiny.en", cache_dir=Settings.from_env(os.environ).stt_cache_dir)
    out["stt_ms_3s"] = _median_ms(lambda: stt.transcribe(speech, language="en"))
    out["stt_rtf"] = round(out["stt_ms_3s"] / 1000 / (len(speech) / SAMPLE_RATE), 3)

    chat = EmbeddedChatModel.load()
    llama = chat._engines[0]  # the raw engine: tokens/s without the worker's hand-over
    tokens = llama.tokenize(_PROMPT.encode())

    def read() -> None:
        llama.reset()
        llama.eval(tokens)

    read_ms = _median_ms(read)
    out["llm_prompt_tokens_per_s"] = round(len(tokens) / read_ms * 1000)
    start = time.perf_counter()
    n = 0
    for _ in llama.generate(tokens[:20], temp=0.0, reset=True):
        n += 1
        if n == 32:
            break
    write_s = time.perf_counter() - start
    out["llm_tokens_per_s"] = round(n / write_s)
    chat.close()
    return out


def describe() -> dict[str, Any]:
    return {**cpu_facts(), **stage_speeds()}


def line(facts: dict[str, Any]) -> str:
    """One readable line for a benchmark's header."""
    speeds = ""
    if "stt_ms_3s" in facts:
        speeds = (f"; STT {facts['stt_ms_3s']:.0f} ms per 3 s clip, LLM reads "
                  f"{facts['llm_prompt_tokens_per_s']} tok/s and writes "
                  f"{facts['llm_tokens_per_s']} tok/s, TTS first audio "
                  f"{facts['tts_first_audio_ms']:.0f} ms (RTF {facts['tts_rtf']:.2f})")
    return (f"machine: {facts['cpu']}, {facts['cores']} cores "
            f"({', '.join(facts['vector']) or 'no AVX2'}){speeds}")


if __name__ == "__main__":
    print(json.dumps(describe()))
