"""Post-processing: threshold -> runs -> merge gaps <= merge_window_ms -> drop runs shorter than
min_duration_ms -> confidence = peak, sorted by start."""

import numpy as np
import pytest

from training.ml.postprocess import Detection, detections_from_probabilities, resolve_thresholds

TYPES = ("click", "long_pause")


def probabilities(*columns):
    return np.array(columns, dtype=np.float32).T  # (frames, types)


def detect(scores, **overrides):
    settings = {
        "artifact_types": TYPES,
        "hop_ms": 10,
        "threshold": 0.5,
        "merge_window_ms": 20,
        "min_duration_ms": 30,
        **overrides,
    }
    return detections_from_probabilities(scores, **settings)


def test_a_run_becomes_one_detection_with_its_peak_as_confidence():
    scores = probabilities([0, 0.6, 0.9, 0.7, 0, 0], [0] * 6)

    assert detect(scores) == [Detection("click", 10, 40, pytest.approx(0.9))]


def test_touching_runs_of_two_types_stay_apart():
    scores = probabilities([0.9, 0.9, 0.9, 0, 0, 0], [0, 0, 0, 0.8, 0.8, 0.8])

    found = detect(scores)

    assert [(d.artifact_type, d.start_ms, d.end_ms) for d in found] == [
        ("click", 0, 30),
        ("long_pause", 30, 60),
    ]


def test_a_gap_exactly_at_the_merge_window_merges():
    scores = probabilities([0.9, 0.9, 0, 0, 0.9, 0.9], [0] * 6)

    assert [(d.start_ms, d.end_ms) for d in detect(scores, merge_window_ms=20)] == [(0, 60)]


def test_a_gap_one_frame_longer_than_the_window_keeps_runs_apart():
    scores = probabilities([0.9, 0.9, 0.9, 0, 0, 0, 0.9, 0.9, 0.9], [0] * 9)

    found = detect(scores, merge_window_ms=20)

    assert [(d.start_ms, d.end_ms) for d in found] == [(0, 30), (60, 90)]


def test_a_run_exactly_at_the_minimum_duration_is_kept_and_a_shorter_one_dropped():
    scores = probabilities([0.9, 0.9, 0.9, 0, 0, 0, 0, 0.9, 0.9, 0], [0] * 10)

    found = detect(scores, min_duration_ms=30)

    assert [(d.start_ms, d.end_ms) for d in found] == [(0, 30)]


def test_runs_shorter_than_the_minimum_count_once_merged():
    scores = probabilities([0.9, 0, 0.9, 0, 0.9, 0, 0], [0] * 7)

    found = detect(scores, merge_window_ms=10, min_duration_ms=50)

    assert [(d.start_ms, d.end_ms) for d in found] == [(0, 50)]


def test_a_probability_equal_to_the_threshold_counts():
    scores = probabilities([0.5, 0.5, 0.5, 0.49], [0] * 4)

    assert [(d.start_ms, d.end_ms) for d in detect(scores)] == [(0, 30)]


def test_per_type_thresholds_apply_to_their_own_type():
    scores = probabilities([0.4, 0.4, 0.4, 0], [0.4, 0.4, 0.4, 0])

    found = detect(scores, threshold={"click": 0.3, "long_pause": 0.5})

    assert [d.artifact_type for d in found] == ["click"]


def test_no_threshold_uses_the_chosen_ones_and_a_map_falls_back_to_them():
    chosen = {"click": 0.3, "long_pause": 0.9}

    assert resolve_thresholds(None, artifact_types=TYPES, chosen=chosen) == chosen
    assert resolve_thresholds({"click": 0.6}, artifact_types=TYPES, chosen=chosen) == {
        "click": 0.6,
        "long_pause": 0.9,
    }


def test_unknown_types_and_thresholds_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError, match="unknown artifact types: hum"):
        resolve_thresholds({"hum": 0.5}, artifact_types=TYPES)
    with pytest.raises(ValueError, match="must be in"):
        resolve_thresholds(1.5, artifact_types=TYPES)


def test_detections_are_sorted_by_start_across_types():
    scores = probabilities([0, 0, 0, 0, 0.9, 0.9, 0.9], [0.9, 0.9, 0.9, 0, 0, 0, 0])

    found = detect(scores)

    assert [d.start_ms for d in found] == [0, 40]


@pytest.mark.parametrize(
    "scores",
    [np.zeros((0, 2), np.float32), np.zeros((50, 2), np.float32)],
    ids=["no frames", "all quiet"],
)
def test_nothing_above_threshold_gives_no_detections(scores):
    assert detect(scores) == []


def test_a_run_reaching_the_last_frame_ends_at_the_file_end():
    scores = probabilities([0, 0.2, 0.7, 0.8, 0.9], [0] * 5)

    assert detect(scores) == [Detection("click", 20, 50, pytest.approx(0.9))]


def test_probabilities_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"must be \(frames, 2\)"):
        detect(np.zeros((10, 3), np.float32))
