"""The speech engines: espeak-ng through the library espeakng-loader ships, the `espeak-ng` program
when that library cannot load, a clear error naming what to install when neither can, the small
interface another engine implements to speak a whole corpus, flite (a second engine: held-out
and own-engine corpora) and festival (a third, kept for test corpora only)."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from datasets.synthetic import EngineUnavailable, Speech, SpeechEngine, speak
from datasets.synthetic import engines as engines_module
from datasets.synthetic.clips import ClipBuilder
from datasets.synthetic.engines import (
    EspeakLibrary,
    EspeakProgram,
    FestivalProgram,
    FliteProgram,
    open_espeak,
)
from datasets.synthetic.profiles import load_profile
from datasets.synthetic.verify import measure_clip

SENTENCE = "The kettle clicked off just as the phone began to ring."
IMPLEMENTATIONS = [EspeakLibrary, EspeakProgram]


def fundamental_hz(samples: np.ndarray, sample_rate: int) -> float:
    """Median pitch of the loud 40 ms frames, from each frame's autocorrelation peak."""
    frame = sample_rate * 40 // 1000
    shortest, longest = sample_rate // 400, sample_rate // 60
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
    loud = frames[np.sqrt(np.mean(frames**2, axis=1)) > 0.3 * np.abs(samples).max() / 3]
    pitches = []
    for chunk in loud:
        chunk = chunk - chunk.mean()
        correlation = np.correlate(chunk, chunk, mode="full")[frame - 1 :]
        lag = shortest + int(np.argmax(correlation[shortest:longest]))
        pitches.append(sample_rate / lag)
    return float(np.median(pitches))


def require_the_program() -> None:
    """Skips a test of the `espeak-ng` program where it is not installed (pip alone brings the
    library); CI installs it, and there its absence fails the test."""
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI") or os.environ.get("RELAY_REQUIRE_INTEGRATION"):
            pytest.fail("the espeak-ng program is missing; .ci/run installs the Debian package")
        pytest.skip("the espeak-ng program is not installed (apt-get install espeak-ng)")


def require_program(program: str, install: str) -> None:
    """Skips a test of another engine's program where it is not installed; CI installs it
    (.ci/run), and there its absence fails the test."""
    if shutil.which(program) is None:
        if os.environ.get("CI") or os.environ.get("RELAY_REQUIRE_INTEGRATION"):
            pytest.fail(f"the {program} program is missing; .ci/run installs the Debian package")
        pytest.skip(f"the {program} program is not installed ({install})")


def require_flite() -> None:
    require_program("flite", "apt-get install flite")


def require_festival() -> None:
    require_program("festival", "apt-get install festival festvox-…")


@pytest.fixture(params=IMPLEMENTATIONS, ids=["library", "program"])
def engine(request) -> SpeechEngine:
    if request.param is EspeakProgram:
        require_the_program()
    return request.param()


def test_speak_returns_mono_speech_at_espeaks_native_rate():
    samples, sample_rate = speak(SENTENCE, voice="en-us", speed_wpm=160, pitch=40)

    assert sample_rate == 22_050
    assert samples.ndim == 1
    assert samples.dtype == np.float64
    assert 2.0 < len(samples) / sample_rate < 6.0
    assert 0.1 < np.abs(samples).max() < 1.0


def test_both_implementations_speak_at_the_speed_and_pitch_asked(engine):
    slow = engine.speak(SENTENCE, voice="en", speed_wpm=120, pitch=50)
    fast = engine.speak(SENTENCE, voice="en", speed_wpm=240, pitch=50)
    low = engine.speak(SENTENCE, voice="en", speed_wpm=175, pitch=10)
    high = engine.speak(SENTENCE, voice="en", speed_wpm=175, pitch=90)

    assert fast.duration_s < 0.7 * slow.duration_s
    assert fundamental_hz(high.samples, high.sample_rate) > 1.3 * fundamental_hz(
        low.samples, low.sample_rate
    )
    assert engine.describe()["name"] == "espeak-ng"
    assert engine.describe()["version"]


def test_an_unknown_voice_or_setting_is_a_value_error(engine):
    with pytest.raises(ValueError, match="no voice 'xx-nowhere'"):
        engine.speak("Hello.", voice="xx-nowhere", speed_wpm=175, pitch=50)
    with pytest.raises(ValueError, match="speed_wpm"):
        engine.speak("Hello.", voice="en", speed_wpm=20, pitch=50)
    with pytest.raises(ValueError, match="pitch"):
        engine.speak("Hello.", voice="en", speed_wpm=175, pitch=120)


def test_a_sentence_with_a_pause_holds_exactly_that_silence_between_two_halves(engine):
    speech, pause_start = engine.speak_with_pause(
        "He spent the whole afternoon", "repairing the garden fence.",
        pause_ms=800, voice="en-gb-x-rp", speed_wpm=160, pitch=45,
    )  # fmt: skip

    length = speech.sample_rate * 800 // 1000
    silence = speech.samples[pause_start : pause_start + length]
    assert not silence.any()
    assert np.abs(speech.samples[pause_start - 2000 : pause_start]).max() > 0.001
    assert np.abs(speech.samples[pause_start + length : pause_start + length + 2000]).max() > 0.001
    assert speech.duration_s > 0.8 + 1.5


def test_the_program_speaks_when_the_library_cannot_load(monkeypatch):
    import espeakng_loader

    require_the_program()
    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nowhere/libespeak-ng.so")

    engine = open_espeak()

    assert isinstance(engine, EspeakProgram)
    assert engine.speak("Hello there.", voice="en", speed_wpm=175, pitch=50).duration_s > 0.3


def test_without_library_or_program_the_error_says_what_to_install(monkeypatch):
    import espeakng_loader

    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nowhere/libespeak-ng.so")
    monkeypatch.setattr(engines_module.shutil, "which", lambda program: None)

    with pytest.raises(EngineUnavailable) as raised:
        open_espeak()

    message = str(raised.value)
    assert "pip install espeakng-loader" in message
    assert "apt-get install espeak-ng" in message
    assert "/nowhere/libespeak-ng.so" in message


def test_a_corpus_spoken_by_the_program_is_made_the_same_twice(tmp_path):
    from datasets.synthetic import generate_corpus

    require_the_program()
    profile = {**load_profile("tiny").source, "n_clips": 3, "engine": "espeak-ng-program"}

    first = generate_corpus(tmp_path / "first", profile=profile, jobs=2)
    second = generate_corpus(tmp_path / "second", profile=profile, jobs=1)

    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["engine"]["implementation"] == "program"
    for path in sorted(first.iterdir()):
        assert (second / path.name).read_bytes() == path.read_bytes(), path.name


class HummingEngine(SpeechEngine):
    """A stand-in for another TTS engine: each word a 300 ms harmonic hum, 20 ms apart."""

    name = "humming"
    implementation = "test"
    version = "1"

    def speak(self, text: str, *, voice: str, speed_wpm: int, pitch: int) -> Speech:
        rate = 16_000
        times = np.arange(rate * 300 // 1000) / rate
        hum = sum(np.sin(2 * np.pi * (100 + pitch) * k * times) / k for k in range(1, 6))
        word = 0.4 * hum * np.minimum(1, 10 * np.hanning(len(times)))  # 15 ms fades
        gap = np.zeros(rate * 20 // 1000)
        pieces = [piece for _ in text.split() for piece in (word, gap)]
        return Speech(np.concatenate([gap, *pieces]), rate)


def test_a_clip_can_be_spoken_by_another_engine_behind_the_same_interface(tmp_path: Path):
    profile = load_profile(
        {
            **load_profile("tiny").source,
            "events_per_clip": {"4": 1},
            "formats": ["wav_float"],
            "channels": [1],
            "sample_rates": [16_000],
        }
    )
    builder = ClipBuilder(
        profile=profile,
        engine=HummingEngine(),
        sentences=profile.load_sentences(),
        seed=3,
        index=0,
    )

    entry = builder.build(tmp_path, "train")

    samples, rate = sf.read(tmp_path / entry["filename"])
    values = dict(
        zip(
            [event["artifact_type"] for event in entry["events"]],
            measure_clip(samples, rate, entry["events"]),
            strict=True,
        )
    )
    assert len(entry["events"]) >= 3
    assert entry["voice"] in profile.voices.values
    for kind, value in values.items():
        if kind == "long_pause":
            assert value < -30
        elif kind == "stutter":
            assert value > 0.8
        elif kind in ("click", "clipping"):
            assert value > 2
        else:
            assert value < -30


def test_flite_speaks_each_voice_at_its_own_rate_and_the_speed_asked():
    require_flite()
    engine = FliteProgram()

    slow = engine.speak(SENTENCE, voice="slt", speed_wpm=120, pitch=50)
    fast = engine.speak(SENTENCE, voice="slt", speed_wpm=240, pitch=50)
    narrowband = engine.speak(SENTENCE, voice="kal", speed_wpm=175, pitch=50)

    assert slow.sample_rate == 16_000
    assert narrowband.sample_rate == 8_000
    assert slow.samples.ndim == 1
    assert 0.1 < np.abs(slow.samples).max() < 1.0
    assert 1.6 < slow.duration_s / fast.duration_s < 2.4
    assert 80 < fundamental_hz(slow.samples, slow.sample_rate) < 400
    assert engine.describe() == {
        "name": "flite",
        "implementation": "program",
        "version": engine.version,
    }
    assert engine.version.startswith("flite-")


@pytest.mark.parametrize(
    ("engine_name", "voice", "file_format", "sample_rate"),
    [("flite", "rms", "wav_pcm16", 44_100), ("festival", "cmu_us_slt_arctic_hts", "flac", 48_000)],
)
def test_a_clip_spoken_by_another_engine_holds_its_labelled_artifacts(
    tmp_path: Path, engine_name: str, voice: str, file_format: str, sample_rate: int
):
    {"flite": require_flite, "festival": require_festival}[engine_name]()
    profile = load_profile(
        {
            **load_profile("tiny").source,
            "engine": engine_name,
            "voices": [voice],
            "events_per_clip": {"4": 1},
            "formats": [file_format],
            "channels": [2],
            "sample_rates": [sample_rate],
        }
    )
    engine = engines_module.ENGINE_OPENERS[engine_name]()
    builder = ClipBuilder(
        profile=profile, engine=engine, sentences=profile.load_sentences(), seed=5, index=0
    )

    entry = builder.build(tmp_path, "test")

    samples, rate = sf.read(tmp_path / entry["filename"])
    assert rate == sample_rate
    assert samples.shape[1] == 2
    assert entry["voice"] == voice
    assert len(entry["events"]) == 4
    values = measure_clip(samples[:, 0], rate, entry["events"])
    for event, value in zip(entry["events"], values, strict=True):
        if event["artifact_type"] in ("long_pause", "dropout"):
            assert value < -30, event
        elif event["artifact_type"] == "stutter":
            assert value > 0.8, event
        else:
            assert value > 2, event


def test_festival_speaks_each_voice_at_its_own_rate_and_the_speed_asked():
    require_festival()
    engine = FestivalProgram()

    for voice, native_rate in (("kal_diphone", 16_000), ("cmu_us_slt_arctic_hts", 32_000)):
        slow = engine.speak(SENTENCE, voice=voice, speed_wpm=120, pitch=50)
        fast = engine.speak(SENTENCE, voice=voice, speed_wpm=240, pitch=50)

        assert slow.sample_rate == fast.sample_rate == native_rate, voice
        assert slow.samples.ndim == 1
        assert 0.1 < np.abs(slow.samples).max() <= 1.0
        assert 1.6 < slow.duration_s / fast.duration_s < 2.4, voice
        assert 60 < fundamental_hz(slow.samples, slow.sample_rate) < 400, voice
    assert engine.describe() == {
        "name": "festival",
        "implementation": "program",
        "version": engine.version,
    }
    assert engine.version.startswith("2.")


def test_festival_diphone_voices_speak_at_the_pitch_asked_and_hts_voices_keep_theirs():
    require_festival()
    engine = FestivalProgram()

    def pitch_hz(voice: str, pitch: int) -> float:
        speech = engine.speak(SENTENCE, voice=voice, speed_wpm=175, pitch=pitch)
        return fundamental_hz(speech.samples, speech.sample_rate)

    assert pitch_hz("kal_diphone", 90) > 1.3 * pitch_hz("kal_diphone", 10)
    low, high = pitch_hz("cmu_us_slt_arctic_hts", 10), pitch_hz("cmu_us_slt_arctic_hts", 90)
    assert abs(high - low) < 0.05 * low


def test_festival_speaks_quotes_and_backslashes_as_text():
    require_festival()
    engine = FestivalProgram()

    plain = engine.speak("He said yes, then left.", voice="ked_diphone", speed_wpm=175, pitch=50)
    quoted = engine.speak(
        'He said "yes", then left.\\") (exit)', voice="ked_diphone", speed_wpm=175, pitch=50
    )

    assert quoted.duration_s > 0.8 * plain.duration_s


@pytest.mark.parametrize(
    ("engine_name", "voice", "missing_voice"),
    [("flite", "slt", "en-us"), ("festival", "kal_diphone", "slt")],
)
def test_another_engine_refuses_a_voice_it_lacks_and_settings_out_of_range(
    engine_name: str, voice: str, missing_voice: str
):
    {"flite": require_flite, "festival": require_festival}[engine_name]()
    engine = engines_module.ENGINE_OPENERS[engine_name]()

    with pytest.raises(ValueError, match=f"{engine_name} has no voice '{missing_voice}'"):
        engine.speak("Hello.", voice=missing_voice, speed_wpm=175, pitch=50)
    with pytest.raises(ValueError, match="speed_wpm"):
        engine.speak("Hello.", voice=voice, speed_wpm=20, pitch=50)
    with pytest.raises(ValueError, match="pitch"):
        engine.speak("Hello.", voice=voice, speed_wpm=175, pitch=120)


@pytest.mark.parametrize(
    ("opener", "install"),
    [
        (FliteProgram, "apt-get install flite"),
        (FestivalProgram, "apt-get install festival festvox-kallpc16k"),
    ],
)
def test_without_another_engines_program_the_error_says_what_to_install(
    monkeypatch, opener, install: str
):
    monkeypatch.setattr(engines_module.shutil, "which", lambda program: None)

    with pytest.raises(EngineUnavailable, match=install):
        opener()
