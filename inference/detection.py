"""From a file's stored features to its detections with a job's post-processing config, and a
small cache of loaded models. No Django imports; torch loads with `training.ml.model_file`,
which is imported only when detection runs, so web processes never load it.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from training.ml.evidence import check_detections, click_column
from training.ml.postprocess import Detection, detections_from_probabilities

if TYPE_CHECKING:
    from training.ml.model_file import DetectorModel

# 60 s of frames per network call (training.ml.model_file.CHUNK_FRAMES): memory stays flat.
DEFAULT_CHUNK_FRAMES = 6_000


# The "label next" measure: frames whose probability lies in this band are ones the model is
# unsure about (the model's own threshold is 0.5 once trained, training.ml.loop centres it).
UNSURE_LOW, UNSURE_HIGH = 0.3, 0.7


@dataclass(frozen=True)
class FileResult:
    detections: list[Detection]
    uncertainty: float  # unsure frames per minute, see `unsure_frames_per_minute`


def unsure_frames_per_minute(
    probabilities: npt.NDArray[np.floating],  # (frames, types)
    *,
    hop_ms: int,
) -> float:
    """How unsure a model was about a file: the number of (frame, type) pairs whose probability
    lies in [UNSURE_LOW, UNSURE_HIGH], per minute of audio. Summed over types, so a file unsure
    about two types ranks above one unsure about one; per minute, so long files do not rank
    first for being long. 0.0 for an empty file."""
    frames = len(probabilities)
    if not frames:
        return 0.0
    unsure = np.count_nonzero((probabilities >= UNSURE_LOW) & (probabilities <= UNSURE_HIGH))
    return float(unsure) / (frames * hop_ms / 60_000)


def detect_file(
    model: "DetectorModel",
    features: npt.NDArray[np.floating],  # (frames, 73) stored, or a StoredFeatures reader
    *,
    config: Mapping[str, Any],
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    lossy_source: bool = False,
) -> FileResult:
    """`detect_events` plus the file's uncertainty, from the same probabilities."""
    from training.ml.model_file import predict

    metadata = model.metadata
    probabilities = predict(model, features, chunk_frames=chunk_frames)  # (frames, types)
    detections = _detections(probabilities, metadata, config)
    if config.get("signal_checks", True):
        detections = check_detections(
            detections,
            features,
            hop_ms=metadata.hop_ms,
            lossy_source=lossy_source,
            shortest_events_ms=metadata.shortest_events_ms,
            click_probabilities=click_column(probabilities, metadata.artifact_types),
        )
    return FileResult(
        detections=detections,
        uncertainty=unsure_frames_per_minute(probabilities, hop_ms=metadata.hop_ms),
    )


def _detections(
    probabilities: npt.NDArray[np.floating], metadata: Any, config: Mapping[str, Any]
) -> list[Detection]:
    return detections_from_probabilities(
        probabilities,
        artifact_types=metadata.artifact_types,
        hop_ms=metadata.hop_ms,
        threshold=config.get("threshold"),
        merge_window_ms=config["merge_window_ms"],
        min_duration_ms=config["min_duration_ms"],
        chosen_thresholds=metadata.thresholds,
    )


def detect_events(
    model: "DetectorModel",
    features: npt.NDArray[np.floating],  # (frames, 73) stored, or a StoredFeatures reader
    *,
    config: Mapping[str, Any],
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    lossy_source: bool = False,
) -> list[Detection]:
    """The file's detections, sorted by (start_ms, artifact_type). `predict` runs the network
    in chunks with enough context either side that its probabilities equal one pass over the
    whole file; post-processing then sees the whole file's probabilities at once, so an event
    that straddles a chunk boundary is one detection, whole. `config` is a job's config:
    `threshold` (None: the model's per-type choice), `merge_window_ms`, `min_duration_ms`, and
    `signal_checks` (default true: `training.ml.evidence`, told whether the source was lossy)."""
    return detect_file(
        model, features, config=config, chunk_frames=chunk_frames, lossy_source=lossy_source
    ).detections


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
