"""The frame statistics expose artifacts in real TTS speech: bench/corpus.py makes espeak-ng
speech with clicks and dropouts injected at known places, and the features must find them."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from datasets.audio.features import DEFAULT_RECIPE
from datasets.audio.pipeline import process_audio

BENCH_DIR = Path(__file__).resolve().parents[3] / "shared" / "bench"
COLUMN = {name: index for index, name in enumerate(DEFAULT_RECIPE.feature_names)}
HOP_MS = DEFAULT_RECIPE.hop_ms
SEEDS = (7, 11)  # two tiny corpora: more clicks and dropouts than one holds


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory) -> list[tuple[dict, np.ndarray]]:
    """(manifest entry, features) for every clip of the tiny corpora."""
    if not (BENCH_DIR / "corpus.py").exists():
        pytest.fail(f"the bench kit is missing: expected {BENCH_DIR}/corpus.py beside the project")
    processed = []
    for seed in SEEDS:
        out = tmp_path_factory.mktemp(f"corpus-{seed}")
        subprocess.run(
            [
                sys.executable,
                str(BENCH_DIR / "corpus.py"),
                "--profile",
                str(BENCH_DIR / "profile_tiny.json"),
                "--out",
                str(out),
                "--seed",
                str(seed),
                "--jobs",
                "2",
            ],
            check=True,
            capture_output=True,
        )
        for entry in json.loads((out / "manifest.json").read_text())["files"]:
            work = tmp_path_factory.mktemp("features")
            process_audio(
                out / entry["filename"],
                normalized_path=work / "normalized.wav",
                features_path=work / "features.npy",
                peaks_path=work / "peaks.npz",
                max_duration_ms=60_000,
            )
            processed.append((entry, np.load(work / "features.npy").astype(np.float32)))
    return processed


def frames_of(event: dict) -> slice:
    return slice(event["start_ms"] // HOP_MS, -(-event["end_ms"] // HOP_MS))


def outside_events(entry: dict, frames: int) -> np.ndarray:
    inside = np.zeros(frames, bool)
    for event in entry["events"]:
        inside[frames_of(event)] = True
    return ~inside


def test_clicks_stand_far_above_every_other_frame_of_their_file(corpus_files):
    ratios = []
    for entry, features in corpus_files:
        jumps = features[:, COLUMN["max_jump"]]
        elsewhere = np.percentile(jumps[outside_events(entry, len(jumps))], 99)
        ratios += [
            jumps[frames_of(event)].max() / elsewhere
            for event in entry["events"]
            if event["artifact_type"] == "click"
        ]

    assert len(ratios) >= 2
    assert min(ratios) > 3, ratios


def test_digital_dropouts_are_exact_zeros(corpus_files):
    fractions = []
    for entry, features in corpus_files:
        for event in entry["events"]:
            if event["artifact_type"] == "dropout" and event["params"]["mode"] == "digital_zero":
                # Labels are rounded outward to whole ms, so the edge frames hold some signal.
                inner = frames_of(event)
                inner = slice(inner.start + 1, inner.stop - 1)
                fractions.append(features[inner, COLUMN["zero_fraction"]].mean())

    assert len(fractions) >= 3
    assert min(fractions) > 0.95, fractions


def test_speech_itself_is_not_silent(corpus_files):
    for entry, features in corpus_files:
        speech = outside_events(entry, len(features))
        assert np.median(features[speech, COLUMN["zero_fraction"]]) < 0.05, entry["filename"]
