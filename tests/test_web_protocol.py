"""The browser client speaks the protocol the codec defines: its constants come from the server's
/protocol.js (made from voice_rp/protocol.py), and its scripts use them instead of their own
copies, so the two cannot drift apart."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from pathlib import Path

from server_fakes import FakeFactory

from server.app import ServerConfig, VoiceServer
from voice_rp import protocol as proto
from voice_rp.audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE
from voice_rp.storage import TranscriptStore

WEB = Path(__file__).resolve().parents[1] / "client" / "web"
SCRIPTS = sorted(WEB.glob("*.js"))


def _served_constants(body: str) -> dict:
    """The JSON object /protocol.js freezes into VOICE_RP."""
    start, end = body.index("})({") + 3, body.rindex(");")
    return json.loads(body[start:end])


async def test_the_server_serves_the_codecs_constants_to_the_browser(tmp_path: Path) -> None:
    async def load() -> FakeFactory:
        return FakeFactory()

    server = VoiceServer(ServerConfig(port=0), load=load,  # type: ignore[arg-type]
                         store=TranscriptStore(tmp_path))
    await server.start()
    try:
        def get() -> tuple[str, str]:
            with urllib.request.urlopen(server.url + "/protocol.js", timeout=10) as resp:
                return resp.headers["Content-Type"], resp.read().decode()
        kind, body = await asyncio.to_thread(get)
    finally:
        await server.stop()
    assert "javascript" in kind and "const VOICE_RP" in body
    served = _served_constants(body)
    assert served == proto.browser_constants()
    assert served["protocol"] == proto.PROTOCOL == "voice-rp/1"
    assert served["audio"] == {"format": "pcm16", "sample_rate": SAMPLE_RATE, "channels": 1,
                               "frame_ms": FRAME_MS, "frame_samples": SAMPLE_RATE * FRAME_MS
                               // 1000, "frame_bytes": FRAME_BYTES}
    assert set(served["server"]) == {cls.TYPE for cls in proto.SERVER_TYPES} >= {
        "ready", "audio_start", "clear", "reply_done", "session_end"}
    assert set(served["client"]) == {"start", "played", "end", "resume"}
    assert set(served["errors"]) == proto.ERROR_CODES


def test_every_protocol_name_the_browser_uses_exists() -> None:
    """A typo (VOICE_RP.server.audio_star) would be undefined in the page and fail silently."""
    constants = proto.browser_constants()
    aliases = {"FROM_SERVER": "server", "TO_SERVER": "client"}
    used = 0
    for script in SCRIPTS:
        text = script.read_text()
        for group, name in re.findall(r"\bVOICE_RP\.(\w+)(?:\.(\w+))?", text):
            assert group in constants, f"{script.name}: VOICE_RP.{group}"
            if name:
                assert name in constants[group], f"{script.name}: VOICE_RP.{group}.{name}"
            used += 1
        for alias, name in re.findall(r"\b(FROM_SERVER|TO_SERVER)\.(\w+)", text):
            assert name in constants[aliases[alias]], f"{script.name}: {alias}.{name}"
            used += 1
    assert used > 20  # the page really takes its constants from there


def test_the_browser_scripts_keep_no_copy_of_the_protocol() -> None:
    constants = proto.browser_constants()
    names = {v for group in ("client", "server", "errors") for v in constants[group].values()}
    copies = [
        r"voice-rp/\d",  # the version
        r"\b(16000|320|640)\b",  # the audio format
        r"\bclose\(\s*10\d\d|\bcase\s+10\d\d\b|===?\s*10\d\d\b",  # close codes
    ]
    for script in SCRIPTS:
        text = script.read_text()
        for pattern in copies:
            found = re.search(pattern, text)
            assert found is None, f"{script.name} has its own copy: {found and found.group(0)}"
        # A message type or error code written out where a message is built or read.
        for literal in re.findall(r"(?:\btype\s*:|\bcase|\.(?:type|code)\s*[!=]==?)\s*[\"'](\w+)",
                                  text):
            assert literal not in names, f"{script.name} writes out {literal!r}"


def test_every_error_the_server_can_send_is_a_documented_code() -> None:
    """Each typed error's code is in the codec's list (served to the page) and in docs/protocol.md,
    so a client can tell a dead speech service or a delayed save from a bug."""
    import voice_rp.errors as errors
    from voice_rp.stores import StoreUnavailable

    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    # StoreUnavailable stops a server at start; it never reaches a conversation.
    codes = {c.code for c in subclasses(errors.VoiceRPError) if c is not StoreUnavailable}
    assert {"stt_unavailable", "tts_unavailable", "llm_unavailable"} <= codes
    assert codes <= proto.ERROR_CODES, codes - proto.ERROR_CODES
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", (WEB.parents[1] / "docs" / "protocol.md")
                                .read_text(), re.M))
    assert not proto.ERROR_CODES - documented, proto.ERROR_CODES - documented
