"""Frame targets, level-independent inputs, the file split and the training windows."""

import numpy as np
import pytest

from training.ml.data import (
    CREST_INPUTS,
    INPUT_SIZE,
    STORED_COLUMNS,
    Augmentation,
    LabelledFile,
    augment_window,
    input_statistics,
    normalized_inputs,
    position_channels,
    prepare_file,
    relative_inputs,
    sample_windows,
    split_by_file,
    stutter_similarity,
    widen_events,
    window_batch,
)
from training.ml.data import frame_targets as targets_of

TYPES = ("click", "dropout", "long_pause")


def features(frames=200, *, seed=0, gain_db=0.0):
    """Stored-feature-like rows: log-mel powers, log energy, then peak, jump, fractions, the two
    crests and the repeat gain."""
    rng = np.random.default_rng(seed)
    rows = np.empty((frames, STORED_COLUMNS), np.float32)
    rows[:, :65] = rng.normal(-9.0, 2.0, (frames, 65))
    rows[:, 65] = np.abs(rng.normal(0.2, 0.05, frames))
    rows[:, 66] = np.abs(rng.normal(0.02, 0.005, frames))
    rows[:, 67:70] = rng.uniform(0, 0.1, (frames, 3))
    rows[:, 70] = rng.uniform(2.0, 4.0, frames)  # curvature crest
    rows[:, 71] = rng.uniform(2.0, 4.0, frames)  # residual crest
    rows[:, 72] = rng.exponential(0.3, frames)  # repeat gain
    gain = 10 ** (gain_db / 20)
    rows[:, :65] += 2 * np.log(gain)  # log powers
    rows[:, 65:67] *= gain
    return rows


def labelled(name, events=(), frames=200, seed=0):
    return LabelledFile(name=name, features=features(frames, seed=seed), events=list(events))


def test_an_event_marks_every_frame_it_touches_including_partial_ones():
    targets = targets_of(
        [("dropout", 105.0, 231.0)], artifact_types=TYPES, frames=40, min_target_ms=0
    )

    assert np.flatnonzero(targets[:, 1]).tolist() == list(range(10, 24))  # [100, 240) ms
    assert targets[:, [0, 2]].sum() == 0


def test_an_event_ending_on_a_frame_boundary_leaves_the_next_frame_clear():
    targets = targets_of([("click", 100.0, 200.0)], artifact_types=TYPES, frames=40)

    assert np.flatnonzero(targets[:, 0]).tolist() == list(range(10, 20))


def test_a_short_event_is_widened_symmetrically_to_the_minimum():
    assert widen_events([("click", 500.0, 520.0)], min_target_ms=80) == [("click", 470.0, 550.0)]
    targets = targets_of(
        [("click", 500.0, 520.0)], artifact_types=TYPES, frames=100, min_target_ms=80
    )
    assert np.flatnonzero(targets[:, 0]).tolist() == list(range(47, 55))


def test_long_events_are_not_widened_and_targets_stay_inside_the_file():
    targets = targets_of(
        [("long_pause", 0.0, 900.0), ("click", 985.0, 1005.0)],
        artifact_types=TYPES,
        frames=100,
        min_target_ms=80,
    )

    assert np.flatnonzero(targets[:, 2]).tolist() == list(range(90))
    assert np.flatnonzero(targets[:, 0]).tolist() == list(range(95, 100))


def test_events_of_types_not_trained_are_ignored():
    targets = targets_of([("hum", 0.0, 500.0)], artifact_types=TYPES, frames=60)

    assert targets.sum() == 0


def test_inputs_do_not_change_with_the_files_gain():
    quiet, loud = features(seed=1, gain_db=-20.0), features(seed=1, gain_db=6.0)

    quiet_inputs = relative_inputs(quiet, float(np.percentile(quiet[:, 64], 95)))
    loud_inputs = relative_inputs(loud, float(np.percentile(loud[:, 64], 95)))

    np.testing.assert_allclose(quiet_inputs, loud_inputs, atol=1e-3)


def test_normalisation_statistics_come_from_the_files_given():
    files = [labelled(f"f{i}", seed=i) for i in range(3)]
    odd_one = LabelledFile("odd", features(seed=9) * 3, [])

    assert input_statistics(files) == input_statistics(files)
    assert input_statistics([*files, odd_one]) != input_statistics(files)
    normalized = np.concatenate(
        [normalized_inputs(f.features, input_statistics(files)) for f in files]
    )
    np.testing.assert_allclose(normalized[:, :69].mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(normalized[:, :69].std(axis=0), 1, atol=1e-2)


def corpus(n_files):
    kinds = ["click", "dropout", "long_pause", None]
    return [
        labelled(
            f"f{i:02d}",
            [(kinds[i % 4], 100.0, 200.0)] if kinds[i % 4] else [],
            seed=i,
        )
        for i in range(n_files)
    ]


def test_the_split_is_by_whole_file_seeded_and_honours_the_fraction():
    files = corpus(20)

    training, validation = split_by_file(files, validation_split=0.2, artifact_types=TYPES, seed=3)
    again = split_by_file(files, validation_split=0.2, artifact_types=TYPES, seed=3)
    other = split_by_file(files, validation_split=0.2, artifact_types=TYPES, seed=4)

    assert len(validation) == 4
    assert len(training) == 16
    assert {f.name for f in training} | {f.name for f in validation} == {f.name for f in files}
    assert [f.name for f in again[1]] == [f.name for f in validation]
    assert [f.name for f in other[1]] != [f.name for f in validation]


@pytest.mark.parametrize("seed", range(5))
def test_the_split_holds_out_events_of_every_type(seed):
    files = corpus(16)

    training, validation = split_by_file(
        files, validation_split=0.2, artifact_types=TYPES, seed=seed
    )

    for name in TYPES:
        assert any(e[0] == name for f in validation for e in f.events), name
        assert any(e[0] == name for f in training for e in f.events), name


def test_too_few_files_for_a_split_is_refused():
    with pytest.raises(ValueError, match="needs at least"):
        split_by_file(corpus(1), validation_split=0.2, artifact_types=TYPES, seed=0)


def test_a_zero_split_keeps_every_file_for_training():
    training, validation = split_by_file(
        corpus(3), validation_split=0, artifact_types=TYPES, seed=0
    )

    assert len(training) == 3
    assert validation == []


def test_an_epoch_of_windows_covers_the_training_audio_and_favours_events():
    files = [
        prepare_file(f, artifact_types=TYPES, min_target_ms=80)
        for f in [labelled("a", [("click", 1000.0, 1020.0)], frames=2000), labelled("b")]
    ]

    windows = sample_windows(
        files, window_frames=100, types=3, event_fraction=0.5, rng=np.random.default_rng(0)
    )

    assert sum(w.frames for w in windows) >= 2200
    with_click = [w for w in windows if w.file_index == 0 and w.first <= 100 < w.first + w.frames]
    assert len(with_click) >= len(windows) // 4  # uniform sampling alone would give ~1/22


def test_a_window_batch_carries_real_context_and_masks_it_out_of_the_loss():
    files = [prepare_file(labelled("a", frames=300), artifact_types=TYPES, min_target_ms=80)]
    statistics = input_statistics([labelled("a", frames=300)])
    window = sample_windows(
        files, window_frames=100, types=3, event_fraction=0, rng=np.random.default_rng(1)
    )[0]

    inputs, targets, mask = window_batch(
        files,
        [window],
        context=20,
        statistics=statistics,
        augmentation=None,
        rng=np.random.default_rng(0),
    )

    assert inputs.shape == (1, INPUT_SIZE + 2, 140)
    assert targets.shape == (1, 3, 140)
    assert mask[0, 0].tolist() == [0.0] * 20 + [1.0] * 100 + [0.0] * 20
    inside = inputs[0, INPUT_SIZE].numpy()
    real = np.arange(window.first - 20, window.first + 120)
    np.testing.assert_array_equal(inside, ((real >= 0) & (real < 300)).astype(np.float32))


def test_the_distance_to_the_nearer_end_of_the_file_is_capped_and_zero_beyond_it():
    channels = position_channels(-2, 404, 400)  # frames -2 .. 401 of a 4 s file

    inside, distance = channels[:, 0], channels[:, 1]
    assert inside.tolist() == [0, 0] + [1] * 400 + [0, 0]
    assert distance[[0, 1, -2, -1]].tolist() == [0, 0, 0, 0]
    assert distance[2] == pytest.approx(1 / 150)  # the first frame
    assert distance[401] == pytest.approx(1 / 150)  # the last frame
    assert distance[2 + 200] == 1.0  # 2 s from either end


def test_a_repeated_chunk_shows_as_similarity_at_its_length():
    rng = np.random.default_rng(0)
    mel = rng.normal(size=(1, 64, 60)).astype(np.float32)
    mel[0, :, 30:37] = mel[0, :, 23:30]  # 7 frames played again

    import torch

    similarity = stutter_similarity(torch.from_numpy(mel), lags=(5, 7, 9))[0].numpy()

    # The changes into frames 31-36 repeat those into 24-29.
    assert similarity[1, 31:37].min() > 0.99
    assert abs(similarity[0, 31:37]).max() < 0.6
    assert abs(similarity[2, 31:37]).max() < 0.6
    assert similarity[:, :5].tolist()[0] == [0.0] * 5


def test_the_crest_shift_moves_both_crests_of_speech_frames_and_nothing_else():
    window = relative_inputs(features(frames=40, seed=4), 0.0)
    window[:20, 64] = 0.0  # speech, at the file's level
    window[20:, 64] = -12.0  # a pause
    only_crests = Augmentation(
        tilt_probability=0,
        noise_probability=0,
        band_limit_probability=0,
        jump_shift_std=0,
        frequency_mask_probability=0,
        crest_shift_probability=1,
        crest_shift=(0.2, 0.3),
    )
    statistics = input_statistics([labelled("a")])

    shifted = augment_window(window, statistics, only_crests, np.random.default_rng(0))

    moved = shifted - window
    assert np.all((moved[:20, CREST_INPUTS] >= 0.2) & (moved[:20, CREST_INPUTS] <= 0.3))
    assert np.ptp(moved[:20, CREST_INPUTS]) < 1e-6  # one shift for the whole window
    moved[:20, CREST_INPUTS] = 0.0
    assert not moved.any()
