"""One real session per practice type, run by its flow to the end, with the bundled models.

Real webrtcvad, tiny.en, SmolLM2 and Piper; the user's turns are spoken by Piper or espeak-ng
and pushed faster than real time, each after the persona's reply has finished.
"""

from __future__ import annotations

import pytest
from sessions import Session, is_done
from speech import say, with_silence
from test_personas_live import models, start  # noqa: F401 - the fixture is used by name

from voice_rp import events as ev
from voice_rp import fidelity as fid

GOOD = (
    "In my last job a colleague kept missing deadlines. I talked to him privately, I set up a "
    "short weekly check-in, and in the end we delivered the release on time.",
    "When our biggest client threatened to leave, I called their manager myself, I listed every "
    "late delivery, and as a result they signed for another year.",
    "I noticed our test suite took an hour, so I split it into parallel jobs and I removed slow "
    "tests, which reduced the time to twelve minutes.",
)


async def speak(s: Session, text: str, *, engine: str = "piper", after_s: float = 1.5
                ) -> ev.Event | None:
    """Say `text`, then wait for the persona's reply to it (None if the session ended).

    A pause inside `text` can end the turn early; when the rest follows before any reply audio,
    the started reply ends interrupted and unheard and the turn goes on, so only a reply played
    to its end answers `text` (this user never talks over the persona).
    """
    mark = len(s.events)
    await s.push(with_silence(say(text, engine=engine), 0.3, after_s))
    return await s.wait_for(lambda e: isinstance(e, ev.SessionEnded) or (
        isinstance(e, ev.ReplyDone) and not e.interrupted), within=120, after=mark)


async def wait_until_listening(s: Session) -> None:
    """The last reply has played out (the user would talk over it otherwise)."""
    last = max(i for i, e in enumerate(s.events) if isinstance(e, ev.ReplyDone))
    await s.wait_for(lambda e: isinstance(e, ev.StateChanged) and e.state == "listening",
                     within=60, after=last + 1)


async def run(s: Session, turns: list[str], **kwargs) -> list[str]:
    """The persona's replies to `turns`, until the scenario ends."""
    await s.wait_for(is_done, within=60)  # the opening line
    replies = []
    for n, text in enumerate(turns):
        if s.of(ev.SessionEnded):
            break
        await wait_until_listening(s)
        reply = await speak(s, text, engine="piper" if n % 2 else "espeak", **kwargs)
        if isinstance(reply, ev.ReplyDone):
            replies.append(reply.text)
    return replies


def assert_plays_its_part(replies: list[str], language: str = "en") -> None:
    for n, reply in enumerate(replies):
        assert fid.out_of_role(reply) is None, reply
        assert fid.speakable_length(reply), reply
        assert fid.in_language(reply, language), reply
        assert not fid.near_duplicate(reply, replies[:n]), reply


@pytest.mark.models
async def test_an_interview_asks_follows_up_and_closes(models):  # noqa: F811
    s = start(models, "behavioural-interviewer", opening=True)
    turns = ["We just fixed it together.", *GOOD, GOOD[0].replace("colleague", "designer"),
             GOOD[1].replace("biggest", "oldest"), "What does a normal week look like?",
             "No more questions, thank you."]
    replies = await run(s, turns)
    end = await s.wait_for(lambda e: isinstance(e, ev.SessionEnded), within=60)
    assert end.reason == "scenario_complete"
    flow = s.conv.flow
    assert flow is not None and len(set(flow.asked)) >= 6  # five questions and a follow-up
    assert fid.asks_question(replies[0]) and not any(q in replies[0] for q in
                                                     (x.text for x in flow.flow.bank))
    assert_plays_its_part(replies)
    await s.close()


@pytest.mark.models
async def test_a_talk_gets_questions_about_what_was_said_then_a_close(models):  # noqa: F811
    s = start(models, "talk-audience", opening=True)
    talk = ("Today I want to talk about remote teams. Remote teams need written communication. "
            "Daily standups help remote teams stay aligned. Thank you for listening.")
    replies = await run(s, [talk, "Mostly by writing every decision down.",
                            "I would start with one short standup a day.",
                            "The hardest part was getting people to read the notes."],
                        after_s=3.0)
    end = await s.wait_for(lambda e: isinstance(e, ev.SessionEnded), within=60)
    assert end.reason == "scenario_complete"
    assert "remote teams" in replies[0].lower() and fid.asks_question(replies[0])
    assert all(fid.asks_question(r) for r in replies[:3])
    assert_plays_its_part(replies)
    await s.close()


@pytest.mark.models
async def test_a_learner_who_stalls_gets_a_new_topic_and_a_goodbye(models):  # noqa: F811
    s = start(models, "english-partner", opening=True)
    replies = await run(s, ["I'm fine, thanks. This morning I went to the market.",
                            "Um... I don't know.",
                            "I like cooking pasta with tomato sauce for my family.",
                            "My grandmother taught me this recipe.",
                            "Yes, you should try a soup from my country.",
                            "Uh... I don't know."], after_s=2.5)
    end = await s.wait_for(lambda e: isinstance(e, ev.SessionEnded), within=60)
    assert end.reason == "scenario_complete"
    flow = s.conv.flow
    assert flow is not None
    topics = [t.text for t in flow.flow.topics]
    assert any(t in replies[1] for t in topics), "a stalled learner gets a new topic"
    assert_plays_its_part(replies)
    await s.close()


@pytest.mark.models
async def test_a_caller_calms_down_when_helped_and_hangs_up_when_solved(models):  # noqa: F811
    s = start(models, "customer-caller", opening=True)
    replies = await run(s, ["Hello, this is support. Can I have your account number, please?",
                            "I am sorry about that. Let me send a technician to you.",
                            "The technician will be there tomorrow morning."])
    end = await s.wait_for(lambda e: isinstance(e, ev.SessionEnded), within=60)
    assert end.reason == "scenario_complete"
    assert "four four two" in replies[0]
    assert "thank you" in replies[1].lower()
    assert_plays_its_part(replies)
    await s.close()
