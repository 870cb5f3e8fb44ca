"""The signal checks on detections: clipping needs flat tops (in lossless audio), a dropout lies
off the file's noise floor, in a file crowded with click detections only the clicks that stand
out of its jumps and share their size with fewer than two others are kept (the network's weak
click responses crowd a file too), and an event is not much shorter than its type's shortest
label."""

import numpy as np

from datasets.audio.stored_features import StoredFeatures
from training.ml.data import (
    ENERGY,
    FLAT_FRACTION,
    MAX_JUMP,
    N_MELS,
    STORED_COLUMNS,
    ZERO_FRACTION,
)
from training.ml.evidence import check_detections
from training.ml.postprocess import Detection

HOP_MS = 10


def quiet_file(seconds: float = 12.0) -> np.ndarray:
    """Stored features of a file whose frames all jump by 0.01 and have no flat tops."""
    features = np.zeros((int(seconds * 100), STORED_COLUMNS), np.float16)
    features[:, MAX_JUMP] = 0.01
    return features


def clipping(start_ms: int, end_ms: int) -> Detection:
    return Detection("clipping", start_ms, end_ms, 0.9)


def click(start_ms: int) -> Detection:
    return Detection("click", start_ms, start_ms + 50, 0.9)


def with_jump(features: np.ndarray, start_ms: int, jump: float) -> np.ndarray:
    features[start_ms // HOP_MS, MAX_JUMP] = jump
    return features


def test_clipping_without_flat_tops_is_dropped():
    assert check_detections([clipping(1_000, 1_400)], quiet_file(), hop_ms=HOP_MS) == []


def test_clipping_with_flat_tops_in_one_frame_is_kept():
    features = quiet_file()
    features[120, FLAT_FRACTION] = 0.05

    assert check_detections([clipping(1_000, 1_400)], features, hop_ms=HOP_MS) == [
        clipping(1_000, 1_400)
    ]


def test_flat_tops_outside_the_detection_do_not_count():
    features = quiet_file()
    features[200, FLAT_FRACTION] = 0.05  # at 2 s, after the detection's end

    assert check_detections([clipping(1_000, 1_400)], features, hop_ms=HOP_MS) == []


def test_lossy_audio_keeps_clipping_without_flat_tops():
    found = check_detections(
        [clipping(1_000, 1_400)], quiet_file(), hop_ms=HOP_MS, lossy_source=True
    )

    assert found == [clipping(1_000, 1_400)]


def test_a_file_with_few_clicks_keeps_every_one_however_subtle():
    features = with_jump(quiet_file(), 2_000, 0.012)  # barely above the file's other jumps
    detections = [click(2_000), click(6_000)]

    assert check_detections(detections, features, hop_ms=HOP_MS) == detections


def test_a_file_crowded_with_clicks_keeps_only_those_that_stand_out():
    features = quiet_file()
    ordinary = [click(ms) for ms in (1_000, 3_000, 5_000, 7_000)]
    for detection in ordinary:
        with_jump(features, detection.start_ms, 0.015)  # the engine's own transients
    with_jump(features, 9_000, 0.2)  # an injected click
    detections = sorted([*ordinary, click(9_000)], key=lambda d: d.start_ms)

    assert check_detections(detections, features, hop_ms=HOP_MS) == [click(9_000)]


def test_a_file_crowded_with_same_size_transients_loses_them_however_large():
    features = quiet_file()
    joins = [click(ms) for ms in (1_000, 3_000, 5_000, 7_000)]
    for detection, jump in zip(joins, (0.300, 0.306, 0.297, 0.303), strict=True):
        with_jump(features, detection.start_ms, jump)  # one transient, made at every join
    with_jump(features, 9_000, 0.2)  # an injected click, smaller than the joins
    with_jump(features, 11_000, 0.45)  # and one larger
    detections = [*joins, click(9_000), click(11_000)]

    assert check_detections(detections, features, hop_ms=HOP_MS) == [click(9_000), click(11_000)]


def test_two_clicks_of_one_size_are_no_family():
    features = quiet_file()
    for ms, jump in ((1_000, 0.300), (3_000, 0.305), (5_000, 0.2), (7_000, 0.45)):
        with_jump(features, ms, jump)
    detections = [click(ms) for ms in (1_000, 3_000, 5_000, 7_000)]

    assert check_detections(detections, features, hop_ms=HOP_MS) == detections


def test_crowding_is_counted_per_minute_so_a_long_file_keeps_its_clicks():
    features = quiet_file(seconds=60.0)
    detections = [click(ms) for ms in (5_000, 20_000, 35_000, 50_000)]  # 4 a minute

    assert check_detections(detections, features, hop_ms=HOP_MS) == detections


def click_responses(seconds: float, peaks_ms: dict[int, float]) -> np.ndarray:
    """A click probability per frame: 0.01 but for a 5-frame rise to each peak."""
    probabilities = np.full(int(seconds * 100), 0.01, np.float32)
    for start_ms, peak in peaks_ms.items():
        probabilities[start_ms // HOP_MS : start_ms // HOP_MS + 5] = peak
    return probabilities


def test_an_engines_doubted_joins_crowd_a_file_so_a_click_among_them_must_stand_out():
    features = with_jump(quiet_file(), 6_000, 0.015)  # a join the network believes
    joins = {1_000: 0.2, 2_500: 0.3, 4_000: 0.15, 8_000: 0.4}  # four it doubts
    responses = click_responses(12.0, {**joins, 6_000: 0.9})

    found = check_detections([click(6_000)], features, hop_ms=HOP_MS, click_probabilities=responses)

    assert found == []


def test_a_click_that_stands_out_of_doubted_joins_is_kept():
    features = with_jump(quiet_file(), 6_000, 0.2)
    responses = click_responses(12.0, {1_000: 0.2, 2_500: 0.3, 4_000: 0.15, 6_000: 0.9})

    found = check_detections([click(6_000)], features, hop_ms=HOP_MS, click_probabilities=responses)

    assert found == [click(6_000)]


def test_a_few_weak_responses_or_one_that_rises_again_do_not_crowd_a_file():
    features = with_jump(quiet_file(), 6_000, 0.012)  # a subtle click, barely above the rest
    # Two responses: the second rises twice 100 ms apart, which counts once.
    responses = click_responses(12.0, {1_000: 0.2, 9_000: 0.3, 9_100: 0.2})
    responses[6_000 // HOP_MS : 6_000 // HOP_MS + 5] = 0.9

    found = check_detections([click(6_000)], features, hop_ms=HOP_MS, click_probabilities=responses)

    assert found == [click(6_000)]


def test_an_inference_job_crowds_a_file_by_its_models_weak_click_responses(monkeypatch):
    from types import SimpleNamespace

    import training.ml.model_file
    from inference.detection import detect_events

    responses = click_responses(12.0, {1_000: 0.2, 2_500: 0.3, 4_000: 0.15, 6_000: 0.9})
    probabilities = np.stack([responses, np.zeros_like(responses)], axis=1)  # click, dropout
    monkeypatch.setattr(training.ml.model_file, "predict", lambda *args, **kwargs: probabilities)
    metadata = SimpleNamespace(
        artifact_types=("click", "dropout"), hop_ms=HOP_MS, thresholds={}, shortest_events_ms={}
    )
    features = with_jump(quiet_file(), 6_000, 0.015)
    config = {"threshold": None, "merge_window_ms": 200, "min_duration_ms": 50}

    def found(**checks) -> list:
        return detect_events(
            SimpleNamespace(metadata=metadata), features, config={**config, **checks}
        )

    assert found() == []
    assert [d.artifact_type for d in found(signal_checks=False)] == ["click"]


def speech_with_pauses(seconds: float = 12.0) -> np.ndarray:
    """Stored features of speech whose every tenth frame is a pause at the noise floor: a flat
    spectrum at -12 that varies by 0.2 from frame to frame, where speech lies at 0."""
    rng = np.random.default_rng(7)
    features = quiet_file(seconds)
    pauses = np.arange(0, len(features), 10)
    features[pauses, :N_MELS] = -12.0 + rng.normal(0.0, 0.2, (len(pauses), N_MELS))
    features[pauses, ENERGY] = -12.0
    return features


def dropout(start_ms: int, end_ms: int) -> Detection:
    return Detection("dropout", start_ms, end_ms, 0.8)


def test_a_dropout_that_looks_like_the_files_pauses_is_dropped():
    features = speech_with_pauses()
    features[300:306, :N_MELS] = -12.0  # a gap between words at the floor
    features[300:306, ENERGY] = -12.0

    assert check_detections([dropout(3_000, 3_060)], features, hop_ms=HOP_MS) == []


def test_a_dropout_under_the_noise_floor_is_kept():
    features = speech_with_pauses()
    features[300:306, :N_MELS] = -20.0  # 60 dB down: under the background
    features[300:306, ENERGY] = -20.0

    assert check_detections([dropout(3_000, 3_060)], features, hop_ms=HOP_MS) == [
        dropout(3_000, 3_060)
    ]


def test_an_attenuated_dropout_keeps_its_speech_spectrum_and_is_kept():
    features = speech_with_pauses()
    features[300:306, :N_MELS] = np.linspace(-6.0, -14.0, N_MELS)  # speech's slope, quieter
    features[300:306, ENERGY] = -10.0

    assert check_detections([dropout(3_000, 3_060)], features, hop_ms=HOP_MS) == [
        dropout(3_000, 3_060)
    ]


def test_a_dropout_of_digital_zeros_is_kept_whatever_its_spectrum():
    features = speech_with_pauses()
    features[300:306, :N_MELS] = -12.0
    features[300:306, ENERGY] = -12.0
    features[302, ZERO_FRACTION] = 1.0

    assert check_detections([dropout(3_000, 3_060)], features, hop_ms=HOP_MS) == [
        dropout(3_000, 3_060)
    ]


def test_other_types_pass_unchanged():
    features = quiet_file()
    features[50:60, ZERO_FRACTION] = 1.0  # the dropout is digital zeros
    detections = [
        Detection("dropout", 500, 600, 0.8),
        *[click(ms) for ms in (1_000, 3_000, 5_000, 7_000)],
        Detection("long_pause", 8_000, 9_500, 0.7),
    ]

    found = check_detections(detections, features, hop_ms=HOP_MS)

    assert [d.artifact_type for d in found] == ["dropout", "long_pause"]


def test_a_detection_running_past_the_last_frame_reads_only_the_file():
    features = quiet_file(seconds=1.0)
    features[-1, FLAT_FRACTION] = 0.5

    assert check_detections([clipping(900, 1_500)], features, hop_ms=HOP_MS) == [
        clipping(900, 1_500)
    ]


def test_a_detection_under_half_the_shortest_labelled_event_of_its_type_is_dropped():
    pauses = [
        Detection("long_pause", 1_000, 1_240, 0.9),
        Detection("long_pause", 4_000, 4_260, 1.0),
    ]

    found = check_detections(
        pauses, quiet_file(), hop_ms=HOP_MS, shortest_events_ms={"long_pause": 500.0}
    )

    assert found == [Detection("long_pause", 4_000, 4_260, 1.0)]


def test_types_the_model_has_no_shortest_event_for_keep_every_length():
    short_pause = Detection("long_pause", 1_000, 1_050, 0.9)

    found = check_detections(
        [short_pause], quiet_file(), hop_ms=HOP_MS, shortest_events_ms={"click": 20.0}
    )

    assert found == [short_pause]


def test_stored_features_read_from_disk_give_the_same_result(tmp_path):
    features = speech_with_pauses(seconds=130.0)  # more than one block of rows
    features[300:306, :N_MELS] = -12.0
    features[300:306, ENERGY] = -12.0
    features[700:706, :N_MELS] = -20.0
    features[700:706, ENERGY] = -20.0
    np.save(tmp_path / "features.npy", features)
    detections = [dropout(3_000, 3_060), dropout(7_000, 7_060)]

    with StoredFeatures(tmp_path / "features.npy") as stored:
        found = check_detections(detections, stored, hop_ms=HOP_MS)

    assert found == check_detections(detections, features, hop_ms=HOP_MS)
    assert found == [dropout(7_000, 7_060)]
