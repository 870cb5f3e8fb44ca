"""Signal checks on the network's detections: what the stored features or the model's own
training labels say against a detection, which the network, trained on one team's voices, can
overlook on speech it has never heard. No Django imports.

- **Clipping has flat tops.** A clipped stretch repeats its largest sample value; the stored
  `flat_fraction` counts those samples per frame. A clipping detection with no frame in which at
  least 1 % of the samples are flat tops is dropped. Lossy codecs (MP3, Ogg, AAC) round flat
  tops off, so a lossy source is left to the network alone.
- **A click stands out of its file.** Some TTS engines leave sharp transients at many joins
  between their units; a network that has never heard that engine calls each one a click. When a
  file has many click detections (at least 3, and at least 8 a minute), the engine itself is
  making click-like transients, and only the clicks whose largest jump is at least twice the
  file's 99th-percentile frame jump are kept: the ones that stand out of what the engine does
  everywhere else. Of those, a family of same-size clicks (at least 3 whose largest jumps lie
  within 5 % of each other's) is dropped too: an engine that makes one transient at each of its
  joins makes it at the same size each time, where clicks that damage audio come in every size.
  A file with few clicks keeps them all, subtle ones included. The network's weaker responses
  count too: an engine whose joins it mostly doubts (many rises of the click probability to
  0.1 that stay under its operating point 0.5, at least 3 and at least 8 a minute) crowds the
  file as surely as one whose joins it believes, and a file of one or two click detections among
  them keeps only those that stand out.
- **A dropout lies off the file's noise floor.** Audio that drops out is either digital zeros or
  far quieter than the file's own background; a pause between words lies at that background, with
  its spectrum. The floor is the quietest 5 % of the frames outside the file's dropout
  detections, and its spectrum their mean mel spectrum. A dropout detection with no frame of
  mostly digital zeros is dropped when its quietest frame lies as close to that spectrum as 95 %
  of the floor's own frames do (RMS distance over the bands): it could be one of them, and nothing
  else in it tells it from the file's pauses. An attenuated dropout keeps its speech's spectrum,
  so it stays.
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

from training.ml.data import ENERGY, FLAT_FRACTION, MAX_JUMP, N_MELS, ZERO_FRACTION
from training.ml.postprocess import Detection, active_runs, run_peaks

CLIPPING_MIN_FLAT_FRACTION = 0.01
DENSE_CLICKS_MIN_COUNT = 3
DENSE_CLICKS_PER_MINUTE = 8.0
CLICK_OVER_FILE_JUMPS = 2.0  # times the file's 99th-percentile frame jump
SAME_SIZE_WITHIN = 0.05  # of the larger jump: two clicks this close in size are one transient's
SAME_SIZE_FAMILY = 3  # clicks of one size, counting each, that make an engine's transient
WEAK_CLICK_PROBABILITY = 0.1  # a rise of the click probability to here is a response...
OPERATING_POINT = 0.5  # ...while its peak stays under the model's operating point (loop.py)
WEAK_CLICKS_MERGE_MS = 200  # as the quickstart's merge window: one rise, not one per frame
FILE_JUMP_PERCENTILE = 99.0
SHORTEST_EVENT_SHARE = 0.5
DROPOUT_MIN_ZERO_FRACTION = 0.5  # a frame this full of digital zeros is a dropout as it stands
FLOOR_PERCENTILE = 5.0  # of frame energy: the file's quietest frames are its noise floor
FLOOR_MIN_FRAMES = 10
FLOOR_FRAMES_WITHIN = 95.0  # percent of the floor's own frames: a frame this close is one of them
FLOOR_ROWS_PER_READ = 6_000  # a minute of frames: memory stays flat on long files


def check_detections(
    detections: Sequence[Detection],
    features: npt.NDArray[np.floating],  # (frames, 73) stored, or a StoredFeatures reader
    *,
    hop_ms: int,
    lossy_source: bool = False,
    shortest_events_ms: Mapping[str, float] | None = None,
    click_probabilities: npt.NDArray[np.floating] | None = None,  # (frames,) the model's
) -> list[Detection]:
    """`detections` less those the signal or the training labels contradict (see the module's
    docstring), in their order. `shortest_events_ms` is the model's, per type; without
    `click_probabilities` only click detections say whether a file is crowded."""
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
            or _largest_in_column(features, _frame_span(detection, hop_ms, frames), FLAT_FRACTION)
            >= CLIPPING_MIN_FLAT_FRACTION
        ]
    kept = _dropouts_off_the_floor(kept, features, hop_ms)
    clicks = [detection for detection in kept if detection.artifact_type == "click"]
    if not clicks:
        return kept
    crowded = _clicks_are_dense(len(clicks), frames=frames, hop_ms=hop_ms) or (
        click_probabilities is not None
        and _clicks_are_dense(
            _weak_click_responses(click_probabilities, hop_ms), frames=frames, hop_ms=hop_ms
        )
    )
    if not crowded:
        return kept
    jumps = np.asarray(features[:, MAX_JUMP], dtype=np.float32)
    bar = CLICK_OVER_FILE_JUMPS * float(np.percentile(jumps, FILE_JUMP_PERCENTILE))
    sizes = np.array([_largest(jumps, _frame_span(click, hop_ms, frames)) for click in clicks])
    standing_out = sizes >= bar
    keep = standing_out & ~_in_families(sizes, among=sizes[standing_out])
    kept_clicks = {id(click) for click, chosen in zip(clicks, keep, strict=True) if chosen}
    return [
        detection
        for detection in kept
        if detection.artifact_type != "click" or id(detection) in kept_clicks
    ]


def click_column(
    probabilities: npt.NDArray[np.floating], artifact_types: Sequence[str]
) -> npt.NDArray[np.floating] | None:
    """The click probabilities `check_detections` reads, or None for a model without clicks."""
    if "click" not in artifact_types:
        return None
    return probabilities[:, list(artifact_types).index("click")]


def _weak_click_responses(probabilities: npt.NDArray[np.floating], hop_ms: int) -> int:
    """How many times the click probability rises to WEAK_CLICK_PROBABILITY without reaching
    OPERATING_POINT (rises closer than WEAK_CLICKS_MERGE_MS count once)."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    starts, ends = active_runs(
        probabilities >= WEAK_CLICK_PROBABILITY, max_gap=WEAK_CLICKS_MERGE_MS // hop_ms
    )
    if not len(starts):
        return 0
    return int(np.count_nonzero(run_peaks(probabilities, starts, ends) < OPERATING_POINT))


def _in_families(sizes: npt.NDArray[np.float64], *, among: npt.NDArray[np.float64]) -> npt.NDArray:
    """Per size, whether at least SAME_SIZE_FAMILY of `among` lie within SAME_SIZE_WITHIN of it
    (of the larger of the two): o is that close to s when s (1 - w) <= o <= s / (1 - w)."""
    ordered = np.sort(among)
    low = np.searchsorted(ordered, sizes * (1.0 - SAME_SIZE_WITHIN), side="left")
    high = np.searchsorted(ordered, sizes / (1.0 - SAME_SIZE_WITHIN), side="right")
    return high - low >= SAME_SIZE_FAMILY


def _dropouts_off_the_floor(
    detections: list[Detection], features: npt.NDArray[np.floating], hop_ms: int
) -> list[Detection]:
    frames = len(features)
    spans = {
        index: _frame_span(detection, hop_ms, frames)
        for index, detection in enumerate(detections)
        if detection.artifact_type == "dropout"
    }
    in_question = {
        index
        for index, span in spans.items()
        if _largest_in_column(features, span, ZERO_FRACTION) < DROPOUT_MIN_ZERO_FRACTION
    }
    if not in_question:
        return detections
    energy = np.asarray(features[:, ENERGY], dtype=np.float32)
    outside = np.ones(frames, dtype=bool)
    for span in spans.values():
        outside[span] = False
    if outside.sum() < FLOOR_MIN_FRAMES:
        return detections
    quiet = outside & (energy <= np.percentile(energy[outside], FLOOR_PERCENTILE))
    floor, reach = _floor_spectrum(features, quiet)
    return [
        detection
        for index, detection in enumerate(detections)
        if index not in in_question
        or _quietest_frame_distance(features, energy, spans[index], floor) > reach
    ]


def _floor_spectrum(
    features: npt.NDArray[np.floating], quiet: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], float]:
    """The mean mel spectrum of the `quiet` frames, and the distance from it that all but the
    farthest 5 % of those frames lie within. Read a block at a time, twice (the mean first):
    in a file of long silences every silent frame ties at the 5th percentile, and holding all
    their bands at once took 150 MB for an hour."""
    starts = range(0, len(features), FLOOR_ROWS_PER_READ)

    def quiet_rows(start: int) -> npt.NDArray[np.float64]:
        rows = features[start : start + FLOOR_ROWS_PER_READ, :N_MELS]
        return np.asarray(rows, dtype=np.float64)[quiet[start : start + FLOOR_ROWS_PER_READ]]

    mean = sum((quiet_rows(start).sum(axis=0) for start in starts), np.zeros(N_MELS))
    mean /= max(1, int(quiet.sum()))
    distances = np.concatenate([_rms_distance(quiet_rows(start), mean) for start in starts])
    return mean, float(np.percentile(distances, FLOOR_FRAMES_WITHIN))


def _quietest_frame_distance(
    features: npt.NDArray[np.floating],
    energy: npt.NDArray[np.float32],
    span: slice,
    floor: npt.NDArray[np.float64],
) -> float:
    quietest = span.start + int(np.argmin(energy[span]))
    mels = np.asarray(features[quietest : quietest + 1, :N_MELS], dtype=np.float64)
    return float(_rms_distance(mels, floor)[0])


def _rms_distance(
    mels: npt.NDArray[np.float64], spectrum: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Each row's RMS difference from `spectrum` over the mel bands."""
    return np.sqrt(((mels - spectrum) ** 2).mean(axis=1))


def _clicks_are_dense(count: int, *, frames: int, hop_ms: int) -> bool:
    minutes = frames * hop_ms / 60_000
    return count >= max(DENSE_CLICKS_MIN_COUNT, DENSE_CLICKS_PER_MINUTE * minutes)


def _frame_span(detection: Detection, hop_ms: int, frames: int) -> slice:
    """The frames a detection covers: at least one, inside the file."""
    first = min(max(0, detection.start_ms // hop_ms), max(0, frames - 1))
    return slice(first, max(first + 1, min(frames, -(-detection.end_ms // hop_ms))))


def _largest_in_column(features: npt.NDArray[np.floating], span: slice, column: int) -> float:
    """The largest value of a stored column over `span`'s frames (0 for no frames)."""
    return _largest(np.asarray(features[span, column], dtype=np.float32), slice(None))


def _largest(values: npt.NDArray[np.float32], span: slice) -> float:
    chosen = values[span]
    return float(chosen.max()) if len(chosen) else 0.0
