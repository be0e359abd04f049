"""`python -m scripts.bench.tuned_server --tuning JSON [server args]`: the voice-rp server with
latency settings overridden, for the benchmark's experiments.

The product's `python -m server` exposes no tuning knobs (users should not need them); this
launcher builds the same server with one difference: every conversation it opens gets the
overrides. Keys are "<group>.<field>" with group one of:

- `conversation`: a ConversationOptions field (`conversation.speculative`);
- `turn`: a TurnPolicy field, applied to the persona's preset (`turn.end_silence_s`);
- `chunk`: a ChunkPolicy field (`chunk.first_min_words`);
- `whisper`: a WhisperOptions field (`whisper.chunk_length`), for either model;
- `llm`: a GenerationOptions field of the persona (`llm.max_tokens`);
- `models`: an experimental model setting (`models.llm_threads`; see model_levers.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

GROUPS = ("conversation", "turn", "chunk", "whisper", "llm", "models")


def split_tuning(tuning: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{"turn.end_silence_s": 0.5} -> {"turn": {"end_silence_s": 0.5}, ...}; bad keys raise."""
    out: dict[str, dict[str, Any]] = {g: {} for g in GROUPS}
    for key, value in tuning.items():
        group, _, name = key.partition(".")
        if group not in out or not name:
            raise ValueError(f"tuning key {key!r} must be <group>.<field> with group one of "
                             f"{', '.join(GROUPS)}")
        if isinstance(value, list):
            value = tuple(value)  # JSON has no tuples; dataclass fields such as temperature do
        out[group][name] = value
    return out


def _replace(obj: Any, changes: Mapping[str, Any], what: str) -> Any:
    names = {f.name for f in dataclasses.fields(obj)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ValueError(f"{what} has no field(s) {', '.join(unknown)}; it has {sorted(names)}")
    return dataclasses.replace(obj, **changes) if changes else obj


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    tuning: dict[str, Any] = {}
    if "--tuning" in argv:
        i = argv.index("--tuning")
        tuning = json.loads(argv[i + 1])
        del argv[i: i + 2]
    groups = split_tuning(tuning)
    environ = os.environ if environ is None else environ
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import logging

    from server.__main__ import parse_args, serve_until_signalled
    from server.admission import default_capacity
    from server.app import ServerConfig, VoiceServer
    from server.http import AccessPolicy
    from server.limits import ServerLimits
    from server.session import Opened
    from server.wiring import ModelConversations
    from voice_rp.backends.factory import load_models
    from voice_rp.config import Settings
    from voice_rp.conversation import Conversation, policy_for
    from voice_rp.personas import builtin_dirs, user_persona_dir
    from voice_rp.stores import open_store

    class TunedConversations(ModelConversations):
        @classmethod
        async def load(cls, settings: Settings, persona_dirs: Sequence[Path]
                       ) -> TunedConversations:
            models = await asyncio.to_thread(load_models, settings)
            if groups["models"]:
                from .model_levers import apply_model_levers

                models = await asyncio.to_thread(apply_model_levers, models, groups["models"])
            await models.warm_up()
            return cls(models, persona_dirs)

        async def open(self, persona: str, options: dict[str, Any]) -> Opened:
            opened = await super().open(persona, options)
            conv = opened.conversation
            assert isinstance(conv, Conversation)
            found = _replace(conv.persona, {"llm": _replace(conv.persona.llm, groups["llm"],
                                                            "GenerationOptions")}, "Persona")
            conv_options = _replace(conv.options, groups["conversation"], "ConversationOptions")
            if groups["turn"]:
                base = conv_options.turn_policy or policy_for(found)
                conv_options = dataclasses.replace(
                    conv_options, turn_policy=_replace(base, groups["turn"], "TurnPolicy"))
            conv_options = dataclasses.replace(conv_options, chunk_policy=_replace(
                conv_options.chunk_policy, groups["chunk"], "ChunkPolicy"))
            tuned = Conversation(models=self.models, persona=found, clock=self.clock,
                                 options=conv_options)
            return Opened(tuned, opened.persona)

    args = parse_args(argv)
    logging.basicConfig(level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("voice_rp.server.websockets").setLevel(logging.WARNING)
    settings = Settings.from_env(environ)
    settings = dataclasses.replace(
        settings, whisper=_replace(settings.whisper, groups["whisper"], "WhisperOptions"),
        whisper_multilingual=_replace(settings.whisper_multilingual, groups["whisper"],
                                      "WhisperOptions"))
    persona_dirs = [*builtin_dirs(user_persona_dir(environ)), *args.personas]
    config = ServerConfig(host=args.host, port=args.port,
                          access=AccessPolicy(token=args.token or None),
                          limits=ServerLimits(max_sessions=args.max_sessions or default_capacity(
                              os.cpu_count() or 1, embedded_llm=settings.embedded_llm)))
    store = open_store(args.data_dir or settings.data_dir, settings.database_url)
    server = VoiceServer(config, store=store,
                         load=lambda: TunedConversations.load(settings, persona_dirs))
    print(f"voice-rp server (tuned: {json.dumps(tuning)})", file=sys.stderr, flush=True)
    asyncio.run(serve_until_signalled(server))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
