"""Validation metrics against hand-computed cases: event F1 at the 200 ms collar, the tight
50 ms collar for short types, segment F1, false alarms per hour, threshold choice, macros."""

import numpy as np
import pytest

from annotations.event_matching import Event
from training.ml.metrics import (
    ValidationMistake,
    choose_thresholds,
    evaluate,
    short_types,
    validation_errors,
)

TYPES = ("click", "long_pause")


def scores(frames, runs):
    """(frames, 2) probabilities with {(column, first, end): value} runs."""
    out = np.zeros((frames, 2), np.float32)
    for (column, first, end), value in runs.items():
        out[first:end, column] = value
    return out


def test_types_with_a_median_label_of_100_ms_or_less_are_short():
    reference = [
        Event("a", "click", 0, 20),
        Event("a", "click", 500, 620),
        Event("b", "click", 0, 20),
        Event("a", "long_pause", 1000, 1800),
    ]

    assert short_types(reference, TYPES) == ["click"]


def test_the_middle_of_the_best_f1_plateau_is_chosen():
    reference = [Event("a", "click", 100, 180)]
    # The event's frames reach 0.8; a false alarm elsewhere reaches 0.6.
    probabilities = {"a": scores(100, {(0, 10, 18): 0.8, (0, 50, 58): 0.6})}

    chosen = choose_thresholds(reference, probabilities, artifact_types=TYPES, hop_ms=10)

    # 0.65-0.8 all give F1 1.0; with their neighbours, 0.7 and 0.75 do, and 0.7 is nearer 0.5.
    assert chosen == {"click": 0.7, "long_pause": 0.5}


def test_a_threshold_outside_the_allowed_range_is_never_chosen():
    reference = [Event("a", "click", 100, 180)]
    # Only thresholds above 0.9 drop the false alarm.
    probabilities = {"a": scores(100, {(0, 10, 18): 0.99, (0, 50, 58): 0.9})}

    chosen = choose_thresholds(reference, probabilities, artifact_types=TYPES, hop_ms=10)

    assert 0.2 <= chosen["click"] <= 0.8


def test_evaluate_counts_hits_misses_and_false_alarms_per_hour():
    reference = [
        Event("a", "click", 500, 520),  # found 50 ms early: a hit at 200 ms and at 50 ms
        Event("a", "click", 3000, 3020),  # found 60 ms early: a hit at 200 ms only
        Event("a", "long_pause", 6000, 7000),  # missed
        Event("b", "click", 100, 120),  # missed
    ]
    probabilities = {
        "a": scores(
            1000,
            {
                (0, 45, 53): 0.9,  # [450, 530)
                (0, 294, 302): 0.9,  # [2940, 3020)
                (0, 800, 808): 0.9,  # a false alarm
                (1, 100, 160): 0.3,  # under the threshold
            },
        ),
        "b": scores(1000, {}),
    }

    result = evaluate(
        reference,
        probabilities,
        artifact_types=TYPES,
        hop_ms=10,
        thresholds={"click": 0.5, "long_pause": 0.5},
    )

    click = result["per_type"]["click"]
    assert (click["n_reference"], click["n_detected"], click["true_positives"]) == (3, 3, 2)
    assert click["precision"] == pytest.approx(2 / 3)
    assert click["recall"] == pytest.approx(2 / 3)
    assert click["f1"] == pytest.approx(2 / 3)
    assert click["false_alarms_per_hour"] == pytest.approx(1 / (20 / 3600))  # 20 s of audio
    assert click["tight"]["true_positives"] == 1
    assert click["tight"]["f1"] == pytest.approx(1 / 3)
    # Segments: reference a {5, 30}, b {1}; detected a {4, 5, 29, 30, 80}.
    assert click["segment_precision"] == pytest.approx(2 / 5)
    assert click["segment_recall"] == pytest.approx(2 / 3)
    assert result["per_type"]["long_pause"]["f1"] == 0.0
    assert "tight" not in result["per_type"]["long_pause"]
    assert result["short_types"] == ["click"]
    assert result["macro"]["f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert result["macro"]["tight_f1"] == pytest.approx(1 / 3)
    assert result["thresholds"] == {"click": 0.5, "long_pause": 0.5}


def test_a_type_absent_on_both_sides_is_left_out_of_the_macro():
    reference = [Event("a", "click", 500, 520)]
    probabilities = {"a": scores(100, {(0, 47, 55): 0.9})}

    result = evaluate(
        reference,
        probabilities,
        artifact_types=TYPES,
        hop_ms=10,
        thresholds={"click": 0.5, "long_pause": 0.5},
    )

    assert result["per_type"]["long_pause"]["f1"] is None
    assert result["macro"]["f1"] == 1.0


def test_validation_errors_list_each_false_alarm_and_each_miss_with_its_confidence():
    reference = [Event("a", "click", 100, 180), Event("a", "click", 700, 760)]
    # The first event is found (peak 0.9); a false alarm at 400 ms peaks at 0.7; the second
    # event only reaches 0.3, under the threshold.
    probabilities = {"a": scores(100, {(0, 10, 18): 0.9, (0, 40, 46): 0.7, (0, 70, 76): 0.3})}

    errors = validation_errors(
        reference,
        probabilities,
        artifact_types=TYPES,
        hop_ms=10,
        thresholds={"click": 0.5, "long_pause": 0.5},
    )

    assert errors == [
        ValidationMistake("a", "click", "false_positive", 400, 460, pytest.approx(0.7)),
        ValidationMistake("a", "click", "false_negative", 700, 760, pytest.approx(0.3)),
    ]


def test_validation_errors_agree_with_the_counts_of_evaluate():
    reference = [Event("a", "click", 100, 180), Event("b", "long_pause", 0, 900)]
    probabilities = {
        "a": scores(100, {(0, 30, 38): 0.8, (1, 0, 50): 0.6}),
        "b": scores(100, {(1, 0, 90): 0.9}),
    }
    thresholds = {"click": 0.5, "long_pause": 0.5}

    errors = validation_errors(
        reference, probabilities, artifact_types=TYPES, hop_ms=10, thresholds=thresholds
    )
    result = evaluate(
        reference, probabilities, artifact_types=TYPES, hop_ms=10, thresholds=thresholds
    )

    for name in TYPES:
        score = result["per_type"][name]
        kinds = [error.kind for error in errors if error.artifact_type == name]
        assert kinds.count("false_positive") == score["n_detected"] - score["true_positives"]
        assert kinds.count("false_negative") == score["n_reference"] - score["true_positives"]
