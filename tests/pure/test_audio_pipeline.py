"""process_audio on real files: outputs, frame rule, statistics, log-mel, failures. No database."""

import itertools
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from datasets.audio.decode import AudioDecodeError
from datasets.audio.features import (
    DEFAULT_RECIPE,
    FeatureRecipe,
    frame_boundary,
    frame_count,
    prediction_filters,
)
from datasets.audio.pipeline import process_audio
from tests.audio import tone, write_wav, write_with_pyav, write_with_soundfile

HOUR_MS = 60 * 60 * 1000
COLUMN = {name: index for index, name in enumerate(DEFAULT_RECIPE.feature_names)}
STATISTICS = [
    "peak",
    "max_jump",
    "zero_fraction",
    "full_scale_fraction",
    "flat_fraction",
    "curvature_crest",
]


def run(source: Path, out: Path, **kwargs):
    out.mkdir(exist_ok=True)
    outputs = {
        "normalized_path": out / "normalized.wav",
        "features_path": out / "features.npy",
        "peaks_path": out / "peaks.npz",
    }
    kwargs.setdefault("max_duration_ms", HOUR_MS)
    return process_audio(source, **outputs, **kwargs), outputs


def load_features(outputs) -> np.ndarray:
    return np.load(outputs["features_path"]).astype(np.float32)


@pytest.mark.parametrize("sample_rate", [8_000, 16_000, 22_050, 44_100, 48_000])
@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT"])
def test_wav_of_any_rate_and_sample_format_is_processed(tmp_path, sample_rate, subtype):
    source = write_wav(tmp_path / "in.wav", seconds=1.234, sample_rate=sample_rate, subtype=subtype)

    result, outputs = run(source, tmp_path / "out")

    features = np.load(outputs["features_path"])
    samples = round(1.234 * sample_rate)
    assert (result.sample_rate, result.channels, result.format) == (sample_rate, 1, "wav")
    assert result.duration_ms == round(samples * 1000 / sample_rate)
    assert features.dtype == np.float16
    assert features.shape == (frame_count(samples, sample_rate, 10), len(COLUMN))
    assert result.feature_frames == features.shape[0]
    assert np.isfinite(features.astype(np.float32)).all()


def test_a_44k_stereo_file_gives_16k_mono_audio_features_and_its_facts(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=2.5, sample_rate=44_100, channels=2)

    result, outputs = run(source, tmp_path / "out")

    assert (result.sample_rate, result.channels, result.format) == (44_100, 2, "wav")
    assert abs(result.duration_ms - 2500) <= 10
    normalized = sf.info(outputs["normalized_path"])
    assert (normalized.samplerate, normalized.channels, normalized.subtype) == (16_000, 1, "PCM_16")
    assert abs(normalized.frames - 40_000) <= 1
    features = np.load(outputs["features_path"])
    assert (features.shape, features.dtype) == ((250, len(COLUMN)), np.float16)
    assert result.feature_frames == 250
    assert result.recipe == DEFAULT_RECIPE


def test_the_normalized_audio_is_the_channel_mean_at_16k_without_delay(tmp_path):
    t = np.arange(48_000) / 48_000
    sine = np.sin(2 * np.pi * 220.0 * t)
    source = tmp_path / "in.wav"
    sf.write(source, np.stack([0.4 * sine, 0.2 * sine], axis=1), 48_000, subtype="FLOAT")

    _, outputs = run(source, tmp_path / "out")

    normalized = sf.read(outputs["normalized_path"])[0]
    expected = 0.3 * np.sin(2 * np.pi * 220.0 * np.arange(16_000) / 16_000)
    interior = slice(400, -400)  # away from the resampler's edges
    np.testing.assert_allclose(normalized[interior], expected[interior], atol=1e-3)


@pytest.mark.parametrize(
    ("name", "container", "subtype", "expected_format"),
    [
        ("a.flac", "FLAC", "PCM_24", "flac"),
        ("a.ogg", "OGG", "VORBIS", "ogg"),
        ("a.opus", "OGG", "OPUS", "ogg"),
        ("a.mp3", "MP3", "MPEG_LAYER_III", "mp3"),
    ],
    ids=["flac", "ogg-vorbis", "ogg-opus", "mp3"],
)
def test_soundfile_formats_are_processed(tmp_path, name, container, subtype, expected_format):
    sample_rate = 48_000 if subtype == "OPUS" else 44_100
    source = write_with_soundfile(
        tmp_path / name, seconds=1.5, sample_rate=sample_rate, channels=2, format=container,
        subtype=subtype,
    )  # fmt: skip

    result, outputs = run(source, tmp_path / "out", expected_formats={expected_format})

    assert (result.format, result.channels, result.sample_rate) == (expected_format, 2, sample_rate)
    assert abs(result.duration_ms - 1500) <= 60  # lossy codecs pad a frame or two
    assert np.load(outputs["features_path"]).shape == (result.feature_frames, len(COLUMN))


@pytest.mark.parametrize(
    ("name", "container", "codec", "expected_format"),
    [
        ("a.m4a", "mp4", "aac", "m4a"),
        ("a.aac", "adts", "aac", "aac"),
        ("a.webm", "webm", "libopus", "webm"),
    ],
    ids=["m4a-aac", "adts-aac", "webm-opus"],
)  # fmt: skip
def test_pyav_formats_are_processed(tmp_path, name, container, codec, expected_format):
    source = write_with_pyav(
        tmp_path / name, seconds=1.5, sample_rate=48_000, channels=2, container=container,
        codec=codec,
    )  # fmt: skip

    result, outputs = run(source, tmp_path / "out", expected_formats={expected_format})

    assert (result.format, result.channels, result.sample_rate) == (expected_format, 2, 48_000)
    assert abs(result.duration_ms - 1500) <= 60
    assert np.load(outputs["features_path"]).shape == (result.feature_frames, len(COLUMN))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"The file is empty \(0 bytes\)\."),
        (b"These are my notes, not audio.\n" * 40, "could not be decoded as audio"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(range(200)), "not be decoded"),
    ],
    ids=["zero-bytes", "text-named-wav", "corrupt-bytes"],
)  # fmt: skip
def test_files_that_are_not_audio_raise_a_readable_error(tmp_path, content, message):
    source = tmp_path / "in.wav"
    source.write_bytes(content)

    with pytest.raises(AudioDecodeError, match=message):
        run(source, tmp_path / "out")


def test_a_wav_without_samples_is_refused(tmp_path):
    source = tmp_path / "in.wav"
    sf.write(source, np.zeros((0, 1)), 16_000)

    with pytest.raises(AudioDecodeError, match=r"^The file contains no audio samples\.$"):
        run(source, tmp_path / "out")


def test_audio_over_the_duration_limit_is_refused_with_both_lengths(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=3.0)

    with pytest.raises(AudioDecodeError) as raised:
        run(source, tmp_path / "out", max_duration_ms=2000)

    assert str(raised.value) == "The audio is 3 s long; the limit is 2 s."


def test_an_hour_and_two_minutes_reads_as_such(tmp_path):
    source = tmp_path / "long.wav"
    sf.write(source, np.zeros(62 * 60 * 1_000, np.float32), 1_000, subtype="PCM_U8")

    with pytest.raises(AudioDecodeError) as raised:
        run(source, tmp_path / "out", max_duration_ms=HOUR_MS)

    assert str(raised.value) == "The audio is 1 h 2 min long; the limit is 1 h."


def test_a_stream_without_a_declared_length_stops_at_the_limit(tmp_path):
    source = write_with_pyav(tmp_path / "in.webm", seconds=3.0, container="webm", codec="libopus")

    with pytest.raises(AudioDecodeError, match=r"^The audio is longer than 2 s, the limit\.$"):
        run(source, tmp_path / "out", max_duration_ms=2000)


@pytest.mark.parametrize(
    ("writer", "declared", "message"),
    [
        (lambda p: write_with_soundfile(p, format="MP3", subtype="MPEG_LAYER_III"), {"wav"},
         "The file holds MP3 audio, but it was declared as WAV"),
        (lambda p: write_with_soundfile(p, format="FLAC", subtype="PCM_16"), {"wav"},
         "The file holds FLAC audio, but it was declared as WAV"),
        (lambda p: write_with_pyav(p, container="mp4", codec="aac"), {"ogg", "opus"},
         "The file holds M4A audio, but it was declared as OGG/OPUS"),
        (lambda p: write_wav(p), {"mp3"}, "The file holds WAV audio, but it was declared as MP3"),
    ],
    ids=["mp3-as-wav", "flac-as-wav", "m4a-as-ogg", "wav-as-mp3"],
)  # fmt: skip
def test_content_of_another_type_than_declared_is_refused(tmp_path, writer, declared, message):
    source = writer(tmp_path / "upload.wav")

    with pytest.raises(AudioDecodeError, match=message):
        run(source, tmp_path / "out", expected_formats=declared)


def test_silence_is_audio(tmp_path):
    source = tmp_path / "silence.wav"
    sf.write(source, np.zeros((8_000, 2)), 16_000)

    result, outputs = run(source, tmp_path / "out")

    features = load_features(outputs)
    assert result.duration_ms == 500
    assert features.shape[0] == 50
    assert (features[:, COLUMN["zero_fraction"]] == 1).all()
    assert (features[:, [COLUMN["peak"], COLUMN["max_jump"]]] == 0).all()
    assert (features[:, COLUMN["mel_0"] : COLUMN["log_energy"] + 1] < -20).all()  # log floor


def test_block_size_does_not_change_any_output(tmp_path):
    source = write_wav(
        tmp_path / "in.wav", seconds=2.0, sample_rate=22_050, channels=2, clicks_at_ms=[700, 1313]
    )

    _, small = run(source, tmp_path / "small", block_frames=1_001)
    _, large = run(source, tmp_path / "large", block_frames=1 << 20)

    small_features, large_features = load_features(small), load_features(large)
    assert small_features.shape == large_features.shape
    np.testing.assert_allclose(small_features, large_features, rtol=2e-3, atol=2e-3)
    small_audio = sf.read(small["normalized_path"], dtype="int16")[0]
    large_audio = sf.read(large["normalized_path"], dtype="int16")[0]
    assert np.abs(small_audio.astype(int) - large_audio).max() <= 1
    with np.load(small["peaks_path"]) as small_peaks, np.load(large["peaks_path"]) as large_peaks:
        for name in small_peaks.files:
            assert np.abs(small_peaks[name] - large_peaks[name]).max() <= 1, name


def reference_statistics(samples: np.ndarray, sample_rate: int, recipe: FeatureRecipe):
    """The statistics computed the slow, obvious way on the whole file: (frames, 6)."""
    # samples: (samples, channels)
    frames = frame_count(len(samples), sample_rate, recipe.hop_ms)
    bounds = np.minimum(
        frame_boundary(np.arange(frames + 1), sample_rate, recipe.hop_ms), len(samples)
    )
    magnitude = np.abs(samples).max(axis=1)
    jump = np.abs(np.diff(samples, axis=0, prepend=samples[:1])).max(axis=1)
    is_flat = (jump == 0) & (magnitude >= recipe.flat_min_level)
    signed_jump = np.diff(samples, axis=0, prepend=samples[:1])
    curve = np.abs(np.diff(signed_jump, axis=0, prepend=np.zeros((1, samples.shape[1]))))
    rows = []
    for start, end in itertools.pairwise(bounds):
        frame = slice(start, end)
        rms = np.sqrt(np.mean(curve[frame].astype(np.float64) ** 2))
        rows.append([
            magnitude[frame].max(),
            jump[frame].max(),
            (samples[frame] == 0).all(axis=1).mean(),
            (magnitude[frame] >= recipe.near_full_scale).mean(),
            is_flat[frame].mean(),
            curve[frame].max() / rms if rms > 0 else 0.0,
        ])  # fmt: skip
    return np.array(rows, np.float32)


@pytest.mark.parametrize(("sample_rate", "channels"), [(22_050, 2), (11_025, 1), (48_000, 3)])
def test_statistics_match_a_direct_computation_on_odd_rates_and_channels(
    tmp_path, sample_rate, channels
):
    samples = tone(seconds=1.5, sample_rate=sample_rate, channels=channels)
    samples[: sample_rate // 10, 0] = 0  # one channel silent: not a zero sample
    samples[:200] = 0.3  # a flat start: no jump into the file's first sample
    samples[sample_rate // 3 : sample_rate // 2] = 0  # a dropout on every channel
    samples[sample_rate // 2 + 7, -1] = 0.8  # a click on the last channel only
    samples[sample_rate : sample_rate + 333] = np.clip(
        samples[sample_rate : sample_rate + 333] * 4, -0.99, 0.99
    )
    source = tmp_path / "in.wav"
    sf.write(source, samples, sample_rate, subtype="FLOAT")
    exact = sf.read(source, dtype="float32", always_2d=True)[0]

    _, outputs = run(source, tmp_path / "out", block_frames=4_097)

    features = load_features(outputs)[:, [COLUMN[name] for name in STATISTICS]]
    expected = reference_statistics(exact, sample_rate, DEFAULT_RECIPE)
    np.testing.assert_allclose(features, expected.astype(np.float16), rtol=1e-3, atol=1e-4)
    # The file really holds a dropout, clipped samples and flat tops: the comparison means much.
    assert expected[:, 2].max() == 1
    assert expected[:, 3].max() > 0.2
    assert expected[:, 4].max() > 0.2


def test_log_mel_matches_librosa_on_windows_centred_in_each_frame(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=1.0, sample_rate=16_000, subtype="FLOAT")
    recipe = DEFAULT_RECIPE

    _, outputs = run(source, tmp_path / "out", block_frames=3_000)

    samples = sf.read(source, dtype="float32")[0]
    lead = (recipe.window_samples - recipe.hop_samples) // 2  # window i centres on (i + 0.5) hop
    padded = np.concatenate([np.zeros(lead), samples, np.zeros(recipe.window_samples)])
    mel_power = librosa.feature.melspectrogram(
        y=padded, sr=16_000, n_fft=recipe.n_fft, hop_length=recipe.hop_samples,
        win_length=recipe.window_samples, window="hann", center=False, power=2.0,
        n_mels=recipe.n_mels, fmin=recipe.fmin_hz, fmax=recipe.fmax_hz,
    )[:, :100]  # fmt: skip
    mel_columns = [COLUMN[f"mel_{band}"] for band in range(recipe.n_mels)]
    features = load_features(outputs)
    np.testing.assert_allclose(features[:, mel_columns], np.log(mel_power.T + 1e-10), atol=0.05)


def test_log_energy_is_the_log_mean_square_of_a_steady_signal(tmp_path):
    source = tmp_path / "in.wav"
    sf.write(source, np.full(16_000, 0.5), 16_000, subtype="FLOAT")

    _, outputs = run(source, tmp_path / "out")

    log_energy = load_features(outputs)[5:-5, COLUMN["log_energy"]]
    np.testing.assert_allclose(log_energy, np.log(0.25), atol=0.01)


def test_a_click_lands_in_its_frame(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=1.0, sample_rate=44_100, clicks_at_ms=[500])

    _, outputs = run(source, tmp_path / "out")

    jumps = load_features(outputs)[:, COLUMN["max_jump"]]
    assert int(np.argmax(jumps)) == 50
    assert jumps[50] > 5 * np.percentile(np.delete(jumps, [49, 50, 51]), 99)


def test_a_click_far_quieter_than_the_speech_stands_out_of_the_curvature_crest(tmp_path):
    sample_rate = 16_000
    t = np.arange(sample_rate) / sample_rate
    noise = 0.002 * np.random.default_rng(0).standard_normal(t.size)
    samples = 0.5 * np.sin(2 * np.pi * 180 * t) + 0.2 * np.sin(2 * np.pi * 1_100 * t) + noise
    samples[8_003:8_005] += 0.04  # a 2-sample step, a twelfth of the signal's peak
    source = tmp_path / "in.wav"
    sf.write(source, samples, sample_rate, subtype="FLOAT")

    _, outputs = run(source, tmp_path / "out")

    features = load_features(outputs)
    crest = features[1:, COLUMN["curvature_crest"]]  # the first frame has no history
    jumps = features[1:, COLUMN["max_jump"]]
    assert int(np.argmax(crest)) == 49
    assert crest[49] > 1.5 * np.percentile(np.delete(crest, [49]), 99)
    assert jumps[49] < np.percentile(jumps, 90)  # the jump alone does not show it


@pytest.mark.parametrize("sample_rate", [8_000, 22_050])
def test_a_quiet_click_stands_out_of_the_residual_crest_at_any_sample_rate(tmp_path, sample_rate):
    t = np.arange(sample_rate) / sample_rate
    noise = 0.002 * np.random.default_rng(0).standard_normal(t.size)
    samples = 0.5 * np.sin(2 * np.pi * 180 * t) + 0.2 * np.sin(2 * np.pi * 1_100 * t) + noise
    click_at = sample_rate // 2 + 3  # in frame 50
    samples[click_at : click_at + 2] += 0.04  # a twelfth of the signal's peak
    source = tmp_path / "in.wav"
    sf.write(source, samples, sample_rate, subtype="FLOAT")

    _, outputs = run(source, tmp_path / "out")

    # The first and last frames' windows reach into the silence beyond the file.
    crest = load_features(outputs)[2:-2, COLUMN["residual_crest"]]
    assert int(np.argmax(crest)) == 48
    assert crest[48] > 1.25 * np.percentile(np.delete(crest, [48]), 99)


def test_the_predictor_of_an_autoregressive_signal_is_its_own_recursion():
    # x[n] = 1.3 x[n-1] - 0.6 x[n-2] + noise: the prediction-error filter is [1, -1.3, 0.6].
    noise = np.random.default_rng(0).standard_normal(200_000)
    signal = np.zeros_like(noise)
    for n in range(2, len(signal)):
        signal[n] = 1.3 * signal[n - 1] - 0.6 * signal[n - 2] + noise[n]
    autocorrelation = np.array([[signal[: len(signal) - lag] @ signal[lag:] for lag in range(4)]])

    filters = prediction_filters(autocorrelation.astype(np.float32))

    np.testing.assert_allclose(filters[0], [1.0, -1.3, 0.6, 0.0], atol=0.02)


def test_a_silent_window_gets_the_identity_predictor():
    filters = prediction_filters(np.zeros((2, 13), np.float32))

    np.testing.assert_array_equal(filters, np.eye(1, 13, dtype=np.float32).repeat(2, axis=0))


def test_the_residual_crest_does_not_depend_on_gain(tmp_path):
    loud = write_wav(tmp_path / "loud.wav", seconds=1.0, clicks_at_ms=(500,))
    samples, sample_rate = sf.read(loud)
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, samples / 8, sample_rate, subtype="FLOAT")  # 18 dB down

    _, quiet_outputs = run(quiet, tmp_path / "quiet_out")
    _, loud_outputs = run(loud, tmp_path / "loud_out")

    quiet_crest = load_features(quiet_outputs)[:, COLUMN["residual_crest"]]
    loud_crest = load_features(loud_outputs)[:, COLUMN["residual_crest"]]
    np.testing.assert_allclose(loud_crest, quiet_crest, rtol=0.02, atol=0.05)


def test_frames_of_uneven_rates_tile_the_file_exactly():
    boundaries = frame_boundary(np.arange(101), 22_050, 10)

    assert boundaries[0] == 0
    assert boundaries[100] == 22_050
    assert set(np.diff(boundaries)) == {220, 221}


@pytest.mark.parametrize("sample_rate", [8_000, 11_025, 22_050, 44_100, 48_000])
def test_the_frame_count_is_the_frames_that_start_before_the_end(sample_rate):
    for samples in [1, 219, 220, 221, 441, 442, 22_049, 22_050, 22_051, 1_000_003]:
        starts = frame_boundary(np.arange(samples + 1), sample_rate, 10)

        assert frame_count(samples, sample_rate, 10) == int((starts < samples).sum())


def test_the_recipe_round_trips_and_names_every_column():
    recipe = FeatureRecipe(n_mels=40)

    data = recipe.to_dict()

    assert FeatureRecipe.from_dict(data) == recipe
    assert data["version"] == "relay-features-5"
    assert data["feature_names"][:2] == ["mel_0", "mel_1"]
    assert data["feature_names"][40:] == [
        "log_energy",
        *STATISTICS,
        "residual_crest",
        "repeat_gain",
    ]


def test_a_recipe_from_a_newer_relay_is_refused():
    with pytest.raises(ValueError, match="Unknown feature recipe fields: wavelets"):
        FeatureRecipe.from_dict({**DEFAULT_RECIPE.to_dict(), "wavelets": 3})
