"""The server's reading of client messages: every text message a client sends is checked here,
and whatever it holds, the answer is a message or a ProtocolError with the code the client is
sent (docs/protocol.md). The message types themselves are in voice_rp.protocol."""

from __future__ import annotations

import json
from typing import Any

from voice_rp.protocol import (
    AUDIO,
    BAD_AUDIO,
    BAD_JSON,
    BAD_MESSAGE,
    FRAME_BYTES,
    PROTOCOL,
    PROTOCOL_VERSION,
    SAMPLE_RATE,
    UNKNOWN_TYPE,
    ClientMessage,
    End,
    Played,
    ProtocolError,
    Resume,
    Start,
    _is_int,
)

# -- the server reads client messages ------------------------------------------------------------


MAX_PERSONA_CHARS = 200
"""Longer persona names are refused: real ones are short ids."""
MAX_TURN = 1_000_000
MAX_PLAYED_MS = 24 * 3600 * 1000.0
"""A reply longer than a day cannot have been played: such a report is a broken client."""
MAX_OPTION_DEPTH = 4
MAX_OPTION_STRING = 2_000
MAX_RESUME_FIELD = 200


def decode_client(text: str | bytes) -> ClientMessage:
    """Decode one client text message. Raises ProtocolError, with the code a client is sent, and
    nothing else: whatever a client sends, the server answers it with an error, not a crash."""
    try:
        return _parse(text)
    except ProtocolError:
        raise
    except RecursionError:
        raise ProtocolError(BAD_JSON, "text messages must be JSON objects; this one is nested "
                            "too deeply to read") from None
    except Exception as exc:  # a case the checks below missed must still be the client's error
        raise ProtocolError(BAD_MESSAGE, f"the message could not be read: {type(exc).__name__}"
                            ) from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse(text: str | bytes) -> ClientMessage:
    try:
        # NaN and Infinity are not JSON; Python's parser accepts them unless told not to.
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(BAD_JSON, f"text messages must be JSON objects: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolError(BAD_JSON, "text messages must be JSON objects, not "
                            f"{type(data).__name__}")
    kind = data.get("type")
    if kind == Start.TYPE:
        return _parse_start(data)
    if kind == Played.TYPE:
        return _parse_played(data)
    if kind == End.TYPE:
        return End()
    if kind == Resume.TYPE:
        return _parse_resume(data)
    shown = repr(kind)[:40] if isinstance(kind, str | int | float | bool | None) else \
        type(kind).__name__
    raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {shown}; expected start, played, "
                        "end or resume")


def _parse_played(data: dict[str, Any]) -> Played:
    turn: Any = data.get("turn")
    ms: Any = data.get("ms")
    usage = (f"played needs an integer 'turn' (0 to {MAX_TURN}) and a number 'ms' "
             f"(0 to {MAX_PLAYED_MS:.0f})")
    if not _is_int(turn) or not 0 <= turn <= MAX_TURN:
        raise ProtocolError(BAD_MESSAGE, usage)
    # Compared before any conversion: a 400-digit integer overflows a float.
    if not (_is_int(ms) or isinstance(ms, float)) or not 0 <= ms <= MAX_PLAYED_MS:
        raise ProtocolError(BAD_MESSAGE, usage)  # NaN fails the comparison too
    return Played(turn=turn, ms=float(ms))


def _parse_start(data: dict[str, Any]) -> Start:
    version = _check_version(data)
    persona = data.get("persona")
    if not isinstance(persona, str) or not persona.strip():
        raise ProtocolError(BAD_MESSAGE, "start needs a 'persona' name (a non-empty string)")
    if len(persona) > MAX_PERSONA_CHARS:
        raise ProtocolError(BAD_MESSAGE, f"start 'persona' is {len(persona)} characters long; "
                            f"persona names have at most {MAX_PERSONA_CHARS}")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ProtocolError(BAD_MESSAGE, "start 'options' must be a JSON object")
    _check_option_value("options", options, 0)
    return Start(persona=persona.strip(), options=options, protocol=version,
                 audio=_check_audio("start", data))


def _parse_resume(data: dict[str, Any]) -> Resume:
    version = _check_version(data)
    session, token = data.get("session"), data.get("token")
    for name, value in (("session", session), ("token", token)):
        if not isinstance(value, str) or not 0 < len(value) <= MAX_RESUME_FIELD:
            raise ProtocolError(BAD_MESSAGE, f"resume needs a '{name}' (a string of 1 to "
                                f"{MAX_RESUME_FIELD} characters) from the session's ready "
                                "message")
    assert isinstance(session, str) and isinstance(token, str)
    return Resume(session=session, token=token, protocol=version,
                  audio=_check_audio("resume", data))


def _check_version(data: dict[str, Any]) -> str:
    version = data.get("protocol", PROTOCOL)
    if version != PROTOCOL:
        shown = repr(version)[:40] if isinstance(version, str) else type(version).__name__
        raise ProtocolError(PROTOCOL_VERSION, f"this server speaks {PROTOCOL}, not {shown}",
                            fatal=True)
    return PROTOCOL


def _check_audio(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    audio = data.get("audio", {})
    if not isinstance(audio, dict):
        raise ProtocolError(BAD_MESSAGE, f"{kind} 'audio' must be a JSON object")
    for key, want in AUDIO.to_dict().items():
        if key in audio and audio[key] != want:
            got = audio[key]
            shown = repr(got)[:40] if isinstance(got, str | int | float | bool | None) else \
                type(got).__name__
            raise ProtocolError(BAD_AUDIO, f"audio {key} must be {want!r}, got {shown}: "
                                "send 20 ms frames of 16 kHz mono PCM16 (resample first)")
    return AUDIO.to_dict()


def _check_option_value(where: str, value: Any, depth: int) -> None:
    """Options reach persona code and the saved transcript: keep them small and plain."""
    if depth > MAX_OPTION_DEPTH:
        raise ProtocolError(BAD_MESSAGE, f"start {where} is nested too deeply")
    if isinstance(value, str) and len(value) > MAX_OPTION_STRING:
        raise ProtocolError(BAD_MESSAGE, f"start {where} is longer than {MAX_OPTION_STRING} "
                            "characters")
    if _is_int(value) and abs(value) > 2**53:
        raise ProtocolError(BAD_MESSAGE, f"start {where} is out of range")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_option_value(f"{where}.{str(key)[:40]}", item, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_option_value(f"{where}[{i}]", item, depth + 1)


def check_frame(frame: bytes) -> None:
    """Raise ProtocolError(bad_audio) unless `frame` is one 20 ms frame of 16 kHz mono PCM16."""
    if len(frame) == FRAME_BYTES:
        return
    hint = ""
    if len(frame) % 2:
        hint = " (odd length: PCM16 samples are 2 bytes)"
    elif len(frame) in _OTHER_FORMATS:
        hint = f" (looks like 20 ms of {_OTHER_FORMATS[len(frame)]}: send 16 kHz mono)"
    elif len(frame) and len(frame) % FRAME_BYTES == 0:
        hint = f" ({len(frame) // FRAME_BYTES} frames in one message: send one per message)"
    raise ProtocolError(BAD_AUDIO, f"audio frames must be {FRAME_BYTES} bytes (20 ms of 16 kHz "
                        f"mono PCM16), got {len(frame)}{hint}")


_OTHER_FORMATS = {
    rate * ch // 50 * 2: f"{rate} Hz {'stereo' if ch == 2 else 'mono'}"
    for rate in (8000, 16000, 22050, 24000, 44100, 48000) for ch in (1, 2)
    if (rate, ch) != (SAMPLE_RATE, 1)
}
