"""What `relay upload` and `relay detect` read from the command line: files, folders and globs,
sidecar metadata, and --fail-on rules."""

import json

import pytest
from relay_client.errors import RelayError
from relay_client.files import discover, read_sidecar, with_metadata
from relay_client.rules import FailRule, breaches, parse_rule


def _touch(path, data=b"RIFF"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_folder_gives_its_audio_recursively_named_by_path_below_it(tmp_path):
    _touch(tmp_path / "takes" / "a.wav")
    _touch(tmp_path / "takes" / "anna" / "b.FLAC")
    _touch(tmp_path / "takes" / "notes.txt")
    _touch(tmp_path / "takes" / ".cache" / "c.wav")
    _touch(tmp_path / "takes" / ".d.wav")

    files = discover([str(tmp_path / "takes")])

    assert [f.name for f in files] == ["a.wav", "anna/b.FLAC"]
    assert [f.content_type for f in files] == ["audio/wav", "audio/flac"]
    assert files[0].size == 4


def test_a_glob_gives_its_matches_by_basename(tmp_path):
    _touch(tmp_path / "x" / "one.mp3")
    _touch(tmp_path / "y" / "two.mp3")
    _touch(tmp_path / "y" / "three.ogg")

    files = discover([str(tmp_path / "**" / "*.mp3")])

    assert sorted(f.name for f in files) == ["one.mp3", "two.mp3"]


def test_a_file_named_twice_is_uploaded_once(tmp_path):
    take = _touch(tmp_path / "a.wav")

    assert len(discover([str(take), str(tmp_path)])) == 1


def test_two_files_that_would_share_a_name_are_refused(tmp_path):
    first = _touch(tmp_path / "x" / "a.wav")
    second = _touch(tmp_path / "y" / "a.wav")

    with pytest.raises(RelayError, match="would be uploaded twice"):
        discover([str(first), str(second)])


def test_a_path_that_names_nothing_is_an_error(tmp_path):
    with pytest.raises(RelayError, match="no such file, folder or matching file"):
        discover([str(tmp_path / "missing" / "*.wav")])


def test_a_csv_sidecar_gives_metadata_by_filename(tmp_path):
    sidecar = tmp_path / "meta.csv"
    sidecar.write_text("\ufeffFile,voice,take\na.wav,anna,1\nb.wav,,2\n")

    assert read_sidecar(sidecar) == {
        "a.wav": {"voice": "anna", "take": "1"},
        "b.wav": {"take": "2"},
    }


@pytest.mark.parametrize(
    "content",
    [{"a.wav": {"voice": "anna"}}, [{"filename": "a.wav", "voice": "anna"}]],
    ids=["object", "list"],
)
def test_a_json_sidecar_gives_metadata_by_filename(tmp_path, content):
    sidecar = tmp_path / "meta.json"
    sidecar.write_text(json.dumps(content))

    assert read_sidecar(sidecar) == {"a.wav": {"voice": "anna"}}


def test_sidecar_metadata_goes_over_the_common_metadata(tmp_path):
    files = discover([str(_touch(tmp_path / "a.wav")), str(_touch(tmp_path / "b.wav"))])

    tagged = with_metadata(files, common={"model": "v3"}, sidecar={"a.wav": {"model": "v4"}})

    assert [f.metadata for f in tagged] == [{"model": "v4"}, {"model": "v3"}]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("0", FailRule(None, 0, per_hour=False)),
        ("12.5/h", FailRule(None, 12.5, per_hour=True)),
        ("click=3", FailRule("click", 3, per_hour=False)),
        ("long_pause:2/h", FailRule("long_pause", 2, per_hour=True)),
    ],
    ids=["count", "rate", "type-count", "type-rate"],
)
def test_fail_on_rules_are_counts_or_rates_overall_or_per_type(text, rule):
    assert parse_rule(text) == rule


@pytest.mark.parametrize("text", ["", "click", "click=", "-1", "3/min", "a b=1"])
def test_a_malformed_fail_on_rule_is_refused(text):
    with pytest.raises(RelayError, match="--fail-on takes"):
        parse_rule(text)


def test_only_the_rules_a_summary_exceeds_are_breached():
    summary = {
        "total_audio_hours": 0.5,
        "total_detections": 6,
        "per_type": {"Click": {"count": 4, "per_audio_hour": 8.0}, "dropout": {"count": 2}},
    }
    rules = [parse_rule(text) for text in ("click=3", "click=4", "10/h", "13/h", "stutter=0")]

    assert [str(breach) for breach in breaches(rules, summary)] == [
        "click > 3: 4",
        "all types > 10 per audio hour: 12/h",
    ]
