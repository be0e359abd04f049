"""One thread plan for the machine's model runtimes (voice_rp.threads)."""

from __future__ import annotations

import pytest

from voice_rp.config import Settings
from voice_rp.errors import ModelError
from voice_rp.threads import ThreadPlan


def test_each_runtime_gets_a_thread_per_core_up_to_four_and_piper_does_not_spin():
    assert ThreadPlan.for_cores(2) == ThreadPlan(stt=2, llm=2, tts=2, tts_spin=False)
    assert ThreadPlan.for_cores(16) == ThreadPlan(stt=4, llm=4, tts=4)
    assert ThreadPlan.for_cores(1) == ThreadPlan(stt=1, llm=1, tts=1)


def test_the_plan_can_be_set_from_the_environment():
    plan = ThreadPlan.from_env({"VOICE_RP_THREADS": "tts=1, tts_spin=1"}, cores=2)
    assert plan == ThreadPlan(stt=2, llm=2, tts=1, tts_spin=True)
    assert Settings.from_env({"VOICE_RP_THREADS": "llm=3"}).threads.llm == 3


@pytest.mark.parametrize("bad", ["tts", "gpu=2", "llm=0", "stt=two", "tts_spin=yes"])
def test_an_unreadable_plan_is_a_clear_error(bad: str):
    with pytest.raises(ModelError, match="VOICE_RP_THREADS"):
        ThreadPlan.from_env({"VOICE_RP_THREADS": bad}, cores=2)


@pytest.mark.models
def test_a_piper_voice_with_its_own_threads_and_no_spinning_still_speaks():
    from voice_rp.tts import PiperSynthesizer, bundled_voice

    info = bundled_voice()
    voice = PiperSynthesizer.load(info.model_path, info.config_path, threads=1, spin=False)
    audio = b"".join(voice.synthesize("Thank you, that is a clear example."))
    assert len(audio) / 2 / voice.sample_rate > 1.0
