"""A conversation run by its scenario flow, with fake models: what is spoken at each step."""

from __future__ import annotations

import asyncio

from test_conversation import (
    SILENCE,
    SPEECH,
    FakeChat,
    Session,
    is_speech,
    make_models,
    persona,
)

from voice_rp import events as ev
from voice_rp.capabilities import Capabilities
from voice_rp.clock import MonotonicClock
from voice_rp.conversation import Conversation, ConversationOptions
from voice_rp.errors import LLMError

GOOD = ("In my last job a colleague kept missing deadlines. I talked to him privately, I set up "
        "weekly check-ins and I shared my plan. In the end we delivered the release on time.")


def start(chat: FakeChat, name: str = "behavioural-interviewer", *, opening: bool = True,
          capable: bool = False, script: list[str] | None = None) -> Session:
    models = make_models(chat)
    models.transcriber.script = list(script or [])  # type: ignore[attr-defined]
    conv = Conversation(models=models, persona=persona(name, flow=True), clock=MonotonicClock(),
                        options=ConversationOptions(is_speech=is_speech, flow_seed=7,
                                                    speak_opening_line=opening,
                                                    capable_model=capable))
    return Session(conv)


async def turn(s: Session) -> ev.ReplyDone:
    seen = len(s.of(ev.ReplyDone))
    await s.push(SPEECH, 0.8)
    await s.push(SILENCE, 1.2)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and len(s.of(ev.ReplyDone)) > seen)
    return s.of(ev.ReplyDone)[-1]


async def test_the_small_model_acknowledges_and_the_engine_asks() -> None:
    chat = FakeChat("Thank you, that is clear. And then")
    s = start(chat, script=["There was a problem with a release and we fixed it.", GOOD])
    opening = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    flow = s.conv.flow
    assert flow is not None
    first_question = flow.asked[0]
    assert opening.text.endswith(first_question)
    follow = await turn(s)
    assert follow.text.startswith("Thank you, that is clear.")
    assert follow.text.endswith(s.conv.flow.asked[-1])  # type: ignore[union-attr]
    assert "?" in follow.text
    nxt = await turn(s)
    assert s.conv.flow.asked[-1] in nxt.text  # type: ignore[union-attr]
    assert s.conv.flow.asked[-1] != first_question  # type: ignore[union-attr]
    # The model was asked for a few words each time, with the instruction before the user's.
    for messages in chat.seen:
        assert "short acknowledgement" in messages[-2].content
    await s.close()


async def test_a_model_acknowledgement_with_a_stage_direction_and_a_label_is_replaced() -> None:
    chat = FakeChat("Maya Chen: (smiling) What a great story, tell me more?")
    s = start(chat, script=["There was a problem with a release and we fixed it."])
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    follow = await turn(s)
    assert "(" not in follow.text and "Maya" not in follow.text
    flow_ack = s.conv.persona.flow.acknowledgements  # type: ignore[union-attr]
    assert any(follow.text.startswith(a) for a in flow_ack)
    await s.close()


async def test_a_dead_endpoint_is_reported_and_the_scenario_goes_on() -> None:
    # A scenario's scripted questions need no model, but the user must learn the endpoint is
    # down rather than hear fixed acknowledgements with no word why.
    chat = FakeChat()
    s = start(chat, script=["There was a problem with a release and we fixed it.", GOOD])
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    chat.fail_with = LLMError("cannot reach the chat endpoint http://127.0.0.1:9/v1")
    follow = await turn(s)
    err, = s.of(ev.ErrorEvent)
    assert err.code == "llm_unavailable" and "127.0.0.1:9" in err.message and not err.fatal
    assert s.events.index(err) < s.events.index(follow)
    assert follow.text.endswith(s.conv.flow.asked[-1])  # type: ignore[union-attr]
    await turn(s)
    assert len(s.of(ev.ErrorEvent)) == 2, "told again while the endpoint stays down"
    await s.close()


async def test_the_flow_reaches_its_close_and_the_session_ends() -> None:
    answers = [GOOD] * 5 + ["What is the team like?", "No more questions, thank you."]
    s = start(FakeChat("Thanks."), script=answers)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    for _ in answers:
        if s.of(ev.SessionEnded):
            break
        await turn(s)
    end = await s.wait_for(lambda e: isinstance(e, ev.SessionEnded), within=10)
    assert end.reason == "scenario_complete"
    assert s.of(ev.ReplyDone)[-1].text.endswith("Goodbye!")
    assert len(set(s.conv.flow.asked)) == 5  # type: ignore[union-attr]
    await s.close()


async def test_a_dropped_speculative_turn_does_not_move_the_scenario_on() -> None:
    s = start(FakeChat("Okay."), script=["We", GOOD])
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    await s.push(SPEECH, 0.6)
    await s.push(SILENCE, 0.4)  # a pause: a speculative turn starts on "We"...
    await asyncio.sleep(0.2)
    await s.push(SPEECH, 0.4)  # ...and is dropped when the user goes on
    await s.push(SILENCE, 1.5)
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and e.turn > 0)
    assert s.conv.models.transcriber.calls >= 2  # type: ignore[attr-defined]
    flow = s.conv.flow
    assert flow is not None and len(flow.asked) == 2  # the opening's question and one more
    await s.close()


async def test_the_capable_model_is_asked_to_put_the_question_in_its_own_words() -> None:
    chat = FakeChat("Great example. So, what did you learn from that?")
    s = start(chat, capable=True, script=[GOOD])
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    reply = await turn(s)
    assert reply.text == chat.reply
    assert "in your own words" in chat.seen[0][-2].content
    await s.close()


async def test_the_audience_listens_then_asks_about_the_talk() -> None:
    talk = ("Today I want to talk about remote teams. Remote teams need written communication. "
            "Thank you for listening.")
    s = start(FakeChat("Thanks."), "talk-audience", script=[talk] * 8)  # every look at the talk
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    assert not s.of(ev.ReplyDone)[0].text.endswith("?")
    await s.push(SPEECH, 3.0)
    await s.push(SILENCE, 10.0)  # the talk ends on its end phrase or a long pause
    question = await s.wait_for(lambda e: isinstance(e, ev.ReplyDone) and e.turn > 0,
                                within=15)
    assert "remote teams" in question.text and question.text.endswith("?")
    await s.close()


class SlowChat(FakeChat):
    """Writes a word every `delay` seconds, like a small model on a busy laptop."""

    def __init__(self, reply: str, delay: float) -> None:
        super().__init__(reply)
        self.delay = delay

    async def stream(self, messages, options):  # type: ignore[no-untyped-def, override]
        self.seen.append(list(messages))
        for word in self.reply.split(" "):
            await asyncio.sleep(self.delay)
            yield word + " "


async def test_an_acknowledgement_too_slow_for_the_turn_end_gives_way_to_a_fixed_one() -> None:
    chat = SlowChat("Thank you, that is a very clear example.", delay=0.25)
    s = start(chat, script=[GOOD])
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    reply = await turn(s)
    fixed = s.conv._writer._stage_replies.fixed_acks
    assert any(reply.text.startswith(ack) for ack in fixed), reply.text
    assert reply.text.endswith(s.conv.flow.asked[-1])  # type: ignore[union-attr]
    await s.close()


async def test_an_acknowledgement_in_time_is_the_models_own() -> None:
    chat = SlowChat("Thank you, that is a very clear example.", delay=0.01)
    s = start(chat, script=[GOOD])
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    reply = await turn(s)
    assert reply.text.startswith("Thank you, that is a very clear example."), reply.text
    await s.close()


class LocalChat(FakeChat):
    """A fake in-process model: it can read a prompt ahead, as the embedded one does."""

    capabilities = Capabilities("local", reads_prompt_ahead=True)


async def test_with_a_small_model_the_acknowledgement_prompt_is_read_ahead() -> None:
    chat = LocalChat("Thank you, that is clear.")
    s = start(chat, script=[GOOD, GOOD])
    await s.wait_for(lambda e: isinstance(e, ev.ReplyDone))
    await turn(s)
    await asyncio.sleep(0.3)
    ahead = [m for m in chat.seen if m[-1].role == "user" and m[-1].content == ""]
    asks = [m for m in chat.seen if m[-1].content == GOOD]
    assert ahead and asks
    # What the model read while the user spoke is the acknowledgement prompt up to their words.
    assert ahead[0][:-1] == asks[0][:-1]
    assert "acknowledgement" in ahead[0][-2].content and len(ahead) == 2  # and after the reply
    await s.close()
