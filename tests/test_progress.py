"""Progress across saved sessions: what `python -m client sessions progress` tells a user."""

import io

from client.sessions_cli import main
from voice_rp.progress import progress_points, trend
from voice_rp.storage import TranscriptStore


def _session(store: TranscriptStore, persona: str, wpm: int | None, fillers: float, words: int):
    log = store.open_session(persona=persona)
    log.write("user", turn=1, text="hello " * words)
    log.end("client_end", {"words_per_minute": wpm, "fillers_per_100_words": fillers,
                           "user_words": words, "notes": ["Your pace was comfortable."]})
    return log.id


def test_progress_shows_change_from_first_to_latest(tmp_path):
    clock = iter(range(1000, 2000, 10))
    store = TranscriptStore(tmp_path, now=lambda: float(next(clock)))
    _session(store, "behavioural-interviewer", 180, 6.0, 120)
    _session(store, "english-partner", 120, 1.0, 50)
    _session(store, "behavioural-interviewer", 150, 2.5, 140)
    store.open_session(persona="behavioural-interviewer")  # dropped: no feedback, skipped

    points = progress_points(store.list_sessions(), "behavioural-interviewer")
    assert [p.words_per_minute for p in points] == [180, 150]
    lines = trend(points)
    assert lines[0].startswith("Pace: 180 → 150")
    assert "6.0 → 2.5" in lines[1] and "fewer" in lines[1]


def test_one_session_is_not_a_trend(tmp_path):
    store = TranscriptStore(tmp_path)
    _session(store, "english-partner", 130, 0.0, 40)
    assert trend(progress_points(store.list_sessions())) == [
        "Practise at least twice to see your progress."]


def test_cli_progress_and_list_and_show_feedback(tmp_path):
    clock = iter(range(1000, 2000, 10))  # distinct start times: the order is by time
    store = TranscriptStore(tmp_path, now=lambda: float(next(clock)))
    first = _session(store, "english-partner", 130, 0.0, 40)
    _session(store, "english-partner", 140, 1.0, 60)
    out = io.StringIO()
    assert main(["--data-dir", str(tmp_path), "progress"], out=out) == 0
    rows = out.getvalue().splitlines()
    assert "english-partner" in rows[0] and " 130 wpm " in rows[0] and " 0.0 fillers" in rows[0]
    assert "Pace: 130 → 140" in out.getvalue()
    out = io.StringIO()
    assert main(["--data-dir", str(tmp_path), "list"], out=out) == 0
    assert "(130 wpm, 0.0 fillers/100 words)" in out.getvalue()
    out = io.StringIO()
    assert main(["--data-dir", str(tmp_path), "show", first], out=out) == 0
    assert "feedback: Your pace was comfortable." in out.getvalue()
