"""Labelled synthetic speech for tests, benchmarks and the demo: TTS sentences with injected
clicks, dropouts, clipping, long pauses and stutters, and the exact region of each.

    from datasets.synthetic import generate_corpus, speak
    corpus = generate_corpus("var/corpus", profile="tiny", seed=3, jobs=2)
    samples, sample_rate = speak("Hello there.", voice="en-us", speed_wpm=160, pitch=40)

or `python -m datasets.synthetic --profile tiny --out DIR [--seed N] [--jobs N]`. A corpus folder
holds the clips, `labels.csv` (filename, artifact_type, start_ms, end_ms), `manifest.json` (each
file's settings and events) and `train_files.txt` / `test_files.txt`, as the bench kit's do.

No Django here: the package runs alone (a test checks that it loads no Django module).
"""

import numpy as np

from datasets.synthetic.corpus import generate_corpus
from datasets.synthetic.engines import (
    ENGINE_OPENERS,
    EngineUnavailable,
    Speech,
    SpeechEngine,
    get_engine,
)
from datasets.synthetic.profiles import ARTIFACT_TYPES, Profile, available_profiles, load_profile

__all__ = [
    "ARTIFACT_TYPES",
    "ENGINE_OPENERS",
    "EngineUnavailable",
    "Profile",
    "Speech",
    "SpeechEngine",
    "available_profiles",
    "generate_corpus",
    "get_engine",
    "load_profile",
    "speak",
]


def speak(
    text: str,
    *,
    voice: str = "en",
    speed_wpm: int = 175,
    pitch: int = 50,
    engine: str = "espeak-ng",
) -> tuple[np.ndarray, int]:
    """`text` spoken by `engine`: (samples, sample_rate), mono float64 in [-1, 1) at the
    engine's native rate (22 050 Hz for espeak-ng). Raises ValueError for an unknown voice or
    out-of-range speed (80-450 wpm) or pitch (0-99), EngineUnavailable when the engine cannot
    run here (its message says what to install)."""
    speech = get_engine(engine).speak(text, voice=voice, speed_wpm=speed_wpm, pitch=pitch)
    return speech.samples, speech.sample_rate
