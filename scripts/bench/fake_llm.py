"""A stand-in for a capable OpenAI-compatible chat endpoint, for the fidelity benchmark.

    python -m scripts.bench.fake_llm --port 8999

It follows the scenario's instruction the way a capable model would (reacts in a sentence, then
asks the question it was given, in the persona's language), streamed as server-sent events. It
measures the server's endpoint path and the capable-model prompting, not a model's quality.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from voice_rp.fidelity import language_guess

_REACT = {"en": "Thank you, that is helpful.", "es": "¡Qué interesante, gracias!",
          "fr": "C'est intéressant, merci !"}
_FREE = {"en": "Good question. The team is small and friendly, and we plan our work together.",
         "es": "¡Muy bien! Yo también lo hago a veces.",
         "fr": "Très bien ! Moi aussi, j'aime ça."}


def reply_for(messages: list[dict[str, str]]) -> str:
    """What a capable model would say, given the instructions in `messages`."""
    system = " ".join(m["content"] for m in messages if m["role"] == "system")
    language = "es" if "Spanish" in system else "fr" if "French" in system else "en"
    instruction = next((m["content"] for m in reversed(messages) if m["role"] == "system"), "")
    asked = re.search(r"in your own words: (.+)$", instruction, re.DOTALL)
    if asked:
        question = asked.group(1).strip()
        language = language_guess(question) or language
        return f"{_REACT.get(language, _REACT['en'])} {question}"
    if "session is over" in instruction:
        return "Thank you for your time. Goodbye!"
    return _FREE[language]


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore
        body = json.loads(await reader.readexactly(length))
        text = reply_for(body.get("messages", []))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     b"Connection: close\r\n\r\n")
        for word in re.findall(r"\S+\s*", text):
            chunk = {"id": "fake", "object": "chat.completion.chunk", "model": "fake-capable",
                     "choices": [{"index": 0, "delta": {"content": word},
                                  "finish_reason": None}]}
            writer.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await writer.drain()
            await asyncio.sleep(0.01)  # a fast endpoint's token pace
        writer.write(b"data: [DONE]\n\n")
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, AttributeError, ValueError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="a fake capable chat endpoint")
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
