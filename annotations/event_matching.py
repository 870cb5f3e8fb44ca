"""Event-based and segment-based scoring of detected events against reference events, by the
DCASE convention that sed_eval and ../shared/bench/score.py follow. No Django imports: labeler
agreement, training metrics and benchmarks all score with this one module.

A detected event matches a reference event of the same file and type when the onsets differ by
at most `collar_ms` and the offsets by at most max(`collar_ms`, `offset_ratio` x the reference's
length). Matching is one-to-one and maximal per file and type, so two detections of one event
count one hit and one false alarm. Segment scores mark each type active in fixed segments.
Counts are pooled over files per type; macro figures average the types that have events on
either side.
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

TOLERANCE_MS = 1e-9  # float times equal to a collar's edge still match


@dataclass(frozen=True)
class Event:
    file: Hashable
    artifact_type: str
    start_ms: float
    end_ms: float


@dataclass
class TypeScore:
    n_reference: int = 0
    n_detected: int = 0
    true_positives: int = 0
    segment_true_positives: int = 0
    segment_false_positives: int = 0
    segment_false_negatives: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.n_detected if self.n_detected else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.n_reference if self.n_reference else 0.0

    @property
    def f1(self) -> float | None:
        """None when neither side has an event of this type: there is nothing to score."""
        return _f1(self.true_positives, self.n_reference, self.n_detected)

    @property
    def segment_precision(self) -> float:
        predicted = self.segment_true_positives + self.segment_false_positives
        return self.segment_true_positives / predicted if predicted else 0.0

    @property
    def segment_recall(self) -> float:
        actual = self.segment_true_positives + self.segment_false_negatives
        return self.segment_true_positives / actual if actual else 0.0

    @property
    def segment_f1(self) -> float | None:
        tp = self.segment_true_positives
        return _f1(tp, tp + self.segment_false_negatives, tp + self.segment_false_positives)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_reference": self.n_reference,
            "n_detected": self.n_detected,
            "true_positives": self.true_positives,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "segment_precision": self.segment_precision,
            "segment_recall": self.segment_recall,
            "segment_f1": self.segment_f1,
        }


@dataclass
class EventScores:
    collar_ms: float
    per_type: dict[str, TypeScore] = field(default_factory=dict)

    @property
    def scored_types(self) -> list[str]:
        return [name for name, score in self.per_type.items() if score.f1 is not None]

    @property
    def macro_precision(self) -> float | None:
        return _mean(self.per_type[name].precision for name in self.scored_types)

    @property
    def macro_recall(self) -> float | None:
        return _mean(self.per_type[name].recall for name in self.scored_types)

    @property
    def macro_f1(self) -> float | None:
        return _mean(self.per_type[name].f1 for name in self.scored_types)

    @property
    def macro_segment_f1(self) -> float | None:
        segment_f1s = [score.segment_f1 for score in self.per_type.values()]
        return _mean(value for value in segment_f1s if value is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "collar_ms": self.collar_ms,
            "per_type": {name: score.as_dict() for name, score in self.per_type.items()},
            "macro": {
                "precision": self.macro_precision,
                "recall": self.macro_recall,
                "f1": self.macro_f1,
                "segment_f1": self.macro_segment_f1,
            },
        }


def score_events(
    reference: Iterable[Event],
    detected: Iterable[Event],
    *,
    types: Sequence[str],
    files: Iterable[Hashable] | None = None,
    collar_ms: float = 200.0,
    offset_ratio: float = 0.2,
    segment_ms: float = 100.0,
) -> EventScores:
    """Scores `detected` against `reference` for each of `types` (events of other types are
    ignored). With `files`, only events of those files count."""
    wanted_types = set(types)
    wanted_files = None if files is None else set(files)
    reference_groups = _group(reference, wanted_types, wanted_files)
    detected_groups = _group(detected, wanted_types, wanted_files)
    scores = EventScores(collar_ms=collar_ms, per_type={name: TypeScore() for name in types})
    for key in reference_groups.keys() | detected_groups.keys():
        score = scores.per_type[key[1]]
        references = reference_groups.get(key, [])
        detections = detected_groups.get(key, [])
        score.n_reference += len(references)
        score.n_detected += len(detections)
        score.true_positives += count_matches(
            references, detections, collar_ms=collar_ms, offset_ratio=offset_ratio
        )
        reference_segments = _active_segments(references, segment_ms)
        detected_segments = _active_segments(detections, segment_ms)
        score.segment_true_positives += len(reference_segments & detected_segments)
        score.segment_false_positives += len(detected_segments - reference_segments)
        score.segment_false_negatives += len(reference_segments - detected_segments)
    return scores


def count_matches(
    references: Sequence[tuple[float, float]],
    detections: Sequence[tuple[float, float]],
    *,
    collar_ms: float = 200.0,
    offset_ratio: float = 0.2,
) -> int:
    """Size of a maximum one-to-one matching of (start_ms, end_ms) intervals of one file and
    type, found with augmenting paths (Kuhn's algorithm)."""
    return len(match_events(references, detections, collar_ms=collar_ms, offset_ratio=offset_ratio))


def match_events(
    references: Sequence[tuple[float, float]],
    detections: Sequence[tuple[float, float]],
    *,
    collar_ms: float = 200.0,
    offset_ratio: float = 0.2,
) -> dict[int, int]:
    """A maximum one-to-one matching of intervals of one file and type, as {detection index:
    reference index}: the detections left out are false alarms, the references left out are
    missed."""
    candidates = [
        [
            index
            for index, detection in enumerate(detections)
            if _within_collar(reference, detection, collar_ms, offset_ratio)
        ]
        for reference in references
    ]
    matched_reference_of: dict[int, int] = {}

    def augment(reference_index: int, visited: set[int]) -> bool:
        for detection_index in candidates[reference_index]:
            if detection_index in visited:
                continue
            visited.add(detection_index)
            holder = matched_reference_of.get(detection_index)
            if holder is None or augment(holder, visited):
                matched_reference_of[detection_index] = reference_index
                return True
        return False

    for reference_index in range(len(references)):
        if candidates[reference_index]:
            augment(reference_index, set())
    return matched_reference_of


def _within_collar(
    reference: tuple[float, float],
    detection: tuple[float, float],
    collar_ms: float,
    offset_ratio: float,
) -> bool:
    onset_difference = abs(reference[0] - detection[0])
    offset_difference = abs(reference[1] - detection[1])
    offset_collar = max(collar_ms, offset_ratio * (reference[1] - reference[0]))
    return (
        onset_difference <= collar_ms + TOLERANCE_MS
        and offset_difference <= offset_collar + TOLERANCE_MS
    )


def _group(
    events: Iterable[Event], types: set[str], files: set[Hashable] | None
) -> dict[tuple[Hashable, str], list[tuple[float, float]]]:
    groups: dict[tuple[Hashable, str], list[tuple[float, float]]] = defaultdict(list)
    for event in events:
        if event.artifact_type in types and (files is None or event.file in files):
            groups[(event.file, event.artifact_type)].append((event.start_ms, event.end_ms))
    return groups


def _active_segments(intervals: Iterable[tuple[float, float]], segment_ms: float) -> set[int]:
    active: set[int] = set()
    for start_ms, end_ms in intervals:
        active.update(range(math.floor(start_ms / segment_ms), math.ceil(end_ms / segment_ms)))
    return active


def _f1(true_positives: int, n_reference: int, n_detected: int) -> float | None:
    total = n_reference + n_detected
    return 2.0 * true_positives / total if total else None


def _mean(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None
