"""GET /api/personas (the browser's practice gallery), the favicon and the client's files."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from server_fakes import FakeFactory

from server.app import ServerConfig, VoiceServer
from server.http import AccessPolicy
from voice_rp.personas import builtin_dirs
from voice_rp.storage import TranscriptStore

SHIPPED = builtin_dirs()[0]


async def serve(tmp_path: Path, persona_dirs: tuple[Path, ...], token: str | None = None
                ) -> VoiceServer:
    async def load() -> FakeFactory:
        return FakeFactory()

    server = VoiceServer(ServerConfig(port=0, access=AccessPolicy(token=token),
                                      persona_dirs=persona_dirs),
                         load=load, store=TranscriptStore(tmp_path / "data"))  # type: ignore[arg-type]
    await server.start()
    return server


@pytest_asyncio.fixture
async def user_dir(tmp_path: Path) -> Path:
    """A user persona directory with one good persona and one broken file."""
    directory = tmp_path / "mine"
    directory.mkdir()
    shutil.copy(SHIPPED / "behavioural-interviewer.yaml", directory / "my-interview.yaml")
    (directory / "broken.yaml").write_text("title: [unclosed\n")
    return directory


@pytest_asyncio.fixture
async def server(tmp_path: Path, user_dir: Path) -> AsyncIterator[VoiceServer]:
    srv = await serve(tmp_path, (SHIPPED, user_dir))
    yield srv
    await srv.stop()


async def get(url: str) -> tuple[int, str, bytes]:
    return await asyncio.to_thread(_get, url)  # the server runs on this event loop


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            return res.status, res.headers.get("Content-Type", ""), res.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


async def gallery(server: VoiceServer) -> dict[str, Any]:
    status, kind, body = await get(server.url + "/api/personas")
    assert status == 200 and kind.startswith("application/json")
    data: dict[str, Any] = json.loads(body)
    return data


async def test_gallery_lists_every_loadable_persona_with_what_a_user_chooses_by(
        server: VoiceServer) -> None:
    data = await gallery(server)
    by_id = {p["id"]: p for p in data["personas"]}
    shipped = {p.stem for p in SHIPPED.glob("*.yaml")}
    assert set(by_id) == shipped | {"my-interview"}  # the broken file is skipped, not fatal
    interview = by_id["behavioural-interviewer"]
    assert interview["title"] == "Behavioural job interview (STAR questions)"
    assert interview["name"] == "Maya Chen" and interview["who"]
    assert interview["practise"] and interview["language_name"] == "English"
    # What the user practises, and what happens: the card's words, not the character's job.
    assert interview["you_practise"].startswith("Answering behavioural questions")
    assert interview["description"] and interview["you_practise"] != interview["practise"]
    assert "support agent" in by_id["customer-caller"]["you_practise"]
    assert all("voice_note" in p for p in data["personas"])
    assert interview["difficulty"] == "neutral" and interview["speaks_first"] is True
    assert interview["time_limit_s"] == 1200
    assert "listens to your whole talk" in by_id["talk-audience"]["turn_taking_text"]
    spanish = by_id["spanish-partner"]
    # A language partner's challenge is the learner's level, not a difficulty setting.
    assert spanish["difficulty"] is None and spanish["level"] == "A2"
    assert spanish["language_name"] == "Spanish"
    assert len(by_id["interview-panel"]["speakers"]) == 2
    assert data["options"]["difficulty"] == ["friendly", "neutral", "tough"]
    assert data["token_required"] is False


async def test_gallery_says_when_the_server_needs_a_token(tmp_path: Path) -> None:
    srv = await serve(tmp_path, (SHIPPED,), token="s3cret")
    try:
        data = await gallery(srv)  # the gallery itself needs no token
        assert data["token_required"] is True and data["personas"]
    finally:
        await srv.stop()


async def test_favicon_and_client_files_are_served(server: VoiceServer) -> None:
    for path in ("/favicon.ico", "/favicon.svg"):
        status, kind, body = await get(server.url + path)
        assert status == 200 and kind.startswith("image/svg+xml") and b"<svg" in body
    for path, kind_wanted in (("/", "text/html"), ("/app.js", "javascript"),
                              ("/audio.js", "javascript"), ("/style.css", "text/css"),
                              ("/capture-worklet.js", "javascript"), ("/page.js", "javascript"),
                              ("/gallery.js", "javascript"), ("/summary.js", "javascript"),
                              ("/protocol.js", "javascript")):
        status, kind, _ = await get(server.url + path)
        assert status == 200 and kind_wanted in kind, path


def test_the_page_loads_nothing_from_another_site() -> None:
    """Works offline: no CDN, every script, style and icon is one of the client's own files."""
    web = Path(__file__).resolve().parents[1] / "client" / "web"
    html = (web / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"favicon.svg", "style.css", "protocol.js", "gallery.js", "app.js"} <= set(refs)
    for ref in refs:
        assert not re.match(r"([a-z][a-z0-9+.-]*:|//)", ref, re.I), ref
    for path in sorted(web.glob("*.js")) + sorted(web.glob("*.css")):
        text = path.read_text()
        assert not re.search(r"(fetch|import|url)\(\s*[\"'`]?(https?:)?//", text), path.name
