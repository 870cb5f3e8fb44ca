"""Checkpoints: a run stopped after an epoch and started again from its checkpoint ends with the
very model an uninterrupted run makes. On the CPU that is bit-identical: every weight, threshold
and metric is equal, not merely close (only the timings differ)."""

from dataclasses import replace

import pytest
import torch

from tests.pure.test_training_loop import CONFIG, TYPES, synthetic_files
from training.ml.loop import TrainingCancelled, train


class MemoryCheckpoints:
    def __init__(self) -> None:
        self.data: bytes | None = None
        self.writes = 0

    def read(self) -> bytes | None:
        return self.data

    def write(self, data: bytes) -> None:
        self.data = data
        self.writes += 1


def without_timings(value):
    if isinstance(value, dict):
        return {
            key: without_timings(item)
            for key, item in value.items()
            if key not in {"seconds", "training_seconds", "resumed_from_epoch"}
        }
    if isinstance(value, list):
        return [without_timings(item) for item in value]
    return value


def stopped_after(epochs: int, checkpoints: MemoryCheckpoints) -> None:
    """Trains until `epochs` epochs are done, then stops in the next one (a worker killed)."""
    done = []
    with pytest.raises(TrainingCancelled):
        train(
            synthetic_files(),
            artifact_types=TYPES,
            config=CONFIG,
            device="cpu",
            checkpoints=checkpoints,
            on_epoch=lambda *values: done.append(values[0]),
            should_stop=lambda: len(done) >= epochs,
        )


def test_a_resumed_run_ends_with_the_same_model_as_an_uninterrupted_one():
    torch.set_num_threads(1)
    uninterrupted = train(synthetic_files(), artifact_types=TYPES, config=CONFIG, device="cpu")
    checkpoints = MemoryCheckpoints()
    stopped_after(2, checkpoints)
    resumed_at, reported = [], []

    resumed = train(
        synthetic_files(),
        artifact_types=TYPES,
        config=CONFIG,
        device="cpu",
        checkpoints=checkpoints,
        on_resume=lambda epoch, history: resumed_at.append((epoch, len(history))),
        on_epoch=lambda *values: reported.append(values[0]),
    )

    assert resumed_at == [(2, 2)]
    assert reported == [3, 4]  # the epochs done before the stop are not trained again
    assert checkpoints.writes == 4
    expected = uninterrupted.model.network.state_dict()
    got = resumed.model.network.state_dict()
    assert expected.keys() == got.keys()
    assert all(torch.equal(expected[name], got[name]) for name in expected)
    assert resumed.thresholds == uninterrupted.thresholds
    assert resumed.best_epoch == uninterrupted.best_epoch
    assert without_timings(resumed.metrics) == without_timings(uninterrupted.metrics)
    assert resumed.metrics["resumed_from_epoch"] == 2
    assert uninterrupted.metrics["resumed_from_epoch"] is None


def test_a_checkpoint_of_another_config_is_not_resumed():
    torch.set_num_threads(1)
    checkpoints = MemoryCheckpoints()
    stopped_after(1, checkpoints)
    resumed_at = []

    result = train(
        synthetic_files(),
        artifact_types=TYPES,
        config=replace(CONFIG, learning_rate=0.005, epochs=2),
        device="cpu",
        checkpoints=checkpoints,
        on_resume=lambda epoch, history: resumed_at.append(epoch),
    )

    assert resumed_at == []
    assert [entry["epoch"] for entry in result.history] == [1, 2]


def test_an_unreadable_checkpoint_means_starting_over():
    torch.set_num_threads(1)
    checkpoints = MemoryCheckpoints()
    checkpoints.data = b"not a checkpoint"

    result = train(
        synthetic_files(),
        artifact_types=TYPES,
        config=replace(CONFIG, epochs=1),
        device="cpu",
        checkpoints=checkpoints,
    )

    assert [entry["epoch"] for entry in result.history] == [1]
