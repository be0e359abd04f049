"""Deployment, end to end with the bundled models: SIGTERM drains a real `python -m server`, and
a real nginx (started here, in a temp dir, on free ports; tests/nginx_pair.py) balances two
real servers. test_deploy_browser.py drives the browser page through the same pair.

nginx comes from Debian (scripts/setup installs it); without it the nginx test is skipped with
the reason.
"""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from nginx_pair import two_servers_behind_nginx
from real_server import server_process
from test_server_e2e import ANSWER_TIMEOUT_S, Talk, speech_pcm
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from client.__main__ import converse, parse_args
from voice_rp import protocol as proto
from voice_rp.audio import wav_bytes
from voice_rp.storage import TranscriptStore

pytestmark = [pytest.mark.models, pytest.mark.timeout(600)]
PERSONA = "behavioural-interviewer"


def http_get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


async def test_sigterm_drains_a_live_session_then_exits(tmp_path: Path):
    async with server_process(tmp_path, "--drain-s", "120") as (proc, ws_url):
        http_url = ws_url.replace("ws://", "http://").removesuffix("/ws")
        talk = Talk(await connect(ws_url))
        ready = await talk.start(PERSONA, opening_line=False)  # waits for the models
        assert (await asyncio.to_thread(http_get, http_url + "/readyz"))[0] == 200
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        status, body = await asyncio.to_thread(http_get, http_url + "/readyz")
        assert status == 503 and body["problems"]["server"] == "draining"
        assert (await asyncio.to_thread(http_get, http_url + "/livez"))[0] == 200
        with pytest.raises(InvalidStatus) as refused:
            await connect(ws_url)
        assert json.loads(refused.value.response.body)["error"]["code"] == proto.SERVER_BUSY
        # The running session goes on: the user is heard and answered during the drain.
        said, _ = await talk.say(speech_pcm("I led the migration of our billing system."))
        assert "billing" in said["text"].lower()
        assert talk.of("audio_start")
        await talk.ws.send(json.dumps({"type": "end"}))
        end = await talk.wait("session_end", within_s=30)
        assert end["reason"] == "client_end"
        await talk.close()
        # The last session left: the server stops long before the 120 s limit.
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    # The session's transcript, as saved.
    records = TranscriptStore(tmp_path).read_session(ready["session"])
    assert [r["text"] for r in records if r["kind"] == "user"] == [said["text"]]
    assert records[-1]["kind"] == "session_end" and records[-1]["reason"] == "client_end"


async def test_sessions_through_nginx_in_front_of_two_servers(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]):
    async with two_servers_behind_nginx(tmp_path) as pair:
        servers, data, port = pair.servers, pair.data, pair.port
        url = f"ws://127.0.0.1:{port}/ws"
        # The browser app and the health endpoints come through the balancer.
        page = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read())
        assert b"<html" in page.lower()
        assert (await asyncio.to_thread(http_get, f"http://127.0.0.1:{port}/readyz"))[0] == 200

        first = Talk(await connect(url))
        ready = await first.start(PERSONA, opening_line=False)
        said, _ = await first.say(speech_pcm("I have five years of experience in sales."))
        assert "sales" in said["text"].lower()
        reply = b"".join(pcm for _, pcm in first.audio)
        assert len(reply) > 22_050  # more than half a second of the persona's voice
        # least_conn: the next user goes to the server that has nobody.
        second = Talk(await connect(url))
        await second.start(PERSONA, opening_line=False)
        assert sorted(s.admission.in_use for s in servers) == [1, 1]
        await second.close()
        # Its server frees the slot as it tears the session down, after the client has gone.
        for _ in range(200):
            if sum(s.admission.in_use for s in servers) == 1:
                break
            await asyncio.sleep(0.05)
        busy = next(s for s in servers if s.admission.in_use)  # the first user's
        other = next(s for s in servers if s is not busy)

        # The Python client, unchanged, through nginx (file in, file out).
        wav = tmp_path / "me.wav"
        wav.write_bytes(wav_bytes(speech_pcm("Hello, I am ready for the interview."), 16_000))
        args = parse_args(["--server", url, "--persona", PERSONA, "--input", str(wav), "--fast",
                           "--no-opening-line", "--output", str(tmp_path / "out.wav"),
                           "--timeout", str(ANSWER_TIMEOUT_S)])
        assert await converse(args, None) == 0
        assert "you: " in capsys.readouterr().out
        # The client is done; its server frees the slot as it tears the session down.
        for _ in range(200):
            if busy.admission.in_use == 1 and other.admission.in_use == 0:
                break
            await asyncio.sleep(0.05)
        assert (busy.admission.in_use, other.admission.in_use) == (1, 0)

        # A draining server refuses the upgrade; nginx hands every new user to the other one.
        drain = asyncio.create_task(busy.drain(timeout_s=300))
        await asyncio.sleep(0.2)
        late = [Talk(await connect(url)) for _ in range(3)]
        for talk in late:
            await talk.start(PERSONA, opening_line=False)
        assert other.admission.in_use == 3 and busy.admission.in_use == 1
        for talk in late:
            await talk.close()
        # The first user's session went on through all this; ending it ends the drain.
        await first.ws.send(json.dumps({"type": "end"}))
        assert (await first.wait("session_end", within_s=30))["reason"] == "client_end"
        await first.close()
        await asyncio.wait_for(drain, 30)
        records = TranscriptStore(data).read_session(ready["session"])
        assert [r["text"] for r in records if r["kind"] == "user"] == [said["text"]]
