"""What the character says is checked before it is spoken.

The built-in check (voice_rp.safety.moderation) against a labelled set (tests/data/moderation.tsv;
scripts/eval_moderation.py prints its precision and recall) and every line of the built-in
personas; a reply whose model writes an unsafe sentence says a neutral line and nothing after;
the optional OpenAI-compatible moderation endpoint on a real loopback HTTP server that answers
flagged, not flagged, too late or with an error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from voice_rp.backends.factory import load_moderation
from voice_rp.clock import MonotonicClock
from voice_rp.config import Settings
from voice_rp.conversation_options import ConversationOptions
from voice_rp.errors import ModelError
from voice_rp.llm import ChatMessage, GenerationOptions
from voice_rp.personas import builtin_dirs, find_persona, load_persona
from voice_rp.reply import ReplySource, SpokenPiece, reply_stream
from voice_rp.reply_source import ReplyRequest, ReplyWriter
from voice_rp.safety.moderation import (
    Moderator,
    Verdict,
    check_spoken,
    neutral_line,
    strings_in,
)
from voice_rp.safety.moderation_endpoint import ModerationEndpoint

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "moderation.tsv"


def labelled_rows() -> list[tuple[str, str, str, str]]:
    lines = LABELLED.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "language\tlabel\tallowed\ttext"
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    assert all(len(r) == 4 for r in rows)
    return rows  # type: ignore[return-value]


def read(row: tuple[str, str, str, str]) -> str:
    language, _, allowed, text = row
    verdict = check_spoken(text, language=language, allowed=(allowed,) if allowed else ())
    return "ok" if verdict.ok else verdict.category


# --- the built-in check -----------------------------------------------------------------------

def test_the_labelled_set_is_big_enough_and_covers_three_languages() -> None:
    rows = labelled_rows()
    assert len(rows) >= 120
    assert {r[0] for r in rows} == {"en", "es", "fr"}
    assert {r[1] for r in rows} == {"ok", "slur", "sexual", "self_harm_encouragement",
                                    "violence_threat", "personal_data"}


def test_no_ordinary_line_of_the_labelled_set_is_blocked() -> None:
    blocked = [(r[3], read(r)) for r in labelled_rows() if r[1] == "ok" and read(r) != "ok"]
    assert blocked == []


def test_every_unsafe_line_of_the_labelled_set_is_blocked_for_its_reason() -> None:
    wrong = [(r[3], r[1], read(r)) for r in labelled_rows() if r[1] != "ok" and read(r) != r[1]]
    assert wrong == []


def test_no_line_of_the_built_in_personas_is_blocked() -> None:
    """Everything an author wrote for the shipped personas (openings, questions, lore, facts,
    acknowledgements, closings) passes on its own, without being passed as allowed."""
    checked, blocked = 0, []
    for path in sorted((ROOT / "personas").glob("*.yaml")):
        found = load_persona(path)
        for text in strings_in(found):
            checked += 1
            verdict = check_spoken(text, language=found.language)
            if not verdict.ok:
                blocked.append((path.name, text, verdict))
    assert checked > 300
    assert blocked == []


@pytest.mark.parametrize("text", [
    "That killed the deadline.", "Tell me about a time you had to kill a project.",
    "The sex of the noun in French is masculine.", "I grew up in Sussex.",
    "Scunthorpe is in Lincolnshire.", "Dick Van Dyke sang in that film.",
    "She graduated summa cum laude.", "Cut yourself some slack.",
    "Don't shoot yourself in the foot.", "My boss said 'I could kill him', but he was joking.",
])
def test_ordinary_words_are_spoken(text: str) -> None:
    assert check_spoken(text) == Verdict(True)


@pytest.mark.parametrize(("language", "supportive", "encouraging"), [
    ("en", "If you are thinking of hurting yourself, please call 988.",
     "You should hurt yourself."),
    ("en", "Please don't kill yourself; you can call or text 988.", "Just kill yourself."),
    ("en", "It might feel like nobody would miss you, but that is not true.",
     "Nobody would miss you."),
    ("es", "Si piensas en hacerte daño, llama al 024.", "Deberías hacerte daño."),
    ("es", "No quiero que te mates.", "Mátate."),
    ("fr", "Si tu penses à te faire du mal, appelle le 3114.", "Tu devrais te faire du mal."),
    ("fr", "Ne te fais pas de mal.", "Personne ne te regretterait."),
])
def test_self_harm_encouragement_is_blocked_and_support_is_spoken(
        language: str, supportive: str, encouraging: str) -> None:
    assert check_spoken(supportive, language=language).ok
    verdict = check_spoken(encouraging, language=language)
    assert verdict.category == "self_harm_encouragement"
    assert not verdict.ok


@pytest.mark.parametrize("text", [
    "n1gg3r", "N I G G E R", "n.i.g.g.e.r", "n****r", "niiiigger", "NIGGER!",
    "k1ke", "f a g g o t",
])
def test_spelling_tricks_do_not_hide_a_slur(text: str) -> None:
    assert check_spoken(text).category == "slur"


def test_a_word_that_is_english_slang_is_not_blocked_where_it_is_an_ordinary_word() -> None:
    assert check_spoken("Je suis en retard.", language="fr").ok
    assert check_spoken("Vamos a coger el autobús.", language="es").ok
    assert check_spoken("El sexo del sustantivo es masculino.", language="es").ok
    assert check_spoken("What a retard.", language="en").category == "slur"
    assert check_spoken("Me encanta el porno.", language="es").category == "sexual"


@pytest.mark.parametrize("number", ["988", "116 123", "024", "3114", "0800 32 123",
                                    "800 911 2000", "13 11 14", "85258", "1737"])
def test_crisis_line_numbers_are_spoken(number: str) -> None:
    assert check_spoken(f"You can call {number} any time, day or night.").ok


@pytest.mark.parametrize(("text", "matched"), [
    ("My card is 4111 1111 1111 1111.", "card number"),
    ("My card is 1234 5678 9012 3456.", "phone or id number"),  # not a card: fails Luhn
    ("Call me on 555-123-4567.", "phone or id number"),
    ("Mon numéro est le 06 12 34 56 78.", "phone or id number"),
    ("Mi número es 612 345 678.", "phone or id number"),
    ("My SSN is 123-45-6789.", "phone or id number"),
    ("Write to jane.doe@gmail.com.", "email"),
])
def test_personal_data_written_as_digits_is_blocked(text: str, matched: str) -> None:
    assert check_spoken(text) == Verdict(False, "personal_data", matched)


def test_numbers_that_are_nobodys_data_are_spoken() -> None:
    for text in ["We grew to 2 500 000 users.", "Revenue was 1.000.000 euros.",
                 "Pi is 3.14159265.", "I worked there from 1990-2000.",
                 "The launch was on 12-05-2023.", "My account number is four four two, seven one "
                 "nine.", "Write to support@example.com."]:
        assert check_spoken(text).ok, text


def test_numbers_and_addresses_the_persona_wrote_may_be_repeated() -> None:
    lore = ("Her account number is four four two, seven one nine, zero three three five. "
            "Her desk line is 020 7946 0958; her email dana@brightline.net.")
    for said in ["Sure, it's 442-719-0335.", "Call my desk on 020 7946 0958.",
                 "Email me at dana@brightline.net."]:
        assert not check_spoken(said).ok
        assert check_spoken(said, allowed=[lore]).ok, said
    assert not check_spoken("Or call me at home, 020 7946 0000.", allowed=[lore]).ok


def test_a_line_found_word_for_word_in_allowed_text_is_spoken() -> None:
    crisis = "If you're thinking about hurting yourself, call the line on 0800 111 0 111."
    assert check_spoken(crisis, allowed=[crisis]).ok


def test_allowed_text_does_not_excuse_its_words_one_by_one() -> None:
    """An imported character card may hold anything: the model recombining its words is checked."""
    card = "She works in the porn industry and hates it."
    assert not check_spoken("Let's watch porn.", allowed=[card]).ok


def test_the_neutral_line_is_in_the_persona_language() -> None:
    assert neutral_line("en") == "Let's get back to the practice."
    assert neutral_line("es-ES") == "Volvamos a la práctica."
    assert neutral_line("fr") == "Revenons à l'exercice."
    assert neutral_line("xx") == neutral_line("en")
    for line in (neutral_line(x) for x in ("en", "es", "fr")):
        assert check_spoken(line).ok


# --- the reply stream -------------------------------------------------------------------------

class WordChat:
    """Writes its reply a word at a time and notes whether it was stopped before the end."""

    name = "words"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.finished = False
        self.closed = False

    async def stream(self, messages: list[ChatMessage], options: GenerationOptions
                     ) -> AsyncIterator[str]:
        try:
            for i, word in enumerate(self.reply.split(" ")):
                await asyncio.sleep(0.002)
                yield word if i == 0 else " " + word
            self.finished = True
        finally:
            self.closed = True


class RecordingVoice:
    """Says which texts were voiced; 10 ms of silence per word."""

    sample_rate = 16_000

    def __init__(self) -> None:
        self.voiced: list[str] = []

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[bytes]:
        self.voiced.append(text)
        yield bytes(320 * len(text.split()))


UNSAFE_REPLY = ("Thanks for sharing that. You should kill yourself. Then tell me about your "
                "biggest project. What did you learn from it? And what would you change?")


async def speak(source: ReplySource, voice: RecordingVoice | None) -> list[SpokenPiece]:
    stream = reply_stream(source, synthesizer=voice, rate=1.0, clock=MonotonicClock())
    return [piece async for piece in stream]


async def test_an_unsafe_sentence_is_replaced_by_a_neutral_line_and_nothing_follows(
        caplog: pytest.LogCaptureFixture) -> None:
    chat, voice = WordChat(UNSAFE_REPLY), RecordingVoice()
    source = ReplySource(chat, [], GenerationOptions(), moderation=Moderator("en"))
    with caplog.at_level(logging.WARNING, logger="voice_rp.reply"):
        heard = await speak(source, voice)
    said = [p.text for p in heard]
    assert said[-1] == "Let's get back to the practice."
    assert "Thanks for sharing that." in said[0]
    assert not any("kill" in t or "project" in t for t in said)
    assert not any("kill" in t for t in voice.voiced)  # never even synthesised
    assert voice.voiced == said
    assert heard[-1].audio and heard[-1].duration_ms > 0
    assert [p.index for p in heard] == list(range(len(heard)))
    assert chat.closed and not chat.finished  # the model was stopped mid-reply
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "self_harm_encouragement" in logged
    assert "kill" not in logged  # the category, never the words


async def test_a_text_only_reply_is_checked_too() -> None:
    source = ReplySource(WordChat("Sure. Send me your nudes. Bye now."), [], GenerationOptions(),
                         moderation=Moderator("es"))
    heard = await speak(source, None)
    assert [p.text for p in heard] == ["Sure.", "Volvamos a la práctica."]
    assert all(p.audio is None for p in heard)


async def test_a_safe_reply_is_spoken_whole_and_unchanged() -> None:
    reply = "That killed the deadline, I see. Tell me about a time you had to kill a project."
    voice = RecordingVoice()
    heard = await speak(ReplySource(WordChat(reply), [], GenerationOptions(),
                                    moderation=Moderator("en")), voice)
    assert " ".join(p.text for p in heard) == reply


def fake_models(chat: WordChat, moderation: ModerationEndpoint | None = None) -> Any:
    return type("Models", (), {"chat": chat, "capable_chat": False,
                               "moderation": moderation})()


async def test_the_model_replies_a_session_writes_are_checked_with_its_persona_text_allowed(
        ) -> None:
    who = dataclasses.replace(find_persona("customer-caller", builtin_dirs()), flow=None)
    who = dataclasses.replace(who, character=dataclasses.replace(
        who.character, knowledge="Her account number is 4427190335."))
    speaker = who.speaker_for_turn(0)
    chat = WordChat("Sure, my account number is 4427190335. My card is 4111 1111 1111 1111. "
                    "Anything else?")
    writer = ReplyWriter(fake_models(chat), who, ConversationOptions(), random.Random(1))
    source = await writer.source(ReplyRequest(speaker, user_text="What is your account number?"))
    assert source.moderation is not None and source.moderation.language == "en"
    heard = await speak(source, RecordingVoice())
    assert [p.text for p in heard] == ["Sure, my account number is 4427190335.",
                                       "Let's get back to the practice."]


# --- the moderation endpoint ------------------------------------------------------------------

class FakeModerationAPI:
    """`POST /v1/moderations` on a loopback port: `mode` is flagged | clean | slow | error."""

    def __init__(self) -> None:
        self.mode = "clean"
        self.slow_s = 2.0
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                api.requests.append((self.path, dict(self.headers), body))
                if api.mode == "slow":
                    time.sleep(api.slow_s)
                if api.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                flagged = api.mode == "flagged"
                answer = {"id": "modr-1", "model": body["model"], "results": [{
                    "flagged": flagged,
                    "categories": {"harassment": False, "self-harm": False,
                                   "violence": flagged, "sexual": False}}]}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeModerationAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def api() -> Iterator[FakeModerationAPI]:
    with FakeModerationAPI() as fake:
        yield fake


async def test_the_endpoint_is_asked_with_the_model_and_key_and_its_flag_is_the_verdict(
        api: FakeModerationAPI) -> None:
    endpoint = ModerationEndpoint(api.base_url, model="mod-1", api_key="sk-test", timeout_s=1.0)
    try:
        assert await endpoint.check("A fine sentence.") == Verdict(True)
        api.mode = "flagged"
        assert await endpoint.check("A sentence the service dislikes.") == Verdict(
            False, "violence_threat", "endpoint")
    finally:
        endpoint.close()
    path, headers, body = api.requests[0]
    assert path == "/v1/moderations"
    assert body == {"model": "mod-1", "input": "A fine sentence."}
    assert headers["Authorization"] == "Bearer sk-test"


@pytest.mark.parametrize("mode", ["slow", "error"])
async def test_a_slow_or_failing_endpoint_leaves_the_local_verdict_standing(
        api: FakeModerationAPI, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    api.mode = mode
    endpoint = ModerationEndpoint(api.base_url, timeout_s=0.3)
    moderator = Moderator("en", endpoint=endpoint)
    try:
        with caplog.at_level(logging.INFO, logger="voice_rp.safety.moderation_endpoint"):
            start = time.monotonic()
            assert await endpoint.check("Tell me about your last project.") is None
            assert time.monotonic() - start < 1.0  # the deadline, not the server's 2 s
            assert await moderator.check_remote("Tell me about your last project.") == Verdict(True)
    finally:
        endpoint.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # one warning per outage, not one per line
    assert ("HTTP 500" if mode == "error" else "no answer in time") in warnings[0].getMessage()


async def test_an_unreachable_endpoint_gives_no_verdict() -> None:
    endpoint = ModerationEndpoint("http://127.0.0.1:9/v1", timeout_s=0.5)
    try:
        assert await endpoint.check("Hello.") is None
    finally:
        endpoint.close()


async def test_a_reply_flagged_by_the_endpoint_says_the_neutral_line(
        api: FakeModerationAPI) -> None:
    api.mode = "flagged"
    endpoint = ModerationEndpoint(api.base_url, timeout_s=1.0)
    try:
        voice = RecordingVoice()
        chat = WordChat("Something the built-in lists do not know. And more after it.")
        heard = await speak(ReplySource(chat, [], GenerationOptions(),
                                        moderation=Moderator("fr", endpoint=endpoint)), voice)
    finally:
        endpoint.close()
    assert [p.text for p in heard] == ["Revenons à l'exercice."]
    assert len(api.requests) == 1


async def test_a_reply_is_spoken_when_the_endpoint_is_too_slow(api: FakeModerationAPI) -> None:
    api.mode = "slow"
    endpoint = ModerationEndpoint(api.base_url, timeout_s=0.2)
    reply = "Good answer. Tell me more about the team."
    try:
        start = time.monotonic()
        heard = await speak(ReplySource(WordChat(reply), [], GenerationOptions(),
                                        moderation=Moderator("en", endpoint=endpoint)),
                            RecordingVoice())
        took = time.monotonic() - start
    finally:
        endpoint.close()
    assert " ".join(p.text for p in heard) == reply
    assert took < 1.5  # each piece waited at most its 0.2 s deadline


async def test_the_endpoint_is_not_asked_about_known_safe_lines(api: FakeModerationAPI) -> None:
    endpoint = ModerationEndpoint(api.base_url, timeout_s=1.0)
    line = "Hmm, let me think."
    try:
        moderator = Moderator("en", allowed=(line,), endpoint=endpoint)
        assert await moderator.check_remote(line) == Verdict(True)
    finally:
        endpoint.close()
    assert api.requests == []


# --- settings ---------------------------------------------------------------------------------

def test_the_endpoint_is_configured_only_by_its_url() -> None:
    assert Settings.from_env({"OPENAI_API_KEY": "sk-x"}).moderation_url is None
    assert load_moderation(Settings.from_env({})) is None
    settings = Settings.from_env({"VOICE_RP_MODERATION_URL": "https://api.openai.com/v1",
                                  "OPENAI_API_KEY": "sk-x"})
    assert settings.moderation_model == "omni-moderation-latest"
    assert settings.moderation_api_key == "sk-x"
    assert settings.moderation_timeout_s == 1.5
    assert "sk-x" not in repr(settings)
    settings = Settings.from_env({"VOICE_RP_MODERATION_URL": "http://mod:8000/v1",
                                  "VOICE_RP_MODERATION_MODEL": "guard",
                                  "VOICE_RP_MODERATION_API_KEY": "k2", "OPENAI_API_KEY": "sk-x",
                                  "VOICE_RP_MODERATION_TIMEOUT_S": "0.8"})
    assert (settings.moderation_api_key, settings.moderation_model) == ("k2", "guard")
    endpoint = load_moderation(settings)
    assert endpoint is not None
    try:
        assert (endpoint.url, endpoint.model, endpoint.timeout_s) == (
            "http://mod:8000/v1/moderations", "guard", 0.8)
    finally:
        endpoint.close()
    with pytest.raises(ModelError, match="VOICE_RP_MODERATION_URL"):
        Settings.from_env({"VOICE_RP_MODERATION_URL": "mod:8000"})
