"""The frame statistics expose artifacts in real TTS speech: `datasets.synthetic` makes espeak-ng
speech with clicks, dropouts, clipping and stutters injected at labelled places (labels.csv).

Margins were set well inside what was measured (first on five corpora of the bench kit's
generator, 35 clicks and 47 clipped stretches; then on these three), so a different seed or voice
does not flip them: the weakest click peaked 6.8x its file's typical frame (here 9.2x; asserted:
3x), the weakest clipped stretch had 6.4x the flat tops of the rest (here 20.6x; asserted: 3x).
"""

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from datasets.audio.features import DEFAULT_RECIPE
from datasets.audio.pipeline import process_audio
from tests.audio import make_corpus

COLUMN = {name: index for index, name in enumerate(DEFAULT_RECIPE.feature_names)}
HOP_MS = DEFAULT_RECIPE.hop_ms
# The tiny profile's own seed and two more: 13 clicks, 11 digital dropouts, 11 clipped
# stretches, 15 stutters.
SEEDS = (11, 1, 3)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[tuple[list[dict], dict, np.ndarray]]:
    """(labels, manifest entry, features (frames, columns)) for every clip of the tiny corpora."""
    clips = []
    for seed in SEEDS:
        folder = make_corpus(tmp_path_factory.mktemp(f"corpus-{seed}"), seed=seed)
        labels = defaultdict(list)
        with (folder / "labels.csv").open() as labels_file:
            for row in csv.DictReader(labels_file):
                labels[row["filename"]].append(
                    {**row, "start_ms": int(row["start_ms"]), "end_ms": int(row["end_ms"])}
                )
        for entry in json.loads((folder / "manifest.json").read_text())["files"]:
            clips.append(
                (labels[entry["filename"]], entry, features_of(folder / entry["filename"]))
            )
    return clips


def features_of(source: Path) -> np.ndarray:
    out = source.with_suffix(".out")
    out.mkdir()
    process_audio(
        source, normalized_path=out / "normalized.wav", features_path=out / "features.npy",
        peaks_path=out / "peaks.npz", max_duration_ms=60_000,
    )  # fmt: skip
    return np.load(out / "features.npy").astype(np.float32)


def frames_of(label: dict) -> slice:
    return slice(label["start_ms"] // HOP_MS, -(-label["end_ms"] // HOP_MS))


def outside_labels(labels: list[dict], frames: int) -> np.ndarray:
    is_inside = np.zeros(frames, bool)
    for label in labels:
        is_inside[frames_of(label)] = True
    return ~is_inside


def test_the_corpus_labels_the_types_these_tests_read(corpus):
    types = {label["artifact_type"] for labels, _, _ in corpus for label in labels}

    assert {"click", "dropout", "clipping"} <= types


def test_every_click_jumps_far_above_its_files_typical_frame(corpus):
    peak_over_typical, peak_over_p99 = [], []
    for labels, _, features in corpus:
        jumps = features[:, COLUMN["max_jump"]]
        elsewhere = jumps[outside_labels(labels, len(jumps))]
        for label in labels:
            if label["artifact_type"] == "click":
                inside = jumps[frames_of(label)].max()
                peak_over_typical.append(inside / np.median(elsewhere))
                peak_over_p99.append(inside / np.percentile(elsewhere, 99))

    assert len(peak_over_typical) >= 8
    assert min(peak_over_typical) > 3, peak_over_typical
    # Quiet clicks in loud speech can rival the loudest speech frames; most stand well clear.
    assert np.median(peak_over_p99) > 3, peak_over_p99


def test_digital_dropouts_are_exact_zeros_and_speech_is_not(corpus):
    dropout_fractions, speech_fractions = [], []
    for labels, entry, features in corpus:
        zeros = features[:, COLUMN["zero_fraction"]]
        speech_fractions.append(np.median(zeros[outside_labels(labels, len(zeros))]))
        for event in entry["events"]:
            if event["artifact_type"] == "dropout" and event["params"]["mode"] == "digital_zero":
                # Labels are rounded outward to whole ms, so the edge frames hold some signal.
                frames = frames_of(event)
                dropout_fractions.append(zeros[frames.start + 1 : frames.stop - 1].mean())

    assert len(dropout_fractions) >= 5
    assert min(dropout_fractions) > 0.99, dropout_fractions
    assert max(speech_fractions) < 0.05, speech_fractions


def test_clipped_stretches_have_flat_tops_the_rest_lacks(corpus):
    ratios = []
    for labels, _, features in corpus:
        flat = features[:, COLUMN["flat_fraction"]]
        elsewhere = flat[outside_labels(labels, len(flat))].mean()
        ratios += [
            flat[frames_of(label)].mean() / max(elsewhere, 1e-4)
            for label in labels
            if label["artifact_type"] == "clipping"
        ]

    assert len(ratios) >= 5
    assert min(ratios) > 3, ratios
    assert np.median(ratios) > 10, ratios


def test_most_stutters_raise_the_repeat_gain_where_speech_leaves_it_at_zero(corpus):
    stutter_peaks, elsewhere = [], []
    for labels, _, features in corpus:
        gain = features[:, COLUMN["repeat_gain"]]
        elsewhere.append(gain[outside_labels(labels, len(gain))])
        stutter_peaks += [
            gain[frames_of(label)].max() for label in labels if label["artifact_type"] == "stutter"
        ]

    assert len(stutter_peaks) >= 10
    # Measured on these corpora: median 3.4 (the copy predicts the chunk 30x better than its
    # pitch period), 14 of 15 above 1.0; the one at 0 is where the coarse search found no lag
    # worth refining. (The bench kit's tiny corpora gave a median of 2.2, 8 of 12 above 1.0.)
    assert np.median(stutter_peaks) > 1.5, stutter_peaks
    assert np.percentile(np.concatenate(elsewhere), 99) < 0.2
