"""From a file's stored features to its detections with a job's post-processing config, and a
small cache of loaded models. No Django imports; torch loads with `training.ml.model_file`,
which is imported only when detection runs, so web processes never load it.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from training.ml.postprocess import Detection, detections_from_probabilities

if TYPE_CHECKING:
    from training.ml.model_file import DetectorModel

# 60 s of frames per network call (training.ml.model_file.CHUNK_FRAMES): memory stays flat.
DEFAULT_CHUNK_FRAMES = 6_000


def detect_events(
    model: "DetectorModel",
    features: npt.NDArray[np.floating],  # (frames, 73) stored, or a StoredFeatures reader
    *,
    config: Mapping[str, Any],
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
) -> list[Detection]:
    """The file's detections, sorted by (start_ms, artifact_type). `predict` runs the network
    in chunks with enough context either side that its probabilities equal one pass over the
    whole file; post-processing then sees the whole file's probabilities at once, so an event
    that straddles a chunk boundary is one detection, whole. `config` is a job's config:
    `threshold` (None: the model's per-type choice), `merge_window_ms`, `min_duration_ms`."""
    from training.ml.model_file import predict

    metadata = model.metadata
    probabilities = predict(model, features, chunk_frames=chunk_frames)  # (frames, types)
    return detections_from_probabilities(
        probabilities,
        artifact_types=metadata.artifact_types,
        hop_ms=metadata.hop_ms,
        threshold=config.get("threshold"),
        merge_window_ms=config["merge_window_ms"],
        min_duration_ms=config["min_duration_ms"],
        chosen_thresholds=metadata.thresholds,
    )


class ModelCache:
    """The `size` most recently used models by key, loaded once per process. Thread-safe: a
    model is loaded under the lock, so two threads never load the same one twice."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.models: OrderedDict[str, DetectorModel] = OrderedDict()
        self.lock = threading.Lock()
        self.loads = 0

    def get(self, key: str, load: Callable[[], "DetectorModel"]) -> "DetectorModel":
        with self.lock:
            model = self.models.get(key)
            if model is not None:
                self.models.move_to_end(key)
                return model
            model = load()
            self.loads += 1
            self.models[key] = model
            while len(self.models) > max(1, self.size):
                self.models.popitem(last=False)
            return model

    def clear(self) -> None:
        with self.lock:
            self.models.clear()
