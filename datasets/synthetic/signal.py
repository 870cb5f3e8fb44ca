"""Signal helpers of the generator: trimming speech, where speech is active, noise, resampling."""

import numpy as np
import soxr

SPEECH_EDGE_DB = -40.0  # speech starts and ends where |x| first and last reaches peak - 40 dB
ACTIVE_DB = -28.0  # a 10 ms frame within 28 dB of the loud frames counts as active speech
ACTIVE_REFERENCE_PERCENTILE = 95.0
FRAME_MS = 10


def quiet_level(samples: np.ndarray) -> float:
    return float(np.abs(samples).max()) * 10 ** (SPEECH_EDGE_DB / 20)


def speech_bounds(samples: np.ndarray) -> tuple[int, int]:
    """(first, last + 1): the stretch from the first to the last sample at the quiet level."""
    loud = np.flatnonzero(np.abs(samples) >= quiet_level(samples))
    if loud.size == 0:
        raise RuntimeError("the speech is silent")
    return int(loud[0]), int(loud[-1]) + 1


def trim_to_speech(samples: np.ndarray) -> np.ndarray:
    """`samples` cut to `speech_bounds` (a copy)."""
    first, end = speech_bounds(samples)
    return samples[first:end].copy()


def longest_quiet_run(samples: np.ndarray) -> tuple[int, int]:
    """(start, end) sample indices of the longest run below the quiet level, end exclusive."""
    quiet = (np.abs(samples) < quiet_level(samples)).astype(np.int8)
    edges = np.diff(np.concatenate([[0], quiet, [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        raise RuntimeError("the speech has no quiet stretch")
    longest = int(np.argmax(ends - starts))
    return int(starts[longest]), int(ends[longest])


def fade_edges(samples: np.ndarray, sample_rate: int, *, fade_ms: float = 3.0) -> np.ndarray:
    """Linear fade-in and fade-out, in place; returns `samples`."""
    length = min(len(samples) // 2, int(sample_rate * fade_ms / 1000))
    if length > 0:
        ramp = np.arange(length) / length
        samples[:length] *= ramp
        samples[len(samples) - length :] *= ramp[::-1]
    return samples


def frame_rms(samples: np.ndarray, frame: int) -> np.ndarray:
    """RMS of each whole frame of `frame` samples, shape (len // frame,)."""
    count = len(samples) // frame
    frames = samples[: count * frame].reshape(count, frame)
    return np.sqrt(np.mean(frames**2, axis=1))


class ActiveSpeech:
    """Which 10 ms frames of a clean (noise-free) signal hold speech, asked for in seconds."""

    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        self.frame_s = FRAME_MS / 1000
        rms = frame_rms(samples, sample_rate * FRAME_MS // 1000)
        reference = np.percentile(rms, ACTIVE_REFERENCE_PERCENTILE) if rms.size else 0.0
        self.is_active = rms >= reference * 10 ** (ACTIVE_DB / 20)
        self.rms = rms

    def share(self, start_s: float, end_s: float) -> float:
        """The share of the frames in [start_s, end_s) that are active (0 outside the signal)."""
        first = int(start_s / self.frame_s)
        last = int(np.ceil(end_s / self.frame_s))
        frames = self.is_active[max(first, 0) : last]
        return float(frames.mean()) if frames.size else 0.0

    def speech_rms(self) -> float:
        """RMS over the active frames: the level the SNR is measured against."""
        active = self.rms[self.is_active]
        return float(np.sqrt(np.mean(active**2))) if active.size else 0.0


def coloured_noise(
    rng: np.random.Generator, length: int, *, alpha: float, sample_rate: int
) -> np.ndarray:
    """Gaussian noise whose power falls as 1/f^alpha (0 white, 1 pink, 2 brown), unit RMS.
    Below 20 Hz the spectrum stays flat, so low alphas do not turn into a slow drift."""
    # Made at a power-of-two length and cut: FFTs of lengths with large prime factors are slow.
    padded = 1 << max(length - 1, 1).bit_length()
    bins = padded // 2 + 1
    spectrum = rng.standard_normal(bins) + 1j * rng.standard_normal(bins)
    frequencies = np.fft.rfftfreq(padded, 1 / sample_rate)
    spectrum *= (np.maximum(frequencies, 20.0) / 1000.0) ** (-alpha / 2)
    spectrum[0] = 0.0  # no DC offset
    noise = np.fft.irfft(spectrum, padded)[:length]
    return noise / max(float(np.sqrt(np.mean(noise**2))), 1e-12)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """soxr's high-quality resampler; time is kept (sample i at from_rate lies at the same
    instant as sample i * to_rate / from_rate)."""
    if from_rate == to_rate:
        return samples.copy()
    return soxr.resample(samples, from_rate, to_rate, quality="HQ")
