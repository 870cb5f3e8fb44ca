"""reference/002's quickstart with the `relay` command line alone, against a live Relay: create a
dataset, upload a folder of generated speech, import its labels, publish, train with --wait,
detect over a second folder and read the file it writes. Then the remaining commands, so that
every request the command line makes is checked against the OpenAPI schema."""

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.audio import make_corpus
from tests.client.conftest import Cli, RecordingTransport
from tests.client.schema_check import problems

DATASET = "TTS Glitch Detection"
TYPES = ("click", "dropout", "clipping", "long_pause", "stutter")


@dataclass
class Quickstart:
    cli: Cli
    corpus: Path
    test_files: list[str]
    train_files: list[str]
    outputs: dict[str, object]


def _split(corpus: Path, split: str, into: Path) -> list[str]:
    names = (corpus / f"{split}_files.txt").read_text().split()
    into.mkdir()
    for name in names:
        shutil.copy(corpus / name, into / name)
    return names


@pytest.fixture(scope="module")
def quickstart(live_relay, tmp_path_factory) -> Quickstart:
    work = tmp_path_factory.mktemp("quickstart")
    corpus = make_corpus(work / "corpus")
    train_files = _split(corpus, "train", work / "train")
    test_files = _split(corpus, "test", work / "test")
    with (corpus / "labels.csv").open(newline="") as rows:
        labels = [row for row in csv.DictReader(rows) if row["filename"] in train_files]
    with (work / "labels.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["filename", "artifact_type", "start_ms", "end_ms"])
        writer.writeheader()
        writer.writerows(labels)
    cli = Cli(live_relay, work)
    outputs: dict[str, object] = {}

    type_options = [option for name in TYPES for option in ("--type", name)]
    outputs["created"] = json.loads(
        cli("datasets", "create", DATASET, *type_options, "--json").stdout
    )
    outputs["upload"] = json.loads(
        cli(
            "upload", DATASET, str(work / "train"), "--metadata", "tts_model=v3", "--wait", "--json"
        ).stdout
    )
    cli("sets", "create", DATASET, "reviewed")
    outputs["dry_run"] = json.loads(
        cli(
            "labels", "import", DATASET, "reviewed", str(work / "labels.csv"), "--dry-run", "--json"
        ).stdout
    )
    outputs["import"] = cli(
        "labels", "import", DATASET, "reviewed", str(work / "labels.csv")
    ).stderr
    cli("sets", "publish", DATASET, "reviewed")
    outputs["training"] = json.loads(
        cli(
            "train", DATASET, "reviewed", "--epochs", "2", "--batch-size", "8", "--wait", "--json"
        ).stdout
    )
    outputs["training_table"] = cli("jobs", "show", outputs["training"]["id"]).stdout
    model_id = outputs["training"]["model_id"]
    outputs["detect"] = cli(
        "detect",
        model_id,
        str(work / "test"),
        "--out",
        str(work / "detections.csv"),
        "--threshold",
        "0.5",
    )
    # Threshold 0 marks every frame: detections certainly exist, and --fail-on 0 must fail.
    outputs["detect_all"] = cli(
        "detect",
        model_id,
        "--from-dataset",
        DATASET,
        "--threshold",
        "0",
        "--out",
        str(work / "all.json"),
        "--fail-on",
        "0",
        "--fail-on",
        "click=100000/h",
        "--json",
        expect=3,
    )
    # The rest of the commands, for the schema check and the tables.
    cli("labels", "export", DATASET, "reviewed", "--out", str(work / "exported.tsv"))
    cli("sets", "copy", DATASET, "reviewed")
    cli("sets", "list", DATASET)
    cli("datasets", "list")
    cli("datasets", "show", DATASET)
    cli("models", "list", "--dataset", DATASET)
    cli("models", "show", model_id)
    cli("jobs", "list")
    outputs["cancel_finished"] = cli("jobs", "cancel", outputs["training"]["id"], expect=1)
    created_key = json.loads(cli("keys", "create", "ci", "--scope", "read", "--json").stdout)
    cli("keys", "list")
    cli("keys", "revoke", created_key["prefix"])
    outputs["revoked_key"] = cli(
        "datasets", "list", env=cli.env(RELAY_API_KEY=created_key["key"]), expect=1
    )
    return Quickstart(cli, corpus, test_files, train_files, outputs)


def test_the_quickstart_uploads_the_folder_and_imports_its_labels(quickstart):
    upload = quickstart.outputs["upload"]
    assert upload["uploaded"] == len(quickstart.train_files)
    assert upload["failed"] == 0
    assert {entry["processing_status"] for entry in upload["files"]} == {"ready"}
    assert quickstart.outputs["dry_run"]["valid"] is True
    assert "imported" in quickstart.outputs["import"]


def test_the_quickstart_trains_and_prints_the_metrics_table(quickstart):
    training = quickstart.outputs["training"]
    assert training["status"] == "completed"
    assert [entry["epoch"] for entry in training["metrics"]["history"]] == [1, 2]
    table = quickstart.outputs["training_table"]
    assert "precision" in table
    assert "macro" in table


def test_detect_writes_every_detection_of_the_second_folder(quickstart):
    written = quickstart.cli.config_dir / "detections.csv"
    with written.open(newline="") as rows:
        reader = csv.DictReader(rows)
        detections = list(reader)
    assert reader.fieldnames == [
        "file_id",
        "filename",
        "artifact_type",
        "start_ms",
        "end_ms",
        "confidence",
    ]
    assert {row["filename"] for row in detections} <= set(quickstart.test_files)
    assert all(row["artifact_type"] in TYPES for row in detections)
    assert all(0 <= int(row["start_ms"]) < int(row["end_ms"]) for row in detections)
    stdout = quickstart.outputs["detect"].stdout
    assert "per audio hour" in stdout
    assert f"{len(detections)} detections to" in quickstart.outputs["detect"].stderr


def test_detect_exits_3_when_detections_exceed_fail_on(quickstart):
    result = quickstart.outputs["detect_all"]
    report = json.loads(result.stdout)
    assert report["status"] == "completed"
    assert report["total_files"] == len(quickstart.train_files)
    assert report["total_detections"] > 0
    assert report["fail_on"] == [f"all types > 0: {report['total_detections']}"]
    assert f"fail-on: all types > 0: {report['total_detections']}" in result.stderr
    written = json.loads((quickstart.cli.config_dir / "all.json").read_text())
    assert len(written["detections"]) == report["total_detections"]


def test_api_errors_are_printed_from_their_detail(quickstart):
    cancel = quickstart.outputs["cancel_finished"].stderr
    assert cancel.startswith("error: 409 ")
    revoked = quickstart.outputs["revoked_key"].stderr
    assert revoked.startswith("error: 401 ")


def test_every_request_the_command_line_made_keeps_to_the_schema(quickstart):
    exchanges = quickstart.cli.transport.exchanges
    paths = {(exchange.method, exchange.path.split("/")[3]) for exchange in exchanges}
    assert len(exchanges) > 50, paths

    found = [problem for exchange in exchanges for problem in problems(exchange)]

    assert found == []


def test_a_request_with_a_field_the_schema_lacks_is_caught(quickstart):
    # The check itself: a misspelt field, which the server would silently ignore.
    relay = quickstart.cli.relay
    url = f"{relay.base_url}/api/v1/datasets/{quickstart.outputs['created']['id']}/audio/upload-url"
    transport = RecordingTransport()
    body = {"filename": "a.wav", "content_type": "audio/wav", "file_size": 10, "metdata": {}}

    with httpx.Client(transport=transport, headers={"X-API-Key": relay.api_key}) as http:
        http.post(url, json=body)

    assert any(
        "'metdata' was unexpected" in problem for problem in problems(transport.exchanges[0])
    )
