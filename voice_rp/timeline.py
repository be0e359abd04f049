"""One turn's timeline: when each stage of the reply was reached, and the metrics made of it.

The turn controller fills it in as inputs arrive (the turn's work starts, the turn end is
confirmed, the transcript is ready, reply pieces come out of the stream, the first audio leaves);
`metrics` turns it into the `metrics` event, each stage in ms after the true end of the speech.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice_rp.events import TurnMetrics


@dataclass(frozen=True)
class PieceTiming:
    """Clock times one spoken piece of a reply carries out of the reply stream."""

    received: float  # the chunker released it (or the holding line was due)
    synth_started: float | None = None
    synth_done: float | None = None  # None: a text-only reply, nothing was synthesised
    llm_first_token: float | None = None  # the model's first text, if it has come yet
    holding_line: float | None = None  # this piece is the holding line, released then


@dataclass
class TurnTimeline:
    """Clock times of one turn's milestones (None until reached)."""

    speech_end: float  # the true end of the user's speech (the line's start, for scripted lines)
    start: float | None = None  # work on a user turn began (at the first pause, if speculative)
    committed: float | None = None  # the turn end was confirmed
    stt_done: float | None = None
    stt_s: float | None = None  # how long recognition took
    llm_first_token: float | None = None
    first_piece: float | None = None
    first_audio: float | None = None  # the first piece's audio synthesised
    tts_first_s: float | None = None  # how long TTS took for the first piece
    holding_line: float | None = None  # a holding line was released: the reply was late
    audio_sent: float | None = None  # the first reply audio went to the client
    interrupted: float | None = None

    def transcribed(self, *, started: float, done: float) -> None:
        self.stt_done = done
        self.stt_s = done - started

    def piece(self, timing: PieceTiming) -> None:
        """A piece came out of the reply stream (spoken or not): note the firsts it carries."""
        if self.llm_first_token is None:
            self.llm_first_token = timing.llm_first_token
        if timing.holding_line is not None and self.holding_line is None:
            self.holding_line = timing.holding_line
        if self.first_piece is None:
            self.first_piece = timing.received
            if timing.synth_done is not None and timing.synth_started is not None:
                self.first_audio = timing.synth_done
                self.tts_first_s = timing.synth_done - timing.synth_started

    def metrics(self, turn: int, *, user_turn: bool, interrupted: bool) -> TurnMetrics:
        """The stage times of the turn, in ms after the true end of the user's speech."""

        def since_end(t: float | None) -> float | None:
            return None if t is None else round((t - self.speech_end) * 1000.0, 1)

        stages: dict[str, float | None] = {
            "endpoint_ms": since_end(self.committed) if user_turn else None,
            "stt_ms": round(self.stt_s * 1000.0, 1) if self.stt_s is not None else None,
            "stt_done_ms": since_end(self.stt_done),
            "llm_first_token_ms": since_end(self.llm_first_token),
            "first_piece_ms": since_end(self.first_piece),
            "tts_first_audio_ms": since_end(self.first_audio),
            "tts_ms": round(self.tts_first_s * 1000.0, 1) if self.tts_first_s else None,
            "response_ms": since_end(self.audio_sent),
            "speculative_lead_ms": (round((self.committed - self.start) * 1000.0, 1)
                                    if self.start is not None and self.committed is not None
                                    else None),
        }
        if self.holding_line is not None:
            stages["holding_line_ms"] = since_end(self.holding_line)
        if interrupted:
            stages["interrupted"] = 1.0
        return TurnMetrics(turn, self.speech_end, stages)
