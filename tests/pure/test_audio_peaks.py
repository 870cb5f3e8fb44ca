"""Waveform peaks: written while streaming, read back a window at a time at the right level."""

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from datasets.audio.peaks import PEAK_LEVELS, PeakWriter, read_peaks
from datasets.audio.pipeline import process_audio
from tests.audio import write_wav


class CountingReader(io.RawIOBase):
    """A file that counts the bytes read from it, optionally refusing to seek (like a stream)."""

    def __init__(self, path: Path, *, is_seekable: bool = True) -> None:
        self.file = path.open("rb")
        self.is_seekable = is_seekable
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.is_seekable

    def seek(self, offset: int, whence: int = 0) -> int:
        if not self.is_seekable:
            raise io.UnsupportedOperation("seek")
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def readinto(self, buffer) -> int:
        count = self.file.readinto(buffer)
        self.bytes_read += count
        return count

    def close(self) -> None:
        self.file.close()
        super().close()


def write_peaks(path: Path, samples: np.ndarray, *, block: int = 10_000) -> Path:
    with PeakWriter(path) as peaks:
        for start in range(0, len(samples), block):
            peaks.add(samples[start : start + block])
    return path


def noise(seconds: float, *, seed: int = 0) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).standard_normal(round(seconds * 16_000))).astype(
        np.float32
    )


def read(path: Path, **window) -> object:
    with path.open("rb") as peaks_file:
        return read_peaks(peaks_file, **window)


@pytest.mark.parametrize(
    ("start_ms", "end_ms", "points", "level"),
    [
        (0, 600_000, 1_000, 2048),  # ten minutes: 586 peaks of 16384 samples would be too few
        (0, 60_000, 1_000, 256),
        (0, 10_000, 1_000, 32),
        (5_000, 5_020, 1_000, 32),  # 20 ms: no level is fine enough, so the finest
        (0, 600_000, 40, 16384),
        (100_000, 101_000, 60, 256),  # 63 peaks of 256 samples; 8 of 2048
    ],
)
def test_the_coarsest_level_with_enough_peaks_is_chosen(tmp_path, start_ms, end_ms, points, level):
    path = write_peaks(tmp_path / "peaks.npz", noise(600), block=160_000)

    window = read(path, start_ms=start_ms, end_ms=end_ms, points=points)

    assert window.samples_per_peak == level
    assert len(window.min) == len(window.max)
    assert len(window.max) >= points or level == PEAK_LEVELS[0]
    assert window.start_ms <= start_ms
    assert window.end_ms >= end_ms


def test_every_level_summarises_the_samples_it_covers(tmp_path):
    samples = noise(7.3)
    path = write_peaks(tmp_path / "peaks.npz", samples, block=777)

    with np.load(path) as stored:
        assert int(stored["total_samples"]) == len(samples)
        for level in PEAK_LEVELS:
            groups = range(0, len(samples), level)
            expected_min = [samples[start : start + level].min() for start in groups]
            expected_max = [samples[start : start + level].max() for start in groups]
            np.testing.assert_allclose(
                stored[f"peaks_{level}"][:, 0] / 32767, expected_min, atol=2e-5
            )
            np.testing.assert_allclose(
                stored[f"peaks_{level}"][:, 1] / 32767, expected_max, atol=2e-5
            )


def test_a_two_millisecond_click_shows_at_the_finest_level(tmp_path):
    source = write_wav(tmp_path / "in.wav", seconds=4.0, sample_rate=16_000)
    samples = sf.read(source)[0]
    samples[32_000:32_032] = 0.9  # 2 ms at 16 kHz, starting at exactly 2000 ms
    sf.write(source, samples, 16_000)
    out = tmp_path / "out"
    out.mkdir()
    process_audio(
        source, normalized_path=out / "n.wav", features_path=out / "f.npy",
        peaks_path=out / "peaks.npz", max_duration_ms=10_000,
    )  # fmt: skip

    window = read(out / "peaks.npz", start_ms=1_990, end_ms=2_010, points=100)

    assert window.samples_per_peak == 32
    assert (window.start_ms, window.end_ms) == (1_990, 2_010)
    click = (2_000 - window.start_ms) // 2
    assert window.max[click] == pytest.approx(0.9, abs=0.01)
    assert max(window.max[:click] + window.max[click + 1 :]) < 0.5


def test_values_stay_within_full_scale(tmp_path):
    square = np.sign(np.sin(2 * np.pi * 100 * np.arange(44_100) / 44_100))
    source = tmp_path / "square.wav"
    sf.write(source, square, 44_100, subtype="FLOAT")  # resampling overshoots past 1
    out = tmp_path / "out"
    out.mkdir()
    process_audio(
        source, normalized_path=out / "n.wav", features_path=out / "f.npy",
        peaks_path=out / "peaks.npz", max_duration_ms=10_000,
    )  # fmt: skip

    window = read(out / "peaks.npz", start_ms=0, end_ms=1_000, points=1_000)

    assert min(window.min) >= -1.0
    assert max(window.max) <= 1.0
    assert max(window.max) > 0.99


def test_a_narrow_window_reads_a_few_kilobytes_of_an_hour_of_peaks(tmp_path):
    path = write_peaks(tmp_path / "peaks.npz", np.zeros(3_600 * 16_000, np.float32), block=1 << 20)

    reader = CountingReader(path)
    window = read_peaks(reader, start_ms=1_800_000, end_ms=1_810_000, points=1_000)

    assert len(window.max) == 5_000
    assert path.stat().st_size > 8_000_000
    assert reader.bytes_read < 5_000 * 4 + 8_192  # the rows, plus zip directory and headers


def test_a_file_object_that_cannot_seek_is_read_whole(tmp_path):
    samples = noise(3.0)
    path = write_peaks(tmp_path / "peaks.npz", samples)

    window = read_peaks(
        CountingReader(path, is_seekable=False), start_ms=0, end_ms=3_000, points=100
    )

    assert window.samples_per_peak == 256
    assert window.max[0] == pytest.approx(samples[:256].max(), abs=1e-4)


def test_a_window_past_the_end_is_empty(tmp_path):
    path = write_peaks(tmp_path / "peaks.npz", noise(1.0))

    window = read(path, start_ms=2_000, end_ms=3_000, points=10)

    assert window.min == window.max == []
