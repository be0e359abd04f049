"""Lines ready before they are needed: scripted lines' audio made in idle time and kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from test_conversation import SILENCE, SPEECH, FakeChat, Session, is_speech, make_models, persona

from voice_rp import events as ev
from voice_rp.chunker import ChunkPolicy
from voice_rp.clock import MonotonicClock
from voice_rp.conversation import Conversation, ConversationOptions
from voice_rp.line_cache import CachedVoice, LineCache, scripted_pieces


class CountingVoice:
    sample_rate = 16_000

    def __init__(self) -> None:
        self.made: list[str] = []

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        self.made.append(text)
        yield text.encode() * 10


def test_a_wanted_line_is_made_once_and_then_served_from_the_cache():
    inner, cache = CountingVoice(), LineCache()
    voice = CachedVoice(inner, cache, "joe")
    assert voice.want(["Tell me about yourself."], 1.0) == ["Tell me about yourself."]
    assert voice.make_ahead("Tell me about yourself.", 1.0)
    assert not voice.make_ahead("Tell me about yourself.", 1.0)  # already there
    assert b"".join(voice.synthesize("Tell me about yourself.", rate=1.0)) == (
        b"Tell me about yourself." * 10)
    assert inner.made == ["Tell me about yourself."] and cache.stats.hits == 1
    # Another rate or another voice is another line; a reply's own words are never kept.
    assert voice.want(["Tell me about yourself."], 1.2) == ["Tell me about yourself."]
    other = CachedVoice(inner, cache, "amy")
    list(other.synthesize("Tell me about yourself.", rate=1.0))
    list(voice.synthesize("Some generated words.", rate=1.0))
    assert len(cache) == 1 and inner.made[-2:] == ["Tell me about yourself.",
                                                   "Some generated words."]


def test_a_wanted_line_asked_for_before_it_was_made_is_kept_as_it_is_made():
    inner, cache = CountingVoice(), LineCache()
    voice = CachedVoice(inner, cache, "joe")
    voice.want(["Hello there, welcome."], 1.0)
    list(voice.synthesize("Hello there, welcome.", rate=1.0))
    list(voice.synthesize("Hello there, welcome.", rate=1.0))
    assert inner.made == ["Hello there, welcome."]


def test_the_cache_is_bounded_and_forgets_the_least_recently_used_line_first():
    cache = LineCache(budget_bytes=8000)
    for i in range(8):
        cache.put(("v", 1.0, f"line {i}"), bytes(1000))
    assert cache.get(("v", 1.0, "line 0")) is not None  # used: now the most recent
    cache.put(("v", 1.0, "line 8"), bytes(1000))
    assert cache.get(("v", 1.0, "line 1")) is None and cache.get(("v", 1.0, "line 0"))
    cache.put(("v", 1.0, "huge"), bytes(1001))  # over an eighth of the budget: not kept
    assert cache.get(("v", 1.0, "huge")) is None and len(cache) == 8


def test_a_scripted_line_is_cut_the_same_way_every_time_and_parts_stay_apart():
    policy = ChunkPolicy()
    question = ("Tell me about a time you disagreed with a colleague. What did you do, and what "
                "happened in the end?")
    pieces = scripted_pieces(["Thank you.", question], policy)
    assert pieces[0] == "Thank you."  # never glued to the question after it
    assert pieces[1:] == scripted_pieces([question], policy)
    assert " ".join(pieces[1:]) == question


async def test_a_scenarios_next_question_is_made_while_the_user_speaks_and_then_served():
    chat = FakeChat("Thank you, that is clear. And then")
    models = make_models(chat)
    conv = Conversation(models=models, persona=persona("behavioural-interviewer", flow=True),
                        clock=MonotonicClock(),
                        options=ConversationOptions(is_speech=is_speech, flow_seed=7))
    s = Session(conv)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))  # the opening line has played
    flow = conv.flow
    assert flow is not None
    upcoming = flow.upcoming()[0]  # the next question from the bank
    await s.push(SPEECH, 2.0)  # the user answers: meanwhile the next lines are made
    hits = models.lines.stats.hits
    wanted = {key[2] for key in models.lines.wanted}
    assert all(p in wanted for p in scripted_pieces([upcoming], ChunkPolicy()))
    assert models.lines.stats.made_ahead > 0
    await s.push(SILENCE, 1.2)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and e.turn > 0)
    asked = conv.flow.asked[-1]  # type: ignore[union-attr]
    assert done.text.endswith(asked) and asked in flow.upcoming()
    # The acknowledgement is the model's own words; the question came from the cache.
    assert models.lines.stats.hits >= hits + len(scripted_pieces([asked], ChunkPolicy()))
    await s.close()


async def test_without_lines_ahead_nothing_is_made_in_idle_time():
    chat = FakeChat("Thank you, that is clear.")
    models = make_models(chat)
    conv = Conversation(models=models, persona=persona("behavioural-interviewer", flow=True),
                        clock=MonotonicClock(),
                        options=ConversationOptions(is_speech=is_speech, flow_seed=7,
                                                    lines_ahead=False))
    s = Session(conv)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    await asyncio.sleep(0.3)
    assert models.lines.stats.made_ahead == 0 and not models.lines.wanted
    await s.close()
