"""What the turn controller asks its shell to do, and the session's one state.

Plain data: the controller returns lists of these commands; the asyncio shell
(voice_rp.conversation) carries them out and reports back through the controller's inputs.
An `attempt` is one reply in the making: for a user turn (possibly speculative) or a line the
persona says unprompted. Its id is never reused, unlike turn numbers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from voice_rp import events as ev
from voice_rp.reply_source import ReplyRequest


class Phase(enum.Enum):
    """Where the session stands, as the user sees it (the `state` events)."""

    LISTENING = "listening"  # no reply under way: the user has the floor
    THINKING = "thinking"  # a confirmed turn's reply is being made, none of it sent yet
    SPEAKING = "speaking"  # the reply's audio is going out
    ENDED = "ended"


@dataclass(frozen=True)
class Emit:
    """Send this event to the client."""

    event: ev.Event


@dataclass(frozen=True)
class ForAttempt:
    """A command about one attempt."""

    attempt: int


@dataclass(frozen=True)
class Transcribe(ForAttempt):
    """Recognise `audio` (PCM16); then call `transcribed`."""

    audio: bytes


@dataclass(frozen=True)
class Analyse(ForAttempt):
    """Measure the answer's pauses and pitch in `audio` for feedback, and read what kind of turn
    `text` is (voice_rp.listening.turn_kind.read_turn, after `question`), both off the event
    loop; then call `analysed` with both."""

    audio: bytes
    text: str = ""
    question: str = ""  # the persona's last question, for the reading


@dataclass(frozen=True)
class Speak(ForAttempt):
    """Make the reply `request` asks for and hand each piece to `piece_ready`, waiting for
    `Release` after each one; then call `reply_made` (or `reply_failed`)."""

    request: ReplyRequest


@dataclass(frozen=True)
class WaitPlayback(ForAttempt):
    """The reply is all sent: call `played_out` once `seconds` more of it have played."""

    seconds: float


class Release(ForAttempt):
    """The attempt's turn end is confirmed: its reply may go on past its first piece."""


class Cancel(ForAttempt):
    """Stop the attempt's work, if any is left, and forget it."""


@dataclass(frozen=True)
class ReadAhead:
    """Have the chat model read the next turn's prompt up to the user's words now (`request`
    carries the history and memory it will have), so that turn pays only for those words."""

    request: ReplyRequest


@dataclass(frozen=True)
class EndSession:
    """The session is over: no more events will come."""


Command = (Emit | Transcribe | Analyse | Speak | Release | WaitPlayback | Cancel | ReadAhead
           | EndSession)
