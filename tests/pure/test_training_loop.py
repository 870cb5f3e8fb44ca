"""A small training run on synthetic feature arrays: the loss falls, callbacks report, and
should_stop ends training within one batch."""

import numpy as np
import pytest
import torch

from tests.pure.test_training_data import features
from training.ml.data import LabelledFile, split_by_file
from training.ml.loop import TrainingCancelled, TrainingConfig, WeightAverage, member_seed, train
from training.ml.model_file import load_model, predict, save_model
from training.ml.network import NetworkConfig

TYPES = ("dropout", "click")


def synthetic_files(count=8, frames=600):
    """Each file has a dropout (digital zeros: floor mel, zero_fraction 1) and a click (a jump
    as large as the peak)."""
    files = []
    for index in range(count):
        rng = np.random.default_rng(index)
        rows = features(frames, seed=index)
        dropout_at = int(rng.integers(50, 250))
        rows[dropout_at : dropout_at + 8, :65] = -23.0
        rows[dropout_at : dropout_at + 8, 65:67] = 0.0
        rows[dropout_at : dropout_at + 8, 67] = 1.0
        click_at = int(rng.integers(350, 550))
        rows[click_at, 66] = rows[click_at, 65] = 0.9
        rows[click_at, 70] = rows[click_at, 71] = 12.0  # curvature and residual crests
        events = [
            ("dropout", dropout_at * 10.0, dropout_at * 10.0 + 80),
            ("click", click_at * 10.0, click_at * 10.0 + 20),
        ]
        files.append(LabelledFile(f"f{index}", rows, events))
    return files


CONFIG = TrainingConfig(
    epochs=4,
    validation_split=0.25,
    learning_rate=0.01,
    batch_size=4,
    window_frames=200,
    network=NetworkConfig(hidden_size=8, dilations=(1, 2, 4), num_types=len(TYPES)),
)


def test_training_lowers_the_loss_and_reports_each_epoch():
    torch.set_num_threads(1)
    epochs, progress = [], []

    result = train(
        synthetic_files(),
        artifact_types=TYPES,
        config=CONFIG,
        device="cpu",
        on_epoch=lambda *values: epochs.append(values),
        on_progress=progress.append,
    )

    assert [entry[0] for entry in epochs] == [1, 2, 3, 4]
    assert [entry[1] for entry in epochs] == [25.0, 50.0, 75.0, 100.0]
    train_losses = [entry["train_loss"] for entry in result.history]
    assert train_losses[-1] < train_losses[0]
    assert all(entry[3] is not None for entry in epochs)
    assert progress == sorted(progress)
    assert progress[-1] == pytest.approx(100.0)
    assert set(result.metrics["per_type"]) == set(TYPES)
    assert 1 <= result.best_epoch <= 4


def test_the_thresholds_chosen_on_validation_are_moved_to_one_half():
    torch.set_num_threads(1)

    result = train(synthetic_files(), artifact_types=TYPES, config=CONFIG, device="cpu")

    assert result.thresholds == dict.fromkeys(TYPES, 0.5)
    for member in result.model.metadata.training["members"]:
        chosen = member["thresholds_before_centring"]
        assert all(0.2 <= chosen[name] <= 0.8 for name in TYPES)
        expected_shifts = [np.log(chosen[name] / (1 - chosen[name])) for name in TYPES]
        assert member["logit_shifts"] == pytest.approx(expected_shifts)


def test_training_is_deterministic_for_a_seed():
    torch.set_num_threads(1)
    config = TrainingConfig(**{**CONFIG.__dict__, "epochs": 1})

    first = train(synthetic_files(), artifact_types=TYPES, config=config, device="cpu")
    second = train(synthetic_files(), artifact_types=TYPES, config=config, device="cpu")

    assert first.history[0]["train_loss"] == second.history[0]["train_loss"]
    stored = synthetic_files(1)[0].features
    np.testing.assert_array_equal(predict(first.model, stored), predict(second.model, stored))


def test_the_trained_model_round_trips_through_its_file():
    result = train(
        synthetic_files(),
        artifact_types=TYPES,
        config=TrainingConfig(**{**CONFIG.__dict__, "epochs": 1}),
        device="cpu",
    )
    stored = synthetic_files(1)[0].features

    loaded = load_model(save_model(result.model))

    assert loaded.metadata.thresholds == result.thresholds
    assert loaded.metadata.min_target_ms == 80
    assert loaded.metadata.shortest_events_ms == {"dropout": 80.0, "click": 20.0}
    np.testing.assert_array_equal(predict(loaded, stored), predict(result.model, stored))


def test_should_stop_ends_training_within_one_batch():
    batches = []

    def should_stop():
        return len(batches) >= 3

    with pytest.raises(TrainingCancelled):
        train(
            synthetic_files(),
            artifact_types=TYPES,
            config=CONFIG,
            device="cpu",
            on_progress=batches.append,
            should_stop=should_stop,
        )

    assert len(batches) == 3


def averaged_zeros_and_network_of_ones(decay):
    """A weight average at all zeros of a network whose weights are all ones."""
    network = torch.nn.Linear(2, 1)
    average = WeightAverage(network, decay=decay)
    with torch.no_grad():
        network.weight.fill_(1.0)
        average.network.weight.fill_(0.0)
    return network, average


def test_the_weight_average_moves_a_step_of_one_minus_decay_toward_the_network():
    network, average = averaged_zeros_and_network_of_ones(decay=0.9)
    average.updates = 100  # past the warm-up, where the decay is smaller

    average.update(network)

    assert average.network.weight.detach().flatten().tolist() == pytest.approx([0.1, 0.1])


def test_the_first_updates_of_the_weight_average_follow_the_network_closely():
    network, average = averaged_zeros_and_network_of_ones(decay=0.999)

    average.update(network)  # decay (1 + 1) / (10 + 1), not 0.999

    assert average.network.weight.detach().flatten().tolist() == pytest.approx([9 / 11, 9 / 11])


def test_training_keeps_the_averaged_weights_unless_told_not_to():
    torch.set_num_threads(1)
    stored = synthetic_files(1)[0].features
    averaged = train(synthetic_files(), artifact_types=TYPES, config=CONFIG, device="cpu")
    last_step = train(
        synthetic_files(),
        artifact_types=TYPES,
        config=TrainingConfig(**{**CONFIG.__dict__, "weight_average_decay": 0.0}),
        device="cpu",
    )

    assert averaged.history[0]["train_loss"] == last_step.history[0]["train_loss"]
    assert not np.array_equal(predict(averaged.model, stored), predict(last_step.model, stored))
    assert averaged.model.metadata.training["config"]["weight_average_decay"] == 0.995


def test_each_network_holds_out_its_own_files_and_the_metrics_come_from_held_out_files():
    torch.set_num_threads(1)
    files = synthetic_files()

    result = train(files, artifact_types=TYPES, config=CONFIG, device="cpu")

    members = result.model.metadata.training["members"]
    held_out = [
        {
            labelled.name
            for labelled in split_by_file(
                files, validation_split=0.25, artifact_types=TYPES, seed=member["seed"]
            )[1]
        }
        for member in members
    ]
    assert len(members) == 2
    assert held_out[0] != held_out[1]
    assert [member["validation_files"] for member in members] == [2, 2]
    assert result.model.metadata.training["validation_files"] == len(held_out[0] | held_out[1])
    assert {error.file for error in result.errors} <= held_out[0] | held_out[1]
    assert result.metrics["best_epochs"] == [member["best_epoch"] for member in members]
    assert result.best_epoch == max(result.metrics["best_epochs"])


def test_no_two_seeds_share_a_network():
    seeds = [member_seed(seed, index) for seed in range(20) for index in range(3)]

    assert len(set(seeds)) == len(seeds)
    assert member_seed(7, 0) == 7
