"""The one wire codec: what each message looks like on the wire (docs/protocol.md), and that the
clients' decoder reads back what the server writes, ignoring what a newer server adds."""

from __future__ import annotations

import json

import pytest

from voice_rp import events as ev
from voice_rp import protocol as proto
from voice_rp import protocol_in as proto_in

AUDIO = {"format": "pcm16", "sample_rate": 16000, "channels": 1, "frame_ms": 20}

# Each conversation event and its message as docs/protocol.md shows it.
EVENTS = [
    (ev.StateChanged("thinking"), {"type": "state", "state": "thinking"}),
    (ev.SpeechStarted(4, 1.5), {"type": "speech_started", "turn": 4}),
    (ev.UserTranscript(4, "I led the migration.", audio={"duration_s": 2.0}, kind="answer"),
     {"type": "transcript", "turn": 4, "text": "I led the migration.", "kind": "answer"}),
    (ev.SafetyNotice(4, {"region": "GB", "emergency": "999", "lines": [
        {"name": "Samaritans", "contact": "call 116 123"}]}),
     {"type": "safety", "turn": 4, "resources": {"region": "GB", "emergency": "999", "lines": [
         {"name": "Samaritans", "contact": "call 116 123"}]}}),
    (ev.AudioStart(4, 0, "That sounds big.", "Maya Chen", 22050, 12.345),
     {"type": "audio_start", "turn": 4, "piece": 0, "text": "That sounds big.",
      "speaker": "Maya Chen", "sample_rate": 22050, "offset_ms": 12.3}),
    (ev.AudioEnd(4, 0, 2110.04), {"type": "audio_end", "turn": 4, "piece": 0,
                                  "duration_ms": 2110.0}),
    (ev.Clear(4), {"type": "clear", "turn": 4}),
    (ev.ReplyDone(4, "That sounds", True, "Maya Chen", audio_ms=800.0),
     {"type": "reply_done", "turn": 4, "text": "That sounds", "interrupted": True,
      "speaker": "Maya Chen"}),
    (ev.TurnMetrics(4, 10.0, {"stt_ms": 380.54, "endpoint_ms": None}),
     {"type": "metrics", "turn": 4, "stages": {"stt_ms": 380.5, "endpoint_ms": None}}),
    (ev.ErrorEvent("llm_unavailable", "the model is down"),
     {"type": "error", "code": "llm_unavailable", "message": "the model is down",
      "fatal": False}),
    (ev.SessionEnded("client_end", {"user_turns": 2}),
     {"type": "session_end", "reason": "client_end", "summary": {"user_turns": 2}}),
]


@pytest.mark.parametrize(("event", "wire"), EVENTS, ids=[w["type"] for _, w in EVENTS])
def test_each_event_has_its_documented_wire_form_and_decodes_back(event: ev.Event,
                                                                  wire: dict) -> None:
    message = proto.from_event(event)
    assert isinstance(message, proto.Message)
    text = proto.encode(message)
    assert json.loads(text) == wire
    assert list(json.loads(text)) == list(wire)  # fields in the documented order
    assert proto.decode_server(text) == message


def test_reply_audio_is_binary() -> None:
    assert proto.from_event(ev.AudioChunk(1, 0, b"\x01\x02", 22050)) == b"\x01\x02"


def test_start_and_ready_carry_the_audio_format() -> None:
    start = json.loads(proto.encode(proto.Start(persona="alice", options={"opening_line": False})))
    assert start == {"type": "start", "protocol": "voice-rp/1", "persona": "alice",
                     "options": {"opening_line": False}, "audio": AUDIO}
    assert proto_in.decode_client(json.dumps(start)) == proto.Start(
        persona="alice", options={"opening_line": False})
    ready = proto.Ready(session="s1", persona={"id": "alice"}, limits={"audio_rate": 3.0})
    wire = json.loads(proto.encode(ready))
    assert list(wire) == ["type", "protocol", "session", "notice", "persona", "audio", "limits",
                          "resume_token", "resume_grace_s"]
    assert wire["audio"] == AUDIO and wire["notice"] == proto.AI_NOTICE
    assert proto.decode_server(proto.encode(ready)) == ready


def test_played_and_end_round_trip() -> None:
    for message in (proto.Played(3, 1840.5), proto.End()):
        assert proto_in.decode_client(proto.encode(message)) == message
    assert json.loads(proto.encode(proto.End())) == {"type": "end"}


def test_retry_hint_is_sent_only_with_busy() -> None:
    plain = json.loads(proto.encode(proto.ErrorMessage("bad_json", "no")))
    assert "retry_after_s" not in plain
    busy = proto.ErrorMessage("server_busy", "busy", fatal=True, retry_after_s=15.0)
    assert json.loads(proto.encode(busy))["retry_after_s"] == 15.0
    assert proto.decode_server(proto.encode(busy)) == busy


def test_clients_ignore_what_a_newer_server_adds() -> None:
    newer = {"type": "clear", "turn": 2, "reason": "barge_in"}
    assert proto.decode_server(json.dumps(newer)) == proto.Clear(2)
    unknown = proto.decode_server(json.dumps({"type": "subtitle", "text": "hi"}))
    assert isinstance(unknown, proto.UnknownMessage) and unknown.type == "subtitle"


@pytest.mark.parametrize("text", [
    '{"type": "clear"}',  # a field missing
    '{"type": "audio_start", "turn": "4", "piece": 0, "text": "", "speaker": "", '
    '"sample_rate": 0, "offset_ms": 0}',  # a string for a number
    '{"type": "reply_done", "turn": 1, "text": "x", "interrupted": 1, "speaker": "s"}',
    '{"type": "clear", "turn": true}',  # a bool is not a turn
])
def test_clients_get_a_protocol_error_for_a_broken_server_message(text: str) -> None:
    with pytest.raises(proto.ProtocolError) as caught:
        proto.decode_server(text)
    assert caught.value.code == proto.BAD_MESSAGE


@pytest.mark.parametrize("text", ["not json", "[1, 2]"])
def test_a_server_message_that_is_not_a_json_object(text: str) -> None:
    with pytest.raises(proto.ProtocolError) as caught:
        proto.decode_server(text)
    assert caught.value.code == proto.BAD_JSON
