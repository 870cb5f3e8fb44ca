"""Waveform min/max peaks at several resolutions, so the labeling page can draw an hour-long file
and zoom to a 2 ms click without decoding audio. No Django imports.

The file is an uncompressed .npz (np.load reads it) holding `sample_rate`, `total_samples`,
`levels` and, for each level L, `peaks_L`: int16 rows of [min, max] * 32767, where row k covers
samples [k * L, (k + 1) * L) of the normalized audio (the last row may cover fewer). `read_peaks`
seeks straight to the rows a window needs, so a zoomed-in view of an hour-long file reads a few
kilobytes instead of every level.
"""

import io
import itertools
import shutil
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np
import numpy.typing as npt

from datasets.audio.stored_features import read_npy_header

PEAKS_SAMPLE_RATE = 16_000
PEAK_LEVELS = (32, 256, 2048, 16384)  # samples per peak: 2 ms, 16 ms, 128 ms, ~1 s at 16 kHz
INT16_SCALE = 32767
PEAK_DTYPE = np.dtype("<i2")
COARSE_BATCH_PEAKS = 16_384  # 32 s of finest peaks, 64 KB as float32 pairs
LOCAL_HEADER = struct.Struct("<4s22xHH")  # a zip member's signature, name and extra lengths


@dataclass(frozen=True, kw_only=True)
class PeakWindow:
    start_ms: int  # start of the first peak
    end_ms: int  # end of the last peak, at most the end of the audio
    samples_per_peak: int
    sample_rate: int = PEAKS_SAMPLE_RATE
    min: list[float]  # in [-1, 1]
    max: list[float]


class _Level:
    """One resolution, built from the next finer one (or from samples) by grouping `factor` of
    its values; the group still filling is carried as its running min and max."""

    def __init__(self, samples_per_peak: int, factor: int, rows: IO[bytes]) -> None:
        self.samples_per_peak = samples_per_peak
        self.factor = factor
        self.rows = rows
        self.count = 0
        self.open_size = 0  # inputs in the open group
        self.open_min = self.open_max = 0.0

    def add(
        self, minima: npt.NDArray[np.float32], maxima: npt.NDArray[np.float32], *, is_last: bool
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Writes and returns the peaks of every group these inputs complete, and of the partial
        last group when `is_last`; each (peaks,)."""
        head = min((self.factor - self.open_size) % self.factor, len(minima))
        if head:
            self._extend_open(minima[:head], maxima[:head])
        closed = [self._close_open()] if self.open_size == self.factor else []
        whole = (len(minima) - head) // self.factor * self.factor
        starts = np.arange(head, head + whole, self.factor)
        if whole:
            closed.append(
                (
                    np.minimum.reduceat(minima[: head + whole], starts),
                    np.maximum.reduceat(maxima[: head + whole], starts),
                )
            )
        if head + whole < len(minima):
            self._extend_open(minima[head + whole :], maxima[head + whole :])
        if is_last and self.open_size:
            closed.append(self._close_open())
        if not closed:
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        peaks_min = np.concatenate([group[0] for group in closed])
        peaks_max = np.concatenate([group[1] for group in closed])
        self._write(peaks_min, peaks_max)
        return peaks_min, peaks_max

    def _extend_open(
        self, minima: npt.NDArray[np.float32], maxima: npt.NDArray[np.float32]
    ) -> None:
        low, high = float(minima.min()), float(maxima.max())
        if self.open_size:
            low, high = min(low, self.open_min), max(high, self.open_max)
        self.open_min, self.open_max = low, high
        self.open_size += len(minima)

    def _close_open(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        group = np.array([self.open_min], np.float32), np.array([self.open_max], np.float32)
        self.open_size = 0
        return group

    def _write(self, minima: npt.NDArray[np.float32], maxima: npt.NDArray[np.float32]) -> None:
        rows = np.stack([minima, maxima], axis=1)  # (peaks, 2)
        rows *= INT16_SCALE
        self.rows.write(np.rint(rows).astype(PEAK_DTYPE).tobytes())
        self.count += len(rows)


class PeakWriter:
    """Peaks of mono samples in [-1, 1] fed block by block, in constant memory: each level's rows
    stream to a scratch file, and the .npz is assembled on a clean exit from the `with` block."""

    def __init__(
        self,
        path: Path,
        *,
        sample_rate: int = PEAKS_SAMPLE_RATE,
        levels: tuple[int, ...] = PEAK_LEVELS,
    ) -> None:
        if any(coarse % fine for fine, coarse in itertools.pairwise(levels)):
            raise ValueError(f"Each peak level must be a multiple of the one before: {levels}")
        self.path = path
        self.sample_rate = sample_rate
        self.total_samples = 0
        self.scratch = tempfile.TemporaryDirectory(prefix="relay-peaks-")
        factors = [levels[0]] + [coarse // fine for fine, coarse in itertools.pairwise(levels)]
        self.levels = [
            _Level(level, factor, (Path(self.scratch.name) / f"{level}.i16").open("w+b"))
            for level, factor in zip(levels, factors, strict=True)
        ]
        # Finest-level peaks not yet passed on: the coarse levels take them in batches, since
        # their per-call overhead outweighs their work at one block's worth.
        self.unreduced: list[tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = []
        self.unreduced_peaks = 0

    def __enter__(self) -> "PeakWriter":
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error_type is None:
                self._flush()
                self._write_npz()
        finally:
            for level in self.levels:
                level.rows.close()
            self.scratch.cleanup()

    def add(self, samples: npt.NDArray[np.float32]) -> None:
        """samples: (samples,) mono, in [-1, 1]."""
        self.total_samples += len(samples)
        finest, *_ = self.levels
        self.unreduced.append(finest.add(samples, samples, is_last=False))
        self.unreduced_peaks += len(self.unreduced[-1][0])
        if self.unreduced_peaks >= COARSE_BATCH_PEAKS:
            self._feed_coarse_levels(is_last=False)

    def _flush(self) -> None:
        finest, *_ = self.levels
        empty = np.zeros(0, np.float32)
        self.unreduced.append(finest.add(empty, empty, is_last=True))
        self._feed_coarse_levels(is_last=True)

    def _feed_coarse_levels(self, *, is_last: bool) -> None:
        minima = np.concatenate([minima for minima, _ in self.unreduced])
        maxima = np.concatenate([maxima for _, maxima in self.unreduced])
        self.unreduced, self.unreduced_peaks = [], 0
        for level in self.levels[1:]:
            minima, maxima = level.add(minima, maxima, is_last=is_last)

    def _write_npz(self) -> None:
        with zipfile.ZipFile(self.path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            _write_small(archive, "sample_rate", np.array(self.sample_rate, np.int64))
            _write_small(archive, "total_samples", np.array(self.total_samples, np.int64))
            levels = [level.samples_per_peak for level in self.levels]
            _write_small(archive, "levels", np.array(levels, np.int64))
            for level in self.levels:
                level.rows.flush()
                level.rows.seek(0)
                header = {
                    "descr": PEAK_DTYPE.str,
                    "fortran_order": False,
                    "shape": (level.count, 2),
                }
                with archive.open(
                    f"peaks_{level.samples_per_peak}.npy", "w", force_zip64=True
                ) as member:
                    np.lib.format.write_array_header_1_0(member, header)
                    shutil.copyfileobj(level.rows, member, length=1 << 20)


def _write_small(archive: zipfile.ZipFile, name: str, value: npt.NDArray[np.int64]) -> None:
    with archive.open(f"{name}.npy", "w") as member:
        np.lib.format.write_array(member, value)


def read_peaks(file_obj: IO[bytes], *, start_ms: int, end_ms: int, points: int) -> PeakWindow:
    """Peaks of [start_ms, end_ms) from the coarsest level that still gives at least `points` of
    them, or the finest level when none does. Reads only the rows it returns (plus the zip
    directory) from a seekable file; a non-seekable one is read into memory first."""
    source = file_obj if _is_seekable(file_obj) else io.BytesIO(file_obj.read())
    with zipfile.ZipFile(source) as archive:
        sample_rate = int(_read_small(archive, "sample_rate"))
        total_samples = int(_read_small(archive, "total_samples"))
        levels = [int(level) for level in _read_small(archive, "levels")]
        first_sample = min(_ms_to_samples(start_ms, sample_rate), total_samples)
        end_sample = min(_ms_to_samples(end_ms, sample_rate), total_samples)
        level = _pick_level(levels, first_sample, end_sample, points)
        first_peak, end_peak = first_sample // level, -(-end_sample // level)
        rows = _read_rows(source, archive, f"peaks_{level}.npy", first_peak, end_peak)
    values = np.round(rows / INT16_SCALE, 4)  # (peaks, 2)
    return PeakWindow(
        start_ms=first_peak * level * 1000 // sample_rate,
        end_ms=-(-min(end_peak * level, total_samples) * 1000 // sample_rate),
        samples_per_peak=level,
        sample_rate=sample_rate,
        min=values[:, 0].tolist(),
        max=values[:, 1].tolist(),
    )


def _ms_to_samples(ms: int, sample_rate: int) -> int:
    return max(0, ms) * sample_rate // 1000


def _pick_level(levels: list[int], first_sample: int, end_sample: int, points: int) -> int:
    def peaks_in_window(level: int) -> int:
        return -(-end_sample // level) - first_sample // level

    return next((lvl for lvl in reversed(levels) if peaks_in_window(lvl) >= points), levels[0])


def _read_small(archive: zipfile.ZipFile, name: str) -> npt.NDArray[np.int64]:
    with archive.open(f"{name}.npy") as member:
        return np.lib.format.read_array(member)


def _read_rows(
    source: IO[bytes], archive: zipfile.ZipFile, name: str, first: int, end: int
) -> npt.NDArray[np.int16]:
    """Rows [first, end) of a stored (uncompressed) member, by seeking past the rest: (rows, 2)."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        with archive.open(info) as member:
            return np.lib.format.read_array(member)[first:end]
    source.seek(info.header_offset)
    signature, name_length, extra_length = LOCAL_HEADER.unpack(source.read(LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise ValueError(f"{name} in the peaks file has a damaged zip header")
    source.seek(info.header_offset + LOCAL_HEADER.size + name_length + extra_length)
    shape, _fortran_order, dtype = read_npy_header(source)
    row_bytes = dtype.itemsize * shape[1]
    first, end = min(first, shape[0]), min(end, shape[0])
    source.seek(source.tell() + first * row_bytes)
    raw = source.read((end - first) * row_bytes)
    return np.frombuffer(raw, dtype).reshape(-1, shape[1])


def _is_seekable(file_obj: IO[bytes]) -> bool:
    try:
        return bool(file_obj.seekable())
    except (AttributeError, ValueError):
        return False
