"""Transcripts: written as things happen, readable after a crash, listable and showable."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_backends import StoreMaker

from client.sessions_cli import main as sessions_main
from voice_rp import events as ev
from voice_rp.clock import FakeClock
from voice_rp.storage import (
    DB_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    SessionNotFound,
    SessionStore,
    TranscriptStore,
)


def store_at(tmp_path: Path, start: float = 1_700_000_000.0) -> tuple[TranscriptStore, FakeClock]:
    clock = FakeClock(start)
    return TranscriptStore(tmp_path, now=clock.now), clock


def with_clock(make_store: StoreMaker, start: float = 1_700_000_000.0
               ) -> tuple[SessionStore, FakeClock]:
    clock = FakeClock(start)
    return make_store(now=clock.now), clock


def test_every_record_is_saved_before_the_call_returns(make_store: StoreMaker):
    store, clock = with_clock(make_store)
    log = store.open_session(persona="behavioural-interviewer")
    clock.advance(3)
    log.record_event(ev.UserTranscript(1, "I led a team of five.", audio={"speech": [[0, 1]]}))
    # Read through a store of its own, as another process after a crash would.
    records = make_store().read_session(log.id)
    assert [r["kind"] for r in records] == ["session_start", "user"]
    assert records[1] == {"t": 1_700_000_003.0, "kind": "user", "turn": 1,
                          "text": "I led a team of five.", "audio": {"speech": [[0, 1]]}}


def test_sqlite_rows_are_in_the_file_before_the_call_returns(tmp_path: Path):
    store, _ = store_at(tmp_path)
    log = store.open_session(persona="behavioural-interviewer")
    log.write("user", turn=1, text="I led a team of five.")
    with sqlite3.connect(store.db_path) as other:
        rows = other.execute("SELECT kind, data FROM records ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ["session_start", "user"]
    assert json.loads(rows[1][1]) == {"turn": 1, "text": "I led a team of five."}


def test_the_database_is_private_and_in_wal_mode(tmp_path: Path):
    store, _ = store_at(tmp_path / "data")
    log = store.open_session(persona="p")
    log.write("user", turn=1, text="secret")
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    for path in (tmp_path / "data").iterdir():  # the database and its -wal/-shm files
        assert path.stat().st_mode & 0o777 == 0o600, path
    with sqlite3.connect(store.db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_old_schema_is_migrated_and_keeps_its_sessions(tmp_path: Path):
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO sessions (id, started, persona) VALUES ('old', 5, 'p')")
    conn.execute("INSERT INTO records VALUES ('old', 1, 5, 'user', ?)",
                 (json.dumps({"turn": 1, "text": "hi"}),))
    conn.commit()
    conn.close()
    store, _ = store_at(tmp_path)
    assert store.read_session("old")[0]["text"] == "hi"
    store.add_goal("pace 130-160")  # a table version 2 added
    assert [g.text for g in store.goals()] == ["pace 130-160"]


def test_jsonl_transcripts_are_imported_once_and_a_torn_line_is_skipped(tmp_path: Path):
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    (sessions / "20240101-000000-aaaaaa.jsonl").write_text(
        '{"t": 1, "kind": "session_start", "session": "20240101-000000-aaaaaa", '
        '"persona": "interviewer"}\n{"t": 2, "kind": "user", "turn": 1, "text": "hello"}\n'
        '{"t": 3, "kind": "reply", "te')  # the server died mid-write
    store, _ = store_at(tmp_path)
    [summary] = store.list_sessions()
    assert (summary.id, summary.persona, summary.user_turns, summary.replies, summary.ended) == (
        "20240101-000000-aaaaaa", "interviewer", 1, 0, False)
    store.delete_session(summary.id)
    # A new store (the next run) does not bring the deleted session back.
    assert TranscriptStore(tmp_path).list_sessions() == []


def test_delete_one_or_all_and_export(make_store: StoreMaker, tmp_path: Path):
    store, clock = with_clock(make_store)
    ids = []
    for i in range(3):
        log = store.open_session(persona="p")
        log.write("user", turn=1, text=f"answer {i}")
        log.end("client_end", {})
        ids.append(log.id)
        clock.advance(10)
    store.add_goal("fillers under 3")
    exported = store.export()
    assert [s["id"] for s in exported["sessions"]] == ids
    assert exported["sessions"][0]["records"][1]["text"] == "answer 0"
    assert exported["goals"][0]["text"] == "fillers under 3"
    store.delete_session(ids[0])
    assert [s.id for s in store.list_sessions()] == ids[1:]
    with pytest.raises(SessionNotFound):
        store.delete_session(ids[0])
    assert store.delete_all() == 2 and store.list_sessions() == []
    if isinstance(store, TranscriptStore):
        assert b"answer 1" not in store.db_path.read_bytes()  # not left in free pages
    out = io.StringIO()
    assert sessions_main(["--data-dir", str(tmp_path), "delete"], out=out) == 2


def test_the_reply_is_stored_as_heard_and_audio_is_not_stored(make_store: StoreMaker):
    store, _ = with_clock(make_store)
    log = store.open_session(persona="p")
    assert not log.record_event(ev.AudioChunk(1, 0, b"\x00" * 640, 22050))
    assert not log.record_event(ev.StateChanged("speaking"))
    log.record_event(ev.ReplyDone(1, "Tell me about", True, "Dana"))
    log.record_event(ev.TurnMetrics(1, 0.0, {"response_ms": 812.0}))
    log.record_event(ev.ErrorEvent("llm_unavailable", "the chat endpoint is down"))
    log.record_event(ev.SessionEnded("client_end", {"turns": 1}))
    records = store.read_session(log.id)
    assert [r["kind"] for r in records] == ["session_start", "reply", "metrics", "error",
                                            "session_end"]
    assert records[1]["text"] == "Tell me about" and records[1]["interrupted"] is True
    assert records[4]["summary"] == {"turns": 1}
    assert log.closed
    log.write("user", turn=2, text="too late")  # after the end nothing more is written
    assert len(store.read_session(log.id)) == 5


def test_list_is_oldest_first_with_counts(make_store: StoreMaker):
    store, clock = with_clock(make_store)
    first = store.open_session(persona="interviewer")
    first.record_event(ev.UserTranscript(1, "a"))
    first.record_event(ev.ReplyDone(1, "b", False, "I"))
    first.end("client_end")
    clock.advance(60)
    second = store.open_session(persona="audience")
    a, b = store.list_sessions()
    assert (a.id, a.persona, a.user_turns, a.replies, a.ended, a.end_reason) == (
        first.id, "interviewer", 1, 1, True, "client_end")
    assert (b.id, b.persona, b.ended) == (second.id, "audience", False)


def test_ids_cannot_escape_the_sessions_directory(make_store: StoreMaker, tmp_path: Path):
    store, _ = with_clock(make_store)
    (tmp_path / "secret.jsonl").write_text('{"kind": "user"}\n')
    for bad in ("../secret", "/etc/passwd", "", ".hidden", "a/b"):
        with pytest.raises(SessionNotFound):
            store.read_session(bad)
    with pytest.raises(SessionNotFound, match="no saved session"):
        store.read_session("20240101-000000-abcdef")


def test_an_existing_session_is_never_overwritten(make_store: StoreMaker):
    store, _ = with_clock(make_store)
    store.open_session(persona="p", session_id="fixed")
    with pytest.raises(FileExistsError):
        store.open_session(persona="q", session_id="fixed")
    with pytest.raises(ValueError):
        store.open_session(persona="q", session_id="../escape")
    assert store.read_session("fixed")[0]["persona"] == "p"


def test_sessions_cli_lists_and_shows(tmp_path: Path):
    store, _ = store_at(tmp_path)
    log = store.open_session(persona="behavioural-interviewer")
    log.record_event(ev.UserTranscript(1, "I shipped the billing rewrite."))
    log.record_event(ev.ReplyDone(1, "What was hardest?", False, "Dana"))
    log.record_event(ev.TurnMetrics(1, 0.0, {"response_ms": 950.0}))
    out = io.StringIO()
    assert sessions_main(["--data-dir", str(tmp_path), "list"], out=out) == 0
    assert log.id in out.getvalue() and "1 turn(s), 1 reply" in out.getvalue()
    assert "not ended" in out.getvalue()
    out = io.StringIO()
    assert sessions_main(["--data-dir", str(tmp_path), "show", log.id], out=out) == 0
    text = out.getvalue()
    assert "you: I shipped the billing rewrite." in text
    assert "Dana: What was hardest?" in text and "950 ms" in text
    out = io.StringIO()
    assert sessions_main(["--data-dir", str(tmp_path), "show", "--json", log.id], out=out) == 0
    assert [json.loads(x)["kind"] for x in out.getvalue().splitlines()] == [
        "session_start", "user", "reply", "metrics"]
    assert sessions_main(["--data-dir", str(tmp_path), "show", "nope"]) == 1


def test_sessions_cli_uses_the_data_dir_from_the_environment(tmp_path: Path):
    store, _ = store_at(tmp_path)
    log = store.open_session(persona="talk-audience")
    result = subprocess.run(
        [sys.executable, "-m", "client", "sessions", "list"], capture_output=True, text=True,
        env={"VOICE_RP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).resolve().parents[1], check=False)
    assert result.returncode == 0, result.stderr
    assert log.id in result.stdout and "talk-audience" in result.stdout


def test_sessions_starting_together_on_a_new_database_all_get_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first sessions of a new server open the database at the same moment: it is created
    and migrated once, and none of them fails or waits on another's migration (concurrent
    first opens stalled for seconds each under load, past SQLite's lock timeout)."""
    import threading

    import voice_rp.storage as storage

    migrations: list[int] = []
    real_migrate = storage.migrate

    def counting_migrate(conn: sqlite3.Connection) -> None:
        migrations.append(threading.get_ident())
        real_migrate(conn)

    monkeypatch.setattr(storage, "migrate", counting_migrate)

    def open_together(store: TranscriptStore, n: int) -> tuple[list[str], list[str]]:
        start = threading.Barrier(n)
        opened: list[str] = []
        failed: list[str] = []

        def open_one() -> None:
            start.wait()
            try:
                log = store.open_session(persona="p")
                log.write("user", turn=0, text="hello")
                opened.append(log.id)
                log.close()
            except Exception as exc:  # what the server would have turned into internal_error
                failed.append(repr(exc))

        threads = [threading.Thread(target=open_one) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return opened, failed

    for trial in range(5):
        store = TranscriptStore(tmp_path / f"run{trial}")
        opened, failed = open_together(store, 6)
        assert failed == [] and len(opened) == 6
        assert {s.id for s in store.list_sessions()} == set(opened)
    assert len(migrations) == 5, "each new database is migrated once, by one session"
