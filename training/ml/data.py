"""Frame targets, the network's input and training windows, all from the stored frame features
(datasets/audio/features.py: 64 log-mel bands, log energy, seven signal statistics and the
repeat gain per 10 ms frame). No Django imports.

Frame `i` covers [i * hop_ms, (i + 1) * hop_ms) of the file. The input is level-independent: the
log powers are taken relative to one robust level of the file (`file_level`) and the statistics
are turned into gain-free forms, so a file played louder or quieter gives the same input.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

HOP_MS = 10
N_MELS = 64
# Stored columns (FeatureRecipe.feature_names of relay-features-5).
(
    ENERGY,
    PEAK,
    MAX_JUMP,
    ZERO_FRACTION,
    FULL_SCALE_FRACTION,
    FLAT_FRACTION,
    CURVATURE_CREST,
    RESIDUAL_CREST,
    REPEAT_GAIN,
) = range(64, 73)
STORED_COLUMNS = 73
# Input channels before normalisation: mel bands and energy relative to the file's level, peak
# and largest jump as log powers relative to it, the jump relative to the frame's own peak, the
# curvature and residual crests on a log scale, the repeat gain (a log ratio already) and the
# three fractions as they are.
INPUT_NAMES = (
    *(f"mel_{band}" for band in range(N_MELS)),
    "log_energy",
    "log_peak",
    "log_max_jump",
    "jump_to_peak",
    "log_curvature_crest",
    "log_residual_crest",
    "repeat_gain",
    "zero_fraction",
    "full_scale_fraction",
    "flat_fraction",
)
INPUT_SIZE = len(INPUT_NAMES)  # 74
LOG_PEAK = INPUT_NAMES.index("log_peak")
# The jump inputs, which a different original sample rate moves together (see augment_window).
JUMP_INPUTS = [INPUT_NAMES.index("log_max_jump"), INPUT_NAMES.index("jump_to_peak")]
CREST_INPUTS = [INPUT_NAMES.index("log_curvature_crest"), INPUT_NAMES.index("log_residual_crest")]
FRACTIONS = slice(INPUT_NAMES.index("zero_fraction"), INPUT_SIZE)  # already in [0, 1]: as is
SPEECH_BELOW_LEVEL = -5.0  # frames within 22 dB of the level count as speech
LEVEL_PERCENTILE = 95.0  # of log energy: the level of loud speech, not of pauses
FLOOR_BELOW_LEVEL = -18.0  # natural-log power floor relative to the level (78 dB down)
STUTTER_LAGS = tuple(range(3, 16))  # 30-150 ms: the chunk lengths a TTS loop repeats
MIN_TARGET_MS = 80  # shorter events are trained as this long (see widen_events)
POSITION_CHANNELS = 2  # follow the inputs: see position_channels
# Longer than the silence a recording starts or ends with, so a pause this far from both ends
# is between words.
EDGE_HORIZON_FRAMES = 150


@dataclass(frozen=True)
class LabelledFile:
    """One file's stored features and its reference events (artifact_type, start_ms, end_ms)."""

    name: str
    features: npt.NDArray[np.floating]  # (frames, 73) as stored
    events: Sequence[tuple[str, float, float]]

    @property
    def frames(self) -> int:
        return len(self.features)


@dataclass(frozen=True)
class InputStatistics:
    """Per-channel mean and standard deviation of the level-relative input over training files."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "InputStatistics":
        return cls(mean=tuple(data["mean"]), std=tuple(data["std"]))


# ---------------------------------------------------------------------------------- targets


def widen_events(
    events: Sequence[tuple[str, float, float]], *, min_target_ms: float = MIN_TARGET_MS
) -> list[tuple[str, float, float]]:
    """Events shorter than `min_target_ms` grown symmetrically to it. A click is labelled 20 ms
    but inference drops detections shorter than 50 ms, so the network is taught to mark a little
    more than the label; 80 ms about a 20 ms label still meets a 50 ms onset/offset collar."""
    widened = []
    for artifact_type, start_ms, end_ms in events:
        missing_ms = min_target_ms - (end_ms - start_ms)
        if missing_ms > 0:
            start_ms, end_ms = start_ms - missing_ms / 2, end_ms + missing_ms / 2
        widened.append((artifact_type, start_ms, end_ms))
    return widened


def frame_targets(
    events: Sequence[tuple[str, float, float]],
    *,
    artifact_types: Sequence[str],
    frames: int,
    hop_ms: int = HOP_MS,
    min_target_ms: float = MIN_TARGET_MS,
) -> npt.NDArray[np.float32]:
    """(frames, types) of 0/1: a frame is 1 for a type when any part of it lies inside a (widened)
    event of that type. Events of other types are ignored; events are clipped to the file."""
    targets = np.zeros((frames, len(artifact_types)), np.float32)
    column_of = {name: column for column, name in enumerate(artifact_types)}
    for artifact_type, start_ms, end_ms in widen_events(events, min_target_ms=min_target_ms):
        column = column_of.get(artifact_type)
        if column is None or end_ms <= start_ms:
            continue
        first = max(0, math.floor(start_ms / hop_ms))
        last = min(frames, math.ceil(end_ms / hop_ms))  # exclusive
        targets[first:last, column] = 1.0
    return targets


# ----------------------------------------------------------------------------------- inputs


def file_level(features: npt.NDArray[np.floating]) -> float:
    """The file's robust loudness: a high percentile of its frames' log energy (natural log of
    mean-square). Reads one column, so a memory-mapped hour costs little."""
    energy = np.asarray(features[:, ENERGY], dtype=np.float32)
    if not len(energy):
        return 0.0
    return float(np.percentile(energy, LEVEL_PERCENTILE))


def relative_inputs(features: npt.NDArray[np.floating], level: float) -> npt.NDArray[np.float32]:
    """(frames, 73) stored features -> (frames, 74) level-independent inputs, unnormalised."""
    stored = np.asarray(features, dtype=np.float32)
    frames = len(stored)
    inputs = np.empty((frames, INPUT_SIZE), np.float32)
    np.subtract(stored[:, : N_MELS + 1], level, out=inputs[:, : N_MELS + 1])
    np.maximum(inputs[:, : N_MELS + 1], FLOOR_BELOW_LEVEL, out=inputs[:, : N_MELS + 1])
    floor = math.exp(level + FLOOR_BELOW_LEVEL)  # the same floor, as a power
    peak_power = np.square(stored[:, PEAK]) + floor
    jump_power = np.square(stored[:, MAX_JUMP]) + floor
    inputs[:, 65] = np.log(peak_power) - level
    inputs[:, 66] = np.log(jump_power) - level
    inputs[:, 67] = np.log(jump_power / peak_power)
    inputs[:, 68] = np.log1p(stored[:, CURVATURE_CREST])
    inputs[:, 69] = np.log1p(stored[:, RESIDUAL_CREST])
    inputs[:, 70] = stored[:, REPEAT_GAIN]
    inputs[:, FRACTIONS] = stored[:, ZERO_FRACTION:CURVATURE_CREST]
    return inputs


def input_statistics(files: Sequence[LabelledFile]) -> InputStatistics:
    """Mean and spread of each input channel, pooled over all frames of `files` (the training
    files; validation files never shape the normalisation)."""
    total = np.zeros(INPUT_SIZE, np.float64)
    squares = np.zeros(INPUT_SIZE, np.float64)
    count = 0
    for labelled in files:
        inputs = relative_inputs(labelled.features, file_level(labelled.features))
        total += inputs.sum(axis=0, dtype=np.float64)
        squares += np.square(inputs, dtype=np.float64).sum(axis=0)
        count += len(inputs)
    if count == 0:
        raise ValueError("Input statistics need at least one frame of training audio")
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    mean[FRACTIONS], std[FRACTIONS] = 0.0, 1.0
    std = np.maximum(std, 1e-3)
    return InputStatistics(mean=tuple(mean.tolist()), std=tuple(std.tolist()))


def normalized_inputs(
    features: npt.NDArray[np.floating], statistics: InputStatistics, *, level: float | None = None
) -> npt.NDArray[np.float32]:
    """(frames, 73) stored -> (frames, 74) network input. `level` defaults to the features' own
    (pass the whole file's level when `features` is a piece of it)."""
    if level is None:
        level = file_level(features)
    inputs = relative_inputs(features, level)
    inputs -= np.asarray(statistics.mean, np.float32)
    inputs /= np.asarray(statistics.std, np.float32)
    return inputs


def position_channels(first: int, frames: int, file_frames: int) -> npt.NDArray[np.float32]:
    """(frames, 2) for frames first .. first + frames - 1 of a file of `file_frames` (some may
    lie outside it): 1 inside the file and 0 beyond it; and the distance to the file's nearer
    end in EDGE_HORIZON_FRAMES, capped at 1 (0 beyond it). Silence before the first word and
    after the last is no pause, and the distance tells it apart wherever the network's view
    ends."""
    index = np.arange(first, first + frames)
    inside = (index >= 0) & (index < file_frames)
    distance = np.minimum(index + 1, file_frames - index) / EDGE_HORIZON_FRAMES
    channels = np.zeros((frames, POSITION_CHANNELS), np.float32)
    channels[:, 0] = inside
    channels[:, 1] = np.where(inside, np.minimum(distance, 1.0), 0.0)
    return channels


def stutter_similarity(mel: torch.Tensor, lags: Sequence[int] = STUTTER_LAGS) -> torch.Tensor:
    """How alike each frame's spectral change is to the change `lag` frames back, for each lag:
    (batch, n_mels, frames) -> (batch, len(lags), frames), cosines in [-1, 1].

    A chunk of speech played again repeats its frame-to-frame changes one chunk later, so a
    stutter shows as a run of high similarity at its chunk length. Changes (first differences
    over time, less their mean over bands) rather than the spectra themselves: every speech
    spectrum looks much like every other, while a sustained vowel changes little and at random.
    The first frame and frames whose partner lies before the start give 0."""
    change = torch.nn.functional.pad(mel[:, :, 1:] - mel[:, :, :-1], (1, 0))
    change = change - change.mean(dim=1, keepdim=True)
    change = change / (change.norm(dim=1, keepdim=True) + 1e-3)  # (batch, n_mels, frames)
    frames = change.shape[-1]
    similarities = []
    for lag in lags:
        product = (change[:, :, lag:] * change[:, :, : frames - lag]).sum(dim=1)
        similarities.append(torch.nn.functional.pad(product, (lag, 0)))  # (batch, frames)
    return torch.stack(similarities, dim=1)


def repeated_peaks(log_peak: torch.Tensor) -> torch.Tensor:
    """1 where a frame's peak equals its neighbour's exactly, else 0: (batch, frames) ->
    (batch, 1, frames). Clipping flattens the loudest frames at one level, so their peaks
    repeat; the peaks of two frames of natural audio rarely agree to float16 precision."""
    same = log_peak[:, 1:] == log_peak[:, :-1]  # (batch, frames - 1)
    pad = torch.nn.functional.pad
    repeats = pad(same, (1, 0)) | pad(same, (0, 1))
    return repeats.to(log_peak.dtype)[:, None]


# ------------------------------------------------------------------------------ augmentation


@dataclass(frozen=True)
class Augmentation:
    """Changes that real recordings make and the stored features can show. Units: natural-log
    power (1.0 is about 4.3 dB). Each applies to a whole training window."""

    tilt_probability: float = 0.5
    max_tilt: float = 1.5  # across all mel bands, either way
    noise_probability: float = 0.3
    # Noise this far under the level: 13-39 dB, down to about 10 dB SNR. A pause in a 14 dB SNR
    # recording lies 18.6 dB (4.3) under it: with -4 (17 dB) as the noisiest, 2 % of windows
    # were that noisy, and the model found such pauses only in part.
    noise_below_level: tuple[float, float] = (-9.0, -3.0)
    band_limit_probability: float = 0.3  # a low original sample rate: no energy above a cutoff
    jump_shift_std: float = 0.5  # how smooth a waveform looks depends on its sample rate
    # How sharp voiced speech is depends on the engine: pulse-excited voices (flite, Klatt)
    # raise both crests of every speech frame. Shifting them teaches the network to find a
    # click by how it stands out of its neighbours rather than by one engine's crest level.
    crest_shift_probability: float = 0.5
    crest_shift: tuple[float, float] = (-0.1, 0.35)  # on the log1p scale of the crests
    frequency_mask_probability: float = 0.3
    max_masked_bands: int = 8

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def augment_window(
    inputs: npt.NDArray[np.float32],  # (frames, 74) unnormalised, relative to the level
    statistics: InputStatistics,
    augmentation: Augmentation,
    rng: np.random.Generator,
) -> npt.NDArray[np.float32]:
    """One window changed as a different microphone, noise floor or sample rate would change
    it; returns a new array in the same (unnormalised) units."""
    out = inputs.copy()
    mel = out[:, :N_MELS]
    if rng.random() < augmentation.tilt_probability:
        slope = rng.uniform(-augmentation.max_tilt, augmentation.max_tilt)
        mel += np.linspace(-slope / 2, slope / 2, N_MELS, dtype=np.float32)
    if rng.random() < augmentation.noise_probability:
        noise_level = rng.uniform(*augmentation.noise_below_level)
        noise_tilt = rng.uniform(-2.0, 1.0)  # mostly pink-ish: more noise low down
        noise = noise_level + np.linspace(-noise_tilt / 2, noise_tilt / 2, N_MELS)
        np.logaddexp(mel, noise.astype(np.float32), out=mel)
        out[:, N_MELS] = np.logaddexp(out[:, N_MELS], noise_level)
    if rng.random() < augmentation.band_limit_probability:
        # About 3-6.4 kHz on the Slaney mel scale: 8 kHz audio stops at band 50, 11 kHz at 57.
        cutoff_band = int(rng.integers(44, 60))
        mel[:, cutoff_band:] = FLOOR_BELOW_LEVEL
    np.maximum(mel, FLOOR_BELOW_LEVEL, out=mel)
    out[:, JUMP_INPUTS] += rng.normal(0.0, augmentation.jump_shift_std)
    if rng.random() < augmentation.crest_shift_probability:
        speech = out[:, N_MELS] > SPEECH_BELOW_LEVEL  # (frames,) log energy near the level
        out[np.ix_(speech, CREST_INPUTS)] += rng.uniform(*augmentation.crest_shift)
    if rng.random() < augmentation.frequency_mask_probability:
        width = int(rng.integers(1, augmentation.max_masked_bands + 1))
        first = int(rng.integers(0, N_MELS - width + 1))
        mel[:, first : first + width] = np.asarray(statistics.mean[first : first + width])
    return out


# ---------------------------------------------------------------------------- validation split


def split_by_file(
    files: Sequence[LabelledFile],
    *,
    validation_split: float,
    artifact_types: Sequence[str],
    seed: int,
) -> tuple[list[LabelledFile], list[LabelledFile]]:
    """(training, validation): round(validation_split x files) whole files held out, seeded.
    Stratified: files are taken first for the type with the fewest validation events so far, so
    every type that occurs in two or more files gets validation events (one file of each type
    stays in training). Raises ValueError when the split would leave no training file."""
    if not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    if validation_split == 0:
        return list(files), []
    n_validation = max(1, round(validation_split * len(files)))
    if n_validation >= len(files):
        raise ValueError(
            f"A validation split of {validation_split} needs at least "
            f"{math.ceil(1 / validation_split) + 1} files; got {len(files)}"
        )
    rng = np.random.default_rng(seed)
    order = [int(index) for index in rng.permutation(len(files))]
    has_type = [_type_counts(files[index], artifact_types) > 0 for index in order]
    files_with = np.sum(has_type, axis=0) if has_type else np.zeros(len(artifact_types))
    held = np.zeros(len(artifact_types), np.int64)  # validation files holding each type
    remaining = list(range(len(order)))  # positions in `order`
    chosen: list[int] = []
    while len(chosen) < n_validation:
        pick = remaining[0]
        for column in np.argsort(held / np.maximum(files_with, 1), kind="stable"):
            left_in_training = files_with[column] - held[column]
            if held[column] >= validation_split * files_with[column] or left_in_training < 2:
                continue  # this type has its share, or its last training file would go
            pick = next(i for i in remaining if has_type[i][column])
            break
        remaining.remove(pick)
        chosen.append(pick)
        held += has_type[pick]
    held_out = {order[i] for i in chosen}
    training = [labelled for index, labelled in enumerate(files) if index not in held_out]
    validation = [labelled for index, labelled in enumerate(files) if index in held_out]
    return training, validation


def _type_counts(labelled: LabelledFile, artifact_types: Sequence[str]) -> npt.NDArray[np.int64]:
    return np.array(
        [sum(1 for event in labelled.events if event[0] == name) for name in artifact_types]
    )


# ------------------------------------------------------------------------------------ windows


@dataclass
class PreparedFile:
    """A file ready for sampling: its unnormalised inputs with `context` zero frames at each end
    and its targets."""

    name: str
    inputs: npt.NDArray[np.float32]  # (frames, 74), relative to the file's level
    targets: npt.NDArray[np.float32]  # (frames, types)
    event_frames: list[tuple[int, int, int]]  # (type column, first frame, end frame)


def prepare_file(
    labelled: LabelledFile, *, artifact_types: Sequence[str], min_target_ms: float
) -> PreparedFile:
    inputs = relative_inputs(labelled.features, file_level(labelled.features))
    targets = frame_targets(
        labelled.events,
        artifact_types=artifact_types,
        frames=len(inputs),
        min_target_ms=min_target_ms,
    )
    column_of = {name: column for column, name in enumerate(artifact_types)}
    event_frames = [
        (column_of[name], int(start_ms // HOP_MS), math.ceil(end_ms / HOP_MS))
        for name, start_ms, end_ms in labelled.events
        if name in column_of
    ]
    return PreparedFile(labelled.name, inputs, targets, event_frames)


@dataclass(frozen=True)
class Window:
    file_index: int
    first: int  # first frame whose loss counts
    frames: int  # frames whose loss counts


def sample_windows(
    files: Sequence[PreparedFile],
    *,
    window_frames: int,
    types: int,
    event_fraction: float,
    rng: np.random.Generator,
) -> list[Window]:
    """One epoch of windows whose loss frames add up to all training frames. A share
    `event_fraction` of the windows is placed about an event, types taken in turn, so a type
    of a few short events is seen in many batches; the rest fall anywhere, uniformly in time."""
    total_frames = sum(len(prepared.inputs) for prepared in files)
    lengths = np.array([len(prepared.inputs) for prepared in files], np.float64)
    events_by_type: list[list[tuple[int, int, int]]] = [[] for _ in range(types)]
    for file_index, prepared in enumerate(files):
        for column, first, end in prepared.event_frames:
            events_by_type[column].append((file_index, first, end))
    present = [column for column in range(types) if events_by_type[column]]
    windows: list[Window] = []
    covered = 0
    while covered < total_frames:
        if present and rng.random() < event_fraction:
            column = present[int(rng.integers(len(present)))]
            file_index, first, end = events_by_type[column][
                int(rng.integers(len(events_by_type[column])))
            ]
            centre = int(rng.integers(first, max(first + 1, end)))
            start = centre - int(rng.integers(window_frames // 8, window_frames * 7 // 8))
        else:
            file_index = int(rng.choice(len(files), p=lengths / lengths.sum()))
            start = int(rng.integers(-window_frames // 2, len(files[file_index].inputs)))
        file_frames = len(files[file_index].inputs)
        length = min(window_frames, file_frames)
        start = int(np.clip(start, 0, file_frames - length))
        start -= start % 2  # pair frames as inference does: (2i, 2i + 1)
        windows.append(Window(file_index, start, length))
        covered += length
    return windows


def window_batch(
    files: Sequence[PreparedFile],
    windows: Sequence[Window],
    *,
    context: int,
    statistics: InputStatistics,
    augmentation: Augmentation | None,
    rng: np.random.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs (batch, 75, frames), targets (batch, types, frames), loss mask (batch, 1,
    frames)): each window with `context` frames of real audio either side where the file has
    them and zeros beyond it, exactly as inference sees a file. The last two channels are the
    window's `position_channels`."""
    length = max(window.frames for window in windows) + 2 * context
    types = files[0].targets.shape[1]
    inputs = np.zeros((len(windows), length, INPUT_SIZE + POSITION_CHANNELS), np.float32)
    targets = np.zeros((len(windows), length, types), np.float32)
    mask = np.zeros((len(windows), length, 1), np.float32)
    mean = np.asarray(statistics.mean, np.float32)
    std = np.asarray(statistics.std, np.float32)
    for row, window in enumerate(windows):
        prepared = files[window.file_index]
        lo = max(0, window.first - context)
        hi = min(len(prepared.inputs), window.first + window.frames + context)
        piece = prepared.inputs[lo:hi]
        if augmentation is not None:
            piece = augment_window(piece, statistics, augmentation, rng)
        offset = lo - (window.first - context)
        inputs[row, offset : offset + hi - lo, :INPUT_SIZE] = (piece - mean) / std
        inputs[row, :, INPUT_SIZE:] = position_channels(
            window.first - context, length, len(prepared.inputs)
        )
        targets[row, offset : offset + hi - lo] = prepared.targets[lo:hi]
        mask[row, context : context + window.frames] = 1.0
    as_tensor = torch.from_numpy
    return (
        as_tensor(inputs).transpose(1, 2),
        as_tensor(targets).transpose(1, 2),
        as_tensor(mask).transpose(1, 2),
    )
