"""Event matching follows the DCASE convention, and agrees with the bench kit's scorer (an
optional cross-check, skipped with its reason where ../shared/bench is absent)."""

import random

import pytest

from annotations.event_matching import Event, count_matches, score_events
from tests.audio import bench_kit_module

TYPES = ("click", "dropout")


def events(file, artifact_type, *intervals):
    return [Event(file, artifact_type, start, end) for start, end in intervals]


def test_identical_sets_score_one():
    reference = events("a", "click", (1000, 1020), (5000, 5020)) + events("b", "dropout", (0, 90))

    scores = score_events(reference, reference, types=TYPES)

    assert scores.per_type["click"].f1 == 1.0
    assert scores.per_type["dropout"].segment_f1 == 1.0
    assert scores.macro_f1 == 1.0


def test_nothing_detected_scores_zero_and_a_type_absent_on_both_sides_is_not_averaged():
    reference = events("a", "click", (1000, 1020))

    scores = score_events(reference, [], types=TYPES)

    assert scores.per_type["click"].f1 == 0.0
    assert scores.per_type["dropout"].f1 is None
    assert scores.scored_types == ["click"]
    assert scores.macro_f1 == 0.0


def test_onset_collar_edge_matches_and_one_millisecond_beyond_does_not():
    reference = [(1000.0, 1100.0)]

    assert count_matches(reference, [(1200.0, 1300.0)], collar_ms=200) == 1
    assert count_matches(reference, [(1201.0, 1300.0)], collar_ms=200) == 0


def test_offset_collar_grows_with_long_events():
    reference = [(0.0, 5000.0)]  # 20 % of 5 s is 1 s, wider than the 200 ms collar

    assert count_matches(reference, [(100.0, 4000.0)]) == 1
    assert count_matches(reference, [(100.0, 3900.0)]) == 0


def test_two_detections_of_one_event_are_one_hit_and_one_false_alarm():
    reference = events("a", "click", (2000, 2600))
    detected = events("a", "click", (2000, 2600), (2050, 2650))

    score = score_events(reference, detected, types=TYPES).per_type["click"]

    assert (score.true_positives, score.n_detected) == (1, 2)
    assert score.precision == 0.5
    assert score.recall == 1.0


def test_maximum_matching_beats_greedy():
    # The first detection fits both references, the second only the first reference.
    assert count_matches([(1000, 1100), (1250, 1350)], [(1150, 1250), (900, 1000)]) == 2


def test_types_and_files_never_cross():
    reference = events("a", "click", (1000, 1020))
    wrong_type = events("a", "dropout", (1000, 1020))
    wrong_file = events("b", "click", (1000, 1020))

    assert score_events(reference, wrong_type, types=TYPES).per_type["click"].true_positives == 0
    assert score_events(reference, wrong_file, types=TYPES).per_type["click"].true_positives == 0


def test_files_filter_scores_only_the_listed_files():
    reference = events("a", "click", (1000, 1020)) + events("b", "click", (1000, 1020))
    detected = events("a", "click", (1000, 1020))

    scores = score_events(reference, detected, types=TYPES, files=["a"])

    assert scores.per_type["click"].f1 == 1.0


def test_segments_count_each_100_ms_a_type_is_active():
    reference = events("a", "dropout", (0, 200))
    detected = events("a", "dropout", (150, 300))

    score = score_events(reference, detected, types=TYPES).per_type["dropout"]

    assert (
        score.segment_true_positives,
        score.segment_false_positives,
        score.segment_false_negatives,
    ) == (1, 1, 1)
    assert score.segment_f1 == 0.5


def test_as_dict_has_per_type_and_macro_figures():
    reference = events("a", "click", (1000, 1020))

    report = score_events(reference, reference, types=TYPES).as_dict()

    assert report["collar_ms"] == 200.0
    assert report["per_type"]["click"]["f1"] == 1.0
    assert report["per_type"]["dropout"]["f1"] is None
    assert report["macro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "segment_f1": 1.0}


def _random_events(rng, files):
    drawn = []
    for file in files:
        for _ in range(rng.randint(0, 6)):
            start = rng.randint(0, 20_000)
            drawn.append(Event(file, rng.choice(TYPES), start, start + rng.randint(1, 3000)))
    return drawn


@pytest.mark.parametrize("collar_ms", [50.0, 200.0])
def test_counts_equal_the_bench_scorer_on_random_cases(collar_ms):
    bench = bench_kit_module("score")
    rng = random.Random(11)
    files = ["a.wav", "b.wav", "c.wav"]
    for _ in range(60):
        reference = _random_events(rng, files)
        detected = _random_events(rng, files)
        detected += [  # near misses and near hits around the collars
            Event(e.file, e.artifact_type, e.start_ms + rng.randint(-250, 250), e.end_ms + 40)
            for e in reference
            if rng.random() < 0.6
        ]

        ours = score_events(reference, detected, types=TYPES, files=files, collar_ms=collar_ms)
        theirs = bench.score(
            {
                f: [(e.artifact_type, e.start_ms, e.end_ms) for e in reference if e.file == f]
                for f in files
            },
            {
                f: [(e.artifact_type, e.start_ms, e.end_ms, 1.0) for e in detected if e.file == f]
                for f in files
            },
            files,
            collar_ms=collar_ms,
            types=TYPES,
        )

        for name in TYPES:
            expected = theirs["per_type"][name]
            got = ours.per_type[name]
            assert (got.n_reference, got.n_detected, got.true_positives) == (
                expected["n_ref"],
                expected["n_est"],
                expected["tp"],
            )
            assert got.f1 == expected["f1"]
            assert got.segment_f1 == expected["segment"]["f1"]
        assert ours.macro_f1 == pytest.approx(theirs["macro"]["event_f1"])
