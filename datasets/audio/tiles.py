"""Spectrogram tiles for the labeling page: a window of a file's log-mel bands as a PNG. No Django
imports.

At overview zoom (a pixel spans at least one 10 ms feature frame) a tile comes from the stored
log-mels; zoomed in further, from the same filterbank applied to windows of the normalized audio
centred on each pixel, so a tile always has one column per pixel and lines up with the waveform.
Both use one fixed value range and colour map, so neighbouring tiles and the two sources meet
without a seam. Only the rows (or samples) a tile covers are read.
"""

import struct
import zlib
from functools import cache
from typing import IO

import numpy as np
import numpy.typing as npt
import scipy.fft
import soundfile as sf

from datasets.audio.features import LOG_FLOOR, FeatureRecipe
from datasets.audio.stored_features import read_stored_features_header

TILE_RENDERING = "relay-tiles-1"  # part of every tile's ETag: change it when the pictures change
MEL_FLOOR, MEL_CEILING = -16.0, 2.0  # natural-log mel power mapped to the colour map's ends
CONTIGUOUS_FRAMES_PER_PIXEL = 8  # above this, a column reads a few frames around its centre
SAMPLED_FRAMES = 3
# Dark blue through magenta and orange to pale yellow (close to matplotlib's "magma").
COLOUR_STOPS = np.array(
    [(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66), (245, 125, 21),
     (250, 193, 39), (252, 253, 191)],
    np.float64,
)  # fmt: skip
BEYOND_END = (24, 24, 32)  # columns after the end of the audio


def colour_map(levels: int = 256) -> npt.NDArray[np.uint8]:
    """(levels, 3) RGB, interpolated between COLOUR_STOPS."""
    positions = np.linspace(0, len(COLOUR_STOPS) - 1, levels)
    channels = [
        np.interp(positions, np.arange(len(COLOUR_STOPS)), COLOUR_STOPS[:, c]) for c in range(3)
    ]
    return np.rint(np.stack(channels, axis=1)).astype(np.uint8)


COLOURS = colour_map()


def encode_png(rgb: npt.NDArray[np.uint8]) -> bytes:
    """An 8-bit RGB PNG of an (height, width, 3) image: each row with filter 0, one zlib stream."""
    height, width, channels = rgb.shape
    if channels != 3 or rgb.dtype != np.uint8:
        raise ValueError("encode_png takes (height, width, 3) uint8 pixels")
    rows = np.zeros((height, 1 + width * 3), np.uint8)  # a leading filter byte per row
    rows[:, 1:] = rgb.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def to_image(log_mels: npt.NDArray[np.floating], height: int) -> npt.NDArray[np.uint8]:
    """(columns, n_mels) log-mel power -> (height, columns, 3) RGB, low bands at the bottom; NaN
    columns (beyond the end of the audio) get BEYOND_END."""
    bands = log_mels.shape[1]
    band_of_row = (height - 1 - np.arange(height)) * bands // height  # (height,)
    values = log_mels[:, band_of_row].T  # (height, columns)
    scaled = (values - MEL_FLOOR) * (255 / (MEL_CEILING - MEL_FLOOR))
    levels = np.clip(np.nan_to_num(scaled, nan=0.0), 0, 255).astype(np.uint8)
    image = COLOURS[levels]
    image[:, np.isnan(log_mels[:, 0])] = BEYOND_END
    return image


class FeatureRows:
    """Rows of a stored features .npy (2-D, C order) read from a seekable binary file."""

    def __init__(self, file_obj: IO[bytes]) -> None:
        self.file = file_obj
        shape, dtype = read_stored_features_header(file_obj)
        self.frames, self.columns = shape
        self.dtype = dtype
        self.data_offset = file_obj.tell()
        self.row_bytes = self.columns * dtype.itemsize

    def read(self, start: int, count: int) -> npt.NDArray[np.float32]:
        """Rows [start, start + count) clipped to the file: (rows, columns) float32."""
        start = max(0, min(start, self.frames))
        count = max(0, min(count, self.frames - start))
        self.file.seek(self.data_offset + start * self.row_bytes)
        raw = self.file.read(count * self.row_bytes)
        return np.frombuffer(raw, self.dtype).reshape(-1, self.columns).astype(np.float32)


def overview_columns(
    rows: FeatureRows, *, recipe: FeatureRecipe, start_ms: int, end_ms: int, width: int
) -> npt.NDArray[np.float32]:
    """(width, n_mels) stored log-mels for [start_ms, end_ms), a pixel spanning >= 1 frame: the
    maximum over each pixel's frames (or over a few frames at its centre when it spans many).
    Columns past the last frame are NaN."""
    n_mels, hop = recipe.n_mels, recipe.hop_ms
    edges = start_ms + (end_ms - start_ms) * np.arange(width + 1) / width  # (width + 1,) in ms
    first = np.floor(edges[:-1] / hop).astype(np.int64)
    last = np.maximum(first + 1, np.ceil(edges[1:] / hop).astype(np.int64))  # exclusive
    columns = np.full((width, n_mels), np.nan, np.float32)
    if (end_ms - start_ms) / hop <= width * CONTIGUOUS_FRAMES_PER_PIXEL:
        block = rows.read(int(first[0]), int(last[-1] - first[0]))[:, :n_mels]
        for x in range(width):
            part = block[first[x] - first[0] : last[x] - first[0]]
            if len(part):
                columns[x] = part.max(axis=0)
        return columns
    for x in range(width):
        centre = (first[x] + last[x]) // 2
        part = rows.read(int(centre) - SAMPLED_FRAMES // 2, SAMPLED_FRAMES)[:, :n_mels]
        if len(part) and centre < rows.frames:
            columns[x] = part.max(axis=0)
    return columns


def _hz_to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default)."""
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@cache
def mel_filterbank(recipe: FeatureRecipe) -> npt.NDArray[np.float32]:
    """(bins, n_mels): the recipe's Slaney-normalised triangular mel filters, the same numbers as
    librosa.filters.mel, which the stored log-mels use (librosa takes seconds to warm up on its
    first call, longer than a tile may take)."""
    bins = np.linspace(0, recipe.sample_rate / 2, 1 + recipe.n_fft // 2)
    edges = _mel_to_hz(
        np.linspace(
            _hz_to_mel(np.array(recipe.fmin_hz)),
            _hz_to_mel(np.array(recipe.fmax_hz)),
            recipe.n_mels + 2,
        )
    )
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.T.astype(np.float32)


@cache
def _hann(size: int) -> npt.NDArray[np.float32]:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)).astype(np.float32)


def window_log_mels(
    windows: npt.NDArray[np.float32], recipe: FeatureRecipe
) -> npt.NDArray[np.float32]:
    """(frames, window_samples) -> (frames, n_mels): the stored features' log-mel bands (periodic
    Hann, the recipe's FFT size, natural log of mel power) for any windows."""
    spectrum = scipy.fft.rfft(windows * _hann(windows.shape[1]), n=recipe.n_fft)
    power = np.square(spectrum.real) + np.square(spectrum.imag)
    return np.log(power @ mel_filterbank(recipe) + LOG_FLOOR).astype(np.float32)


def zoomed_columns(
    wav: IO[bytes], *, recipe: FeatureRecipe, start_ms: int, end_ms: int, width: int
) -> npt.NDArray[np.float32]:
    """(width, n_mels) log-mels of the normalized audio (a 16 kHz mono WAV) at each pixel's
    centre, with the recipe's window and filterbank; NaN past the end of the audio."""
    window = recipe.window_samples
    with sf.SoundFile(wav) as audio:
        total = audio.frames
        centres = np.rint(
            (start_ms + (end_ms - start_ms) * (np.arange(width) + 0.5) / width)
            * audio.samplerate
            / 1000
        ).astype(np.int64)  # (width,)
        first = max(0, int(centres[0]) - window // 2)
        end = min(total, int(centres[-1]) + window - window // 2)
        audio.seek(min(first, total))
        samples = audio.read(max(0, end - first), dtype="float32", always_2d=True)[:, 0]
    offsets = centres[:, None] - window // 2 + np.arange(window) - first  # (width, window)
    inside = (offsets >= 0) & (offsets < len(samples))
    windows = np.where(inside, samples[np.clip(offsets, 0, max(len(samples) - 1, 0))], 0.0)
    if not len(samples):
        windows = np.zeros((width, window))
    columns = window_log_mels(windows.astype(np.float32), recipe)
    columns[centres >= total] = np.nan
    return columns
