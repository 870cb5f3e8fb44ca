"""Each injected artifact is measurably where its label says, in the files as written: clicks
jump, digital dropouts are runs of exact zeros, clipping has flat tops, long pauses are silence
as long as drawn, stutters repeat themselves. The tiny profile's corpora for three seeds hold 13
clicks, 11 digital dropouts, 11 clipped stretches, 10 long pauses and 15 stutters.

Margins lie well inside what these corpora measured (shown beside each assertion)."""

import dataclasses
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from datasets.synthetic import generate_corpus, load_profile
from datasets.synthetic.verify import measure_corpus
from tests.audio import make_corpus

SEEDS = (11, 1, 3)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> list[Path]:
    return [make_corpus(tmp_path_factory.mktemp(f"tiny-{seed}"), seed=seed) for seed in SEEDS]


@pytest.fixture(scope="module")
def measured(corpora) -> dict[str, list]:
    by_type = defaultdict(list)
    for corpus in corpora:
        for measurement in measure_corpus(corpus):
            by_type[measurement.artifact_type].append(measurement)
    return by_type


def events_of(corpora, artifact_type):
    """(samples (frames, channels), sample rate, event) for every event of the type."""
    for corpus in corpora:
        for entry in json.loads((corpus / "manifest.json").read_text())["files"]:
            events = [e for e in entry["events"] if e["artifact_type"] == artifact_type]
            if events:
                samples, rate = sf.read(corpus / entry["filename"], always_2d=True)
                for event in events:
                    yield samples, rate, event


def test_every_click_jumps_above_the_jumps_of_the_speech_around_it(measured):
    ratios = [m.value for m in measured["click"]]

    assert len(ratios) >= 10
    assert min(ratios) > 2, ratios  # measured: 3.4 and up, median 12


def test_digital_dropouts_are_exact_zeros_on_every_channel_and_quiet_ones_are_quiet(corpora):
    zero_runs, quiet_levels = 0, []
    for samples, rate, event in events_of(corpora, "dropout"):
        # Labels are rounded outward to whole ms, so 1 ms at each edge may hold signal.
        start = event["start_ms"] * rate // 1000 + rate // 1000 + 1
        end = event["end_ms"] * rate // 1000 - rate // 1000 - 1
        inside = samples[start:end]
        if event["params"]["mode"] == "digital_zero":
            assert not inside.any(), event
            assert samples[start - 2 * rate // 100 : start].any()  # signal right before it
            zero_runs += 1
        else:
            before = samples[start - rate // 20 : start]
            quiet_levels.append(20 * np.log10(np.std(inside) / np.std(before)))

    assert zero_runs >= 8
    assert max(quiet_levels) < -30, quiet_levels  # measured: -41 and below (60 dB attenuation)


def test_clipped_stretches_have_flat_tops_the_rest_of_the_file_lacks(measured):
    ratios = [m.value for m in measured["clipping"]]

    assert len(ratios) >= 8
    assert min(ratios) > 10, ratios  # measured: 30 and up


def test_a_long_pause_is_silence_as_long_as_drawn_between_speech(corpora, measured):
    loudest_db = [m.value for m in measured["long_pause"]]
    count = 0
    for samples, rate, event in events_of(corpora, "long_pause"):
        channel = samples[:, 0]
        start, end = event["start_ms"] * rate // 1000, event["end_ms"] * rate // 1000
        edge = 2 * rate // 1000  # the label's ends are the first and last speech samples
        inside = np.abs(channel[start + edge : end - edge]).max()
        speech_before = np.abs(channel[start - 3 * rate // 10 : start]).max()
        speech_after = np.abs(channel[end : end + 3 * rate // 10]).max()
        assert abs(event["end_ms"] - event["start_ms"] - event["params"]["duration_ms"]) <= 1
        assert speech_before > 4 * inside, event
        assert speech_after > 4 * inside, event
        count += 1

    assert count >= 8
    assert max(loudest_db) < -30, loudest_db  # measured: -32 and below, median -52


def test_a_stutter_repeats_itself_one_period_later(measured):
    correlations = [m.value for m in measured["stutter"]]

    assert len(correlations) >= 10
    assert min(correlations) > 0.8, correlations  # measured: 0.87 and up
    assert np.median(correlations) > 0.95, correlations  # measured: 0.98


def test_the_hard_profile_makes_the_same_artifacts_subtler(measured, tmp_path):
    hard = dataclasses.replace(load_profile("hard"), n_clips=16)

    corpus = generate_corpus(tmp_path / "hard", profile=hard, jobs=2)

    by_type = defaultdict(list)
    for measurement in measure_corpus(corpus):
        by_type[measurement.artifact_type].append(measurement)
    assert np.median([m.value for m in by_type["click"]]) < np.median(
        [m.value for m in measured["click"]]
    )
    assert all(m.params["count"] <= 3 for m in by_type["click"])
    assert all(m.params["mode"] != "attenuated_60db" for m in by_type["dropout"])
    assert all(m.params["chunk_ms"] <= 90 and m.params["plays"] <= 3 for m in by_type["stutter"])
    assert all(500 <= m.params["duration_ms"] <= 1000 for m in by_type["long_pause"])
