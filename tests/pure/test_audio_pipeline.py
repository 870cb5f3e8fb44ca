"""The audio pipeline on real files of every accepted format, without Django or a database."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from datasets.audio.decode import AudioDecodeError, probe
from datasets.audio.features import DEFAULT_RECIPE, frame_boundary
from datasets.audio.peaks import PEAK_LEVELS, read_peaks
from datasets.audio.pipeline import process_audio
from tests.audio import write_wav, write_with_pyav, write_with_soundfile

HOUR_MS = 60 * 60 * 1000
STAT_COLUMN = {name: index for index, name in enumerate(DEFAULT_RECIPE.feature_names)}


def run(source: Path, tmp_path: Path, **kwargs):
    outputs = {
        "normalized_path": tmp_path / "normalized.wav",
        "features_path": tmp_path / "features.npy",
        "peaks_path": tmp_path / "peaks.npz",
    }
    result = process_audio(
        source, max_duration_ms=kwargs.pop("max_duration_ms", HOUR_MS), **outputs, **kwargs
    )
    return result, outputs


@pytest.mark.parametrize("sample_rate", [8_000, 16_000, 22_050, 44_100, 48_000])
@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT"])
def test_wav_of_any_rate_and_sample_format_is_processed(tmp_path, sample_rate, subtype):
    source = write_wav(tmp_path / "in.wav", seconds=1.23, sample_rate=sample_rate, subtype=subtype)

    result, outputs = run(source, tmp_path)

    assert result.sample_rate == sample_rate
    assert abs(result.duration_ms - 1230) <= 1
    features = np.load(outputs["features_path"])
    assert features.dtype == np.float16
    assert features.shape == (DEFAULT_RECIPE.frames_for(round(1.23 * sample_rate), sample_rate), 69)
    assert np.isfinite(features.astype(np.float32)).all()


def test_a_44k_stereo_file_gives_16k_mono_audio_of_the_same_length(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=2.5, sample_rate=44_100, channels=2)

    result, outputs = run(source, tmp_path)

    assert (result.sample_rate, result.channels, result.duration_ms) == (44_100, 2, 2500)
    normalized = sf.info(outputs["normalized_path"])
    assert (normalized.samplerate, normalized.channels) == (16_000, 1)
    assert abs(normalized.frames - 40_000) <= 16
    assert result.feature_frames == 250


@pytest.mark.parametrize(
    ("name", "writer", "expected_format"),
    [
        ("a.flac", dict(format="FLAC", subtype="PCM_16"), "flac"),
        ("a.ogg", dict(format="OGG", subtype="VORBIS"), "ogg"),
        ("a.opus", dict(format="OGG", subtype="OPUS"), "ogg"),
        ("a.mp3", dict(format="MP3", subtype="MPEG_LAYER_III"), "mp3"),
    ],
    ids=["flac", "ogg-vorbis", "ogg-opus", "mp3"],
)
def test_soundfile_formats_are_processed(tmp_path, name, writer, expected_format):
    sample_rate = 48_000 if "OPUS" in writer["subtype"] else 44_100
    source = write_with_soundfile(
        tmp_path / name, seconds=1.5, sample_rate=sample_rate, channels=2, **writer
    )

    result, _ = run(source, tmp_path, expected_formats={expected_format})

    assert result.format == expected_format
    assert result.channels == 2
    assert abs(result.duration_ms - 1500) <= 60  # lossy codecs pad a frame or two


@pytest.mark.parametrize(
    ("name", "container", "codec", "expected_format"),
    [("a.m4a", "mp4", "aac", "m4a"), ("a.webm", "webm", "libopus", "webm")],
    ids=["m4a-aac", "webm-opus"],
)
def test_pyav_formats_are_processed(tmp_path, name, container, codec, expected_format):
    source = write_with_pyav(
        tmp_path / name,
        seconds=1.5,
        sample_rate=48_000,
        channels=2,
        container=container,
        codec=codec,
    )

    result, outputs = run(source, tmp_path)

    assert result.format == expected_format
    assert result.channels == 2
    assert abs(result.duration_ms - 1500) <= 60
    assert np.load(outputs["features_path"]).shape[0] == result.feature_frames


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"These are my notes, not audio.\n" * 40, "could not be decoded"),
        (
            b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(range(200)),
            "could not be decoded",
        ),
    ],
    ids=["zero-bytes", "text", "corrupt-wav"],
)
def test_files_that_are_not_audio_raise_a_readable_error(tmp_path, content, message):
    source = tmp_path / "in.wav"
    source.write_bytes(content)

    with pytest.raises(AudioDecodeError, match=message):
        run(source, tmp_path)


def test_audio_over_the_duration_limit_is_refused(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=3.0)

    with pytest.raises(AudioDecodeError, match="the limit is 2 s"):
        run(source, tmp_path, max_duration_ms=2000)


def test_content_of_another_type_than_declared_is_refused(tmp_path):
    source = write_with_soundfile(
        tmp_path / "in.wav",
        seconds=1.0,
        sample_rate=44_100,
        channels=1,
        format="FLAC",
        subtype="PCM_16",
    )

    with pytest.raises(AudioDecodeError, match="FLAC"):
        run(source, tmp_path, expected_formats={"wav"})


def test_silence_is_audio(tmp_path):
    source = tmp_path / "silence.wav"
    sf.write(source, np.zeros((8_000, 2)), 16_000)

    result, outputs = run(source, tmp_path)

    features = np.load(outputs["features_path"]).astype(np.float32)
    assert result.duration_ms == 500
    assert (features[:, STAT_COLUMN["zero_fraction"]] == 1.0).all()


def test_block_size_does_not_change_the_features(tmp_path):
    source = write_wav(
        tmp_path / "in.wav", seconds=2.0, sample_rate=22_050, channels=2, clicks_at_ms=[700, 1313]
    )
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()

    _, small = run(source, tmp_path / "small", block_frames=1_001)
    _, large = run(source, tmp_path / "large", block_frames=1 << 20)

    small_features = np.load(small["features_path"]).astype(np.float32)
    large_features = np.load(large["features_path"]).astype(np.float32)
    assert small_features.shape == large_features.shape
    np.testing.assert_allclose(small_features, large_features, rtol=1e-2, atol=2e-2)


def test_statistics_put_a_click_in_its_frame(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=1.0, sample_rate=44_100, clicks_at_ms=[500])

    _, outputs = run(source, tmp_path)

    jumps = np.load(outputs["features_path"]).astype(np.float32)[:, STAT_COLUMN["max_jump"]]
    assert int(np.argmax(jumps)) == 50
    assert jumps[50] > 5 * np.percentile(np.delete(jumps, [49, 50, 51]), 99)


def test_frames_of_uneven_rates_tile_the_file_exactly():
    boundaries = frame_boundary(np.arange(101), 22_050, 10)

    assert boundaries[0] == 0
    assert boundaries[100] == 22_050
    assert set(np.diff(boundaries)) == {220, 221}


def test_peaks_choose_the_resolution_for_the_window(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=4.0, clicks_at_ms=[2000])
    _, outputs = run(source, tmp_path)

    with outputs["peaks_path"].open("rb") as peaks_file:
        overview = read_peaks(peaks_file, start_ms=0, end_ms=4000, points=200)
    with outputs["peaks_path"].open("rb") as peaks_file:
        zoomed = read_peaks(peaks_file, start_ms=1995, end_ms=2005, points=50)

    assert overview.samples_per_peak == 256
    assert len(overview.max) >= 200
    assert zoomed.samples_per_peak == PEAK_LEVELS[0]
    assert max(zoomed.max) > 0.9
    assert min(overview.min) >= -1
    assert max(overview.max) <= 1


def test_probe_reports_what_the_container_says(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=1.0, sample_rate=48_000, channels=2)

    info = probe(source)

    assert (info.sample_rate, info.channels, info.frames, info.format) == (48_000, 2, 48_000, "wav")
