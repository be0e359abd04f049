"""Deadlines a user feels: a late reply starts with a holding line, a stuck one ends with an
error, and the next turn works (the conversation engine with fake models)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from test_conversation import SILENCE, SPEECH, FakeChat, start

from voice_rp import events as ev
from voice_rp.llm import ChatMessage, GenerationOptions


class SlowChat(FakeChat):
    """Thinks for `first_s` before its first word, and `per_word_s` between words."""

    def __init__(self, reply: str, *, first_s: float, per_word_s: float = 0.0) -> None:
        super().__init__(reply)
        self.first_s = first_s
        self.per_word_s = per_word_s

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncIterator[str]:
        self.seen.append(list(messages))
        await asyncio.sleep(self.first_s)
        for word in self.reply.split(" "):
            yield word + " "
            await asyncio.sleep(self.per_word_s)


async def test_a_late_reply_starts_with_a_holding_line():
    chat = SlowChat("Good question. Tell me more.", first_s=1.2)
    s = await start(chat, hold_after_s=0.4)
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.0)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    pieces = [e.text for e in s.of(ev.AudioStart)]
    assert pieces[0] == "Hmm, let me think."
    assert [e.piece for e in s.of(ev.AudioStart)] == list(range(len(pieces)))
    assert done.text.endswith("Good question. Tell me more.")
    metrics = await s.wait_for(lambda e: isinstance(e, ev.TurnMetrics))
    assert metrics.stages["holding_line_ms"] is not None
    await s.close()


async def test_a_reply_in_time_has_no_holding_line():
    s = await start(FakeChat("Good question. Tell me more."), hold_after_s=5.0)
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.0)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert done.text == "Good question. Tell me more."
    metrics = await s.wait_for(lambda e: isinstance(e, ev.TurnMetrics))
    assert "holding_line_ms" not in metrics.stages
    await s.close()


async def test_a_turn_over_its_hard_limit_is_cut_short_and_the_next_turn_works():
    chat = SlowChat("On and on and on and on and on and on.", first_s=0.0, per_word_s=0.4)
    s = await start(chat, hold_after_s=None, turn_limit_s=1.0)
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.0)
    err = await s.wait_for(lambda e: isinstance(e, ev.ErrorEvent), within=5.0)
    assert err.code == "llm_unavailable" and "1 s" in err.message and not err.fatal
    await asyncio.sleep(0.2)
    chat.per_word_s = 0.0
    chat.reply = "Short answer."
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 1.0)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and e.text == "Short answer.")
    await s.close()
