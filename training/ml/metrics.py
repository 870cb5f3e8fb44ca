"""Validation metrics of a detector, with the post-processing inference uses: per-type event
precision/recall/F1 (200 ms onset collar; offset max(200 ms, 20 % of the reference length);
one-to-one maximum matching, as ../shared/bench/score.py), the same with a tight 50 ms collar for
short types, segment F1 over 100 ms segments, false alarms per audio hour, the per-type threshold
chosen on validation, and macro averages. Matching is annotations/event_matching.py's. No Django
imports.
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.event_matching import Event, match_events, score_events
from training.ml.postprocess import active_runs, detections_from_probabilities

COLLAR_MS = 200.0
TIGHT_COLLAR_MS = 50.0
SHORT_TYPE_MAX_MS = 100.0  # a type whose median labelled length is at most this is "short"
SEGMENT_MS = 100.0
MERGE_WINDOW_MS = 200  # the quickstart's inference config, under which thresholds are chosen
MIN_DURATION_MS = 50
THRESHOLD_CANDIDATES = tuple(round(0.05 * step, 2) for step in range(1, 20))  # 0.05 ... 0.95
# Thresholds are chosen only in this range: outside it a few validation events decide.
ALLOWED_THRESHOLDS = (0.2, 0.8)
PLATEAU_NEIGHBOURS = 1  # candidates each side averaged into a candidate's score

Probabilities = Mapping[Hashable, npt.NDArray[np.floating]]  # file -> (frames, types)


def short_types(reference: Iterable[Event], artifact_types: Sequence[str]) -> list[str]:
    """Types whose median labelled length is at most SHORT_TYPE_MAX_MS (clicks, short
    dropouts): they are also scored with the tight collar."""
    lengths: dict[str, list[float]] = {name: [] for name in artifact_types}
    for event in reference:
        if event.artifact_type in lengths:
            lengths[event.artifact_type].append(event.end_ms - event.start_ms)
    return [
        name
        for name in artifact_types
        if lengths[name] and float(np.median(lengths[name])) <= SHORT_TYPE_MAX_MS
    ]


def detected_events(
    probabilities: Probabilities,
    *,
    artifact_types: Sequence[str],
    hop_ms: int,
    thresholds: Mapping[str, float],
    merge_window_ms: float = MERGE_WINDOW_MS,
    min_duration_ms: float = MIN_DURATION_MS,
) -> list[Event]:
    found = []
    for file, scores in probabilities.items():
        for detection in detections_from_probabilities(
            scores,
            artifact_types=artifact_types,
            hop_ms=hop_ms,
            threshold=thresholds,
            merge_window_ms=merge_window_ms,
            min_duration_ms=min_duration_ms,
        ):
            found.append(Event(file, detection.artifact_type, detection.start_ms, detection.end_ms))
    return found


def choose_thresholds(
    reference: Sequence[Event],
    probabilities: Probabilities,
    *,
    artifact_types: Sequence[str],
    hop_ms: int,
    candidates: Sequence[float] = THRESHOLD_CANDIDATES,
    merge_window_ms: float = MERGE_WINDOW_MS,
    min_duration_ms: float = MIN_DURATION_MS,
    allowed: tuple[float, float] = ALLOWED_THRESHOLDS,
) -> dict[str, float]:
    """Per type, the candidate in `allowed` whose event F1 after the same post-processing,
    averaged with its neighbours' (PLATEAU_NEIGHBOURS each side), is best: the middle of a broad
    plateau rather than a lone peak that a few validation events put at an extreme. Ties go to
    the one nearest 0.5; a type without any event on either side keeps 0.5."""
    files = list(probabilities)
    chosen = {}
    for column, name in enumerate(artifact_types):
        f1_by_candidate = []
        for threshold in candidates:
            found = _events_of_type(
                probabilities, column, name, threshold, hop_ms, merge_window_ms, min_duration_ms
            )
            f1_by_candidate.append(
                score_events(reference, found, types=[name], files=files).per_type[name].f1
            )
        chosen[name] = _plateau_middle(candidates, f1_by_candidate, allowed)
    return chosen


def _plateau_middle(
    candidates: Sequence[float],
    f1_by_candidate: Sequence[float | None],
    allowed: tuple[float, float],
) -> float:
    """The allowed candidate with the best neighbour-averaged F1 (0.5 when none has an F1)."""
    known = [f1 for f1 in f1_by_candidate if f1 is not None]
    if not known:
        return 0.5
    f1 = np.array([0.0 if value is None else value for value in f1_by_candidate])
    best: tuple[float, float] | None = None  # (smoothed f1, -distance from 0.5)
    chosen = 0.5
    for index, threshold in enumerate(candidates):
        if not allowed[0] <= threshold <= allowed[1]:
            continue
        around = f1[max(0, index - PLATEAU_NEIGHBOURS) : index + PLATEAU_NEIGHBOURS + 1]
        key = (round(float(around.mean()), 9), -abs(threshold - 0.5))
        if best is None or key > best:
            best, chosen = key, float(threshold)
    return chosen


def _events_of_type(
    probabilities: Probabilities,
    column: int,
    name: str,
    threshold: float,
    hop_ms: int,
    merge_window_ms: float,
    min_duration_ms: float,
) -> list[Event]:
    found = []
    max_gap = int(merge_window_ms // hop_ms)
    for file, scores in probabilities.items():
        starts, ends = active_runs(scores[:, column] >= threshold, max_gap=max_gap)
        for first, end in zip(starts, ends, strict=True):
            if (end - first) * hop_ms >= min_duration_ms:
                found.append(Event(file, name, int(first) * hop_ms, int(end) * hop_ms))
    return found


def evaluate(
    reference: Sequence[Event],
    probabilities: Probabilities,
    *,
    artifact_types: Sequence[str],
    hop_ms: int,
    thresholds: Mapping[str, float],
    merge_window_ms: float = MERGE_WINDOW_MS,
    min_duration_ms: float = MIN_DURATION_MS,
    short: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The `metrics` of a training job, on these files (every file in `probabilities` counts,
    with or without events). `short` defaults to `short_types(reference)`."""
    files = list(probabilities)
    hours = sum(len(scores) for scores in probabilities.values()) * hop_ms / 3_600_000
    short = short_types(reference, artifact_types) if short is None else list(short)
    found = detected_events(
        probabilities,
        artifact_types=artifact_types,
        hop_ms=hop_ms,
        thresholds=thresholds,
        merge_window_ms=merge_window_ms,
        min_duration_ms=min_duration_ms,
    )
    scores = score_events(
        reference,
        found,
        types=artifact_types,
        files=files,
        collar_ms=COLLAR_MS,
        segment_ms=SEGMENT_MS,
    )
    tight = score_events(
        reference, found, types=short, files=files, collar_ms=TIGHT_COLLAR_MS, segment_ms=SEGMENT_MS
    )
    per_type: dict[str, dict[str, Any]] = {}
    for name in artifact_types:
        score = scores.per_type[name]
        per_type[name] = {
            **score.as_dict(),
            "false_alarms_per_hour": (score.n_detected - score.true_positives) / hours
            if hours
            else None,
            "threshold": float(thresholds[name]),
        }
        if name in short:
            per_type[name]["tight"] = {
                key: value
                for key, value in tight.per_type[name].as_dict().items()
                if not key.startswith("segment")
            }
    false_alarms = [
        value["false_alarms_per_hour"]
        for value in per_type.values()
        if value["false_alarms_per_hour"] is not None
    ]
    return {
        "collar_ms": COLLAR_MS,
        "tight_collar_ms": TIGHT_COLLAR_MS,
        "segment_ms": SEGMENT_MS,
        "merge_window_ms": merge_window_ms,
        "min_duration_ms": min_duration_ms,
        "short_types": short,
        "files": len(files),
        "audio_hours": hours,
        "thresholds": {name: float(thresholds[name]) for name in artifact_types},
        "per_type": per_type,
        "macro": {
            "precision": scores.macro_precision,
            "recall": scores.macro_recall,
            "f1": scores.macro_f1,
            "segment_f1": scores.macro_segment_f1,
            "tight_f1": tight.macro_f1 if short else None,
            "false_alarms_per_hour": sum(false_alarms) / len(false_alarms)
            if false_alarms
            else None,
        },
    }


@dataclass(frozen=True)
class ValidationMistake:
    """One event the model got wrong on a validation file: a detection no reference matches
    (`false_positive`, confidence its peak probability) or a reference no detection matches
    (`false_negative`, confidence the highest probability the model gave that type inside it:
    how near it came)."""

    file: Hashable
    artifact_type: str
    kind: str  # "false_positive" | "false_negative"
    start_ms: int
    end_ms: int
    confidence: float


def validation_errors(
    reference: Sequence[Event],
    probabilities: Probabilities,
    *,
    artifact_types: Sequence[str],
    hop_ms: int,
    thresholds: Mapping[str, float],
    merge_window_ms: float = MERGE_WINDOW_MS,
    min_duration_ms: float = MIN_DURATION_MS,
    collar_ms: float = COLLAR_MS,
) -> list[ValidationMistake]:
    """The false positives and false negatives behind `evaluate`'s counts at `collar_ms`, with
    the same post-processing and matching, ordered by file, type and start."""
    wanted = set(artifact_types)
    references: dict[tuple[Hashable, str], list[tuple[float, float]]] = defaultdict(list)
    for event in reference:
        if event.artifact_type in wanted and event.file in probabilities:
            references[(event.file, event.artifact_type)].append((event.start_ms, event.end_ms))
    errors = []
    for file, scores in probabilities.items():
        found = detections_from_probabilities(
            scores,
            artifact_types=artifact_types,
            hop_ms=hop_ms,
            threshold=thresholds,
            merge_window_ms=merge_window_ms,
            min_duration_ms=min_duration_ms,
        )
        for column, name in enumerate(artifact_types):
            detections = [item for item in found if item.artifact_type == name]
            labelled = references.get((file, name), [])
            matched = match_events(
                labelled,
                [(item.start_ms, item.end_ms) for item in detections],
                collar_ms=collar_ms,
            )
            errors += [
                ValidationMistake(
                    file, name, "false_positive", item.start_ms, item.end_ms, item.confidence
                )
                for index, item in enumerate(detections)
                if index not in matched
            ]
            hit = set(matched.values())
            errors += [
                ValidationMistake(
                    file,
                    name,
                    "false_negative",
                    round(start_ms),
                    round(end_ms),
                    _peak_within(scores[:, column], start_ms, end_ms, hop_ms),
                )
                for index, (start_ms, end_ms) in enumerate(labelled)
                if index not in hit
            ]
    return sorted(errors, key=lambda e: (str(e.file), e.artifact_type, e.start_ms, e.kind))


def _peak_within(
    scores: npt.NDArray[np.floating], start_ms: float, end_ms: float, hop_ms: int
) -> float:
    first = min(len(scores) - 1, max(0, int(start_ms // hop_ms)))
    end = max(first + 1, min(len(scores), int(np.ceil(end_ms / hop_ms))))
    return float(scores[first:end].max()) if len(scores) else 0.0
