"""Endpointing: when the user starts speaking, pauses, and has finished their turn.

An I/O-free state machine. Feed it 20 ms frames of 16 kHz PCM16 (`FRAME_BYTES` = 640 bytes
each) and it returns events; it never reads the time or touches a device. Every decision uses
*audio time* (seconds of audio pushed so far), so a file streamed faster than real time is
endpointed exactly like a live microphone. The clock only stamps events with `t` for metrics.

    ep = Endpointer(TurnPolicy.conversational(), clock=MonotonicClock())
    for event in ep.push(frame):          # exactly FRAME_BYTES, else ValueError
        ...
    ep.hint("I worked there for three years and")   # transcript so far, after a SpeculativeEnd
                                                     # -> Ending.OPEN: wait for the rest
    ep.bot_speaking = True                           # set while the reply plays
    ep.reset()                                       # forget any turn in progress

Events, in the order a turn produces them (frozen dataclasses, each `Decided`: `audio_t` = audio
pushed when the event was decided, and `t` = `clock.now()` then; the two ends are `Utterance`s):

- `SpeechStart(..., speech_start_audio_t)`: speech lasted `min_speech_s`; shorter blips are ignored.
- `SpeculativeEnd(..., speech_end_audio_t, audio)`: the first short pause (`speculative_silence_s`).
  Start STT, and even the LLM, on `audio` now.
- `SpeechResumed(...)`: the user went on after a SpeculativeEnd: discard the speculative work.
- `TurnEnd(..., speech_end_audio_t, audio, reason, hinted)`: the turn is over. `reason` is
  "complete" (the words ended a thought: waited `complete_silence_s`; or they gave no sign, or
  no hint came: waited `end_silence_s`), "incomplete_timeout" (the words were mid-thought,
  waited `incomplete_silence_s`), "max_silence" (the policy's hard cap), "hold_timeout" (the
  user asked for time and said nothing more for `hold_s`) or "max_turn" (the turn ran past
  `max_turn_s`, ended at the next short pause).
- `BargeIn(...)`: the user spoke for `barge_in_s` while `bot_speaking` was True (once per turn).

If no SpeechResumed came between a SpeculativeEnd and the TurnEnd, both carry the *same* audio
bytes, so the speculative transcript (and reply) can be used as is. `speech_end_audio_t` is the true
end of the speech, so `wait_s` (= `audio_t - speech_end_audio_t`) is the endpointing latency.

Why the waits differ: a fixed long silence wait alone blows the latency budget, and a short one
closes the turn at a thinking pause. So a pause is acted on in steps: speculate early, end at once
when the words end a thought (`hint` + `voice_rp.completeness.read_ending`), much later when they
are mid-thought ("and", "um", "parce que", ","), and hold the floor when the user asks for time
("give me a moment", "un momento", "laisse-moi réfléchir").
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE
from .clock import Clock
from .completeness import Ending, read_ending
from .turn_policy import TurnPolicy as TurnPolicy  # re-exported: callers take it from here
from .voice_end import falls_at_end

logger = logging.getLogger(__name__)

_FRAME_S = FRAME_MS / 1000
_PRE_ROLL_S = 0.2
"""Audio kept before the first voiced frame: the VAD reacts late to soft onsets ("h", "f")."""
_POST_ROLL_S = 0.2
"""Audio kept after the last voiced frame: soft endings; Whisper does better with a little tail."""
_HANGOVER_S = 0.1
"""Unvoiced gaps this short inside speech (stop consonants, one misjudged frame) never split it."""
_VAD_WARMUP_S = 0.1
"""webrtcvad's first ~100 ms can misfire while it adapts to the noise: its verdicts are ignored."""
_MAX_TURN_GRACE_S = 10.0
"""After max_turn_s with no pause at all (noise the VAD takes for speech) the turn is cut anyway."""
_OVERHANG_S = 0.12
"""webrtcvad goes on saying "speech" for 40-120 ms after the voice stops (its over-hang; measured
on the benchmark's lines). Quiet frames this close before the VAD's speech end are trimmed off."""
_QUIET_ABOVE_NOISE_DB = 6.0
"""A frame within this of the noise floor is silence, whatever the VAD says in its over-hang."""
_NOISE_FRAMES = 50
"""Recent frames the VAD called silence: their median energy is the noise floor."""
_NOISE_MIN_FRAMES = 10
"""With fewer silent frames heard than this, there is no noise floor and nothing is trimmed."""


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """What every event carries: `audio_t`, the audio pushed when it was decided (what every
    decision uses), and `t`, the clock then (for metrics)."""

    audio_t: float
    t: float


@dataclass(frozen=True)
class SpeechStart(Decided):
    speech_start_audio_t: float


@dataclass(frozen=True)
class Utterance(Decided):
    """The user's speech from `speech_start_audio_t` to `speech_end_audio_t`; `audio` is its
    audio (with ~200 ms pre- and post-roll)."""

    speech_start_audio_t: float
    speech_end_audio_t: float
    audio: bytes = field(repr=False)

    @property
    def wait_s(self) -> float:
        """How long after the speech end it was judged: the endpointing latency."""
        return self.audio_t - self.speech_end_audio_t


@dataclass(frozen=True)
class SpeculativeEnd(Utterance):
    """A first short pause: the utterance so far."""


@dataclass(frozen=True)
class SpeechResumed(Decided):
    """The user went on after a SpeculativeEnd: its audio (and anything made from it) is stale.
    `pause_s`: how long they paused (speech end to the voice going on)."""

    pause_s: float = 0.0


@dataclass(frozen=True)
class TurnEnd(Utterance):
    """The user's turn is over. `hinted` says whether a transcript hint informed the wait."""

    reason: str  # "complete" | "incomplete_timeout" | "max_silence" | "hold_timeout" | "max_turn"
    hinted: bool = False


@dataclass(frozen=True)
class BargeIn(Decided):
    """The user has been speaking over the bot for barge_in_s: stop the reply."""


EndpointEvent = SpeechStart | SpeculativeEnd | SpeechResumed | TurnEnd | BargeIn


# --- the state machine -------------------------------------------------------------------------


class _State(Enum):
    IDLE = "idle"            # no turn: waiting for voice
    STARTING = "starting"    # voice heard, not yet min_speech_s of it
    SPEAKING = "speaking"    # a turn in progress, no SpeculativeEnd pending
    PAUSED = "paused"        # SpeculativeEnd sent: waiting for the turn end or a resumption


@dataclass
class _VoiceRun:
    """Voiced frames not yet confirmed as speech (they may be a blip)."""

    start: int      # index of the first voiced frame
    last: int       # index of the last voiced frame
    voiced: int = 1
    over_bot: int = 0  # voiced frames heard while the bot was speaking


def _frames(seconds: float) -> int:
    # round() first so 0.6 / 0.02 = 29.999... still means 30 frames
    return max(1, math.ceil(round(seconds / _FRAME_S, 6)))


class Endpointer:
    """Turns a stream of 20 ms frames into speech-start, pause and turn-end events."""

    def __init__(
        self,
        policy: TurnPolicy | None = None,
        *,
        clock: Clock,
        is_speech: Callable[[bytes], bool] | None = None,
    ) -> None:
        self.policy = policy if policy is not None else TurnPolicy()
        self._clock = clock
        if is_speech is None:
            import webrtcvad

            vad = webrtcvad.Vad(self.policy.vad_mode)

            def is_speech(frame: bytes) -> bool:
                return bool(vad.is_speech(frame, SAMPLE_RATE))

        self._is_speech = is_speech
        self.bot_speaking = False
        """Set by the caller while the reply is playing; enables BargeIn."""
        p = self.policy
        self._min_speech = _frames(p.min_speech_s)
        self._min_resume = _frames(p.min_resume_s)
        self._spec_wait = _frames(p.speculative_silence_s)
        self._barge = max(_frames(p.barge_in_s), self._min_speech)
        self._max_turn = _frames(p.max_turn_s)
        self._hard_turn = self._max_turn + _frames(_MAX_TURN_GRACE_S)
        self._hangover = _frames(_HANGOVER_S)
        self._warmup = _frames(_VAD_WARMUP_S)
        self._pre_roll = _frames(_PRE_ROLL_S)
        # One post-roll for SpeculativeEnd and TurnEnd: same audio when the user did not go on.
        self._post_roll = min(_frames(_POST_ROLL_S), self._spec_wait)
        self._overhang = _frames(_OVERHANG_S)
        self._recent: deque[bytes] = deque(maxlen=self._pre_roll + 1)
        self._noise: deque[float] = deque(maxlen=_NOISE_FRAMES)  # dBFS of recent silent frames
        self._n = 0  # frames pushed since construction: the audio clock
        self.reset()

    # --- public -------------------------------------------------------------------------------

    @property
    def audio_t(self) -> float:
        """Seconds of audio pushed so far."""
        return self._n * _FRAME_S

    @property
    def state(self) -> str:
        """"idle", "starting", "speaking" or "paused" (SpeculativeEnd sent)."""
        return self._state.value

    def reset(self) -> None:
        """Forget any turn in progress. The audio clock runs on; the VAD keeps its adaptation."""
        self._state = _State.IDLE
        self._run: _VoiceRun | None = None
        self._buf = bytearray()
        self._buf_start = 0       # frame index of the first frame in _buf
        self._speech_start = 0    # frame index of the turn's first voiced frame
        self._last_voice = 0      # frame index of the turn's last confirmed voiced frame
        self._end_for: tuple[int, int] = (-1, 0)  # (last_voice, the speech end trimmed from it)
        self._hint: Ending | None = None  # read_ending() of the current pause's transcript
        self._hint_due = False  # the current pause's transcript is on its way
        self._falls: bool | None = None  # the voice fell at the current pause (voice_end)
        self._barge_frames = 0
        self._barged = False

    def hint(self, text: str, *, speech_end_audio_t: float | None = None,
             language: str = "en") -> Ending | None:
        """The transcript of the utterance up to the current pause (e.g. from speculative STT);
        returns how its words end (None: ignored or blank), which picks the wait: see
        `TurnPolicy`. HOLD holds the floor for `hold_s`.

        Only a pause in progress can be hinted; pass the SpeculativeEnd's `speech_end_audio_t` to
        have a late transcript of an earlier pause ignored. Blank text clears the hint.
        """
        if self._state is not _State.PAUSED:
            logger.debug("hint ignored: no pause in progress (state %s)", self._state.value)
            return None
        if speech_end_audio_t is not None and not math.isclose(
            speech_end_audio_t, self._t(self._speech_end() + 1), abs_tol=_FRAME_S / 2
        ):
            logger.debug("stale hint for speech end %.2f s ignored", speech_end_audio_t)
            return None
        self._hint = read_ending(text, language=language) if text.strip() else None
        self._hint_due = False
        return self._hint

    def expect_hint(self) -> None:
        """The transcript of the pause in progress is being made: until it comes (or the user
        goes on), the turn does not end on the no-words wait (`end_silence_s`), only on the
        hard cap. A slow recogniser (a long turn, a larger model) must not cut a thinking pause
        short for want of its words."""
        if self._state is _State.PAUSED:
            self._hint_due = True

    def push(self, frame: bytes) -> list[EndpointEvent]:
        """Consume one 20 ms frame of 16 kHz mono PCM16 and return what it decided."""
        if len(frame) != FRAME_BYTES:
            raise ValueError(
                f"Endpointer.push needs exactly {FRAME_BYTES} bytes ({FRAME_MS} ms of "
                f"{SAMPLE_RATE} Hz mono PCM16), got {len(frame)}"
            )
        idx = self._n
        self._n += 1
        verdict = bool(self._is_speech(frame))  # always called: the VAD adapts while warming up
        voiced = verdict and idx >= self._warmup
        if not verdict:
            self._noise.append(_dbfs(frame))
        self._recent.append(frame)
        if self._state is not _State.IDLE:
            self._buf += frame
        if self._state in (_State.IDLE, _State.STARTING):
            return self._listen(idx, voiced)
        return self._in_turn(idx, voiced)

    # --- states -------------------------------------------------------------------------------

    def _listen(self, idx: int, voiced: bool) -> list[EndpointEvent]:
        """IDLE/STARTING: wait until voice has lasted min_speech_s."""
        run = self._run
        if not voiced:
            if run is not None and idx - run.last > self._hangover:
                logger.debug("blip of %d ms ignored", run.voiced * FRAME_MS)
                self.reset()
            return []
        if run is None:
            self._state = _State.STARTING
            self._buf = bytearray(b"".join(self._recent))
            self._buf_start = idx + 1 - len(self._recent)
        run = self._voiced(idx)
        if run.voiced < self._min_speech:
            return []
        self._state = _State.SPEAKING
        self._speech_start, self._last_voice = run.start, run.last
        self._barge_frames = run.over_bot
        self._run = None
        events: list[EndpointEvent] = [SpeechStart(
            self._t(idx + 1), self._clock.now(), speech_start_audio_t=self._t(run.start))]
        return events + self._check_barge_in(idx)

    def _in_turn(self, idx: int, voiced: bool) -> list[EndpointEvent]:
        """SPEAKING/PAUSED: track the speech end, confirm resumptions, time the pause."""
        if voiced:
            return self._voiced_in_turn(idx)
        run = self._run
        if run is not None:
            if idx - run.last <= self._hangover:
                return []  # maybe more voice to come: don't end the turn under it
            self._run = None  # a blip inside the pause: the pause goes on
        silence = idx - self._speech_end()  # whole silent frames since the speech end
        events: list[EndpointEvent] = []
        if self._state is _State.SPEAKING and silence >= self._spec_wait:
            if idx + 1 - self._speech_start >= self._max_turn:
                return [self._end(idx, "max_turn")]
            self._state = _State.PAUSED
            start, end = self._t(self._speech_start), self._t(self._speech_end() + 1)
            audio = self._turn_audio()
            self._falls = falls_at_end(audio) if self.policy.voice_cue else None
            events.append(SpeculativeEnd(self._t(idx + 1), self._clock.now(), start, end,
                                         audio=audio))
        if self._state is _State.PAUSED:
            needed, reason = self._silence_needed()
            if silence >= needed:
                events.append(self._end(idx, reason))
        return events

    def _voiced_in_turn(self, idx: int) -> list[EndpointEvent]:
        run = self._run
        paused_from = self._speech_end() + 1
        if run is None and idx - self._last_voice <= self._hangover:
            self._confirm(idx, over_bot=int(self.bot_speaking))
        else:
            run = self._voiced(idx)
            if run.voiced < self._min_resume:
                return []
            self._run = None
            self._confirm(run.last, over_bot=run.over_bot)
        events: list[EndpointEvent] = []
        if self._state is _State.PAUSED:
            self._state = _State.SPEAKING
            self._hint, self._hint_due = None, False  # it described words since added to
            went_on = run.start if run is not None else idx
            events.append(SpeechResumed(self._t(idx + 1), self._clock.now(),
                                        pause_s=self._t(max(0, went_on - paused_from))))
        if idx + 1 - self._speech_start >= self._hard_turn:
            events.append(self._end(idx, "max_turn"))
            return events
        return events + self._check_barge_in(idx)

    # --- helpers ------------------------------------------------------------------------------

    def _voiced(self, idx: int) -> _VoiceRun:
        """Count voiced frame `idx` into the run not yet confirmed as speech (a new one if none)."""
        run = self._run
        if run is None:
            run = self._run = _VoiceRun(start=idx, last=idx)
        else:
            run.voiced += 1
            run.last = idx
        run.over_bot += self.bot_speaking
        return run

    def _confirm(self, last: int, *, over_bot: int) -> None:
        """Voice heard up to frame `last` belongs to the turn: the speech end moves there."""
        self._last_voice = last
        self._barge_frames += over_bot

    def _check_barge_in(self, idx: int) -> list[EndpointEvent]:
        if self._barged or not self.bot_speaking or self._barge_frames < self._barge:
            return []
        self._barged = True
        return [BargeIn(self._t(idx + 1), self._clock.now())]

    def _speech_end(self) -> int:
        """Index of the turn's last frame of speech: the VAD's last voiced frame, less the quiet
        frames of its over-hang. Fixed once per `_last_voice`, so a SpeculativeEnd and the
        TurnEnd after it agree on the end and on the audio."""
        last = self._last_voice
        if self._end_for[0] != last:
            end = last
            if len(self._noise) >= _NOISE_MIN_FRAMES:
                quiet = sorted(self._noise)[len(self._noise) // 2] + _QUIET_ABOVE_NOISE_DB
                lowest = max(self._speech_start, last - self._overhang)
                while end > lowest and self._frame_dbfs(end) < quiet:
                    end -= 1
            self._end_for = (last, end)
        return self._end_for[1]

    def _frame_dbfs(self, idx: int) -> float:
        at = (idx - self._buf_start) * FRAME_BYTES
        return _dbfs(bytes(self._buf[at: at + FRAME_BYTES]))

    def _silence_needed(self) -> tuple[int, str]:
        p = self.policy
        if self._hint is Ending.HOLD:
            return _frames(p.hold_s), "hold_timeout"  # asked for: not capped by max_silence_s
        if self._hint is Ending.OPEN:
            wait, reason = p.incomplete_silence_s, "incomplete_timeout"
        elif self._hint is Ending.COMPLETE and self._falls is not False:
            # The words end a thought and the voice does not say otherwise. A long answer goes
            # on after its sentences: past flowing_after_s of speech, a little longer.
            spoken = (self._speech_end() + 1 - self._speech_start) * _FRAME_S
            long = spoken >= p.flowing_after_s
            wait, reason = (p.flowing_silence_s if long else p.complete_silence_s), "complete"
        elif self._hint is None and self._hint_due:
            wait, reason = p.max_silence_s, "max_silence"
        else:
            wait, reason = p.end_silence_s, "complete"
        if wait > p.max_silence_s:
            wait, reason = p.max_silence_s, "max_silence"
        return _frames(wait), reason

    def _turn_audio(self) -> bytes:
        end = min(self._speech_end() + 1 + self._post_roll, self._n)
        return bytes(self._buf[: (end - self._buf_start) * FRAME_BYTES])

    def _end(self, idx: int, reason: str) -> TurnEnd:
        event = TurnEnd(
            speech_start_audio_t=self._t(self._speech_start),
            speech_end_audio_t=self._t(self._speech_end() + 1),
            audio_t=self._t(idx + 1),
            t=self._clock.now(),
            audio=self._turn_audio(),
            reason=reason,
            hinted=self._hint is not None,
        )
        logger.debug("turn end (%s) after %.2f s of silence", reason, event.wait_s)
        self.reset()
        return event

    @staticmethod
    def _t(frame_index: int) -> float:
        return round(frame_index * _FRAME_S, 6)


def _dbfs(frame: bytes) -> float:
    """RMS level of a PCM16 frame in dB below full scale (-100 for digital silence)."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
    rms = float(np.sqrt(np.mean(samples * samples))) / 32768.0 if len(samples) else 0.0
    return 20.0 * math.log10(rms) if rms > 1e-5 else -100.0
