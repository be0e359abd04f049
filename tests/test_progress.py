"""Progress across saved sessions: trends in plain sentences, goals, `sessions progress`."""

import io

import pytest

from client.sessions_cli import main
from voice_rp.progress import parse_goal, recurring_corrections, trends
from voice_rp.storage import TranscriptStore


def _point(**kw):
    return {"words": 100, **kw}


def test_trends_say_first_to_latest_over_how_many_sessions():
    points = [_point(fillers_per_min=6.1, wpm=190), _point(fillers_per_min=4.0),
              _point(fillers_per_min=2.3, wpm=150)]
    lines = trends(points)
    assert "Pace: 190 → 150 words a minute over 2 sessions (closer to 130-160)." in lines
    assert "Fillers: 6.1 → 2.3 per minute over 3 sessions (better)." in lines
    assert trends(points[:1]) == ["Practise at least twice to see your progress."]
    worse = trends([_point(long_pauses=1), _point(long_pauses=4)])
    assert worse == ["Pauses over 1 s: 1 → 4 per session over 2 sessions (worse)."]


@pytest.mark.parametrize("text,metric,low,high", [
    ("pace 130-160", "wpm", 130, 160),
    ("Fillers under 3 per minute", "fillers_per_min", None, 3),
    ("pauses at most 2", "long_pauses", None, 2),
    ("star at least 75", "star_complete", 75, None),
    ("onset below 1.5 s", "onset_s", None, 1.5),
])
def test_goals_are_read_from_plain_words(text, metric, low, high):
    rule = parse_goal(text)
    assert (rule.metric, rule.low, rule.high) == (metric, low, high)


def test_a_goal_is_met_missed_or_not_measured():
    rule = parse_goal("pace 130-160")
    assert rule.check({"wpm": 145})["met"] is True
    assert rule.check({"wpm": 170})["met"] is False
    assert rule.check({"wpm": None})["met"] is None
    with pytest.raises(ValueError, match="cannot read the goal"):
        parse_goal("speak better")


def test_recurring_corrections_need_two_sessions():
    points = [{"corrections": ["I went", "We bought"]}, {"corrections": ["I went"]},
              {"corrections": ["I went", "I went"]}]
    assert recurring_corrections(points) == [("i went", 3)]


def test_cli_progress_list_and_show(tmp_path):
    clock = iter(range(1000, 2000, 10))
    store = TranscriptStore(tmp_path, now=lambda: float(next(clock)))
    ids = []
    for fillers in (3, 1):
        log = store.open_session(persona="english-partner", options={"keep_fillers": True})
        log.write("user", turn=1, text="um " * fillers + "I like trains " * 10,
                  audio={"speech": [[0.0, 12.0]]})
        log.end("client_end", {"user_turns": 1})
        ids.append(log.id)
    out = io.StringIO()
    assert main(["--data-dir", str(tmp_path), "progress"], out=out) == 0
    assert "english-partner" in out.getvalue()
    assert "Fillers: 15.0 → 5.0 per minute over 2 sessions (better)." in out.getvalue()
    out = io.StringIO()
    assert main(["--data-dir", str(tmp_path), "list"], out=out) == 0
    # The list shows no figures of its own: they come from the report, computed once.
    assert "1 turn(s)" in out.getvalue() and "wpm" not in out.getvalue()
    out = io.StringIO()
    assert main(["--data-dir", str(tmp_path), "show", ids[0]], out=out) == 0
    assert "session ended: client_end" in out.getvalue()
