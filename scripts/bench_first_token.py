#!/usr/bin/env python3
"""Does the chat model stay as quick in a session's 20th turn as in its 2nd?

    .venv/bin/python scripts/bench_first_token.py [--persona behavioural-interviewer]
        [--turns 20] [--repeat 3] [--only-read-ahead] [--json out.json]

It plays a session's prompts through the embedded SmolLM2 the way a conversation builds them
(voice_rp.reply_source.ReplyWriter: persona prompt, the history within its budget, the session
memory, the user's words) for `--turns` user turns, the model writing each reply, and times the
first token of each reply. Twice: with the next prompt read ahead after each reply (what a
conversation does while the user thinks and speaks), and without. It prints each turn's time and
the ratio of the last three turns' median to that of turns 2-4 (the target: within 1.2x).
A single first token is a few tens of milliseconds of work on a shared CPU, so one session is
noisy: `--repeat` plays the session that many times and takes each turn's median over them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_facts  # noqa: E402
from bench.machine import line as machine_line  # noqa: E402
from bench.utterances import UTTERANCES  # noqa: E402

ANSWERS = [u.text for u in UTTERANCES] + [
    "My name is Sam and I have worked in logistics for six years.",
    "We shipped the new planning tool to four warehouses in one quarter.",
    "I asked the team what slowed them down and fixed the top two issues first.",
    "The result was fewer late orders, about thirty percent fewer in three months.",
]


async def session(turns: int, persona_id: str, *, read_ahead: bool) -> list[float]:
    from voice_rp.conversation_options import ConversationOptions
    from voice_rp.llm import ChatMessage
    from voice_rp.llm_embedded import EmbeddedChatModel
    from voice_rp.memory import SessionMemory
    from voice_rp.personas import builtin_dirs, find_persona
    from voice_rp.reply_source import ReplyRequest, ReplyWriter

    persona = find_persona(persona_id, builtin_dirs())
    chat = EmbeddedChatModel.load()
    models: Any = type("M", (), {"chat": chat, "capable_chat": False})()
    writer = ReplyWriter(models, persona, ConversationOptions(), random.Random(1))
    memory = SessionMemory(user_label="the candidate")
    speaker = persona.speaker_for_turn(0)
    history: list[ChatMessage] = [ChatMessage("assistant", persona.scenario.opening_line)]
    await writer.read_ahead(speaker, persona.scenario.opening_line)
    firsts: list[float] = []
    for turn in range(turns):
        user = ANSWERS[turn % len(ANSWERS)]
        source = writer._free(ReplyRequest(speaker, user_text=user), [], None)
        messages = writer._messages(ReplyRequest(speaker, user_text=user, history=tuple(history),
                                                 memory=memory.render()))
        start = time.perf_counter()
        first = None
        parts = []
        async for delta in chat.stream(messages, source.options):
            if first is None:
                first = (time.perf_counter() - start) * 1000
            parts.append(delta)
        firsts.append(round(first or 0.0, 1))
        history += [ChatMessage("user", user), ChatMessage("assistant", "".join(parts).strip())]
        memory.note(user)
        if read_ahead:
            await writer.read_ahead_for(ReplyRequest(speaker, history=tuple(history),
                                                     memory=memory.render()))
    chat.close()
    return firsts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--persona", default="behavioural-interviewer")
    p.add_argument("--turns", type=int, default=20)
    p.add_argument("--repeat", type=int, default=1,
                   help="play the session this many times; each turn's median is used")
    p.add_argument("--only-read-ahead", action="store_true",
                   help="skip the session without read-ahead (slow: it rereads every prompt)")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(machine_line(cpu_facts()))
    out: dict[str, Any] = {"machine": cpu_facts(), "turns": args.turns}
    for read_ahead in (True,) if args.only_read_ahead else (True, False):
        runs = [asyncio.run(session(args.turns, args.persona, read_ahead=read_ahead))
                for _ in range(max(1, args.repeat))]
        firsts = [round(statistics.median(turn), 1) for turn in zip(*runs, strict=True)]
        early = statistics.median(firsts[1:4])
        late = statistics.median(firsts[-3:])
        name = "read ahead" if read_ahead else "not read ahead"
        print(f"{name:15} first token per turn (ms): {firsts}")
        print(f"{name:15} turns 2-4 median {early:.0f} ms, last three {late:.0f} ms, "
              f"ratio {late / early:.2f}")
        out[name] = {"first_token_ms": firsts, "runs": runs, "early_ms": early, "late_ms": late,
                     "ratio": round(late / early, 2)}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
