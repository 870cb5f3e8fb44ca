"""From per-frame probabilities to detections, exactly as API.md's inference describes: per type,
frames with probability >= threshold form runs; runs separated by a gap <= merge_window_ms merge;
runs shorter than min_duration_ms are dropped; confidence is the run's peak probability;
detections are sorted by start_ms. Numpy only, vectorised; no Django imports.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Threshold = float | Mapping[str, float] | None


@dataclass(frozen=True)
class Detection:
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: float


def resolve_thresholds(
    threshold: Threshold,
    *,
    artifact_types: Sequence[str],
    chosen: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """One threshold per type: a number for all, a per-type map (types it leaves out fall back to
    the chosen ones), or None for the thresholds the model chose on validation; 0.5 where
    nothing else says. Raises ValueError for a value outside [0, 1] or an unknown type."""
    chosen = dict(chosen or {})
    if threshold is None:
        per_type = {name: chosen.get(name, 0.5) for name in artifact_types}
    elif isinstance(threshold, Mapping):
        unknown = set(threshold) - set(artifact_types)
        if unknown:
            raise ValueError(f"Thresholds for unknown artifact types: {', '.join(sorted(unknown))}")
        per_type = {name: threshold.get(name, chosen.get(name, 0.5)) for name in artifact_types}
    else:
        per_type = dict.fromkeys(artifact_types, threshold)
    for name, value in per_type.items():
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"Threshold for {name} must be in [0, 1], got {value}")
    return {name: float(value) for name, value in per_type.items()}


def active_runs(
    is_active: npt.NDArray[np.bool_], *, max_gap: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(first frames, end frames (exclusive)) of the runs of True, with runs whose gap of False
    frames is at most `max_gap` merged into one."""
    padded = np.concatenate([[False], is_active, [False]]).view(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if len(starts) > 1:
        keeps_apart = (starts[1:] - ends[:-1]) > max_gap  # (runs - 1,)
        starts = starts[np.r_[True, keeps_apart]]
        ends = ends[np.r_[keeps_apart, True]]
    return starts, ends


def run_peaks(
    scores: npt.NDArray[np.floating], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> npt.NDArray[np.floating]:
    """The largest score over [start, end) of each run (runs non-empty and in order):
    reduceat over the interleaved run boundaries."""
    bounds = np.stack([starts, ends], axis=1).reshape(-1)
    return np.maximum.reduceat(np.append(scores, 0.0), bounds)[::2]


def detections_from_probabilities(
    probabilities: npt.NDArray[np.floating],  # (frames, types), values in [0, 1]
    *,
    artifact_types: Sequence[str],
    hop_ms: int,
    threshold: Threshold,
    merge_window_ms: float,
    min_duration_ms: float,
    chosen_thresholds: Mapping[str, float] | None = None,
) -> list[Detection]:
    """Detections of one file, sorted by (start_ms, artifact_type). A frame f spans
    [f * hop_ms, (f + 1) * hop_ms)."""
    if probabilities.ndim != 2 or probabilities.shape[1] != len(artifact_types):
        raise ValueError(
            f"Probabilities must be (frames, {len(artifact_types)}), got {probabilities.shape}"
        )
    thresholds = resolve_thresholds(
        threshold, artifact_types=artifact_types, chosen=chosen_thresholds
    )
    max_gap = int(merge_window_ms // hop_ms)
    found = []
    for column, artifact_type in enumerate(artifact_types):
        scores = probabilities[:, column]
        starts, ends = active_runs(scores >= thresholds[artifact_type], max_gap=max_gap)
        if not len(starts):
            continue
        long_enough = (ends - starts) * hop_ms >= min_duration_ms
        starts, ends = starts[long_enough], ends[long_enough]
        if not len(starts):
            continue
        peaks = run_peaks(scores, starts, ends)
        found.extend(
            Detection(artifact_type, int(first) * hop_ms, int(end) * hop_ms, float(peak))
            for first, end, peak in zip(starts, ends, peaks, strict=True)
        )
    return sorted(found, key=lambda detection: (detection.start_ms, detection.artifact_type))
