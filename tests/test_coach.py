"""The coach: a verdict per answer and at most three things to work on, each quoting the user's
own words, and nothing made up for answers too short, garbled or in another language."""

from __future__ import annotations

from typing import Any

from voice_rp.feedback.coach import MAX_ITEMS, verdict, work_on

STORY_Q = "Tell me about a time you fixed a process?"
FULL = ("At my last job the support queue had a backlog of three weeks. My task was to bring it "
        "down. I set up a triage rota and I wrote templates. As a result the backlog dropped "
        "from three weeks to two days.")
NO_RESULT = ("In my last job I coordinated a website launch for a client. Two weeks before the "
             "deadline our designer left. I split the work and I called the client every day.")
VAGUE = ("At my old company we had a messy release process. We talked about it as a team and "
         "we changed a few things. In the end it went well.")


def star(situation: list[str], task: list[str], action: list[str], result: list[str], *,
         measurable: list[str] | None = None, vague: list[str] | None = None,
         i_count: int = 3, we_count: int = 0) -> dict[str, Any]:
    """A STAR analysis in the report's shape (see the report contract)."""
    return {"parts": {"situation": bool(situation), "task": bool(task), "action": bool(action),
                      "result": bool(result)},
            "situation": situation, "task": task, "action": action, "result": result,
            "measurable": measurable or [], "vague_result": vague or [], "i_count": i_count,
            "we_count": we_count, "suggestion": "", "judged": True}


def answer(number: int, text: str, *, question: str = STORY_Q, st: dict[str, Any] | None = None,
           fillers: dict[str, int] | None = None, hedges: dict[str, int] | None = None,
           wpm: float | None = 140.0) -> dict[str, Any]:
    return {"number": number, "turn": number, "question": question, "text": text, "star": st,
            "delivery": {"words": len(text.split()), "wpm": wpm, "fillers": fillers or {},
                         "hedges": hedges or {}, "pauses": [], "timeline": []}}


def full_answer(number: int = 1) -> dict[str, Any]:
    return answer(number, FULL, st=star(
        ["At my last job the support queue had a backlog of three weeks."],
        ["My task was to bring it down."], ["I set up a triage rota and I wrote templates."],
        ["As a result the backlog dropped from three weeks to two days."],
        measurable=["from three weeks to two days"]))


def no_result_answer(number: int = 2) -> dict[str, Any]:
    return answer(number, NO_RESULT, st=star(
        ["In my last job I coordinated a website launch for a client."],
        ["Two weeks before the deadline our designer left."],
        ["I split the work and I called the client every day."], []))


def vague_answer(number: int = 3) -> dict[str, Any]:
    return answer(number, VAGUE, st=star(
        ["At my old company we had a messy release process."], [],
        ["We talked about it as a team and we changed a few things."], [],
        vague=["In the end it went well."], i_count=0, we_count=4))


def test_a_complete_story_with_a_measured_result_is_a_strong_answer():
    v = verdict(full_answer(), "interview")
    assert v is not None and v["label"] == "Strong answer"
    assert "from three weeks to two days" in v["why"]


def test_a_story_without_a_result_needs_one_and_a_vague_one_is_quoted():
    v = verdict(no_result_answer(), "interview")
    assert v is not None and v["label"] == "Needs a result"
    assert "No result was heard" in v["why"]
    v = verdict(vague_answer(), "interview")
    assert v is not None and v["label"] == "Needs a clear result"
    assert "“In the end it went well”" in v["why"]


def test_nothing_is_judged_from_too_little_or_garbage():
    short = verdict(answer(1, "Yes, I did."), "interview")
    assert short is not None and short["label"] == "Too short to judge"
    assert verdict(answer(1, ""), "interview") is None
    garbage = "the the the the the the the the the the the the uh the the"
    v = verdict(answer(1, garbage), "interview")
    assert v is not None and v["label"] == "Not enough to judge"
    consonants = "xkcd brrr tsk pfft grr hmph xkcd brrr tsk pfft grr hmph"
    assert verdict(answer(1, consonants), "interview")["label"] == "Not enough to judge"
    german = ("Bei meiner letzten Stelle hatte die Warteschlange einen Rückstand von drei "
              "Wochen und ich habe ein neues Verfahren eingeführt.")
    v = verdict(answer(1, german, st=star([], [], [], [])), "interview")
    assert v is not None and v["label"] == "Not enough to judge" and "English" in v["why"]


def test_star_is_not_demanded_of_questions_that_are_not_stories():
    why = answer(1, "Because I like building tools that people use every day, and this team "
                    "builds them well.", question="Why do you want this job?",
                 st=star([], [], [], []))
    assert verdict(why, "interview") is None  # nothing wrong to say, nothing made up
    unsure = answer(1, "I think I would maybe say that I am sort of good with people and "
                       "customers.", question="What are your strengths?", st=star([], [], [], []),
                    hedges={"i think": 1, "maybe": 1, "sort of": 1})
    v = verdict(unsure, "interview")
    assert v is not None and v["label"] == "Sounds unsure" and "“i think”" in v["why"]


def test_a_star_check_that_could_not_run_gives_no_star_verdict():
    a = no_result_answer()
    a["star"]["judged"] = False
    assert verdict(a, "interview") is None


def test_language_practice_is_judged_by_its_mistakes_not_per_answer():
    assert verdict(answer(1, "Yesterday I have went to the market with my sister."),
                   "language") is None


def interview_report(*answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"practice": "interview", "empty": False, "answers": list(answers),
            "delivery": {"fillers": {}, "fillers_per_min": None}, "figures": [], **extra}


def test_work_on_puts_the_missing_result_first_and_quotes_the_words():
    items = work_on(interview_report(full_answer(1), no_result_answer(2), vague_answer(3)))
    assert 1 <= len(items) <= MAX_ITEMS
    first = items[0]
    assert first["title"] == "Say how it turned out" and first["answer"] == 2
    assert first["quote"] in NO_RESULT and first["try"]
    own = next(i for i in items if i["title"] == "Say what you did yourself")
    assert own["answer"] == 3 and "we" in own["quote"].lower().split()
    for item in items:
        assert set(item) == {"title", "quote", "answer", "try"}


def test_work_on_never_lists_fillers_that_were_not_listened_for():
    said = answer(1, "Um, so, um, I set up a rota. Um, it helped the team a lot, uh, I guess.",
                  fillers={"um": 3, "uh": 1}, question="")
    not_heard = interview_report(said, delivery={"fillers": {"um": 3, "uh": 1},
                                                 "fillers_per_min": 20.0},
                                 figures=[{"key": "fillers_per_min", "measured": False,
                                           "value": None, "verdict": None}])
    assert all(i["title"] != "Fewer fillers" for i in work_on(not_heard))
    heard = {**not_heard, "figures": [{"key": "fillers_per_min", "measured": True,
                                       "value": 20.0, "verdict": "noticeable"}]}
    [item] = [i for i in work_on(heard) if i["title"] == "Fewer fillers"]
    assert item["quote"].startswith("Um, so, um") and item["answer"] == 1


def test_work_on_for_a_language_learner_quotes_the_mistake_that_came_back():
    report = {"practice": "language", "empty": False,
              "answers": [answer(1, "Yesterday I have went to the market with my sister.")],
              "content": {"mistakes": [
                  {"said": "more better", "better": "better", "why": "", "count": 1,
                   "answers": [1]},
                  {"said": "I have went", "better": "I went", "why": "Past tense.", "count": 2,
                   "answers": [1, 2]}]}}
    [item] = work_on(report)
    assert item["quote"] == "I have went" and "I went" in item["try"] and item["answer"] == 1


def test_work_on_for_a_talk_asks_for_the_missing_closing():
    talk = ("Today I want to talk about sleep. First, it helps memory. Second, it helps mood. "
            "We should all sleep more.")
    report = {"practice": "talk", "empty": False, "answers": [answer(1, talk, question="")],
              "content": {"talk": {"opening": ["Today I want to talk about sleep."],
                                   "points": ["First", "Second"], "closing": []}}}
    items = work_on(report)
    assert items[0]["title"] == "Close with a summary"
    assert items[0]["quote"] == "We should all sleep more."


def test_an_empty_session_has_nothing_to_work_on():
    assert work_on({"practice": "interview", "empty": True, "answers": []}) == []
    assert work_on({"practice": "interview", "answers": [answer(1, "")]}) == []


def test_a_five_minute_monologue_is_quoted_in_a_few_words():
    sentence = ("We planned the migration with the whole team over many weeks and we kept "
                "talking about the details of every step without saying what changed, ")
    monologue = "In my last job we had to move our servers. " + sentence * 40 + "and so on."
    a = answer(1, monologue, st=star(["In my last job we had to move our servers."], [],
                                     [], []))
    v = verdict(a, "interview")
    assert v is not None and v["label"] == "Needs a result"
    [item] = [i for i in work_on(interview_report(a)) if i["title"] == "Say how it turned out"]
    assert len(item["quote"]) <= 160 and item["quote"].endswith("…")
