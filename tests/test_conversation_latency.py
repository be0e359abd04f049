"""Work the conversation engine does before the user's turn end is confirmed.

Found with scripts/bench_latency.py: a speculative attempt only transcribed, and the LLM, chunker
and TTS waited for the turn end; and each session's first turn paid for reading the persona's whole
system prompt. Fakes from test_conversation.py stand in for the models.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from test_conversation import SILENCE, SPEECH, FakeChat, Session, make_models, persona, start

from voice_rp import events as ev
from voice_rp.clock import MonotonicClock
from voice_rp.conversation import Conversation, ConversationOptions
from voice_rp.llm_embedded import EmbeddedChatModel
from voice_rp.prompt import system_prompt

REPLY = "Thanks for that. Tell me about your last project? And what did you do yourself?"


def count_synthesis(s: Session) -> list[str]:
    """Record the text of every synthesis call the conversation makes for its replies."""
    voice = s.conv.models.voices.voice  # type: ignore[attr-defined]
    original = voice.synthesize
    texts: list[str] = []

    def synthesize(text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        # Lines made ahead in idle time (voice_rp.line_cache) are not the reply's work.
        if text not in {key[2] for key in s.conv.models.lines.wanted}:
            texts.append(text)
        return original(text, rate=rate)

    voice.synthesize = synthesize
    return texts


async def test_the_reply_is_prepared_in_the_pause_and_released_at_the_turn_end():
    chat = FakeChat(REPLY)
    s = await start(chat)
    synthesized = count_synthesis(s)
    await s.push(SPEECH, 0.8)
    await s.push(SILENCE, 0.25)  # past the first short pause (0.15 s), before the turn end (0.3 s)
    await asyncio.sleep(0.3)
    assert len(chat.seen) == 1  # the LLM is already answering...
    assert len(synthesized) == 1  # ...and the first piece is spoken, but no more than that
    assert not s.of(ev.UserTranscript) and not s.of(ev.AudioStart)  # nothing reaches the user
    await s.push(SILENCE, 0.4)
    done = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert done.text == REPLY
    assert len(chat.seen) == 1  # the turn end released the prepared reply; nothing was redone
    assert [t.text for t in s.of(ev.UserTranscript)] == ["I spoke for 800 milliseconds."]
    assert len(synthesized) >= 3
    await s.close()


async def test_a_reply_prepared_for_a_pause_the_user_talks_through_is_never_heard():
    chat = FakeChat(REPLY)
    s = await start(chat)
    await s.push(SPEECH, 0.8)
    await s.push(SILENCE, 0.25)
    await asyncio.sleep(0.3)
    assert chat.seen[0][-1].content == "I spoke for 800 milliseconds."
    await s.push(SPEECH, 0.6)  # the user goes on
    await s.push(SILENCE, 1.0)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert [t.text for t in s.of(ev.UserTranscript)] == ["I spoke for 1400 milliseconds."]
    assert len(s.of(ev.ReplyDone)) == 1
    assert chat.seen[-1][-1].content == "I spoke for 1400 milliseconds."
    assert len({e.turn for e in s.of(ev.AudioStart)}) == 1
    await s.close()


class RecordingEngine:
    """Stands in for llama_cpp.Llama: records each request, answers with one short sentence."""

    def __init__(self) -> None:
        self.requests: list[tuple[list[dict[str, str]], int]] = []

    def create_chat_completion(self, messages, *, stream, temperature, max_tokens):
        self.requests.append((messages, max_tokens))
        yield {"choices": [{"delta": {"content": "Good. Why?"}}]}


async def test_the_embedded_model_reads_the_persona_prompt_before_the_first_turn():
    engine = RecordingEngine()
    chat = EmbeddedChatModel(engine)
    p = persona()
    conv = Conversation(models=make_models(chat), persona=p, clock=MonotonicClock(),  # type: ignore[arg-type]
                        options=ConversationOptions(is_speech=lambda f: any(f),
                                                    speak_opening_line=False))
    s = Session(conv)
    await asyncio.sleep(0.2)
    (messages, max_tokens), = engine.requests  # before the user says anything
    assert messages[0] == {"role": "system", "content": system_prompt(p)}
    assert max_tokens == 1
    await s.push(SPEECH, 0.8)
    await s.push(SILENCE, 1.0)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    first_turn = engine.requests[1][0]
    # The first turn's prompt starts with everything that was read ahead: the cache is reused.
    assert first_turn[:-1] == messages[:-1]
    assert first_turn[-1]["content"] == "I spoke for 800 milliseconds."
    await s.close()
    chat.close()


async def test_the_opening_line_is_read_ahead_with_the_persona_prompt():
    engine = RecordingEngine()
    chat = EmbeddedChatModel(engine)
    conv = Conversation(models=make_models(chat), persona=persona(), clock=MonotonicClock(),  # type: ignore[arg-type]
                        options=ConversationOptions(is_speech=lambda f: any(f),
                                                    speak_opening_line=True))
    s = Session(conv)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))  # the opening line has played
    (ahead, _), = engine.requests
    await s.push(SPEECH, 0.8)
    await s.push(SILENCE, 1.0)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and e.turn > 0)
    first_turn = engine.requests[1][0]
    assert first_turn[1]["role"] == "assistant"  # the opening line, as the user heard it
    assert first_turn[:-1] == ahead[:-1]
    await s.close()
    chat.close()


async def test_after_each_reply_the_next_turns_prompt_is_read_ahead():
    engine = RecordingEngine()
    chat = EmbeddedChatModel(engine)
    conv = Conversation(models=make_models(chat), persona=persona(), clock=MonotonicClock(),  # type: ignore[arg-type]
                        options=ConversationOptions(is_speech=lambda f: any(f),
                                                    speak_opening_line=False))
    s = Session(conv)
    for spoken in (0.8, 1.2):
        await s.push(SPEECH, spoken)
        await s.push(SILENCE, 1.0)
        await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and len(s.of(ev.ReplyDone)) >= 1)
        await asyncio.sleep(0.3)
    reads = [(i, m) for i, (m, max_tokens) in enumerate(engine.requests) if max_tokens == 1]
    replies = [(i, m) for i, (m, max_tokens) in enumerate(engine.requests) if max_tokens != 1]
    assert len(replies) >= 2, engine.requests
    (read,) = [m for i, m in reads if replies[0][0] < i < replies[1][0]]
    second = replies[1][1]
    # Read after the first reply: everything before the second turn's words, the first reply
    # as heard included.
    assert second[:-1] == read[:-1]
    assert second[-2]["role"] == "assistant" and second[-1]["content"] == (
        "I spoke for 1200 milliseconds.")
    await s.close()
    chat.close()


async def test_without_read_ahead_no_prompt_is_read_between_turns():
    engine = RecordingEngine()
    chat = EmbeddedChatModel(engine)
    conv = Conversation(models=make_models(chat), persona=persona(), clock=MonotonicClock(),  # type: ignore[arg-type]
                        options=ConversationOptions(is_speech=lambda f: any(f),
                                                    speak_opening_line=False, read_ahead=False))
    s = Session(conv)
    await s.push(SPEECH, 0.8)
    await s.push(SILENCE, 1.0)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    await asyncio.sleep(0.5)
    # Only the persona prompt before the first turn, then the reply itself.
    assert engine.requests[0][1] == 1
    assert all(max_tokens != 1 for _, max_tokens in engine.requests[1:])
    await s.close()
    chat.close()
