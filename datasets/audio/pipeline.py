"""One pass over an upload: decode in blocks, downmix, resample to 16 kHz, and write the normalized
audio, the frame features and the waveform peaks. Memory stays flat whatever the file's length."""

import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from datasets.audio.decode import AudioDecodeError, AudioInfo, iter_blocks, probe
from datasets.audio.features import DEFAULT_RECIPE, FeatureRecipe, LogMel, SignalStatistics
from datasets.audio.peaks import PEAKS_SAMPLE_RATE, PeakBuilder

BLOCK_FRAMES = 131_072
FEATURE_DTYPE = np.float16


@dataclass(frozen=True)
class ProcessedAudio:
    duration_ms: int
    sample_rate: int
    channels: int
    format: str
    feature_frames: int
    recipe: FeatureRecipe


def process_audio(
    source: Path,
    *,
    normalized_path: Path,
    features_path: Path,
    peaks_path: Path,
    max_duration_ms: int,
    recipe: FeatureRecipe = DEFAULT_RECIPE,
    expected_formats: Collection[str] | None = None,
    block_frames: int = BLOCK_FRAMES,
) -> ProcessedAudio:
    """Raises AudioDecodeError, with a message for users, for anything that is not usable audio."""
    info = probe(source)
    if expected_formats is not None and info.format not in expected_formats:
        raise AudioDecodeError(
            f"The file holds {info.format.upper()} audio, not the declared type; "
            "upload it with its real content type."
        )
    if info.frames is not None:
        _check_duration(info.frames, info.sample_rate, max_duration_ms)
    with (
        tempfile.TemporaryDirectory(prefix="relay-features-") as scratch,
        sf.SoundFile(
            normalized_path, "w", samplerate=PEAKS_SAMPLE_RATE, channels=1, subtype="PCM_16"
        ) as normalized,
    ):
        rows_path = Path(scratch) / "rows.f16"
        with rows_path.open("wb") as rows:
            streams = _Streams(info, recipe, normalized, rows)
            total_samples = _stream(
                source, info, streams, max_duration_ms=max_duration_ms, block_frames=block_frames
            )
            frames = streams.finish(peaks_path)
        _write_npy(rows_path, features_path, frames, len(recipe.feature_names))
    if total_samples == 0:
        raise AudioDecodeError("The file contains no audio samples.")
    return ProcessedAudio(
        duration_ms=round(total_samples * 1000 / info.sample_rate),
        sample_rate=info.sample_rate,
        channels=info.channels,
        format=info.format,
        feature_frames=frames,
        recipe=recipe,
    )


def _check_duration(samples: int, sample_rate: int, max_duration_ms: int) -> None:
    duration_ms = samples * 1000 // sample_rate
    if duration_ms > max_duration_ms:
        raise AudioDecodeError(
            f"The audio is {_spoken_duration(duration_ms)} long; "
            f"the limit is {_spoken_duration(max_duration_ms)}."
        )


def _spoken_duration(duration_ms: int) -> str:
    minutes, seconds = divmod(duration_ms // 1000, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(hours, "h"), (minutes, "min"), (seconds, "s")]
    spoken = " ".join(f"{value} {unit}" for value, unit in parts if value)
    return spoken or f"{duration_ms} ms"


class _Streams:
    """The per-file state of one pass: resampler, feature builders and the open outputs."""

    def __init__(
        self, info: AudioInfo, recipe: FeatureRecipe, normalized: sf.SoundFile, rows: IO[bytes]
    ) -> None:
        self.statistics = SignalStatistics(recipe, info.sample_rate)
        self.log_mel = LogMel(recipe)
        self.peaks = PeakBuilder()
        self.resampler = (
            soxr.ResampleStream(
                info.sample_rate, recipe.sample_rate, 1, dtype="float32", quality="HQ"
            )
            if info.sample_rate != recipe.sample_rate
            else None
        )
        self.normalized = normalized
        self.rows = rows
        # Statistics and log-mel rows arrive at different paces; rows are written once both exist.
        self.pending_statistics = [np.zeros((0, 4), np.float32)]
        self.pending_mel = [np.zeros((0, recipe.n_mels + 1), np.float32)]
        self.mel_rows = 0
        self.rows_written = 0

    def feed(self, block: npt.NDArray[np.float32]) -> None:
        """One block of original samples, (frames, channels)."""
        mono = _downmix(block)
        self._feed_16k(self.resampler.resample_chunk(mono) if self.resampler else mono)
        self.pending_statistics.append(self.statistics.feed(block))
        self._write_rows()

    def finish(self, peaks_path: Path) -> int:
        """Flush everything; returns the number of feature frames written."""
        if self.resampler is not None:
            self._feed_16k(self.resampler.resample_chunk(np.zeros(0, np.float32), last=True))
        self.pending_statistics.append(self.statistics.finish())
        frames = self.statistics.frames_done
        self.pending_mel.append(self.log_mel.finish(frames, self.mel_rows))
        self._write_rows(limit=frames)
        with peaks_path.open("wb") as peaks_file:
            self.peaks.write(peaks_file)
        return self.rows_written

    def _feed_16k(self, samples: npt.NDArray[np.float32]) -> None:
        if not len(samples):
            return
        clipped = np.clip(samples, -1.0, 1.0)
        self.normalized.write(clipped)
        self.peaks.feed(clipped)
        mel = self.log_mel.feed(clipped)
        self.mel_rows += len(mel)
        self.pending_mel.append(mel)

    def _write_rows(self, limit: int | None = None) -> None:
        mel = np.concatenate(self.pending_mel)
        statistics = np.concatenate(self.pending_statistics)
        ready = min(len(mel), len(statistics))
        if limit is not None:
            ready = min(ready, limit - self.rows_written)
        if ready > 0:
            # Column order follows FeatureRecipe.feature_names: mel bands, log energy, statistics.
            rows = np.concatenate([mel[:ready], statistics[:ready]], axis=1)
            self.rows.write(rows.astype(FEATURE_DTYPE).tobytes())
            self.rows_written += ready
        self.pending_mel = [mel[max(ready, 0) :]]
        self.pending_statistics = [statistics[max(ready, 0) :]]


def _downmix(block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """(frames, channels) to (frames,): the mean of the channels."""
    channels = block.shape[1]
    if channels == 1:
        return np.ascontiguousarray(block[:, 0])
    mono = block[:, 0].copy()
    for channel in range(1, channels):
        mono += block[:, channel]
    mono *= np.float32(1 / channels)
    return mono


def _stream(
    source: Path,
    info: AudioInfo,
    streams: _Streams,
    *,
    max_duration_ms: int,
    block_frames: int,
) -> int:
    """Feed every block of the file; returns how many original samples it held."""
    total_samples = 0
    for block in iter_blocks(source, info, block_frames=block_frames):  # (frames, channels)
        total_samples += len(block)
        _check_duration(total_samples, info.sample_rate, max_duration_ms)
        streams.feed(block)
    return total_samples


def _write_npy(rows_path: Path, features_path: Path, frames: int, columns: int) -> None:
    """Prepend an .npy header to the raw rows, copying in chunks rather than loading them."""
    header = {
        "descr": np.dtype(FEATURE_DTYPE).str,
        "fortran_order": False,
        "shape": (frames, columns),
    }
    with features_path.open("wb") as target, rows_path.open("rb") as rows:
        np.lib.format.write_array_header_1_0(target, header)
        shutil.copyfileobj(rows, target, length=4 * 1024 * 1024)
