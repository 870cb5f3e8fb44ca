"""Repeat gain: per 10 ms frame, how much better the audio just played is predicted by a copy of
the audio 25-150 ms before it than by its own pitch period. No Django imports.

A text-to-speech stutter plays a chunk of the waveform again, sample for sample (less a short
crossfade), so over the second play the signal equals itself one chunk earlier. Ordinary speech
never does that over a stretch that holds a change of sound; its best predictor is the previous
pitch period, and a steady vowel, which repeats at every multiple of its period, is predicted as
well by the period itself. So the cue is a ratio of prediction errors over the same window:

    gain = log((pitch error + floor) / (copy error + floor)),  floor = 1e-3 x window energy

with each error the least-squares residual of a two-tap predictor from the lagged samples (two
taps absorb a copy lag that falls between samples). A frame's value is the largest gain of any
window ending inside it, over lags of 25-150 ms and windows 0.9 lag long; 0 means no evidence.

Searching every lag at 8 kHz costs too much for processing, so the search runs in two steps: a
coarse one at 2 kHz over every lag, and a fine one at 8 kHz about the coarse winner, only where
the coarse gain is already large. The ratio does not depend on gain; noise lowers it.

The pitch period is searched over 2.5-22.5 ms (voices down to 44 Hz): a low voice whose period
is longer than the pitch search is predicted by the copy lags alone, and every vowel of it would
look like a stutter. Periods over 15 ms only lower the fine ratio, not the coarse one that
decides where the fine search runs: at 2 kHz a 10 ms frame is 20 samples, and with that many
more lags one of them fits the splice of a real stutter by chance.
"""

import numba
import numpy as np
import numpy.typing as npt
import soxr

FINE_RATE = 8_000
COARSE_RATE = 2_000
STEP = FINE_RATE // COARSE_RATE  # fine samples per coarse sample
FRAME = FINE_RATE // 100  # fine samples per 10 ms frame
COARSE_FRAME = FRAME // STEP
SUBFRAMES = 4  # window ends per frame (every 2.5 ms)
COPY_LAGS_MS = (25, 150)
PITCH_LAGS_MS = (2.5, 15.0)  # searched at both rates
LOW_PITCH_LAGS_MS = (15.0, 22.5)  # only in the fine ratio (see above)
WINDOW_FRACTION = 0.9  # of the lag: a little shorter than one play, so a window fits inside it
FLOOR = 1e-3  # of the window's energy, added to both errors: noise-level errors count as equal
REFINE_ABOVE = 1.5  # coarse ratio from which the fine search runs
# Frames of audio kept before each new block: a window (0.9 x 150 ms) plus its lag (150 ms)
# and the taps, rounded up.
HISTORY_FRAMES = 32


class RepeatGain:
    """Per-frame repeat gain of 16 kHz mono audio fed block by block; frame i covers the 16 kHz
    samples [160 i, 160 i + 160). Blocks of any size give the same values; memory stays at a
    few blocks however long the file."""

    def __init__(self, sample_rate: int = 16_000) -> None:
        self.to_fine = soxr.ResampleStream(sample_rate, FINE_RATE, 1, dtype="float32")
        self.to_coarse = soxr.ResampleStream(sample_rate, COARSE_RATE, 1, dtype="float32")
        # Zeros before the file: no copy of anything, so no gain.
        self.fine = np.zeros(HISTORY_FRAMES * FRAME, np.float64)
        self.coarse = np.zeros(HISTORY_FRAMES * COARSE_FRAME, np.float64)
        self.frames_done = 0

    def add(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Values of every frame the audio so far completes: (frames,)."""
        self._append(self.to_fine.resample_chunk(samples), self.to_coarse.resample_chunk(samples))
        return self._take()

    def finish(self, frames_wanted: int) -> npt.NDArray[np.float32]:
        """The remaining values, with silence after the end, for `frames_wanted` frames in all."""
        empty = np.zeros(0, np.float32)
        self._append(
            self.to_fine.resample_chunk(empty, last=True),
            self.to_coarse.resample_chunk(empty, last=True),
        )
        missing = max(0, frames_wanted - self.frames_done)
        self._append(np.zeros(missing * FRAME), np.zeros(missing * COARSE_FRAME))
        return self._take()[:missing]

    def _append(self, fine: npt.NDArray[np.floating], coarse: npt.NDArray[np.floating]) -> None:
        self.fine = np.concatenate([self.fine, fine])
        self.coarse = np.concatenate([self.coarse, coarse])

    def _take(self) -> npt.NDArray[np.float32]:
        ready = min(len(self.fine) // FRAME, len(self.coarse) // COARSE_FRAME) - HISTORY_FRAMES
        if ready <= 0:
            return np.zeros(0, np.float32)
        total = HISTORY_FRAMES + ready
        values = repeat_gain(
            self.fine[: total * FRAME],
            self.coarse[: total * COARSE_FRAME],
            first=HISTORY_FRAMES,
            origin=self.frames_done - HISTORY_FRAMES,
        )
        self.fine = self.fine[ready * FRAME :]
        self.coarse = self.coarse[ready * COARSE_FRAME :]
        self.frames_done += ready
        return values


def repeat_gain(
    fine: npt.NDArray[np.float64], coarse: npt.NDArray[np.float64], *, first: int, origin: int = 0
) -> npt.NDArray[np.float32]:
    """Gains of frames first.. of `fine` (8 kHz) and `coarse` (2 kHz, the same audio), whose
    earlier frames are the history the windows and lags reach into: (frames - first,). `origin`
    is the file's frame number of the first frame given, so that which window ends are tested
    does not depend on how the file was cut into blocks."""
    frames = len(fine) // FRAME
    fine_signal = _signal(np.ascontiguousarray(fine[: frames * FRAME], dtype=np.float64))
    coarse_signal = _signal(np.ascontiguousarray(coarse[: frames * COARSE_FRAME], np.float64))
    coarse_ratio, pitch_guess = _pitch_errors(coarse_signal, COARSE_FRAME, frames, PITCH_LAGS_MS)
    _, low_pitch_guess = _pitch_errors(coarse_signal, COARSE_FRAME, frames, LOW_PITCH_LAGS_MS)
    fine_ratio = np.minimum(
        _pitch_errors(fine_signal, FRAME, frames, PITCH_LAGS_MS, pitch_guess)[0],
        _pitch_errors(fine_signal, FRAME, frames, LOW_PITCH_LAGS_MS, low_pitch_guess)[0],
    )
    first_sub, count = first * SUBFRAMES, (frames - first) * SUBFRAMES
    coarse_pitch = _pitch_sums(coarse_signal, coarse_ratio, COARSE_FRAME)
    coarse_best, coarse_lag = _coarse_search(
        coarse_signal, coarse_pitch, first_sub, count, origin * SUBFRAMES
    )
    fine_pitch = _pitch_sums(fine_signal, fine_ratio, FRAME)
    gains = _fine_search(fine_signal, fine_pitch, coarse_best, coarse_lag, first_sub, count)
    return gains.astype(np.float32)


# ------------------------------------------------------------------------------ kernels (numba)
# A signal is (samples, running sums of squares, running sums of y[n] y[n - 1]), so that any
# window's energy and lag-1 product are two lookups; the pitch error is summed the same way, per
# sub-frame.


@numba.njit(cache=True)
def _signal(y):  # pragma: no cover - compiled
    squares = np.zeros(len(y) + 1)
    neighbours = np.zeros(len(y) + 1)
    for n in range(len(y)):
        squares[n + 1] = squares[n] + y[n] * y[n]
        neighbours[n + 1] = neighbours[n] + (y[n] * y[n - 1] if n > 0 else 0.0)
    return y, squares, neighbours


@numba.njit(cache=True, fastmath=True)
def _two_tap_error(energy, c0, c1, g00, g11, g01):  # pragma: no cover - compiled
    """Least-squares error of predicting a window (energy) from two lagged copies of it (Gram
    matrix g, cross terms c0 and c1)."""
    det = max(g00 * g11 - g01 * g01, 1e-6 * g00 * g11 + 1e-30)
    explained = (c0 * c0 * g11 - 2.0 * c0 * c1 * g01 + c1 * c1 * g00) / det
    return max(energy - explained, 0.0)


@numba.njit(cache=True, fastmath=True)
def _lag_error(signal, start, end, lag, c0, c1):  # pragma: no cover - compiled
    """Two-tap error of y[start:end] predicted from y[start - lag:] and y[start - lag - 1:],
    given the cross terms c0 and c1 of the window with them."""
    _, squares, neighbours = signal
    # Unsigned indices: numba then skips its negative-index check on each lookup. Callers keep
    # start - lag - 1 >= 0 (the history before each block), as they always had to.
    start, end, lag = np.uint64(start), np.uint64(end), np.uint64(lag)
    return _two_tap_error(
        squares[end] - squares[start],
        c0,
        c1,
        squares[end - lag] - squares[start - lag],
        squares[end - lag - np.uint64(1)] - squares[start - lag - np.uint64(1)],
        neighbours[end - lag] - neighbours[start - lag],
    )


@numba.njit(cache=True, fastmath=True)
def _cross_term(y, start, end, lag):  # pragma: no cover - compiled
    # Indexing two slices from 0 lets numba drop its negative-index check, so LLVM vectorises
    # the sum: y[n - lag] inside the loop kept it scalar, at a quarter of the speed.
    window, lagged = y[start:end], y[start - lag : end - lag]
    total = 0.0
    for n in range(len(window)):
        total += window[n] * lagged[n]
    return total


@numba.njit(cache=True, fastmath=True)
def _direct_lag_error(signal, start, end, lag):  # pragma: no cover - compiled
    y = signal[0]
    c0 = _cross_term(y, start, end, lag)
    return _lag_error(signal, start, end, lag, c0, _cross_term(y, start, end, lag + 1))


@numba.njit(cache=True)
def _pitch_errors(signal, frame, frames, lags_ms, guess=None):  # pragma: no cover - compiled
    """Per frame, the smallest two-tap error over pitch lags in `lags_ms` as a fraction of the
    frame's energy, and its lag. With `guess` (the coarse rate's lags), only lags within one
    coarse sample of them are tried."""
    step = frame // COARSE_FRAME  # samples per coarse sample at this rate
    lag_lo = int(lags_ms[0] * COARSE_RATE / 1000) * step
    lag_hi = int(lags_ms[1] * COARSE_RATE / 1000) * step
    y, squares = signal[0], signal[1]
    ratio = np.ones(frames)
    best_lag = np.zeros(frames, np.int64)
    cross = np.empty(lag_hi - lag_lo + 2)  # the frame with itself lag_lo.. samples back
    for i in range(frames):
        start, end = i * frame, (i + 1) * frame
        energy = squares[end] - squares[start]
        if energy <= 0.0 or start - lag_hi - 1 < 0:
            continue
        lo, hi = lag_lo, lag_hi
        if guess is not None and guess[i] > 0:
            lo, hi = max(lag_lo, step * (guess[i] - 1)), min(lag_hi, step * (guess[i] + 1))
        # Lag L's second tap is lag L + 1's first: each cross term is summed once.
        for lag in range(lo, hi + 2):
            cross[lag - lo] = _cross_term(y, start, end, lag)
        best = energy
        for lag in range(lo, hi + 1):
            error = _lag_error(signal, start, end, lag, cross[lag - lo], cross[lag - lo + 1])
            if error < best:
                best, best_lag[i] = error, lag
        ratio[i] = best / energy
    return ratio, best_lag


@numba.njit(cache=True, fastmath=True)
def _pitch_sums(signal, ratio, frame):  # pragma: no cover - compiled
    """Running sums over sub-frames of the pitch error (the frame's ratio x the energy)."""
    squares = signal[1]
    sub = frame // SUBFRAMES
    pitch = np.zeros(len(ratio) * SUBFRAMES + 1)
    for j in range(len(pitch) - 1):
        pitch[j + 1] = pitch[j] + ratio[j // SUBFRAMES] * (
            squares[(j + 1) * sub] - squares[j * sub]
        )
    return pitch


@numba.njit(cache=True, fastmath=True)
def _window_ratio(signal, pitch, sub, start_sub, end_sub, error):  # pragma: no cover - compiled
    """Pitch error over copy error for the window of sub-frames start_sub .. end_sub - 1."""
    squares = signal[1]
    floor = FLOOR * (squares[end_sub * sub] - squares[start_sub * sub]) + 1e-20
    return (pitch[end_sub] - pitch[start_sub] + floor) / (error + floor)


@numba.njit(cache=True, fastmath=True)
def _running_products(y, sub, first_sub, count, lag_lo, lags):  # pragma: no cover - compiled
    """out[j, k]: the sum of y[n] y[n - lag_lo - k] over sub-frames first_sub .. first_sub + j
    - 1, (count + 1, lags)."""
    reversed_y = y[::-1].copy()  # y[m] = reversed_y[last - m]: every lag read forwards
    last = len(y) - 1
    out = np.zeros((count + 1, lags))
    for j in range(count):
        row = out[j + 1]
        row[:] = out[j]
        for n in range((first_sub + j) * sub, (first_sub + j + 1) * sub):
            lagged = reversed_y[last - n + lag_lo : last - n + lag_lo + lags]
            for k in range(lags):
                row[k] += y[n] * lagged[k]
    return out


@numba.njit(cache=True, fastmath=True)
def _coarse_search(signal, pitch, first_sub, count, origin_sub):  # pragma: no cover - compiled
    """Per window end (after sub-frame first_sub + j), the best ratio over every copy lag at the
    coarse rate, and that lag. origin_sub: the file's number of sub-frame 0."""
    sub = COARSE_FRAME // SUBFRAMES
    lag_lo = COPY_LAGS_MS[0] * COARSE_RATE // 1000
    lags = COPY_LAGS_MS[1] * COARSE_RATE // 1000 - lag_lo + 1
    widths = np.empty(lags, np.int64)
    strides = np.empty(lags, np.int64)
    for k in range(lags):
        widths[k] = max(2, int(WINDOW_FRACTION * (lag_lo + k) / sub))
        # A window 0.9 lag long fits inside one play at any end in the play's last 0.1 lag, so
        # ends that far apart are enough; the fine search then looks at every end about them.
        strides[k] = max(1, int((1.0 - WINDOW_FRACTION) * (lag_lo + k) / sub))
    # Strides grow with the lag: runs of lags sharing one, so a window end is tested once a run.
    run_starts = [0] + [k for k in range(1, lags) if strides[k] != strides[k - 1]] + [lags]
    first_product = first_sub - widths[-1]  # the earliest window start
    products = _running_products(
        signal[0], sub, first_product, first_sub + count - first_product, lag_lo, lags + 1
    )
    best = np.ones(count)
    best_lag = np.zeros(count, np.int64)
    for j in range(count):
        end_sub = first_sub + j + 1
        end_row = products[end_sub - first_product]
        for run in range(len(run_starts) - 1):
            if (origin_sub + end_sub) % strides[run_starts[run]]:
                continue
            for k in range(run_starts[run], run_starts[run + 1]):
                start_sub = end_sub - widths[k]
                start_row = products[start_sub - first_product]
                lag = lag_lo + k
                error = _lag_error(
                    signal,
                    start_sub * sub,
                    end_sub * sub,
                    lag,
                    end_row[k] - start_row[k],
                    end_row[k + 1] - start_row[k + 1],
                )
                ratio = _window_ratio(signal, pitch, sub, start_sub, end_sub, error)
                if ratio > best[j]:
                    best[j], best_lag[j] = ratio, lag
    return best, best_lag


@numba.njit(cache=True, fastmath=True)
def _fine_search(signal, pitch, coarse_best, coarse_lag, first_sub, count):  # pragma: no cover
    """Per frame, the largest log ratio of the windows ending in it, each searched at the fine
    rate within one coarse sample of its coarse lag; 0 where the coarse ratio is small."""
    sub = FRAME // SUBFRAMES
    out = np.zeros(count // SUBFRAMES)
    for j in range(count):
        if coarse_best[j] < REFINE_ABOVE or coarse_lag[j] == 0:
            continue
        end_sub = first_sub + j + 1
        best = 1.0
        for lag in range(STEP * (coarse_lag[j] - 1) + 1, STEP * (coarse_lag[j] + 1) + 1):
            start_sub = end_sub - max(2, int(WINDOW_FRACTION * lag / sub))
            error = _direct_lag_error(signal, start_sub * sub, end_sub * sub, lag)
            best = max(best, _window_ratio(signal, pitch, sub, start_sub, end_sub, error))
        out[j // SUBFRAMES] = max(out[j // SUBFRAMES], np.log(best))
    return out
