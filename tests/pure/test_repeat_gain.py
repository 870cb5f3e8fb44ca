"""The repeat gain: high where a chunk of changing, voiced sound is played again, nothing for a
steady vowel or for sound that only resembles what came before; the same for any gain and any
way the audio is cut into blocks."""

import numpy as np

from datasets.audio.repeats import RepeatGain

RATE = 16_000


def gliding_voice(seconds: float, *, seed: int = 0) -> np.ndarray:
    """Voiced, speech-like sound whose pitch (110-190 Hz) and brightness keep changing, with a
    little noise: no stretch of it is a copy of an earlier one."""
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 150 + 40 * np.sin(2 * np.pi * 1.3 * t) + 15 * np.sin(2 * np.pi * 3.1 * t + 1.0)
    brightness = 0.6 + 0.3 * np.sin(2 * np.pi * 2.3 * t)
    return voice(pitch, brightness, harmonics=15, seed=seed)


def low_voice(seconds: float, *, seed: int = 0) -> np.ndarray:
    """A deep voice (54-70 Hz, periods of 14-18 ms) with bright harmonics, changing like
    gliding_voice."""
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 62 + 8 * np.sin(2 * np.pi * 1.3 * t)
    brightness = 0.75 + 0.15 * np.sin(2 * np.pi * 2.3 * t)
    return voice(pitch, brightness, harmonics=40, seed=seed)


def voice(pitch: np.ndarray, brightness: np.ndarray, *, harmonics: int, seed: int) -> np.ndarray:
    """Harmonics of a pitch (Hz, per sample) in syllables four times a second, plus faint
    noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(len(pitch)) / RATE
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voiced = sum(brightness**k * np.sin(k * phase) for k in range(1, harmonics + 1))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
    signal = voiced * syllables
    signal /= np.abs(signal).max()
    return (0.5 * signal + 1e-3 * rng.standard_normal(len(t))).astype(np.float32)


def steady_vowel(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    vowel = sum(0.7**k * np.sin(2 * np.pi * 125.0 * k * t) for k in range(1, 16))
    return (0.5 * vowel / np.abs(vowel).max()).astype(np.float32)


def with_stutter(audio: np.ndarray, *, at_s: float, chunk_ms: float) -> np.ndarray:
    """The chunk starting at `at_s` played twice."""
    start, length = int(at_s * RATE), int(chunk_ms * RATE / 1000)
    return np.concatenate(
        [audio[: start + length], audio[start : start + length], audio[start + length :]]
    )


def gains(audio: np.ndarray, *, block: int | None = None) -> np.ndarray:
    frames = -(-len(audio) // (RATE // 100))
    repeat_gain = RepeatGain(RATE)
    step = block or max(1, len(audio))
    parts = [repeat_gain.add(audio[i : i + step]) for i in range(0, len(audio), step)]
    return np.concatenate([*parts, repeat_gain.finish(frames)])


def test_a_chunk_played_twice_stands_out_over_its_second_play():
    audio = with_stutter(gliding_voice(3.0), at_s=1.5, chunk_ms=60)

    values = gains(audio)

    second_play = values[156:162]  # 1.56-1.62 s
    elsewhere = np.r_[values[:150], values[170:]]
    assert second_play.max() > 2.0, second_play
    assert elsewhere.max() < 0.5, elsewhere.max()


def test_a_steady_vowel_repeats_too_but_is_no_stutter():
    values = gains(steady_vowel(2.0))

    assert values.max() < 0.3


def test_a_deep_voice_is_predicted_by_its_own_long_period():
    values = gains(low_voice(3.0))

    assert values.max() < 0.3


def test_a_deep_voice_played_twice_still_stands_out():
    audio = with_stutter(low_voice(3.0, seed=1), at_s=1.5, chunk_ms=60)

    values = gains(audio)

    assert values[156:162].max() > 2.0
    assert np.r_[values[:150], values[170:]].max() < 0.5


def test_the_gain_does_not_depend_on_the_level():
    audio = with_stutter(gliding_voice(2.0, seed=1), at_s=1.0, chunk_ms=80)

    loud, quiet = gains(audio), gains(audio * 0.05)

    np.testing.assert_allclose(loud, quiet, atol=0.05)


def test_blocks_of_any_size_give_the_values_of_the_whole_file():
    audio = with_stutter(gliding_voice(2.5, seed=2), at_s=1.2, chunk_ms=45)

    whole = gains(audio)

    for block in (1_000, 4_099, 16_000):
        np.testing.assert_allclose(gains(audio, block=block), whole, atol=1e-3)


def test_every_frame_gets_a_value_and_silence_gets_none():
    for samples in (0, 100, 160, 12_345):
        values = gains(np.zeros(samples, np.float32))
        assert len(values) == -(-samples // 160)
        assert not values.any()
