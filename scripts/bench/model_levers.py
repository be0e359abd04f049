"""Experimental model settings for the benchmark's `models.*` levers (tuned_server only).

These are prototypes measured by the benchmark before anyone changes voice_rp: how many threads
each runtime gets (on 2 cores, three runtimes with 2 spinning threads each slow one another
down). Keys (group `models`):

- `llm_threads`: llama.cpp threads for the embedded chat model (voice-rp loads it with 2);
- `tts_threads`: onnxruntime intra-op threads for Piper voices (default: one per core);
- `tts_spinning`: whether those threads busy-wait for work (onnxruntime's default: true);
- `stt_threads`: CTranslate2 threads for Whisper (voice-rp uses 2);
- `llm_verbose`: true to have llama.cpp log prefix-cache hits and timings to the server log.
"""

from __future__ import annotations

from typing import Any

from voice_rp.models import Models
from voice_rp.stt import WhisperTranscriber


def apply_model_levers(models: Models, levers: dict[str, Any]) -> Models:
    """Reload or reconfigure the loaded models as `levers` say. Blocking."""
    known = {"llm_threads", "tts_threads", "tts_spinning", "stt_threads", "llm_verbose"}
    unknown = sorted(set(levers) - known)
    if unknown:
        raise ValueError(f"unknown models lever(s) {', '.join(unknown)}; known: {sorted(known)}")
    if "llm_threads" in levers:
        from voice_rp.llm_embedded import EmbeddedChatModel

        if isinstance(models.chat, EmbeddedChatModel):
            models.chat.close()
            models.chat = EmbeddedChatModel.load(n_threads=int(levers["llm_threads"]))
    if levers.get("llm_verbose"):
        models.chat._engine.verbose = True  # type: ignore[attr-defined]
    if "tts_threads" in levers or "tts_spinning" in levers:
        import onnxruntime

        synth = models.voice()  # the default voice, loaded and cached by the catalog
        voice = synth._voice  # the benchmark pokes at Piper's session on purpose
        opts = onnxruntime.SessionOptions()
        if "tts_threads" in levers:
            opts.intra_op_num_threads = int(levers["tts_threads"])
        if not levers.get("tts_spinning", True):
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        info = models.voices.find(models.default_voice)
        voice.session = onnxruntime.InferenceSession(str(info.model_path), sess_options=opts,
                                                     providers=["CPUExecutionProvider"])
    if "stt_threads" in levers:
        old = models.transcriber
        assert isinstance(old, WhisperTranscriber)
        models.transcriber = WhisperTranscriber(_model_dir(old), options=old.options,
                                                cpu_threads=int(levers["stt_threads"]),
                                                name=old.name)
    return models


def _model_dir(transcriber: WhisperTranscriber) -> Any:
    from voice_rp.stt import bundled_tiny_en_dir

    if transcriber.name != "tiny.en":
        raise ValueError("the stt levers are only wired for the bundled tiny.en")
    return bundled_tiny_en_dir()
