"""Does the voice say the user is done? The pitch at the end of what they said so far.

Whisper writes a sentence cut off mid-thought as a finished one ("We finished the project.")
about four times in ten on our clips (scripts/eval_end_of_turn.py), so the words alone cannot
tell a thinking pause from the end of a turn. The voice can: at the end of a statement the
pitch falls below the speaker's middle (final lowering); in a pause mid-sentence it stays at or
above it. On recorded human speech in our end-of-turn clips, the last 80 ms of voice ended more
than 1 semitone below the median of the last seconds at 52 of 53 true ends and at 7 of 24
mid-sentence pauses; with the words' reading on top, at 48 of 53 ends and 0 of 24 pauses.
Synthetic voices show it less (docs/turn_taking.md). Quiet or unvoiced endings say nothing.
"""

from __future__ import annotations

import numpy as np

from voice_rp.audio import SAMPLE_RATE
from voice_rp.feedback.audio import pitch_track

WINDOW_S = 3.0
"""The speaker's middle is taken over this much of the speech before the pause."""
FALL_ST = -1.0
"""The end counts as final when it is this far (semitones) below that middle."""
_END_FRAMES = 8  # the last 80 ms of voice
_MIN_VOICED = 20  # fewer voiced 10 ms frames than this: no middle to compare with


def falls_at_end(pcm16: bytes) -> bool | None:
    """Whether the voice in `pcm16` (16 kHz mono PCM16, ending at a pause) ends low, as a
    finished statement does; None when there is too little voice to tell."""
    samples = np.frombuffer(pcm16[-int(WINDOW_S * SAMPLE_RATE) * 2:], dtype="<i2")
    f0 = pitch_track(samples.astype(np.float32) / 32768.0)
    voiced = f0[~np.isnan(f0)]
    if len(voiced) < _MIN_VOICED:
        return None
    middle = float(np.median(voiced))
    end = float(np.median(voiced[-_END_FRAMES:]))
    return bool(12.0 * np.log2(end / middle) < FALL_ST)
