"""The Python client: file mode against a real server (scripted conversation), playback tracking,
and clear failures (no audio device, refused connection, unknown persona)."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from server_fakes import REPLY_RATE, FakeFactory

from client.__main__ import converse, parse_args, websocket_url
from client.playback import Recorder, SimulatedPlayer
from server.app import ServerConfig, VoiceServer
from server.http import AccessPolicy
from voice_rp.audio import float_to_pcm16, read_wav
from voice_rp.clock import FakeClock
from voice_rp.storage import TranscriptStore

REPO = Path(__file__).resolve().parents[1]


def write_wav(path: Path, seconds: float, *, rate: int = 44_100, channels: int = 2) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    interleaved = np.repeat(tone, channels)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(float_to_pcm16(interleaved))
    return path


async def serve(tmp_path: Path, factory: FakeFactory, **access: object) -> VoiceServer:
    async def load() -> FakeFactory:
        return factory

    server = VoiceServer(ServerConfig(port=0, access=AccessPolicy(**access)),  # type: ignore[arg-type]
                         load=load, store=TranscriptStore(tmp_path / "data"))
    await server.start()
    return server


@pytest.fixture
async def fake_server(tmp_path: Path) -> AsyncIterator[tuple[VoiceServer, FakeFactory]]:
    factory = FakeFactory(opening=True)
    server = await serve(tmp_path, factory)
    yield server, factory
    await server.stop()


def test_websocket_url_accepts_what_users_type():
    assert websocket_url("ws://h:1/ws") == "ws://h:1/ws"
    assert websocket_url("localhost:8765") == "ws://localhost:8765/ws"
    assert websocket_url("http://h:1") == "ws://h:1/ws"
    assert websocket_url("https://coach.example/") == "wss://coach.example/ws"


def test_simulated_player_plays_in_real_time_and_stops_on_clear():
    clock = FakeClock()
    player = SimulatedPlayer(clock)
    player.write(1, b"\x00" * 2 * 2205, 22_050)  # 100 ms
    clock.advance(0.04)
    assert player.position_ms(1) == pytest.approx(40.0)
    player.write(1, b"\x00" * 2 * 22_050, 22_050)  # one more second arrives
    assert player.remaining_s(1) == pytest.approx(1.06)
    clock.advance(5.0)
    assert player.position_ms(1) == pytest.approx(1100.0)  # never past what was received
    player.write(2, b"\x00" * 2 * 16_000, 16_000)
    clock.advance(0.25)
    player.clear(2)
    clock.advance(1.0)
    assert player.position_ms(2) == pytest.approx(250.0)  # barge-in: the position freezes
    assert player.remaining_s(2) == 0.0
    assert player.position_ms(3) == 0.0


def test_recorder_puts_every_voice_on_one_track_at_the_first_rate():
    rec = Recorder()
    rec.write(b"\x10\x00" * 22_050, 22_050)  # 1 s
    rec.write(b"\x10\x00" * 16_000, 16_000)  # 1 s at another rate
    audio = read_wav(rec.wav(), to_rate=None)
    assert audio.sample_rate == 22_050
    assert audio.duration == pytest.approx(2.0, abs=0.01)


async def test_file_mode_streams_a_stereo_44k_wav_and_records_the_replies(
        fake_server: tuple[VoiceServer, FakeFactory], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]):
    server, factory = fake_server
    wav = write_wav(tmp_path / "me.wav", 0.5)
    out = tmp_path / "them.wav"
    args = parse_args(["--server", server.ws_url, "--persona", "alice", "--input", str(wav),
                       "--output", str(out), "--events", "--tail-silence", "0.1"])
    assert await converse(args, None) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "ready" and kinds[-1] == "session_end"
    for kind in ("transcript", "audio_start", "reply_done", "metrics"):
        assert kind in kinds
    conv = factory.opened[0]
    # 0.5 s of audio = 25 frames, resampled and downmixed to 16 kHz mono, plus the silence.
    assert len(conv.frames) >= 25
    assert np.abs(np.frombuffer(conv.frames[10], "<i2")).max() > 5000
    assert conv.closed_with == "client_end"
    replies = sum(k == "reply_done" for k in kinds)
    recorded = read_wav(str(out), to_rate=None)
    assert recorded.sample_rate == REPLY_RATE
    assert recorded.duration == pytest.approx(0.1 * replies)
    # The opening line was "played" in real time before the file was said, and reported.
    assert conv.played_reports and conv.played_reports[0][0] == 0
    assert max(ms for _, ms in conv.played_reports) <= 100.0


async def test_refused_connection_and_unknown_persona_fail_clearly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    server = await serve(tmp_path, FakeFactory(), token="s3cret")
    wav = write_wav(tmp_path / "me.wav", 0.1)
    try:
        args = parse_args(["--server", server.ws_url, "--persona", "alice", "--input", str(wav)])
        assert await converse(args, None) == 1
        assert "unauthorized" in capsys.readouterr().err
        args = parse_args(["--server", server.ws_url, "--persona", "nobody", "--input", str(wav)])
        assert await converse(args, "s3cret") == 1
        assert "persona_unknown" in capsys.readouterr().err
    finally:
        await server.stop()
    args = parse_args(["--server", server.ws_url, "--persona", "alice", "--input", str(wav)])
    assert await converse(args, None) == 1
    assert "cannot connect" in capsys.readouterr().err


def run_client(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "client", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120, check=False)


def test_mic_mode_without_an_audio_device_says_so():
    result = run_client("--persona", "behavioural-interviewer", "--server", "ws://127.0.0.1:9")
    assert result.returncode == 2
    assert "no audio input device" in result.stderr and "--input" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_input_file_and_bad_usage():
    result = run_client("--persona", "x", "--input", "/nonexistent/me.wav")
    assert result.returncode == 2 and "no such file" in result.stderr
    assert run_client("--input", "a.wav").returncode == 2  # --persona is required


def test_personas_subcommand_is_wired():
    result = run_client("personas", "list")
    assert result.returncode == 0, result.stderr
    assert "behavioural-interviewer" in result.stdout


def test_the_terminal_shows_where_to_find_help_when_the_server_sends_it() -> None:
    import io

    from client.session import ClientSession
    from voice_rp import events as ev
    from voice_rp import protocol as proto

    clock = FakeClock(0.0)
    shown = io.StringIO()
    session = ClientSession(None, player=SimulatedPlayer(clock), clock=clock,  # type: ignore[arg-type]
                            human_out=shown)
    resources = {"region": "GB", "emergency": "999",
                 "lines": [{"name": "Samaritans", "contact": "call 116 123"}],
                 "elsewhere": {"name": "Find A Helpline", "contact": "findahelpline.com"}}
    session._on_message(proto.encode(proto.from_event(ev.SafetyNotice(3, resources))))
    assert len(session.view.safety) == 1
    text = shown.getvalue()
    assert "Samaritans: call 116 123" in text and "call 999" in text
    assert "findahelpline.com" in text and "paused" in text


def test_the_terminal_says_the_character_is_giving_the_user_time() -> None:
    import io

    from client.session import ClientSession
    from voice_rp import protocol as proto

    clock = FakeClock(0.0)
    shown = io.StringIO()
    session = ClientSession(None, player=SimulatedPlayer(clock), clock=clock,  # type: ignore[arg-type]
                            human_out=shown)
    session._on_message(proto.encode(proto.Holding(2, 20.0)))
    assert shown.getvalue() == "(taking your time: 20 s)\n"
    session._on_message(proto.encode(proto.Holding(2, 0.0)))  # the user went on
    assert shown.getvalue() == "(taking your time: 20 s)\n"
