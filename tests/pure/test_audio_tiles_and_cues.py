"""Spectrogram tiles and cues from what processing stores: the PNG encoder, the two tile sources
meeting without a seam, and the suspicious times the `.` and `,` keys jump to."""

import io
import struct
import zlib

import numpy as np
import pytest
import soundfile as sf

from datasets.audio.cues import find_cues
from datasets.audio.features import DEFAULT_RECIPE
from datasets.audio.pipeline import process_audio
from datasets.audio.tiles import (
    BEYOND_END,
    FeatureRows,
    encode_png,
    mel_filterbank,
    overview_columns,
    to_image,
    zoomed_columns,
)

RATE = 16_000


def decode_png(data: bytes) -> np.ndarray:
    """A minimal reader for encode_png's output (8-bit RGB, filter 0 rows): (height, width, 3)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


def test_encode_png_round_trips_pixels():
    pixels = np.random.default_rng(1).integers(0, 256, (7, 5, 3), dtype=np.uint8)

    assert (decode_png(encode_png(pixels)) == pixels).all()


def speech_like(seconds: float, *, seed: int = 0) -> np.ndarray:
    """Noise bursts in a 200 Hz tone: loud and quiet stretches, something to see in a tile."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * t)
    return (
        0.3 * envelope * np.sin(2 * np.pi * 200 * t) + 0.02 * rng.standard_normal(t.size)
    ).astype(np.float32)


@pytest.fixture
def processed(tmp_path):
    samples = speech_like(3.0)
    samples[16_000] = 0.95  # a click at 1000 ms
    samples[32_000:32_800] = 0.0  # 50 ms of dropout at 2000 ms
    samples[24_000:24_800] = np.clip(samples[24_000:24_800] * 8, -0.6, 0.6)  # flat tops at 1500 ms
    source = tmp_path / "source.wav"
    sf.write(source, samples, RATE, subtype="FLOAT")
    paths = {name: tmp_path / name for name in ("normalized.wav", "features.npy", "peaks.npz")}
    process_audio(
        source,
        normalized_path=paths["normalized.wav"],
        features_path=paths["features.npy"],
        peaks_path=paths["peaks.npz"],
        max_duration_ms=60_000,
    )
    return paths


def test_overview_and_zoomed_tiles_agree_where_they_meet(processed):
    """At 10 ms per pixel the stored log-mels and the audio's own log-mels are the same
    numbers, so switching source while zooming changes nothing on screen."""
    with open(processed["features.npy"], "rb") as features:
        stored = overview_columns(
            FeatureRows(features), recipe=DEFAULT_RECIPE, start_ms=500, end_ms=1500, width=100
        )
    with open(processed["normalized.wav"], "rb") as wav:
        computed = zoomed_columns(wav, recipe=DEFAULT_RECIPE, start_ms=500, end_ms=1500, width=100)

    assert stored.shape == computed.shape == (100, DEFAULT_RECIPE.n_mels)
    assert np.abs(stored - computed).max() < 0.05  # float16 storage


def test_columns_past_the_end_are_marked(processed):
    with open(processed["normalized.wav"], "rb") as wav:
        columns = zoomed_columns(wav, recipe=DEFAULT_RECIPE, start_ms=2900, end_ms=3100, width=40)
    image = to_image(columns, 16)

    assert np.isnan(columns[-5:, 0]).all()
    assert not np.isnan(columns[:15, 0]).any()
    assert (image[:, -1] == BEYOND_END).all()
    assert (decode_png(encode_png(image)) == image).all()


def test_an_hour_wide_overview_reads_a_few_frames_per_pixel(processed):
    class CountingFile(io.BytesIO):
        bytes_read = 0

        def read(self, size=-1):
            data = super().read(size)
            CountingFile.bytes_read += len(data)
            return data

    rows = FeatureRows(CountingFile(processed["features.npy"].read_bytes()))
    columns = overview_columns(rows, recipe=DEFAULT_RECIPE, start_ms=0, end_ms=3000, width=10)

    assert columns.shape == (10, DEFAULT_RECIPE.n_mels)
    assert CountingFile.bytes_read < 10 * 3 * rows.row_bytes + 1024  # not all 300 rows


def test_cues_find_the_click_the_dropout_and_the_flat_tops(processed):
    with open(processed["features.npy"], "rb") as features:
        rows = FeatureRows(features)
        forwards = find_cues(rows, recipe=DEFAULT_RECIPE, after_ms=0, limit=10)
        after_click = find_cues(rows, recipe=DEFAULT_RECIPE, after_ms=1000, limit=1)
        backwards = find_cues(rows, recipe=DEFAULT_RECIPE, before_ms=2400, limit=10)

    kinds = [(cue.kind, cue.time_ms) for cue in forwards]
    assert kinds[0] == ("jump", 1000)
    assert ("flat_top", 1500) in kinds  # (the eightfold gain there makes jumps too)
    assert ("zero_run", 2000) in kinds
    assert {time_ms for _, time_ms in kinds} <= {1000, 1500, 1510, 1520, 1530, 1540, 2000}
    assert after_click[0].time_ms == 1500
    assert backwards[0].time_ms == 2000
    assert backwards[-1].time_ms == 1000
    assert forwards[0].strength > 0.5


def test_find_cues_takes_one_direction(processed):
    with (
        open(processed["features.npy"], "rb") as features,
        pytest.raises(ValueError, match="exactly one"),
    ):
        find_cues(FeatureRows(features), recipe=DEFAULT_RECIPE, limit=1)


def test_the_tile_filterbank_is_the_stored_features_filterbank():
    librosa = pytest.importorskip("librosa")
    recipe = DEFAULT_RECIPE
    expected = librosa.filters.mel(
        sr=recipe.sample_rate,
        n_fft=recipe.n_fft,
        n_mels=recipe.n_mels,
        fmin=recipe.fmin_hz,
        fmax=recipe.fmax_hz,
    )

    assert np.allclose(mel_filterbank(recipe), expected.T, rtol=1e-5, atol=1e-8)
