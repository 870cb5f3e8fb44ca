"""The model file: the network's weights plus everything inference needs to use them the way
training did (artifact types, feature recipe, input normalisation, chosen thresholds, target
widening, network hyper-parameters, the annotation set's content hash), and `predict`, which
runs a model over a file's stored features in chunks. No Django imports.

Files are written with `torch.save` and read with `torch.load(weights_only=True)`: only tensors,
strings and plain containers, never pickled code. Metadata travels as one JSON string.
"""

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import torch

from datasets.audio.features import DEFAULT_RECIPE
from training.ml.data import (
    HOP_MS,
    INPUT_SIZE,
    POSITION_CHANNELS,
    InputStatistics,
    file_level,
    normalized_inputs,
    position_channels,
)
from training.ml.network import Detector, NetworkConfig

FILE_FORMAT = "relay-detector-1"
CHUNK_FRAMES = 6_000  # 60 s of frames per network call: memory stays flat for an hour of audio
# A chunk's input is padded to a multiple of this many frames. torch's CPU convolutions keep a
# compiled plan per input shape, and a worker that saw every file length kept one for each: its
# memory grew by half a megabyte a file. Padding past the context never reaches a kept output.
WIDTH_STEP_FRAMES = 128


class ModelFileError(ValueError):
    """A model file that this Relay cannot use; the message says why and what to do."""


@dataclass(frozen=True)
class ModelMetadata:
    artifact_types: tuple[str, ...]
    feature_recipe: dict[str, Any]  # FeatureRecipe.to_dict() of the features it was trained on
    input_statistics: InputStatistics
    thresholds: dict[str, float]  # chosen per type on validation
    network: NetworkConfig
    min_target_ms: float  # events shorter than this were trained as this long, centred
    annotation_set_hash: str = ""
    hop_ms: int = HOP_MS
    training: dict[str, Any] = field(default_factory=dict)  # config, best epoch, seconds
    # Per type, the shortest labelled event it was trained on (training.ml.evidence); models
    # from before it have none.
    shortest_events_ms: dict[str, float] = field(default_factory=dict)

    @property
    def recipe_version(self) -> str:
        return str(self.feature_recipe.get("version", ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "artifact_types": list(self.artifact_types),
            "feature_recipe": self.feature_recipe,
            "input_statistics": self.input_statistics.to_dict(),
            "thresholds": self.thresholds,
            "network": self.network.to_dict(),
            "target_widening": {"min_target_ms": self.min_target_ms, "centred": True},
            "annotation_set_hash": self.annotation_set_hash,
            "hop_ms": self.hop_ms,
            "training": self.training,
            "shortest_events_ms": self.shortest_events_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelMetadata":
        return cls(
            artifact_types=tuple(data["artifact_types"]),
            feature_recipe=dict(data["feature_recipe"]),
            input_statistics=InputStatistics.from_dict(data["input_statistics"]),
            thresholds={name: float(value) for name, value in data["thresholds"].items()},
            network=NetworkConfig.from_dict(data["network"]),
            min_target_ms=float(data["target_widening"]["min_target_ms"]),
            annotation_set_hash=str(data.get("annotation_set_hash", "")),
            hop_ms=int(data.get("hop_ms", HOP_MS)),
            training=dict(data.get("training", {})),
            shortest_events_ms={
                name: float(value) for name, value in data.get("shortest_events_ms", {}).items()
            },
        )


@dataclass
class DetectorModel:
    network: Detector
    metadata: ModelMetadata

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device


def save_model(model: DetectorModel, destination: IO[bytes] | None = None) -> bytes | None:
    """Writes the model file to `destination`, or returns its bytes when there is none."""
    state = {name: tensor.detach().cpu() for name, tensor in model.network.state_dict().items()}
    payload = {
        "format": FILE_FORMAT,
        "metadata": json.dumps(model.metadata.to_dict(), sort_keys=True),
        "state_dict": state,
    }
    if destination is not None:
        torch.save(payload, destination)
        return None
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_model(
    source: bytes | IO[bytes],
    *,
    device: str | torch.device = "cpu",
    recipe_version: str = DEFAULT_RECIPE.version,
) -> DetectorModel:
    """Reads a model file written by `save_model`, ready for `predict` (eval mode). Raises
    ModelFileError when it is not a Relay model file, or when it was trained on features of
    another recipe than the `recipe_version` this Relay computes."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        payload = torch.load(stream, map_location=device, weights_only=True)
    except Exception as error:  # torch raises many kinds for a file that is not its own
        raise ModelFileError(f"Not a readable model file: {error}") from error
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise ModelFileError(f"Not a Relay model file (expected format {FILE_FORMAT})")
    metadata = ModelMetadata.from_dict(json.loads(payload["metadata"]))
    if metadata.recipe_version != recipe_version:
        raise ModelFileError(
            f"The model was trained on features {metadata.recipe_version!r} but this Relay "
            f"computes {recipe_version!r}; train a new model on the reprocessed audio"
        )
    network = Detector(metadata.network)
    try:
        network.load_state_dict(_ensemble_state(payload["state_dict"]))
    except RuntimeError as error:
        raise ModelFileError(f"The model's weights do not fit its network: {error}") from error
    network.to(device).eval()
    return DetectorModel(network=network, metadata=metadata)


def _ensemble_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Model files from before ensembles hold one network's weights: they are member 0's."""
    if any(name.startswith("members.") for name in state):
        return state
    return {f"members.0.{name}": tensor for name, tensor in state.items()}


def _padded_width(frames: int) -> int:
    return -(-frames // WIDTH_STEP_FRAMES) * WIDTH_STEP_FRAMES


def _chunks(frames: int, chunk_frames: int) -> Iterator[tuple[int, int]]:
    for start in range(0, frames, chunk_frames):
        yield start, min(frames, start + chunk_frames)


def predict_logits(
    model: DetectorModel,
    features: npt.NDArray[np.floating],  # (frames, 73) stored, or a StoredFeatures reader
    *,
    chunk_frames: int = CHUNK_FRAMES,
) -> npt.NDArray[np.float32]:
    """(frames, types) logits. Each chunk is run with `context_frames` of the file's own input
    either side (zeros beyond its ends), which covers the network's receptive field, so the
    result equals a single pass over the whole file whatever `chunk_frames` is."""
    network, metadata = model.network, model.metadata
    frames = len(features)
    context = metadata.network.context_frames
    chunk_frames += chunk_frames % 2  # even starts: the network pairs frames (2i, 2i + 1)
    level = file_level(features)
    logits = np.empty((frames, len(metadata.artifact_types)), np.float32)
    was_training = network.training
    network.eval()
    try:
        with torch.inference_mode():
            for start, end in _chunks(frames, chunk_frames):
                lo, hi = max(0, start - context), min(frames, end + context)
                width = _padded_width(end - start + 2 * context)
                padded = np.zeros((width, INPUT_SIZE + POSITION_CHANNELS), np.float32)
                offset = lo - (start - context)
                padded[offset : offset + hi - lo, :INPUT_SIZE] = normalized_inputs(
                    features[lo:hi], metadata.input_statistics, level=level
                )
                padded[:, INPUT_SIZE:] = position_channels(start - context, width, frames)
                inputs = torch.from_numpy(padded.T[None]).to(model.device)  # (1, 75, frames)
                output = network(inputs)[0, :, context : context + end - start]  # (types, n)
                logits[start:end] = output.T.float().cpu().numpy()
    finally:
        network.train(was_training)
    return logits


def predict(
    model: DetectorModel,
    features: npt.NDArray[np.floating],
    *,
    chunk_frames: int = CHUNK_FRAMES,
) -> npt.NDArray[np.float32]:
    """(frames, types) probabilities of each artifact type in each 10 ms frame."""
    return probabilities_from_logits(predict_logits(model, features, chunk_frames=chunk_frames))


def probabilities_from_logits(logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The sigmoid, 1 / (1 + exp(-x)), computed in `logits`' own memory (which it returns): an
    hour's temporaries would be four more copies of it."""
    np.negative(logits, out=logits)
    np.exp(logits, out=logits)
    logits += 1.0
    return np.reciprocal(logits, out=logits)
