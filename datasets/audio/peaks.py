"""Waveform min/max peaks at several resolutions, so the labeling page can draw an hour-long file
and zoom to a 2 ms click without decoding audio. No Django imports."""

import io
from dataclasses import dataclass
from typing import IO

import numpy as np
import numpy.typing as npt

PEAKS_SAMPLE_RATE = 16_000
PEAK_LEVELS = (32, 256, 2048, 16384)  # samples per peak: 2 ms, 16 ms, 128 ms, ~1 s at 16 kHz
INT16_SCALE = 32767


@dataclass(frozen=True)
class PeakWindow:
    start_ms: int
    end_ms: int
    sample_rate: int
    samples_per_peak: int
    min: list[float]
    max: list[float]


class PeakBuilder:
    """Finest-level peaks fed block by block; the coarser levels are derived at the end."""

    def __init__(self) -> None:
        self.finest = PEAK_LEVELS[0]
        self.carry = np.zeros(0, np.float32)
        self.minima: list[npt.NDArray[np.int16]] = []
        self.maxima: list[npt.NDArray[np.int16]] = []
        self.total_samples = 0

    def feed(self, samples: npt.NDArray[np.float32]) -> None:
        self.total_samples += len(samples)
        samples = np.concatenate([self.carry, samples]) if len(self.carry) else samples
        whole = len(samples) // self.finest * self.finest
        self._add(samples[:whole])
        self.carry = samples[whole:]

    def _add(self, samples: npt.NDArray[np.float32]) -> None:
        if not len(samples):
            return
        groups = samples.reshape(-1, self.finest) if len(samples) % self.finest == 0 else None
        if groups is None:  # the last, short group
            groups = samples[None, :]
        self.minima.append(_to_int16(groups.min(axis=1)))
        self.maxima.append(_to_int16(groups.max(axis=1)))

    def write(self, file_obj: IO[bytes]) -> None:
        self._add(self.carry)
        self.carry = self.carry[:0]
        finest_min = np.concatenate(self.minima) if self.minima else np.zeros(0, np.int16)
        finest_max = np.concatenate(self.maxima) if self.maxima else np.zeros(0, np.int16)
        arrays = {"total_samples": np.array(self.total_samples, np.int64)}
        for level in PEAK_LEVELS:
            factor = level // self.finest
            arrays[f"min_{level}"] = _coarsen(finest_min, factor, np.minimum)
            arrays[f"max_{level}"] = _coarsen(finest_max, factor, np.maximum)
        np.savez(file_obj, **arrays)


def _to_int16(values: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    return np.round(np.clip(values, -1.0, 1.0) * INT16_SCALE).astype(np.int16)


def _coarsen(values: npt.NDArray[np.int16], factor: int, reduce: np.ufunc) -> npt.NDArray[np.int16]:
    if factor == 1 or not len(values):
        return values
    return reduce.reduceat(values, np.arange(0, len(values), factor))


def read_peaks(file_obj: IO[bytes], *, start_ms: int, end_ms: int, points: int) -> PeakWindow:
    """Peaks of [start_ms, end_ms) from the coarsest level that still gives `points` of them (the
    finest level when none does)."""
    with np.load(_seekable(file_obj)) as stored:
        window_samples = (end_ms - start_ms) * PEAKS_SAMPLE_RATE // 1000
        level = next(
            (lvl for lvl in reversed(PEAK_LEVELS) if window_samples // lvl >= points),
            PEAK_LEVELS[0],
        )
        first = start_ms * PEAKS_SAMPLE_RATE // 1000 // level
        last = -(-end_ms * PEAKS_SAMPLE_RATE // 1000 // level)  # ceiling division
        minima = stored[f"min_{level}"][first:last] / INT16_SCALE
        maxima = stored[f"max_{level}"][first:last] / INT16_SCALE
    return PeakWindow(
        start_ms=first * level * 1000 // PEAKS_SAMPLE_RATE,
        end_ms=end_ms,
        sample_rate=PEAKS_SAMPLE_RATE,
        samples_per_peak=level,
        min=np.round(minima, 4).tolist(),
        max=np.round(maxima, 4).tolist(),
    )


def _seekable(file_obj: IO[bytes]) -> IO[bytes]:
    if getattr(file_obj, "seekable", lambda: False)():
        return file_obj
    return io.BytesIO(file_obj.read())
