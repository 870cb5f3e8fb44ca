"""Signal checks on the network's detections: two artifact types have a physical signature in
the stored features that the network, trained on one team's voices, can overlook on speech it
has never heard. No Django imports.

- **Clipping has flat tops.** A clipped stretch repeats its largest sample value; the stored
  `flat_fraction` counts those samples per frame. A clipping detection with no frame in which at
  least 1 % of the samples are flat tops is dropped. Lossy codecs (MP3, Ogg, AAC) round flat
  tops off, so a lossy source is left to the network alone.
- **A click stands out of its file.** Some TTS engines leave sharp transients at many joins
  between their units; a network that has never heard that engine calls each one a click. When a
  file has many click detections (at least 3, and at least 8 a minute), the engine itself is
  making click-like transients, and only the clicks whose largest jump is at least twice the
  file's 99th-percentile frame jump are kept: the ones that stand out of what the engine does
  everywhere else. A file with few clicks keeps them all, subtle ones included.
- **An event is about as long as the ones it was learned from.** A detection shorter than half
  the shortest event of its type in the model's training labels is dropped: a 200 ms stretch of
  quiet is no long pause to a team whose shortest labelled pause is 500 ms. Types whose labels
  are shorter than the inference minimum (clicks, dropouts) are not affected.

Measured on corpora from two engines the network never trained on, and on the bench kit's own
corpora (docs/benchmarks.md, "Signal checks").
"""

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from training.ml.data import FLAT_FRACTION, MAX_JUMP
from training.ml.postprocess import Detection

CLIPPING_MIN_FLAT_FRACTION = 0.01
DENSE_CLICKS_MIN_COUNT = 3
DENSE_CLICKS_PER_MINUTE = 8.0
CLICK_OVER_FILE_JUMPS = 2.0  # times the file's 99th-percentile frame jump
FILE_JUMP_PERCENTILE = 99.0
SHORTEST_EVENT_SHARE = 0.5


def check_detections(
    detections: Sequence[Detection],
    features: npt.NDArray[np.floating],  # (frames, 73) stored, or a StoredFeatures reader
    *,
    hop_ms: int,
    lossy_source: bool = False,
    shortest_events_ms: Mapping[str, float] | None = None,
) -> list[Detection]:
    """`detections` less those the signal or the training labels contradict (see the module's
    docstring), in their order. `shortest_events_ms` is the model's, per type."""
    frames = len(features)
    kept = [
        detection
        for detection in detections
        if detection.end_ms - detection.start_ms
        >= SHORTEST_EVENT_SHARE * (shortest_events_ms or {}).get(detection.artifact_type, 0.0)
    ]
    if not lossy_source:
        kept = [
            detection
            for detection in kept
            if detection.artifact_type != "clipping"
            or _has_flat_tops(features, _frame_span(detection, hop_ms, frames))
        ]
    clicks = [detection for detection in kept if detection.artifact_type == "click"]
    if not _clicks_are_dense(len(clicks), frames=frames, hop_ms=hop_ms):
        return kept
    jumps = np.asarray(features[:, MAX_JUMP], dtype=np.float32)
    bar = CLICK_OVER_FILE_JUMPS * float(np.percentile(jumps, FILE_JUMP_PERCENTILE))
    return [
        detection
        for detection in kept
        if detection.artifact_type != "click"
        or _largest(jumps, _frame_span(detection, hop_ms, frames)) >= bar
    ]


def _clicks_are_dense(count: int, *, frames: int, hop_ms: int) -> bool:
    minutes = frames * hop_ms / 60_000
    return count >= max(DENSE_CLICKS_MIN_COUNT, DENSE_CLICKS_PER_MINUTE * minutes)


def _frame_span(detection: Detection, hop_ms: int, frames: int) -> slice:
    """The frames a detection covers: at least one, inside the file."""
    first = min(max(0, detection.start_ms // hop_ms), max(0, frames - 1))
    return slice(first, max(first + 1, min(frames, -(-detection.end_ms // hop_ms))))


def _has_flat_tops(features: npt.NDArray[np.floating], span: slice) -> bool:
    flat = np.asarray(features[span, FLAT_FRACTION], dtype=np.float32)
    return bool(len(flat)) and float(flat.max()) >= CLIPPING_MIN_FLAT_FRACTION


def _largest(values: npt.NDArray[np.float32], span: slice) -> float:
    chosen = values[span]
    return float(chosen.max()) if len(chosen) else 0.0
