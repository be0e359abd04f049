"""The user fixes what recognition misheard: the report is built again from the corrected words
(original kept beside them), the fix survives any rebuild and can be undone, a bad fix is refused
with the reason, and the corrected words become recognition hints for the next sessions."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client.report import main as report_main
from server.wiring import ModelConversations, corrected_terms_in
from voice_rp.feedback.corrections import (
    BadCorrection,
    Correction,
    apply,
    check,
    retime,
)
from voice_rp.feedback.language import FeedbackSettings
from voice_rp.feedback.service import NoSuchCorrection, Reports
from voice_rp.models import Models
from voice_rp.personas import builtin_dirs
from voice_rp.storage import SessionNotFound, TranscriptStore

MISHEARD = "I moved our old servers to cuba nettie's and, um, Cuba Nettie's cut our costs a lot"
SPEECH = [[0.0, 6.0]]  # six seconds of speech: pace = words * 10 a minute
TIMED = [["I", 0.0, 0.3], ["moved", 0.3, 0.7], ["our", 0.7, 0.9], ["old", 0.9, 1.2],
         ["servers", 1.2, 1.8], ["to", 1.8, 2.0], ["cuba", 2.0, 2.4], ["nettie's", 2.4, 3.0],
         ["and,", 3.0, 3.2], ["um,", 3.2, 3.5], ["Cuba", 3.5, 3.9], ["Nettie's", 3.9, 4.4],
         ["cut", 4.4, 4.7], ["our", 4.7, 4.9], ["costs", 4.9, 5.3], ["a", 5.3, 5.4],
         ["lot", 5.4, 6.0]]


# --------------------------------------------------------------------------- checking a fix


def test_a_fix_must_name_words_the_answer_has():
    texts = ["I ran the rota", "we shipped it"]
    assert check(Correction(1, "  THE   rota ", "the roster"), texts) == Correction(
        1, "THE rota", "the roster")  # any case, spaces tidied
    for bad, why in (
            (Correction(3, "rota", "roster"), "no answer 3: this session has answers 1 to 2"),
            (Correction(0, "rota", "roster"), "no answer 0"),
            (Correction(1, "ran the", ""), "give the words said"),
            (Correction(1, "", "x"), "give the words heard"),
            (Correction(1, "rot", "roster"), "answer 1 has no \"rot\""),  # whole words only
            (Correction(2, "rota", "roster"), "answer 2 has no"),
            (Correction(1, "rota", "x" * 121), "over 120 characters"),
            (Correction(1, "rota", "ros\x00ter"), "control character"),
            (Correction(1, "rota\n", "roster"), "control character"),
            (Correction(1, "rota", "rota"), "nothing to correct"),
            (Correction(1, "rota", "..."), "no word in them")):
        with pytest.raises(BadCorrection, match=why):
            check(bad, texts)
    with pytest.raises(BadCorrection, match="no answers"):
        check(Correction(1, "a", "b"), [])


def test_a_fix_replaces_every_whole_word_occurrence_and_keeps_the_first_recognition():
    records = [{"t": 0.0, "kind": "session_start"},
               {"t": 1.0, "kind": "user", "turn": 1, "text": MISHEARD,
                "audio": {"speech": SPEECH}},
               {"t": 2.0, "kind": "words", "turn": 1, "words": TIMED, "fillers_kept": True}]
    fixed, made = apply(records, [Correction(1, "cuba nettie's", "Kubernetes"),
                                  Correction(1, "old servers", "servers"),
                                  Correction(1, "the moon", "x")])  # words not there: skipped
    assert made == [True, True, False]
    user = fixed[1]
    assert user["text"] == ("I moved our servers to Kubernetes and, um, Kubernetes cut our costs "
                            "a lot")
    assert user["heard"] == MISHEARD  # the first recognition, through both fixes
    assert records[1]["text"] == MISHEARD and "heard" not in records[1]  # records untouched
    words = fixed[2]["words"]
    assert [w[0] for w in words] == ["I", "moved", "our", "servers", "to", "Kubernetes", "and,",
                                     "um,", "Kubernetes", "cut", "our", "costs", "a", "lot"]
    assert words[5][1:] == [2.0, 3.0] and words[8][1:] == [3.5, 4.4]  # the time they took
    assert fixed[2]["fillers_kept"] is True
    # Fixed and fixed back: nothing was misheard after all.
    back, _ = apply(records, [Correction(1, "servers", "boxes"), Correction(1, "boxes", "servers")])
    assert back[1]["text"] == MISHEARD and "heard" not in back[1]


def test_word_timings_keep_the_rest_of_a_word_only_partly_corrected():
    words = [["long-end", 1.0, 2.0], ["test", 2.0, 2.5], ["oops", 3, 3.5]]
    assert retime(words, "end test", "endpoint test") == [
        ["long", 1.0, 1.5], ["endpoint", 1.5, 2.0], ["test", 2.0, 2.5], ["oops", 3, 3.5]]
    assert retime(words, "not there", "x") == words
    assert retime([["a", 0.0, 1.0], "junk"], "a", "b") == [["b", 0.0, 1.0], "junk"]


# --------------------------------------------------------------------------- the service


class FakeTeacher:
    """A capable model that records the words it was asked to judge."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def complete(self, system: str, user: str) -> str:
        self.asked.append(user)
        return json.dumps({"level": "B1", "corrections": []})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TranscriptStore]:
    # A clock that moves on every reading: sessions opened one after another are ordered.
    ticks = itertools.count(1_700_000_000)
    s = TranscriptStore(tmp_path / "data", now=lambda: float(next(ticks)))
    yield s
    s.close()


def session(store: TranscriptStore, text: str = MISHEARD, *,
            persona: str = "behavioural-interviewer", answers: int = 1) -> str:
    log = store.open_session(persona=persona)
    for turn in range(1, answers + 1):
        log.write("reply", turn=turn - 1, text="Tell me about a project you led?",
                  interrupted=False, speaker="Dana", audio_ms=2000)
        log.write("speech_start", turn=turn)
        log.write("user", turn=turn, text=text, audio={"speech": SPEECH})
        log.write("words", turn=turn, words=TIMED)
    log.end("client_end", {})
    return log.id


def test_a_fix_recomputes_the_figures_from_the_corrected_words_and_can_be_undone(
        store: TranscriptStore, tmp_path: Path):
    sid = session(store)
    reports = Reports(store, builtin_dirs())
    before = reports.report(sid)
    assert before["delivery"]["words"] == 17 and before["delivery"]["wpm"] == 170.0
    assert before["corrections"] == []
    report = reports.correct(sid, 1, "Cuba Nettie's", "Kubernetes")
    [answer] = report["answers"]
    assert answer["text"].startswith("I moved our old servers to Kubernetes and, um, Kubernetes")
    assert answer["heard"] == MISHEARD  # the original beside the fix
    assert report["delivery"]["words"] == 15 and report["delivery"]["wpm"] == 150.0
    assert report["content"]["vocabulary"]["words"] == before["content"]["vocabulary"][
        "words"] - 2
    assert report["transcript"][-1]["text"] == answer["text"]
    assert report["corrections"] == [{"index": 0, "answer": 1, "heard": "Cuba Nettie's",
                                      "said": "Kubernetes", "applied": True}]
    figures = {f["key"]: f for f in report.get("figures") or []}
    if "wpm" in figures:  # the one list of figures the user reads says the same
        assert figures["wpm"]["value"] == 150.0
    # The saved transcript is as recognised; the fix lives beside it and survives a rebuild
    # by another process (a new store on the same database).
    assert [r["text"] for r in store.read_session(sid) if r["kind"] == "user"] == [MISHEARD]
    again = Reports(TranscriptStore(tmp_path / "data"), builtin_dirs()).report(sid)
    assert again["answers"][0]["text"] == answer["text"]
    assert again["delivery"]["wpm"] == 150.0
    undone = reports.uncorrect(sid, 0)
    assert undone["answers"][0]["text"] == MISHEARD and not undone["answers"][0].get("heard")
    assert undone["delivery"]["wpm"] == 170.0 and undone["corrections"] == []


def test_bad_fixes_are_refused_with_the_reason(store: TranscriptStore):
    sid = session(store, answers=2)
    reports = Reports(store, builtin_dirs())
    with pytest.raises(BadCorrection, match="no answer 3"):
        reports.correct(sid, 3, "servers", "boxes")
    with pytest.raises(BadCorrection, match="has no \"serv\""):
        reports.correct(sid, 1, "serv", "boxes")
    with pytest.raises(NoSuchCorrection, match="no correction 0"):
        reports.uncorrect(sid, 0)
    with pytest.raises(SessionNotFound):
        reports.correct("nope-1", 1, "servers", "boxes")
    reports.correct(sid, 2, "servers", "boxes")
    # A second fix works on the corrected words: the first one's words are gone.
    with pytest.raises(BadCorrection, match="answer 2 has no \"servers\""):
        reports.correct(sid, 2, "servers", "machines")
    assert reports.report(sid)["answers"][0]["text"] == MISHEARD  # answer 1 untouched


def test_corrected_words_are_judged_again_by_the_model(store: TranscriptStore):
    sid = session(store, "Yesterday I go to the market with my sister", persona="english-partner")
    teacher = FakeTeacher()
    settings = FeedbackSettings(base_url="http://127.0.0.1:9/v1", model="tutor",
                                capable_models=("tutor",))
    reports = Reports(store, builtin_dirs(), settings, chat=teacher)
    reports.report(sid)
    reports.report(sid)
    assert len(teacher.asked) == 1  # kept once made
    reports.correct(sid, 1, "market", "cinema")
    assert len(teacher.asked) == 2 and "cinema" in teacher.asked[-1]  # not served stale
    reports.report(sid)
    assert len(teacher.asked) == 2
    reports.uncorrect(sid, 0)
    assert len(teacher.asked) == 3 and "market" in teacher.asked[-1]


def test_history_leaves_out_a_session_with_no_answers(store: TranscriptStore):
    log = store.open_session(persona="behavioural-interviewer")
    log.write("reply", turn=0, text="Hello, tell me about yourself?", interrupted=False,
              speaker="Dana", audio_ms=2000)
    log.end("client_end", {})
    sid = session(store)
    history = Reports(store, builtin_dirs()).history()
    assert [p["session"] for p in history["sessions"]] == [sid]
    assert Reports(store, builtin_dirs()).report(log.id)["answers"] == []


def test_the_words_said_become_recognition_terms_newest_first(store: TranscriptStore):
    reports = Reports(store, builtin_dirs())
    first, second = session(store), session(store)
    reports.correct(first, 1, "cuba nettie's", "Kubernetes")
    reports.correct(first, 1, "costs", "cloud bill")
    reports.correct(second, 1, "cuba nettie's", "kubernetes")  # the same term again
    reports.correct(second, 1, "old servers", "Postgres servers")
    assert reports.recognition_terms() == ["Postgres servers", "kubernetes", "cloud bill"]
    assert reports.recognition_terms(limit=1) == ["Postgres servers"]
    assert corrected_terms_in(store)() == reports.recognition_terms()


# --------------------------------------------------------------------------- next sessions


class _Silent:
    sample_rate = 16_000

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        yield b""


class _Voices:
    def synthesizer(self, name: str) -> _Silent:
        return _Silent()


def _models() -> Models:
    return Models(transcriber=None, voices=_Voices(), chat=None,  # type: ignore[arg-type]
                  default_voice="fake", load_multilingual=lambda: None)  # type: ignore[arg-type,return-value]


async def test_corrected_terms_are_recognition_hints_in_english_practice_only():
    asked: list[int] = []

    def terms() -> list[str]:
        asked.append(1)
        return ["Kubernetes", "Postgres"]

    conversations = ModelConversations(_models(), builtin_dirs(), terms=terms)
    opened = await conversations.open("technical-screener", {})
    hints: Any = opened.conversation.persona.recognition_hints  # type: ignore[attr-defined]
    assert hints[-2:] == ("Kubernetes", "Postgres") and len(hints) > 2  # after its own words
    assert asked == [1]
    for talk_or_other_language in ("talk-audience", "spanish-partner"):
        opened = await conversations.open(talk_or_other_language, {})
        assert "Kubernetes" not in opened.conversation.persona.vocabulary  # type: ignore[attr-defined]
    assert asked == [1]  # not even read for them

    def broken() -> list[str]:
        raise OSError("database down")

    opened = await ModelConversations(_models(), builtin_dirs(), terms=broken).open(
        "behavioural-interviewer", {})  # the session opens all the same
    assert "Kubernetes" not in opened.conversation.persona.vocabulary  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the CLI


def test_cli_fixes_and_unfixes_and_prints_what_changed(tmp_path: Path):
    data = TranscriptStore(tmp_path)
    sid = session(data)
    args = ["--data-dir", str(tmp_path), "report", sid]
    out = io.StringIO()
    assert report_main([*args, "--fix", "1", "cuba nettie's", "Kubernetes"], environ={},
                       out=out) == 0
    text = out.getvalue()
    assert "answer 1: \"cuba nettie's\" corrected to \"Kubernetes\" (correction 0)" in text
    assert "170" in text and "150" in text  # the pace before and after, as the report says it
    out = io.StringIO()
    assert report_main(args, environ={}, out=out) == 0
    assert "correction 0: answer 1 \"cuba nettie's\" → \"Kubernetes\"" in out.getvalue()
    report = Reports(data, builtin_dirs()).report(sid, ask_model=False)
    for figure in report.get("figures") or []:  # every figure the report has, as it says it
        assert f"{figure['label']}: {figure['text']}" in out.getvalue()
    out = io.StringIO()
    assert report_main([*args, "--unfix", "0"], environ={}, out=out) == 0
    assert "correction 0 undone" in out.getvalue() and "170" in out.getvalue()
    for bad in (["--fix", "9", "servers", "boxes"], ["--fix", "one", "servers", "boxes"],
                ["--fix", "1", "moon", "sun"], ["--unfix", "4"]):
        assert report_main([*args, *bad], environ={}, out=io.StringIO()) == 2, bad
    assert report_main(["--data-dir", str(tmp_path), "report", "nope-1", "--unfix", "0"],
                       environ={}) == 1
