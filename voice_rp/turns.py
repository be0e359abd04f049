"""The record of turns: turn numbers, the reply being spoken, the history, barge-in truncation.

I/O-free: the turn controller feeds it what happened (a user turn committed, a reply piece
sent, the playback position) and it keeps the record straight. The assistant's turn enters the
history only as far as the user actually heard it. (Where the session stands, listening,
thinking or speaking, is the controller's `Phase`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_rp.llm import ChatMessage


@dataclass
class SpokenPiece:
    text: str
    offset_ms: float  # where this piece starts in the reply's audio
    duration_ms: float


@dataclass
class Reply:
    turn: int
    speaker: str
    user_text: str | None  # None for lines the persona says unprompted (the opening line)
    pieces: list[SpokenPiece] = field(default_factory=list)
    played_ms: float = 0.0

    @property
    def audio_ms(self) -> float:
        return sum(p.duration_ms for p in self.pieces)

    def heard_text(self, played_ms: float | None = None) -> str:
        """The text up to `played_ms` of audio; a half-played piece keeps its heard words."""
        limit = self.audio_ms if played_ms is None else played_ms
        words: list[str] = []
        for p in self.pieces:
            if limit >= p.offset_ms + p.duration_ms:
                words.extend(p.text.split())
            elif limit > p.offset_ms and p.duration_ms > 0:
                piece_words = p.text.split()
                share = (limit - p.offset_ms) / p.duration_ms
                words.extend(piece_words[: int(len(piece_words) * share)])
                break
            else:
                break
        return " ".join(words)


class TurnTracker:
    """Owns the turn numbers and the history of one session."""

    def __init__(self) -> None:
        self.ended = False
        self.history: list[ChatMessage] = []
        self.reply: Reply | None = None
        self._next_turn = 0

    def new_turn(self) -> int:
        turn = self._next_turn
        self._next_turn += 1
        return turn

    def peek_turn(self) -> int:
        """The number the next turn will get."""
        return self._next_turn

    def release_turn(self, turn: int) -> None:
        """Give back the number of the latest turn when its work was dropped unheard."""
        if turn == self._next_turn - 1:
            self._next_turn = turn

    def begin_reply(self, turn: int, speaker: str, user_text: str | None) -> Reply:
        if self.ended:
            raise RuntimeError("conversation has ended")
        self.reply = Reply(turn=turn, speaker=speaker, user_text=user_text)
        return self.reply

    def add_piece(self, text: str, duration_ms: float) -> SpokenPiece:
        reply = self._current()
        piece = SpokenPiece(text=text, offset_ms=reply.audio_ms, duration_ms=duration_ms)
        reply.pieces.append(piece)
        return piece

    def played(self, turn: int, played_ms: float) -> None:
        """The client's report of how far playback of `turn` got; stale turns are ignored."""
        if self.reply is not None and self.reply.turn == turn:
            self.reply.played_ms = max(self.reply.played_ms, min(played_ms, self.reply.audio_ms))

    def finish_reply(self, *, interrupted: bool, played_ms: float | None = None) -> str:
        """Close the current reply and record it; returns the text the user heard.

        On interruption the history keeps only what was played (`played_ms`, else the last
        reported position). A reply interrupted before any audio leaves no trace, and neither
        does its user turn: the caller merges that speech into the next turn.
        """
        reply = self._current()
        self.reply = None
        if not interrupted:
            heard = reply.heard_text()
        else:
            pos = reply.played_ms if played_ms is None else played_ms
            heard = reply.heard_text(pos)
        if interrupted and not reply.pieces:
            return ""
        if reply.user_text is not None:
            self.history.append(ChatMessage("user", reply.user_text))
        if heard:
            self.history.append(ChatMessage("assistant", heard))
        return heard

    def last_said(self) -> str:
        """The persona's last words as the user heard them ("" before any)."""
        return next((m.content for m in reversed(self.history) if m.role == "assistant"), "")

    def end(self) -> None:
        self.ended = True

    def _current(self) -> Reply:
        if self.reply is None:
            raise RuntimeError("no reply in progress")
        return self.reply
