"""datasets.synthetic writes the bench kit's corpus layout, the same bytes for the same profile and
seed whatever the number of workers, with labels inside their files and apart from each other,
and files in the formats, rates, channels, peak levels and SNRs a profile asks for."""

import csv
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from datasets.synthetic import available_profiles, generate_corpus, load_profile
from datasets.synthetic.profiles import FORMATS
from tests.audio import bench_kit_module, make_corpus

INDEX_FILES = ("labels.csv", "manifest.json", "train_files.txt", "test_files.txt")
SOUNDFILE_FORMATS = {  # our format name -> (libsndfile container, subtype)
    "wav_pcm16": ("WAV", "PCM_16"),
    "wav_float": ("WAV", "FLOAT"),
    "flac": ("FLAC", "PCM_16"),
}


def small_profile(**overrides) -> dict:
    """A profile of two short clips, with one choice for whatever `overrides` sets."""
    profile = load_profile("tiny").source  # a copy of tiny.json
    profile.update(name="small", n_clips=2, test_fraction=0.5, duration_s=[4, 6])
    profile.pop("description", None)
    profile.update(overrides)
    return profile


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("tiny"), profile="tiny")


@pytest.fixture(scope="module")
def manifest(corpus) -> dict:
    return json.loads((corpus / "manifest.json").read_text())


def test_a_corpus_has_the_bench_kits_layout(corpus, manifest):
    files = manifest["files"]
    train = (corpus / "train_files.txt").read_text().split()
    test = (corpus / "test_files.txt").read_text().split()
    with (corpus / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert all((corpus / name).is_file() for name in INDEX_FILES)
    assert len(files) == 12
    assert sorted(train + test) == sorted(entry["filename"] for entry in files)
    assert len(test) == 3  # 25 % of 12
    assert all((corpus / entry["filename"]).is_file() for entry in files)
    assert list(rows[0]) == ["filename", "artifact_type", "start_ms", "end_ms"]
    assert [
        (row["filename"], row["artifact_type"], int(row["start_ms"]), int(row["end_ms"]))
        for row in rows
    ] == [
        (entry["filename"], event["artifact_type"], event["start_ms"], event["end_ms"])
        for entry in files
        for event in entry["events"]
    ]
    assert manifest["profile"] == "tiny"
    assert manifest["seed"] == 11
    assert manifest["engine"]["name"] == "espeak-ng"
    assert {event["artifact_type"] for entry in files for event in entry["events"]} == {
        "click", "dropout", "clipping", "long_pause", "stutter",
    }  # fmt: skip
    keys = {"filename", "split", "duration_ms", "sample_rate", "channels", "format", "voice"}
    keys |= {"speed_wpm", "pitch", "snr_db", "peak_dbfs", "text", "events"}
    assert all(keys <= set(entry) for entry in files)


def test_the_same_profile_and_seed_give_the_same_bytes_whatever_the_workers(corpus, tmp_path):
    again = generate_corpus(tmp_path / "again", profile="tiny", jobs=1)

    for name in sorted(path.name for path in corpus.iterdir()):
        assert (again / name).read_bytes() == (corpus / name).read_bytes(), name


def test_another_seed_gives_other_clips(manifest, tmp_path):
    other = generate_corpus(tmp_path / "other", profile=small_profile(), seed=12)

    texts = {entry["text"] for entry in manifest["files"]}
    assert not texts & {
        entry["text"] for entry in json.loads((other / "manifest.json").read_text())["files"]
    }


def test_every_label_lies_inside_its_file_away_from_its_ends_and_apart_from_the_others(manifest):
    for entry in manifest["files"]:
        events = entry["events"]
        for event in events:
            # Nothing within 200 ms of either end (a label's rounding may take 1 ms of that).
            assert 199 <= event["start_ms"] < event["end_ms"] <= entry["duration_ms"] - 199, entry
        for before, after in itertools.pairwise(events):
            assert after["start_ms"] - before["end_ms"] >= 300 - 2, entry


def test_each_file_is_what_its_manifest_says(corpus, manifest):
    for entry in manifest["files"]:
        info = sf.info(corpus / entry["filename"])

        assert (info.format, info.subtype) == SOUNDFILE_FORMATS[entry["format"]]
        assert (info.samplerate, info.channels) == (entry["sample_rate"], entry["channels"])
        assert info.frames * 1000 // info.samplerate == entry["duration_ms"]
        assert 6000 <= entry["duration_ms"] <= 10_500, entry  # the profile's 6-10 s, + stutters


@pytest.mark.parametrize(
    ("audio_format", "sample_rate", "channels"),
    [("wav_pcm16", 8000, 1), ("wav_float", 44_100, 2), ("flac", 48_000, 2), ("flac", 11_025, 1)],
)
def test_formats_rates_and_channels_are_written_as_the_profile_asks(
    tmp_path, audio_format, sample_rate, channels
):
    profile = small_profile(formats=[audio_format], sample_rates=[sample_rate], channels=[channels])

    corpus = generate_corpus(tmp_path / "corpus", profile=profile)

    for entry in json.loads((corpus / "manifest.json").read_text())["files"]:
        info = sf.info(corpus / entry["filename"])
        assert (info.format, info.subtype) == SOUNDFILE_FORMATS[audio_format]
        assert (info.samplerate, info.channels) == (sample_rate, channels)
        assert entry["filename"].endswith(".flac" if audio_format == "flac" else ".wav")


def test_a_clean_clip_has_the_peak_level_and_the_snr_its_profile_asks_for(tmp_path):
    profile = small_profile(
        formats=["wav_float"], sample_rates=[16_000], channels=[1], events_per_clip={"0": 1},
        peak_dbfs=[-6, -6], snr_db=[30, 30], noise_alpha=[0.0, 0.0],
    )  # fmt: skip

    corpus = generate_corpus(tmp_path / "corpus", profile=profile)

    for entry in json.loads((corpus / "manifest.json").read_text())["files"]:
        samples, rate = sf.read(corpus / entry["filename"])
        frame = rate // 100
        frames = samples[: len(samples) // frame * frame].reshape(-1, frame)
        rms = np.sqrt(np.mean(frames**2, axis=1))
        speech = rms[rms >= np.percentile(rms, 95) * 10 ** (-28 / 20)]
        noise = samples[: rate // 4]  # the lead holds white noise only (250-600 ms of it)
        snr_db = 20 * np.log10(np.sqrt(np.mean(speech**2)) / np.sqrt(np.mean(noise**2)))
        peak_dbfs = 20 * np.log10(np.abs(samples).max())
        assert entry["events"] == []
        assert snr_db == pytest.approx(30, abs=1.5)
        assert peak_dbfs == pytest.approx(-6, abs=1.0)


def test_the_shipped_profiles_load_and_read_enough_sentences():
    names = available_profiles()

    assert {"tiny", "public", "hard", "demo"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.name == name
        assert len(profile.load_sentences()) >= 100


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "blue"}, "unknown profile keys"),
        ({"formats": ["mp3"]}, "formats"),
        ({"sample_rates": [96_000]}, "sample_rates"),
        ({"channels": [6]}, "channels"),
        ({"duration_s": [10, 5]}, "duration_s"),
        ({"artifact_types": ["hum"]}, "artifact_types"),
        ({"artifact_params": {"click": {"loudness": 3}}}, "artifact_params.click"),
        ({"engine": "pico2wave"}, "unknown speech engine"),
    ],
)
def test_a_bad_profile_is_refused_naming_what_is_wrong(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        generate_corpus(tmp_path / "corpus", profile=small_profile(**change))


def test_a_voice_the_engine_lacks_is_refused_before_any_clip_is_made(tmp_path):
    with pytest.raises(ValueError, match="no voice 'xx-nowhere'"):
        generate_corpus(tmp_path / "corpus", profile=small_profile(voices=["en", "xx-nowhere"]))

    assert not list((tmp_path / "corpus").glob("small_*"))


def test_a_new_corpus_replaces_the_files_of_an_earlier_one(tmp_path):
    generate_corpus(tmp_path / "corpus", profile=small_profile(filename_prefix="old"))

    generate_corpus(tmp_path / "corpus", profile=small_profile(filename_prefix="new"))

    names = sorted(path.name for path in (tmp_path / "corpus").iterdir())
    assert [name for name in names if name.startswith("old")] == []
    assert len([name for name in names if name.startswith("new")]) == 2


def test_the_command_line_writes_a_corpus_and_measures_it(tmp_path):
    profile_path = tmp_path / "small.json"
    profile_path.write_text(json.dumps(small_profile()))
    command = [sys.executable, "-m", "datasets.synthetic", "--profile", str(profile_path)]

    made = subprocess.run(
        [*command, "--out", str(tmp_path / "corpus"), "--seed", "5", "--jobs", "2"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    verified = subprocess.run(
        [sys.executable, "-m", "datasets.synthetic", "--verify", str(tmp_path / "corpus")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    refused = subprocess.run(
        [sys.executable, "-m", "datasets.synthetic", "--profile", "nope", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert "2 clips (1 test)" in made.stdout
    assert json.loads((tmp_path / "corpus" / "manifest.json").read_text())["seed"] == 5
    assert verified.stdout.startswith("type")
    assert refused.returncode == 2
    assert "no profile named 'nope'" in refused.stderr


def test_formats_are_the_three_the_bench_kit_writes():
    assert set(FORMATS) == set(SOUNDFILE_FORMATS)


def test_the_bench_kits_scorer_and_measurements_read_our_corpus(corpus, manifest):
    """Optional cross-check against the outside bench kit, skipped where it is absent."""
    score = bench_kit_module("score")
    kit_corpus = bench_kit_module("corpus")

    reference, _, _ = score.load_reference(str(corpus / "labels.csv"))
    detections = [
        {**event, "filename": entry["filename"], "confidence": 1.0}
        for entry in manifest["files"]
        for event in entry["events"]
    ]
    scores = score.score(
        reference,
        score.normalize_detections(detections),
        [e["filename"] for e in manifest["files"]],
    )
    stats = kit_corpus.verify(str(corpus))

    assert scores["macro"]["event_f1"] == 1.0
    assert min(stats["click"]) > 2
    assert np.median(stats["stutter"]) > 0.9
    assert max(stats["long_pause"]) < -30
