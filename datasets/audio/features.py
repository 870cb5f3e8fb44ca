"""Frame features at a 10 ms hop: log-mel bands of the 16 kHz audio, plus signal statistics of the
original samples that make clicks, dropouts and clipping obvious. No Django imports.

Frame `i` covers [i * hop_ms, (i + 1) * hop_ms) of the file: its statistics are taken over exactly
those original samples, and its mel window (window_ms long) is centred on the middle of that span.
Frame boundaries are `frame_boundary`; a partial last frame counts as a frame.
"""

from dataclasses import asdict, dataclass
from functools import cached_property

import librosa
import numpy as np
import numpy.typing as npt

MEL_FLOOR = 1e-10
STAT_NAMES = ("log_energy", "peak", "max_jump", "zero_fraction", "full_scale_fraction")


@dataclass(frozen=True)
class FeatureRecipe:
    version: str = "relay-features-1"
    sample_rate: int = 16_000
    hop_ms: int = 10
    window_ms: int = 25
    n_fft: int = 400
    n_mels: int = 64
    fmin_hz: float = 20.0
    near_full_scale: float = 0.99

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "feature_names": self.feature_names}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "FeatureRecipe":
        fields = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**fields)

    @property
    def feature_names(self) -> list[str]:
        return [f"mel_{band}" for band in range(self.n_mels)] + list(STAT_NAMES)

    @property
    def hop_samples(self) -> int:
        return self.sample_rate * self.hop_ms // 1000

    @property
    def window_samples(self) -> int:
        return self.sample_rate * self.window_ms // 1000

    def frames_for(self, samples: int, sample_rate: int) -> int:
        """Frames of a file of `samples` original samples: whole ones plus a partial last one."""
        whole = frames_completed_by(samples, sample_rate, self.hop_ms)
        return whole + int(frame_boundary(whole, sample_rate, self.hop_ms) < samples)


DEFAULT_RECIPE = FeatureRecipe()


def frame_boundary(frame: npt.ArrayLike, sample_rate: int, hop_ms: int) -> npt.NDArray[np.int64]:
    """First original sample of each frame (rounded half up, in exact integer arithmetic), so
    rates like 22 050 Hz get frames of 220 and 221 samples that never drift."""
    return (np.asarray(frame, dtype=np.int64) * sample_rate * hop_ms + 500) // 1000


def frames_completed_by(samples: int, sample_rate: int, hop_ms: int) -> int:
    """How many whole frames the first `samples` original samples fill."""
    return ((samples + 1) * 1000 - 501) // (sample_rate * hop_ms)


class SignalStatistics:
    """Per-frame peak, largest sample-to-sample jump, exact-zero and near-full-scale fractions of
    the original (pre-resampling) samples, fed block by block."""

    def __init__(self, recipe: FeatureRecipe, sample_rate: int) -> None:
        self.recipe = recipe
        self.sample_rate = sample_rate
        self.frames_done = 0
        self.carry = np.zeros((0, 1), np.float32)  # (samples, channels) of the open frame
        self.last_sample: npt.NDArray[np.float32] | None = None  # (channels,)

    def _boundary(self, frame: npt.ArrayLike) -> npt.NDArray[np.int64]:
        return frame_boundary(frame, self.sample_rate, self.recipe.hop_ms)

    def feed(self, block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Statistics of every frame this block completes: (frames, 4)."""
        samples = np.concatenate([self.carry, block]) if len(self.carry) else block
        start = int(self._boundary(self.frames_done))
        frames = frames_completed_by(start + len(samples), self.sample_rate, self.recipe.hop_ms)
        done = int(self._boundary(frames)) - start
        offsets = self._boundary(np.arange(self.frames_done, frames)) - start
        stats = self._stats(samples[:done], offsets)
        self.carry = samples[done:]
        self.frames_done = frames
        return stats

    def finish(self) -> npt.NDArray[np.float32]:
        """Statistics of the last, partial frame (none when the file ends on a boundary)."""
        if not len(self.carry):
            return np.zeros((0, 4), np.float32)
        stats = self._stats(self.carry, np.zeros(1, np.int64))
        self.carry = self.carry[:0]
        self.frames_done += 1
        return stats

    def _stats(
        self,
        samples: npt.NDArray[np.float32],  # (samples, channels)
        offsets: npt.NDArray[np.int64],  # (frames,) first sample of each frame in `samples`
    ) -> npt.NDArray[np.float32]:
        if not len(offsets):
            return np.zeros((0, 4), np.float32)
        previous = samples[:1] if self.last_sample is None else self.last_sample[None, :]
        magnitude = _over_channels(np.maximum, np.abs(samples))  # (samples,)
        jumps = np.diff(samples, axis=0, prepend=previous)
        jumps = _over_channels(np.maximum, np.abs(jumps, out=jumps))  # (samples,)
        silent = _over_channels(np.logical_and, samples == 0)  # dropouts silence every channel
        clipped = magnitude >= self.recipe.near_full_scale
        self.last_sample = samples[-1].copy()
        lengths = np.diff(offsets, append=len(samples)).astype(np.float32)  # (frames,)
        return np.stack(
            [
                np.maximum.reduceat(magnitude, offsets),
                np.maximum.reduceat(jumps, offsets),
                np.add.reduceat(silent, offsets) / lengths,
                np.add.reduceat(clipped, offsets) / lengths,
            ],
            axis=1,
        ).astype(np.float32)


def _over_channels(combine: np.ufunc, values: npt.NDArray) -> npt.NDArray:
    """(samples, channels) to (samples,), combining the channel columns element-wise: much
    faster than a reduction along the short, innermost axis."""
    result = values[:, 0].copy()
    for channel in range(1, values.shape[1]):
        combine(result, values[:, channel], out=result)
    return result


class LogMel:
    """Log-mel bands (and log energy) of 16 kHz mono audio, fed block by block."""

    def __init__(self, recipe: FeatureRecipe) -> None:
        self.recipe = recipe
        # Half a window minus half a hop of silence first, so window i centres on frame i.
        lead = (recipe.window_samples - recipe.hop_samples) // 2
        self.buffer = np.zeros(lead, np.float32)

    @cached_property
    def _window(self) -> npt.NDArray[np.float32]:
        return np.hanning(self.recipe.window_samples + 2)[1:-1].astype(np.float32)

    @cached_property
    def _mel_basis(self) -> npt.NDArray[np.float32]:
        recipe = self.recipe
        return librosa.filters.mel(
            sr=recipe.sample_rate, n_fft=recipe.n_fft, n_mels=recipe.n_mels, fmin=recipe.fmin_hz
        ).astype(np.float32)  # (n_mels, n_fft // 2 + 1)

    def feed(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Features of every window the audio so far covers: (frames, n_mels + 1)."""
        self.buffer = np.concatenate([self.buffer, samples])
        window, hop = self.recipe.window_samples, self.recipe.hop_samples
        if len(self.buffer) < window:
            return np.zeros((0, self.recipe.n_mels + 1), np.float32)
        frames = (len(self.buffer) - window) // hop + 1
        windows = np.lib.stride_tricks.sliding_window_view(self.buffer, window)[::hop][:frames]
        features = self._features(windows)
        self.buffer = self.buffer[frames * hop :]
        return features

    def finish(self, frames_wanted: int, frames_done: int) -> npt.NDArray[np.float32]:
        """Pad with silence until `frames_wanted` frames exist in all."""
        missing = frames_wanted - frames_done
        if missing <= 0:
            return np.zeros((0, self.recipe.n_mels + 1), np.float32)
        padding = np.zeros(
            missing * self.recipe.hop_samples + self.recipe.window_samples, np.float32
        )
        return self.feed(padding)[:missing]

    def _features(self, windows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        # windows: (frames, window_samples)
        spectrum = np.fft.rfft(windows * self._window, n=self.recipe.n_fft)  # (frames, bins)
        power = np.square(spectrum.real) + np.square(spectrum.imag)  # float32, like the input
        mel = np.log(power @ self._mel_basis.T + MEL_FLOOR)  # (frames, n_mels)
        mean_square = np.einsum("ij,ij->i", windows, windows) / windows.shape[1]  # (frames,)
        energy = np.log(mean_square + MEL_FLOOR)
        return np.concatenate([mel, energy[:, None]], axis=1).astype(np.float32)
