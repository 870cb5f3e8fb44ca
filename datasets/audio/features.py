"""Frame features at a 10 ms hop: log-mel bands of the 16 kHz mono audio, plus signal statistics
of the original samples that make clicks, dropouts and clipping obvious. No Django imports.

Frames: frame `i` covers original samples [b(i), b(i + 1)) with b(i) = round(i * sample_rate *
hop_ms / 1000), halves rounded up, so 22 050 Hz frames hold 220 or 221 samples and never drift.
A file of n samples has as many frames as it takes to cover every sample: the count of i with
b(i) < n, which is ceil(n / (sample_rate * hop_ms / 1000)) up to that half-sample rounding; the
last frame may be partial. Every column follows this rule: the statistics are taken over exactly
a frame's samples, and its mel window (window_ms long) is centred on the middle of its 10 ms,
padded with zeros beyond either end of the file.
"""

from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any

import librosa
import numpy as np
import numpy.typing as npt
import scipy.fft

from datasets.audio.repeats import RepeatGain
from datasets.audio.scratch import Scratch

LOG_FLOOR = 1e-10
STATISTIC_NAMES = (
    "peak",
    "max_jump",
    "zero_fraction",
    "full_scale_fraction",
    "flat_fraction",
    "curvature_crest",
)
# Per-segment partial results: maxima, counts, the segment's length, then the largest second
# difference and the sum of squared second differences (over all channels' values).
PEAK, JUMP, ZEROS, FULL_SCALE, FLAT, LENGTH, CURVE_MAX, CURVE_SQUARES = range(8)
PARTIALS = 8
WORD_CHANNELS = (2, 4, 8)  # channel counts whose bool flags fit one unsigned integer


@dataclass(frozen=True)
class FeatureRecipe:
    # 2 added curvature_crest, which shows clicks far quieter than the speech around them;
    # 3 added residual_crest, which shows them at low sample rates too; 4 added repeat_gain,
    # which shows a chunk of speech played twice (datasets/audio/repeats.py); 5 lets the repeat
    # gain's pitch search reach voices down to 44 Hz, which 4 took for stutters throughout.
    version: str = "relay-features-5"
    sample_rate: int = 16_000  # of the normalized audio the mel bands come from
    hop_ms: int = 10
    window_ms: int = 25
    n_fft: int = 400
    n_mels: int = 64
    fmin_hz: float = 20.0
    fmax_hz: float = 8_000.0
    prediction_order: int = 12  # of the linear prediction behind residual_crest
    near_full_scale: float = 0.99  # |x| at or above this counts towards full_scale_fraction
    # A sample equal to its predecessor this far above silence is a flat top (clipping below
    # full scale, as after normalization); quieter repeats are quantization.
    flat_min_level: float = 0.01

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "feature_names": self.feature_names}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FeatureRecipe":
        """Raises ValueError for keys this version of Relay does not know."""
        known = {field.name for field in fields(cls)}
        unknown = set(data) - known - {"feature_names"}
        if unknown:
            raise ValueError(f"Unknown feature recipe fields: {', '.join(sorted(unknown))}")
        return cls(**{name: value for name, value in data.items() if name in known})

    @property
    def feature_names(self) -> list[str]:
        mel = [f"mel_{band}" for band in range(self.n_mels)]
        return [*mel, "log_energy", *STATISTIC_NAMES, "residual_crest", "repeat_gain"]

    @property
    def hop_samples(self) -> int:
        return self.sample_rate * self.hop_ms // 1000

    @property
    def window_samples(self) -> int:
        return self.sample_rate * self.window_ms // 1000


DEFAULT_RECIPE = FeatureRecipe()


def frame_boundary(frame: npt.ArrayLike, sample_rate: int, hop_ms: int) -> npt.NDArray[np.int64]:
    """First original sample of each frame, in exact integer arithmetic."""
    return (np.asarray(frame, dtype=np.int64) * sample_rate * hop_ms + 500) // 1000


def frame_count(samples: int, sample_rate: int, hop_ms: int) -> int:
    """Frames of a file of `samples` original samples: those that start before its end."""
    return max(0, -(-(samples * 1000 - 500) // (sample_rate * hop_ms)))


class SignalStatistics:
    """Per-frame statistics of the original samples, fed block by block: peak |x|, the largest
    sample-to-sample jump, and the fractions of samples that are exactly zero, near full scale,
    or flat tops. Each is taken over channels first (max |x|, max jump; zero only when every
    channel is), so a dropout or click on any channel shows. Last, the curvature crest: the
    largest |second difference| x[n] - 2x[n-1] + x[n-2] over the frame's values, divided by
    their root mean square (0 for a frame without any). A click is a few samples unlike their
    neighbours, so it stands out of the second difference even when it is far quieter than the
    speech it sits in; the ratio does not depend on gain."""

    def __init__(self, recipe: FeatureRecipe, *, sample_rate: int, channels: int) -> None:
        self.recipe = recipe
        self.sample_rate = sample_rate
        self.channels = channels
        self.samples_seen = 0
        self.frames_started = 0
        self.open_frame: npt.NDArray[np.float64] | None = None  # (8,) the frame still filling
        self.previous = np.zeros((1, channels), np.float32)  # (1, channels) last sample seen
        self.previous_jump = np.zeros(channels, np.float32)  # x[n] - x[n-1] of that sample
        self.scratch = Scratch()

    def add(self, block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Statistics of the frames this block completes: (frames, 6)."""
        # block: (samples, channels)
        if self.samples_seen == 0:
            self.previous = block[:1].copy()  # the file's first sample jumps from nowhere
        starts = self._frame_starts_in(len(block))  # (k,) block offsets where frames begin
        magnitude, jump, curve = self._per_sample(block)
        if not len(starts):
            self.open_frame = _merge(self.open_frame, self._reduce(magnitude, jump, curve, [0])[0])
            return np.zeros((0, len(STATISTIC_NAMES)), np.float32)
        leads_in = starts[0] > 0  # the block opens inside a frame that began earlier
        segments = self._reduce(magnitude, jump, curve, np.r_[0, starts] if leads_in else starts)
        if leads_in:
            self.open_frame = _merge(self.open_frame, segments[0])
            segments = segments[1:]
        done = segments[:-1]
        if self.open_frame is not None:
            done = np.concatenate([self.open_frame[None, :], done])
        self.open_frame = segments[-1]
        return _as_statistics(done)

    def finish(self) -> npt.NDArray[np.float32]:
        """Statistics of the last frame, which may be partial: (0 or 1, 6)."""
        if self.open_frame is None:
            return np.zeros((0, len(STATISTIC_NAMES)), np.float32)
        last, self.open_frame = self.open_frame, None
        return _as_statistics(last[None, :])

    def _frame_starts_in(self, block_samples: int) -> npt.NDArray[np.int64]:
        end = self.samples_seen + block_samples
        frames = frame_count(end, self.sample_rate, self.recipe.hop_ms)
        frame_indices = np.arange(self.frames_started, frames)
        starts = frame_boundary(frame_indices, self.sample_rate, self.recipe.hop_ms)
        starts -= self.samples_seen
        self.samples_seen, self.frames_started = end, frames
        return starts

    def _per_sample(
        self, block: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """|x[n]|, |x[n] - x[n-1]| and |x[n] - 2x[n-1] + x[n-2]|, each (samples * channels,)
        with channels interleaved, as decoded: reducing over channels later, on masks and
        frames, avoids slow strided passes. All live in scratch memory until the next block."""
        interleaved = np.ascontiguousarray(block).reshape(-1)  # (samples * channels,)
        channels = self.channels
        jump = self.scratch.take("jump", len(interleaved), np.float32)
        np.subtract(interleaved[:channels], self.previous[0], out=jump[:channels])
        np.subtract(interleaved[channels:], interleaved[:-channels], out=jump[channels:])
        self.previous = block[-1:].copy()
        curve = self.scratch.take("curve", len(interleaved), np.float32)
        np.subtract(jump[:channels], self.previous_jump, out=curve[:channels])
        np.subtract(jump[channels:], jump[:-channels], out=curve[channels:])
        self.previous_jump = jump[-channels:].copy()
        magnitude = self.scratch.take("magnitude", len(interleaved), np.float32)
        return (
            np.abs(interleaved, out=magnitude),
            np.abs(jump, out=jump),
            np.abs(curve, out=curve),
        )

    def _reduce(
        self,
        magnitude: npt.NDArray[np.float32],  # (samples * channels,) interleaved
        jump: npt.NDArray[np.float32],  # (samples * channels,) interleaved
        curve: npt.NDArray[np.float32],  # (samples * channels,) interleaved, overwritten
        starts: npt.ArrayLike,  # (segments,) first sample of each; the last runs to the end
    ) -> npt.NDArray[np.float64]:
        channels, recipe = self.channels, self.recipe
        sample_starts = np.asarray(starts, dtype=np.intp)
        segments = np.empty((len(sample_starts), PARTIALS), np.float64)
        # Maxima over a frame's interleaved values are maxima over its samples and channels.
        segments[:, PEAK] = np.maximum.reduceat(magnitude, sample_starts * channels)
        segments[:, JUMP] = np.maximum.reduceat(jump, sample_starts * channels)
        segments[:, CURVE_MAX] = np.maximum.reduceat(curve, sample_starts * channels)
        # Per sample, the mean over channels: the sum then splits across blocks like a count.
        segments[:, CURVE_SQUARES] = np.add.reduceat(
            np.square(curve, out=curve), sample_starts * channels, dtype=np.float64
        )
        segments[:, CURVE_SQUARES] /= channels
        values = self.scratch.take("values_mask", len(magnitude), np.bool_)  # (samples * channels,)
        samples = self.scratch.take("samples_mask", len(magnitude) // channels, np.bool_)
        is_zero = _all_channels(np.equal(magnitude, 0, out=values), channels, out=samples)
        segments[:, ZEROS] = _count_in_segments(is_zero, sample_starts)
        is_full = np.greater_equal(magnitude, recipe.near_full_scale, out=values)
        segments[:, FULL_SCALE] = _count_in_segments(
            _any_channel(is_full, channels, out=samples), sample_starts
        )
        is_flat = _all_channels(np.equal(jump, 0, out=values), channels, out=samples)
        if is_flat.any():
            loud_values = self.scratch.take("loud_values", len(magnitude), np.bool_)
            loud_samples = self.scratch.take("loud_samples", len(samples), np.bool_)
            is_loud = np.greater_equal(magnitude, recipe.flat_min_level, out=loud_values)
            is_flat &= _any_channel(is_loud, channels, out=loud_samples)
        segments[:, FLAT] = _count_in_segments(is_flat, sample_starts)
        segments[:, LENGTH] = np.diff(sample_starts, append=len(magnitude) // channels)
        return segments


def _any_channel(
    mask: npt.NDArray[np.bool_], channels: int, *, out: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.bool_]:
    """(samples * channels,) interleaved -> (samples,)."""
    if channels == 1:
        return mask
    if channels in WORD_CHANNELS:  # read each sample's channel flags as one integer
        return np.not_equal(mask.view(f"<u{channels}"), 0, out=out)
    return np.any(mask.reshape(-1, channels), axis=1, out=out)


def _all_channels(
    mask: npt.NDArray[np.bool_], channels: int, *, out: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.bool_]:
    """(samples * channels,) interleaved -> (samples,)."""
    if channels == 1:
        return mask
    if channels in WORD_CHANNELS:
        every_flag = int.from_bytes(b"\x01" * channels, "little")
        return np.equal(mask.view(f"<u{channels}"), every_flag, out=out)
    return np.all(mask.reshape(-1, channels), axis=1, out=out)


def _count_in_segments(
    mask: npt.NDArray[np.bool_], starts: npt.NDArray[np.intp]
) -> npt.NDArray[np.int64]:
    if not mask.any():  # the usual case for zeros and full scale, and the cheap one
        return np.zeros(len(starts), np.int64)
    return np.add.reduceat(mask.view(np.uint8), starts, dtype=np.int64)


def _merge(
    earlier: npt.NDArray[np.float64] | None, later: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """One frame's partial results from two blocks, each (8,)."""
    if earlier is None:
        return later
    merged = earlier + later
    maxima = [PEAK, JUMP, CURVE_MAX]
    merged[maxima] = np.maximum(earlier[maxima], later[maxima])
    return merged


def _as_statistics(segments: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    # segments: (frames, 8) -> (frames, 6) in STATISTIC_NAMES order
    statistics = np.empty((len(segments), len(STATISTIC_NAMES)), np.float64)
    statistics[:, :LENGTH] = segments[:, :LENGTH]
    statistics[:, ZEROS:LENGTH] /= segments[:, LENGTH : LENGTH + 1]
    rms = np.sqrt(segments[:, CURVE_SQUARES] / np.maximum(segments[:, LENGTH], 1.0))
    statistics[:, LENGTH] = np.divide(
        segments[:, CURVE_MAX], rms, out=np.zeros(len(segments)), where=rms > 0
    )
    return statistics.astype(np.float32)


class LogMel:
    """Log-mel bands, log energy and the residual crest of 16 kHz mono audio, fed block by
    block; FFT and framing are ours, the filterbank is librosa's (Slaney).

    The residual crest is how far a frame's samples stray from what the samples before them
    predict: each window gets a linear predictor (autocorrelation method on the Hann-weighted
    window), and the crest is the largest prediction error in the frame's own 10 ms over the
    error's RMS there. Speech, even loud speech, is predictable a sample ahead; a click is not,
    so it stands out even when it is far quieter than the speech, and the 16 kHz audio makes
    it alike at any original sample rate. The ratio does not depend on gain."""

    def __init__(self, recipe: FeatureRecipe) -> None:
        self.recipe = recipe
        self.frames_done = 0
        # Zeros before the file so window i centres on the middle of frame i.
        lead = (recipe.window_samples - recipe.hop_samples) // 2
        self.pending = np.zeros(lead, np.float32)  # samples not yet consumed by a whole hop
        self.scratch = Scratch()

    @cached_property
    def _window(self) -> npt.NDArray[np.float32]:
        size = self.recipe.window_samples  # periodic Hann, as librosa's stft uses
        return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)).astype(np.float32)

    @cached_property
    def _projection(self) -> npt.NDArray[np.float32]:
        """Maps the power spectrum to mel power and mean-square energy, (bins, n_mels + 1), so
        one matrix product does the filterbank and Parseval's energy."""
        recipe = self.recipe
        mel_basis = librosa.filters.mel(
            sr=recipe.sample_rate,
            n_fft=recipe.n_fft,
            n_mels=recipe.n_mels,
            fmin=recipe.fmin_hz,
            fmax=recipe.fmax_hz,
        )  # (n_mels, bins)
        window_energy = float(np.sum(self._window.astype(np.float64) ** 2))
        energy = real_fft_bin_weights(recipe.n_fft) / (recipe.n_fft * window_energy)  # (bins,)
        projection = np.concatenate([mel_basis.T, energy[:, None]], axis=1)  # (bins, n_mels + 1)
        return projection.astype(np.float32)

    def add(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Features of every window the audio so far completes: (frames, n_mels + 2)."""
        size = len(self.pending) + len(samples)
        buffer = self.scratch.take("buffer", size, np.float32)  # (samples,)
        np.concatenate([self.pending, samples], out=buffer)
        window, hop = self.recipe.window_samples, self.recipe.hop_samples
        frames = max(0, (size - window) // hop + 1)
        self.pending = buffer[frames * hop :].copy()  # under a window; the buffer is reused
        self.frames_done += frames
        if not frames:
            return np.zeros((0, self.recipe.n_mels + 2), np.float32)
        windows = np.lib.stride_tricks.sliding_window_view(buffer, window)[::hop][:frames]
        return self._features(windows)

    def finish(self, frames_wanted: int) -> npt.NDArray[np.float32]:
        """The windows still missing for `frames_wanted` frames in all, reaching past the end of
        the audio into silence: (frames, n_mels + 2)."""
        missing = max(0, frames_wanted - self.frames_done)
        padding = np.zeros(missing * self.recipe.hop_samples + self.recipe.window_samples)
        return self.add(padding.astype(np.float32))[:missing]

    def _features(self, windows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        # windows: (frames, window_samples), a strided view
        frames, window = windows.shape
        bins = self.recipe.n_fft // 2 + 1
        weighted = self.scratch.take("weighted", frames * window, np.float32)
        weighted = np.multiply(windows, self._window, out=weighted.reshape(frames, window))
        # scipy's pocketfft keeps float32 and is several times faster here than numpy's.
        spectrum = scipy.fft.rfft(weighted, n=self.recipe.n_fft, overwrite_x=True)
        squares = spectrum.view(np.float32)  # (frames, 2 * bins): re, im, re, im, ...
        np.square(squares, out=squares)
        power = self.scratch.take("power", frames * bins, np.float32).reshape(frames, bins)
        np.add(squares[:, 0::2], squares[:, 1::2], out=power)
        features = np.empty((frames, self.recipe.n_mels + 2), np.float32)
        np.matmul(power, self._projection, out=features[:, :-1])  # all terms >= 0
        features[:, :-1] += LOG_FLOOR
        np.log(features[:, :-1], out=features[:, :-1])
        features[:, -1] = self._residual_crest(windows, power @ self._autocorrelation_basis)
        return features

    @cached_property
    def _autocorrelation_basis(self) -> npt.NDArray[np.float32]:
        """Maps the power spectrum of a weighted window to its autocorrelation at lags
        0..prediction_order, (bins, order + 1): the inverse FFT's first terms as one small
        matrix product. It is circular, but the Hann weighting leaves next to nothing at the
        window's ends to wrap around."""
        n_fft, bins = self.recipe.n_fft, self.recipe.n_fft // 2 + 1
        lags = np.arange(self.recipe.prediction_order + 1)
        cosines = np.cos(2 * np.pi * np.outer(np.arange(bins), lags) / n_fft)
        return (cosines * real_fft_bin_weights(n_fft)[:, None] / n_fft).astype(np.float32)

    def _residual_crest(
        self, windows: npt.NDArray[np.float32], autocorrelation: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """(frames, window_samples) raw windows and (frames, order + 1) autocorrelations of the
        weighted ones -> (frames,) crests."""
        order, hop = self.recipe.prediction_order, self.recipe.hop_samples
        predictor = prediction_filters(autocorrelation)
        first = (windows.shape[1] - hop) // 2  # the frame's own 10 ms
        # history[f, n, k] = windows[f, first - order + n + k]: sample n and the order before it.
        history = np.lib.stride_tricks.sliding_window_view(
            np.ascontiguousarray(windows[:, first - order : first + hop]), order + 1, axis=1
        )
        residual = np.matmul(history, predictor[:, ::-1, None].copy())[..., 0]  # (frames, hop)
        np.abs(residual, out=residual)
        peak = residual.max(axis=1)
        rms = np.sqrt(np.einsum("ij,ij->i", residual, residual) / hop)
        return np.divide(peak, rms, out=np.zeros_like(rms), where=rms > 0)


def real_fft_bin_weights(n_fft: int) -> npt.NDArray[np.float64]:
    """How many spectrum bins each bin of a real FFT stands for (Parseval, the inverse FFT):
    two for interior bins, one for DC and, when n_fft is even, for Nyquist. (n_fft // 2 + 1,)"""
    weights = np.full(n_fft // 2 + 1, 2.0)
    weights[0] = 1.0
    if n_fft % 2 == 0:
        weights[-1] = 1.0
    return weights


def prediction_filters(autocorrelation: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Levinson-Durbin on many windows at once: (windows, order + 1) autocorrelations ->
    (windows, order + 1) prediction-error filters a (a[0] = 1; error[n] = sum_k a[k] x[n - k]).
    A window of silence gets the identity filter."""
    windows, size = autocorrelation.shape
    filters = np.zeros((windows, size), np.float32)
    filters[:, 0] = 1.0
    # A zero lag raised by 1e-4 (a noise floor 40 dB down) keeps near-silent or pure-tone
    # windows well conditioned.
    error = autocorrelation[:, 0] * np.float32(1.0001)
    error[error <= 0] = np.inf  # silence: every reflection is 0
    for step in range(1, size):
        earlier = np.einsum("ij,ij->i", filters[:, 1:step], autocorrelation[:, step - 1 : 0 : -1])
        reflection = -(autocorrelation[:, step] + earlier) / error
        filters[:, 1 : step + 1] += reflection[:, None] * filters[:, step - 1 :: -1]
        error *= 1.0 - np.square(reflection)
    return filters


class FrameFeatures:
    """Rows of every column in `FeatureRecipe.feature_names` order, handed out as soon as both
    the statistics (original samples) and the mel bands (16 kHz samples) of a frame exist."""

    def __init__(self, recipe: FeatureRecipe, *, sample_rate: int, channels: int) -> None:
        self.statistics = SignalStatistics(recipe, sample_rate=sample_rate, channels=channels)
        self.log_mel = LogMel(recipe)
        self.repeat_gain = RepeatGain(recipe.sample_rate)
        self.mel_rows = np.zeros((0, recipe.n_mels + 2), np.float32)
        self.statistic_rows = np.zeros((0, len(STATISTIC_NAMES)), np.float32)
        self.repeat_rows = np.zeros(0, np.float32)

    def add_original(self, block: npt.NDArray[np.float32]) -> None:
        """block: (samples, channels) at the file's own rate."""
        added = self.statistics.add(block)
        self.statistic_rows = np.concatenate([self.statistic_rows, added])

    def add_resampled(self, samples: npt.NDArray[np.float32]) -> None:
        """samples: (samples,) mono at recipe.sample_rate."""
        self.mel_rows = np.concatenate([self.mel_rows, self.log_mel.add(samples)])
        self.repeat_rows = np.concatenate([self.repeat_rows, self.repeat_gain.add(samples)])

    def take_rows(self) -> npt.NDArray[np.float32]:
        """Rows complete so far: (frames, columns)."""
        ready = min(len(self.mel_rows), len(self.statistic_rows), len(self.repeat_rows))
        mel, statistics = self.mel_rows[:ready], self.statistic_rows[:ready]
        repeats = self.repeat_rows[:ready, None]
        rows = np.concatenate([mel[:, :-1], statistics, mel[:, -1:], repeats], axis=1)
        self.mel_rows = self.mel_rows[ready:]
        self.statistic_rows = self.statistic_rows[ready:]
        self.repeat_rows = self.repeat_rows[ready:]
        return rows

    def finish(self) -> npt.NDArray[np.float32]:
        """The remaining rows, once all audio has been added: (frames, columns)."""
        self.statistic_rows = np.concatenate([self.statistic_rows, self.statistics.finish()])
        self.mel_rows = np.concatenate(
            [self.mel_rows, self.log_mel.finish(self.statistics.frames_started)]
        )
        self.mel_rows = self.mel_rows[: len(self.statistic_rows)]
        repeats = self.repeat_gain.finish(self.statistics.frames_started)
        self.repeat_rows = np.concatenate([self.repeat_rows, repeats])[: len(self.statistic_rows)]
        return self.take_rows()
