"""The training loop: from labelled files' stored features to a DetectorModel with its per-epoch
history, chosen thresholds and validation metrics. No Django imports; the training service
passes the files, the config and its callbacks.

Deterministic on the CPU for a given seed (one call seeds numpy, torch and the window samplers);
CUDA is used when present. With a CheckpointStore, every epoch ends with a checkpoint (weights,
optimizers, schedules, every random state, the history and the best epochs so far), and a run
that finds one continues after its epoch: on the CPU the result is bit-identical to an
uninterrupted run (tests/pure/test_training_checkpoints.py).

The model is an ensemble, and each member is trained as a run of its own: it holds out its own
files (a split seeded by `member_seed`), which choose its best epoch and place its thresholds,
and it learns from the rest. Between them the members learn from more of the files than one
split leaves, and their choices, which move with the split, average out. The job's metrics are
out of fold: each validation file is scored by the members that held it out.

Each epoch is one pass over a member's training audio, in windows sampled so that short, rare
events are seen often; the loss is per-frame, per-type binary cross-entropy with a positive weight
per type (artifact frames are rare). What is validated and kept is an exponential moving average
of the weights (`weight_average_decay`), not the weights of the last step: the last step's
weights move with each batch, so the epoch that validates best, and the model kept, would be
chosen partly by chance. The epoch whose averaged weights have the best validation macro
event-F1 (then the lowest validation loss) is kept.
"""

import copy
import io
import json
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from annotations.event_matching import Event
from datasets.audio.features import DEFAULT_RECIPE
from training.ml import metrics
from training.ml.data import (
    HOP_MS,
    MIN_TARGET_MS,
    Augmentation,
    LabelledFile,
    frame_targets,
    input_statistics,
    prepare_file,
    sample_windows,
    split_by_file,
    window_batch,
)
from training.ml.model_file import (
    DetectorModel,
    ModelMetadata,
    predict_logits,
    probabilities_from_logits,
)
from training.ml.network import Detector, NetworkConfig, parameter_count

logger = logging.getLogger(__name__)

EpochCallback = Callable[[int, float, float, float | None], None]
ProgressCallback = Callable[[float], None]
ResumeCallback = Callable[[int, list[dict[str, Any]]], None]
CHECKPOINT_FORMAT = "relay-checkpoint-3"  # 2: with the weight average; 3: per member


class CheckpointStore(Protocol):
    """Where a run keeps its one checkpoint: the bytes of the last epoch's, or None."""

    def read(self) -> bytes | None: ...

    def write(self, data: bytes) -> None: ...


class TrainingCancelled(Exception):
    """`should_stop()` said so; raised within one batch of it."""


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 20
    validation_split: float = 0.2
    learning_rate: float = 0.001
    batch_size: int = 32
    seed: int = 0
    # Loss frames per window (1.5 s); context frames come on top. Short windows give an epoch
    # of the same audio more optimizer steps.
    window_frames: int = 150
    event_fraction: float = 0.5  # windows placed about an event, the rest anywhere
    min_target_ms: float = MIN_TARGET_MS
    # Event-centred windows already show rare types often; a larger weight only pushes every
    # probability up, and the chosen thresholds past the range they may take.
    max_positive_weight: float = 4.0
    weight_decay: float = 1e-4
    # Per optimizer step; 0.995 averages over about two epochs of the quickstart's data. 0 keeps
    # the last step's weights.
    weight_average_decay: float = 0.995
    augmentation: Augmentation | None = field(default_factory=Augmentation)
    network: NetworkConfig | None = None  # None: the default for the types

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["network"] = self.network.to_dict() if self.network else None
        return data


@dataclass
class TrainingResult:
    model: DetectorModel
    history: list[dict[str, Any]]
    thresholds: dict[str, float]
    metrics: dict[str, Any]
    best_epoch: int
    seconds: float
    # The validation files' false positives and false negatives under the chosen thresholds.
    errors: list[metrics.ValidationMistake] = field(default_factory=list)


class WeightAverage:
    """An exponential moving average of a network's weights and BatchNorm statistics, in a copy of
    the network. The decay is smaller for the first updates ((1 + n) / (10 + n)), so the average
    does not carry the random initial weights for long."""

    def __init__(self, network: nn.Module, decay: float) -> None:
        self.network = copy.deepcopy(network)
        self.decay = decay
        self.updates = 0

    def update(self, network: nn.Module) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        current = network.state_dict()
        with torch.no_grad():
            for name, averaged in self.network.state_dict().items():
                if averaged.is_floating_point():
                    averaged.lerp_(current[name], 1.0 - decay)
                else:  # BatchNorm's batch counter
                    averaged.copy_(current[name])

    def state_dict(self) -> dict[str, Any]:
        return {"network": self.network.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.network.load_state_dict(state["network"])
        self.updates = state["updates"]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def shortest_events_ms(
    files: Sequence[LabelledFile], artifact_types: Sequence[str]
) -> dict[str, float]:
    """Per type, the duration of its shortest labelled event in `files` (types without any are
    left out)."""
    shortest: dict[str, float] = {}
    for labelled in files:
        for name, start_ms, end_ms in labelled.events:
            if name in artifact_types:
                shortest[name] = min(shortest.get(name, math.inf), end_ms - start_ms)
    return shortest


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def member_seed(seed: int, index: int) -> int:
    """The seed of the ensemble's member `index` in a run seeded `seed`: the run's own for the
    first, and for the others one drawn from both, so no two runs share a member."""
    if index == 0:
        return seed
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


class _Member:
    """One network of the ensemble, trained on its own fold: its own validation files (which
    choose its epoch and place its thresholds), window sampler, optimizer, schedule and weight
    average."""

    def __init__(
        self,
        index: int,
        *,
        files: Sequence[LabelledFile],
        prepared: dict[str, Any],
        artifact_types: list[str],
        config: TrainingConfig,
        network_config: NetworkConfig,
        metadata: ModelMetadata,
        device: torch.device,
    ) -> None:
        self.seed = member_seed(config.seed, index)
        self.training_files, self.validation_files = split_by_file(
            files,
            validation_split=config.validation_split,
            artifact_types=artifact_types,
            seed=self.seed,
        )
        self.prepared = [prepared[labelled.name] for labelled in self.training_files]
        torch.manual_seed(self.seed)
        self.network = Detector(replace(network_config, members=1)).to(device)
        positive_weight = _positive_weights(self.prepared, config.max_positive_weight).to(device)
        _start_at_prior(self.network, self.prepared, positive_weight)
        self.loss_function = nn.BCEWithLogitsLoss(
            pos_weight=positive_weight[:, None], reduction="none"
        )
        self.batches_per_epoch = _batches_per_epoch(self.prepared, config)
        self.optimizer = torch.optim.AdamW(
            self.network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.scheduler = one_cycle(
            self.optimizer,
            max_lr=config.learning_rate,
            total_steps=config.epochs * self.batches_per_epoch + 1,
        )
        self.average = (
            WeightAverage(self.network, config.weight_average_decay)
            if config.weight_average_decay > 0
            else None
        )
        # What is validated, kept and returned: the averaged weights, or the trained ones.
        self.kept = self.average.network if self.average is not None else self.network
        self.model = DetectorModel(network=self.kept, metadata=metadata)
        self.rng = np.random.default_rng(self.seed)
        self.best: tuple[tuple[float, float], int, dict[str, torch.Tensor]] | None = None

    def train_epoch(
        self,
        config: TrainingConfig,
        artifact_types: Sequence[str],
        device: torch.device,
        before_batch: Callable[[], None],
        after_batch: Callable[[], None],
    ) -> float:
        """One pass over the member's training audio; returns the mean batch loss."""
        self.network.train()
        windows = sample_windows(
            self.prepared,
            window_frames=config.window_frames,
            types=len(artifact_types),
            event_fraction=config.event_fraction,
            rng=self.rng,
        )
        order = self.rng.permutation(len(windows))
        losses = []
        for batch_start in range(0, len(windows), config.batch_size):
            before_batch()
            batch = [windows[i] for i in order[batch_start : batch_start + config.batch_size]]
            inputs, targets, mask = window_batch(
                self.prepared,
                batch,
                context=self.network.config.context_frames,
                statistics=self.model.metadata.input_statistics,
                augmentation=config.augmentation,
                rng=self.rng,
            )
            inputs, targets, mask = inputs.to(device), targets.to(device), mask.to(device)
            logits = self.network(inputs)
            frame_loss = self.loss_function(logits, targets) * mask
            loss = frame_loss.sum() / (mask.sum() * len(artifact_types))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.network.parameters(), 5.0)
            self.optimizer.step()
            if self.scheduler.last_epoch < self.scheduler.total_steps - 1:
                self.scheduler.step()
            if self.average is not None:
                self.average.update(self.network)
            losses.append(float(loss.detach()))
            after_batch()
        return float(np.mean(losses)) if losses else math.nan

    def validate(self, artifact_types: Sequence[str], *, choose: bool) -> dict[str, Any]:
        return _validate(
            self.model, self.validation_files, artifact_types, self.loss_function, choose=choose
        )

    def consider(self, epoch: int, validation: dict[str, Any]) -> None:
        """Keeps this epoch's weights if they validate best so far (macro F1, then loss)."""
        key = (
            validation["macro_f1"] if validation["macro_f1"] is not None else 0.0,
            -(validation["loss"] if validation["loss"] is not None else -epoch),
        )
        if self.best is None or key > self.best[0]:
            self.best = (key, epoch, copy.deepcopy(self.kept.state_dict()))

    def finish(self, artifact_types: Sequence[str]) -> dict[str, Any]:
        """Restores the best epoch's weights and moves the thresholds chosen on the member's
        validation files to 0.5; returns what was chosen."""
        if self.best is None:
            raise ValueError("Training needs at least one epoch")
        self.kept.load_state_dict(self.best[2])
        self.kept.eval()
        chosen = self.validate(artifact_types, choose=True)["thresholds"]
        shifts = _centre_thresholds(self.kept, [chosen[name] for name in artifact_types])
        return {
            "seed": self.seed,
            "best_epoch": self.best[1],
            "thresholds_before_centring": chosen,
            "logit_shifts": shifts,
            "training_files": len(self.training_files),
            "validation_files": len(self.validation_files),
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "network": self.network.state_dict(),
            "average": self.average.state_dict() if self.average is not None else None,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "generator": self.rng.bit_generator.state,
            "best_key": list(self.best[0]) if self.best is not None else None,
            "best_epoch": self.best[1] if self.best is not None else None,
            "best_network": self.best[2] if self.best is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.network.load_state_dict(state["network"])
        if self.average is not None:
            self.average.load_state_dict(state["average"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.rng.bit_generator.state = state["generator"]
        if state["best_key"] is not None:
            self.best = (tuple(state["best_key"]), state["best_epoch"], state["best_network"])


def train(
    files: Sequence[LabelledFile],
    *,
    artifact_types: Sequence[str],
    config: TrainingConfig = TrainingConfig(),
    device: str | torch.device | None = None,
    annotation_set_hash: str = "",
    on_epoch: EpochCallback | None = None,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    checkpoints: CheckpointStore | None = None,
    on_resume: ResumeCallback | None = None,
) -> TrainingResult:
    """Trains a detector of `artifact_types` on `files`. Each member of the ensemble holds out
    its own `config.validation_split` of them (by file) for its epoch and thresholds; the
    metrics are the members' on the files they held out.

    `on_epoch(epoch, progress_percent, train_loss, validation_loss)` runs after each epoch
    (epochs count from 1; the losses are the members' means; validation_loss is None without
    validation files), `on_progress(progress_percent)` after each batch, and `should_stop()`
    before each batch: when it returns True, TrainingCancelled is raised. Raises ValueError when
    there is too little audio.

    With `checkpoints`, a checkpoint of the same files and config found there is resumed from
    (`on_resume(epoch, history)` says so; epochs already done are not reported again), and each
    epoch's end writes one. A checkpoint of other files or another config is ignored."""
    started = time.perf_counter()
    device = torch.device(device) if device is not None else default_device()
    seed_everything(config.seed)
    artifact_types = list(artifact_types)
    network_config = config.network or NetworkConfig(num_types=len(artifact_types))
    if network_config.num_types != len(artifact_types):
        raise ValueError("The network's num_types must match the artifact types")
    if len({labelled.name for labelled in files}) != len(files):
        raise ValueError("Training files need distinct names")
    prepared = {
        labelled.name: prepare_file(
            labelled, artifact_types=artifact_types, min_target_ms=config.min_target_ms
        )
        for labelled in files
    }
    metadata = ModelMetadata(
        artifact_types=tuple(artifact_types),
        feature_recipe=DEFAULT_RECIPE.to_dict(),
        # The members share one normalisation, and between them they train on almost every file.
        input_statistics=input_statistics(files),
        thresholds=dict.fromkeys(artifact_types, 0.5),
        network=network_config,
        min_target_ms=config.min_target_ms,
        annotation_set_hash=annotation_set_hash,
        shortest_events_ms=shortest_events_ms(files, artifact_types),
    )
    members = [
        _Member(
            index,
            files=files,
            prepared=prepared,
            artifact_types=artifact_types,
            config=config,
            network_config=network_config,
            metadata=metadata,
            device=device,
        )
        for index in range(network_config.members)
    ]
    logger.info(
        "training %d networks of %d parameters on %d files (%s held out) for %d epochs on %s",
        len(members),
        parameter_count(members[0].network),
        len(files),
        " and ".join(str(len(member.validation_files)) for member in members),
        config.epochs,
        device,
    )
    history: list[dict[str, Any]] = []
    total_batches = config.epochs * sum(member.batches_per_epoch for member in members)
    done_batches = 0
    first_epoch = 1
    fingerprint = _fingerprint(files, artifact_types, config)
    resumed = _read_checkpoint(checkpoints, fingerprint)
    if resumed is not None:
        for member, state in zip(members, resumed["members"], strict=True):
            member.load_state_dict(state)
        _restore_random_states(resumed["random"])
        history = resumed["history"]
        done_batches = resumed["done_batches"]
        first_epoch = resumed["epoch"] + 1
        logger.info("resuming from the checkpoint of epoch %d", resumed["epoch"])
        if on_resume is not None:
            on_resume(resumed["epoch"], copy.deepcopy(history))

    def before_batch() -> None:
        if should_stop is not None and should_stop():
            raise TrainingCancelled(f"Training stopped in epoch {epoch}")

    def after_batch() -> None:
        nonlocal done_batches
        done_batches += 1
        if on_progress is not None:
            on_progress(100.0 * done_batches / max(1, total_batches))

    for epoch in range(first_epoch, config.epochs + 1):
        epoch_started = time.perf_counter()
        member_entries = []
        for member in members:
            train_loss = member.train_epoch(
                config, artifact_types, device, before_batch, after_batch
            )
            validation = member.validate(artifact_types, choose=True)
            member.consider(epoch, validation)
            member_entries.append(
                {
                    "train_loss": train_loss,
                    "validation_loss": validation["loss"],
                    "validation_macro_f1": validation["macro_f1"],
                }
            )
        entry = {
            "epoch": epoch,
            **{key: _mean_of(member_entries, key) for key in member_entries[0]},
            "members": member_entries,
            "seconds": time.perf_counter() - epoch_started,
        }
        history.append(entry)
        logger.info("epoch %d: %s", epoch, entry)
        if checkpoints is not None:
            checkpoints.write(
                _checkpoint_bytes(
                    fingerprint=fingerprint,
                    epoch=epoch,
                    done_batches=done_batches,
                    members=members,
                    history=history,
                )
            )
        if on_epoch is not None:
            on_epoch(
                epoch,
                100.0 * epoch / config.epochs,
                entry["train_loss"],
                entry["validation_loss"],
            )
    finished = [member.finish(artifact_types) for member in members]
    ensemble = _ensemble_of(members, network_config, device)
    model = DetectorModel(network=ensemble, metadata=metadata)
    held_out = _held_out_probabilities(members)
    validation_files = [labelled for labelled in files if labelled.name in held_out]
    thresholds = dict.fromkeys(artifact_types, 0.5)
    final = _evaluate(validation_files, held_out, artifact_types, choose=False)
    errors = (
        metrics.validation_errors(
            final["reference"],
            held_out,
            artifact_types=artifact_types,
            hop_ms=HOP_MS,
            thresholds=thresholds,
        )
        if validation_files
        else []
    )
    best_epoch = max(summary["best_epoch"] for summary in finished)
    seconds = time.perf_counter() - started
    model.metadata = replace(
        model.metadata,
        training={
            "config": config.to_dict(),
            "best_epoch": best_epoch,
            "seconds": seconds,
            "members": finished,
            "validation_files": len(validation_files),
            "device": str(device),
        },
    )
    result_metrics = {
        **(final["metrics"] or {}),
        "best_epoch": best_epoch,
        "best_epochs": [summary["best_epoch"] for summary in finished],
        "history": history,
        "training_seconds": seconds,
        "parameters": parameter_count(ensemble),
        "resumed_from_epoch": resumed["epoch"] if resumed is not None else None,
    }
    return TrainingResult(
        model=model,
        history=history,
        thresholds=thresholds,
        metrics=result_metrics,
        best_epoch=best_epoch,
        seconds=seconds,
        errors=errors,
    )


def _mean_of(entries: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [entry[key] for entry in entries if entry[key] is not None]
    return float(np.mean(values)) if values else None


def _ensemble_of(
    members: Sequence[_Member], network_config: NetworkConfig, device: torch.device
) -> Detector:
    """One Detector holding each member's kept (centred) network, in eval mode."""
    ensemble = Detector(network_config).to(device)
    for slot, member in zip(ensemble.members, members, strict=True):
        slot.load_state_dict(member.kept.members[0].state_dict())
    return ensemble.eval()


def _held_out_probabilities(members: Sequence[_Member]) -> dict[str, npt.NDArray[np.float32]]:
    """Per validation file, the probabilities of the members that held it out (the mean of
    their centred logits, as inference averages all of them): the model's out-of-fold output,
    which no member that trained on the file contributes to."""
    logits: dict[str, list[npt.NDArray[np.float32]]] = {}
    for member in members:
        for labelled in member.validation_files:
            logits.setdefault(labelled.name, []).append(
                predict_logits(member.model, labelled.features)
            )
    return {
        name: probabilities_from_logits(np.mean(values, axis=0, dtype=np.float32))
        for name, values in logits.items()
    }


def _fingerprint(
    files: Sequence[LabelledFile], artifact_types: Sequence[str], config: TrainingConfig
) -> str:
    """What a checkpoint must have been made with to be resumed: the files (names and sizes),
    the types and the config."""
    return json.dumps(
        {
            "files": [[item.name, list(item.features.shape), len(item.events)] for item in files],
            "artifact_types": list(artifact_types),
            "config": config.to_dict(),
        },
        sort_keys=True,
        default=str,
    )


def _random_states() -> dict[str, Any]:
    """The global random states (dropout draws from torch's); each member keeps its own
    generator for windows and augmentation."""
    legacy = np.random.get_state()
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [legacy[0], torch.from_numpy(legacy[1].copy()), *legacy[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _restore_random_states(states: dict[str, Any]) -> None:
    python = states["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))
    name, keys, *rest = states["numpy"]
    np.random.set_state((name, keys.numpy(), *rest))
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def _checkpoint_bytes(
    *,
    fingerprint: str,
    epoch: int,
    done_batches: int,
    members: Sequence[_Member],
    history: list[dict[str, Any]],
) -> bytes:
    buffer = io.BytesIO()
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "fingerprint": fingerprint,
            "epoch": epoch,
            "done_batches": done_batches,
            "members": [member.state_dict() for member in members],
            "random": _random_states(),
            "history": history,
        },
        buffer,
    )
    return buffer.getvalue()


def _read_checkpoint(
    checkpoints: CheckpointStore | None, fingerprint: str
) -> dict[str, Any] | None:
    """The stored checkpoint of this very run, or None (none stored, unreadable, or made with
    other files or another config: training starts from the beginning)."""
    data = checkpoints.read() if checkpoints is not None else None
    if data is None:
        return None
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # a torn or foreign file: starting over is always correct
        logger.warning("ignoring an unreadable checkpoint: %s", error)
        return None
    if state.get("format") != CHECKPOINT_FORMAT or state.get("fingerprint") != fingerprint:
        logger.warning("ignoring a checkpoint of other files or another config")
        return None
    return state


def _centre_thresholds(network: Detector, thresholds: Sequence[float]) -> list[float]:
    """Shifts each type's output so that its chosen threshold becomes 0.5: p' >= 0.5 exactly
    where p >= threshold. The positive weights push probabilities up, and the quickstart runs
    inference at 0.5, so the model's own best operating point is put there. Returns the shifts
    (logits subtracted)."""
    shifts = [math.log(t / (1.0 - t)) for t in thresholds]
    with torch.no_grad():
        for head in network.heads:  # the members' mean logit moves by the same shift
            head.bias -= torch.tensor(shifts, device=head.bias.device)
    return shifts


def _start_at_prior(network: Detector, prepared: Sequence[Any], weight: torch.Tensor) -> None:
    """Output biases start at each type's (weighted) frame prior, so the first epochs learn the
    artifacts rather than how rare they are."""
    positives = sum(file.targets.sum(axis=0) for file in prepared)
    frames = sum(len(file.targets) for file in prepared)
    prior = np.clip(positives * weight.cpu().numpy() / max(frames, 1), 1e-4, 0.5)
    with torch.no_grad():
        for head in network.heads:
            head.bias.copy_(torch.from_numpy(np.log(prior / (1 - prior))).float())


def _positive_weights(prepared: Sequence[Any], max_weight: float) -> torch.Tensor:
    """Per type, sqrt(negative / positive frames), capped: enough to keep rare types from being
    ignored without making every borderline frame an alarm."""
    positives = sum(file.targets.sum(axis=0) for file in prepared)
    frames = sum(len(file.targets) for file in prepared)
    ratio = (frames - positives) / np.maximum(positives, 1.0)
    weights = np.clip(np.sqrt(ratio), 1.0, max_weight)
    return torch.tensor(weights, dtype=torch.float32)


def _batches_per_epoch(prepared: Sequence[Any], config: TrainingConfig) -> int:
    total_frames = sum(len(file.inputs) for file in prepared)
    windows = math.ceil(total_frames / config.window_frames) + 1
    return max(1, math.ceil(windows / config.batch_size))


def _validate(
    model: DetectorModel,
    files: Sequence[LabelledFile],
    artifact_types: Sequence[str],
    loss_function: nn.Module,
    *,
    choose: bool,
) -> dict[str, Any]:
    """Loss, chosen thresholds, metrics and macro F1 of `model` on the validation files (all
    None/0.5 without any), with the reference events they came from."""
    probabilities = {}
    loss_sum, frames = 0.0, 0
    for labelled in files:
        logits = predict_logits(model, labelled.features)  # (frames, types)
        targets = frame_targets(
            labelled.events,
            artifact_types=artifact_types,
            frames=len(logits),
            min_target_ms=model.metadata.min_target_ms,
        )
        with torch.no_grad():
            losses = loss_function(
                torch.from_numpy(logits.T).to(model.device)[None],
                torch.from_numpy(targets.T).to(model.device)[None],
            )
        loss_sum += float(losses.sum()) / len(artifact_types)
        frames += len(logits)
        probabilities[labelled.name] = probabilities_from_logits(logits)  # logits are spent
    return {
        "loss": loss_sum / frames if frames else None,
        **_evaluate(files, probabilities, artifact_types, choose=choose),
    }


def _evaluate(
    files: Sequence[LabelledFile],
    probabilities: dict[str, npt.NDArray[np.float32]],
    artifact_types: Sequence[str],
    *,
    choose: bool,
) -> dict[str, Any]:
    """Thresholds (chosen, or 0.5), metrics and macro F1 of per-file `probabilities` against
    the files' labels (None/0.5 without files), with the reference events."""
    if not files:
        return {
            "macro_f1": None,
            "thresholds": dict.fromkeys(artifact_types, 0.5),
            "metrics": None,
            "reference": [],
        }
    reference = [
        Event(labelled.name, name, start_ms, end_ms)
        for labelled in files
        for name, start_ms, end_ms in labelled.events
        if name in artifact_types
    ]
    thresholds = (
        metrics.choose_thresholds(
            reference, probabilities, artifact_types=artifact_types, hop_ms=HOP_MS
        )
        if choose
        else dict.fromkeys(artifact_types, 0.5)
    )
    result = metrics.evaluate(
        reference,
        probabilities,
        artifact_types=artifact_types,
        hop_ms=HOP_MS,
        thresholds=thresholds,
    )
    return {
        "macro_f1": result["macro"]["f1"],
        "thresholds": thresholds,
        "metrics": result,
        "reference": reference,
    }


def one_cycle(optimizer: Any, *, max_lr: float, total_steps: int) -> Any:
    """The one-cycle schedule, warming up over the first tenth of the steps. A short run (a few
    epochs over a few files) warms up for at least two steps: torch divides by the warm-up's
    length, which a tenth of ten steps makes zero."""
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=max_lr,
        total_steps=total_steps,
        pct_start=min(1.0, max(0.1, 2 / total_steps)),
    )
