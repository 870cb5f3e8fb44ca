"""`relay upload` against a live Relay: resumable after a kill or a cut-off upload, failures one
line each, metadata for every file and per file."""

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from relay_client import Client

from tests.audio import write_wav
from tests.client.conftest import relay_script

DEADLINE_S = 60


@pytest.fixture
def client(live_relay) -> Client:
    with Client(live_relay.base_url, live_relay.api_key) as client:
        yield client


@pytest.fixture
def dataset(client, request) -> dict:
    return client.create_dataset(f"uploads {request.node.name}", ["click"])


def _takes(folder: Path, count: int, *, seconds: float = 1.0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_wav(folder / f"take_{i:03d}.wav", seconds=seconds) for i in range(count)]


def _rows(client: Client, dataset: dict) -> list[dict]:
    return client.list_audio(dataset["id"])


def test_a_killed_upload_resumes_and_leaves_each_file_there_once(
    live_relay, client, dataset, tmp_path
):
    takes = _takes(tmp_path / "takes", 120, seconds=5.0)
    command = [relay_script(), "upload", dataset["id"], str(tmp_path / "takes"), "--parallel", "2"]
    env = {"RELAY_URL": live_relay.base_url, "RELAY_API_KEY": live_relay.api_key}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + DEADLINE_S
    while client.first_page(f"/datasets/{dataset['id']}/audio", limit=1)["total"] < 10:
        assert time.monotonic() < deadline, "the first run uploaded nothing"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # Two files are in flight at most, so most of the ten rows are confirmed, not all files.
    confirmed_at_kill = [
        row for row in _rows(client, dataset) if row["processing_status"] != "pending"
    ]
    assert 0 < len(confirmed_at_kill) < len(takes)

    second = subprocess.run(
        [*command, "--json"], env=env, capture_output=True, text=True, timeout=DEADLINE_S
    )

    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["failed"] == 0
    assert report["skipped"] + report["resumed"] + report["uploaded"] == len(takes)
    assert report["skipped"] >= len(confirmed_at_kill)  # a confirm in flight may land later
    rows = _rows(client, dataset)
    assert Counter(row["filename"] for row in rows) == Counter(take.name for take in takes)
    assert all(row["processing_status"] != "pending" for row in rows)


def test_a_rerun_finishes_uploads_cut_off_at_each_step(cli, client, dataset, tmp_path):
    never_sent, not_confirmed, done, new = _takes(tmp_path / "takes", 4)
    audio_path = f"/datasets/{dataset['id']}/audio"
    # Cut off after asking for the upload URL: a pending row without bytes.
    client.http.json("POST", f"{audio_path}/upload-url", json=_declared(never_sent))
    # Cut off after sending the bytes, before confirming.
    target = client.http.json("POST", f"{audio_path}/upload-url", json=_declared(not_confirmed))
    with not_confirmed.open("rb") as handle:
        stored = httpx.post(
            target["upload_url"],
            data=target["fields"],
            files={"file": (not_confirmed.name, handle, "audio/wav")},
        )
    assert stored.status_code == 204
    client.upload(dataset["id"], [done])

    result = cli("upload", dataset["name"], str(tmp_path / "takes"), "--json")

    report = json.loads(result.stdout)
    outcomes = {Path(entry["path"]).name: entry["outcome"] for entry in report["files"]}
    assert outcomes == {
        never_sent.name: "uploaded",
        not_confirmed.name: "resumed",
        done.name: "skipped",
        new.name: "uploaded",
    }
    rows = _rows(client, dataset)
    assert sorted(row["filename"] for row in rows) == sorted(outcomes)
    assert all(row["processing_status"] != "pending" for row in rows)


def _declared(path: Path) -> dict:
    return {"filename": path.name, "content_type": "audio/wav", "file_size": path.stat().st_size}


def test_resume_by_checksum_skips_a_file_uploaded_under_another_name(
    cli, client, dataset, tmp_path
):
    (original,) = _takes(tmp_path / "first", 1)
    cli("upload", dataset["id"], str(original))
    renamed = tmp_path / "second" / "renamed.wav"
    renamed.parent.mkdir()
    renamed.write_bytes(original.read_bytes())

    result = cli("upload", dataset["id"], str(renamed), "--resume-by", "checksum", "--json")

    assert json.loads(result.stdout)["skipped"] == 1
    assert [row["filename"] for row in _rows(client, dataset)] == [original.name]


def test_a_refused_file_fails_alone_with_one_line(cli, client, dataset, tmp_path):
    takes = _takes(tmp_path / "takes", 2)
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")

    result = cli("upload", dataset["id"], str(tmp_path / "takes"), str(notes), expect=1)

    failures = [line for line in result.stderr.splitlines() if line.startswith("failed ")]
    assert len(failures) == 1
    assert failures[0].startswith(f"failed {notes}: 422 ")
    assert "body.filename: Unsupported file extension" in failures[0]
    assert sorted(row["filename"] for row in _rows(client, dataset)) == [t.name for t in takes]


def test_metadata_reaches_every_file_and_the_sidecar_each_one(cli, client, dataset, tmp_path):
    first, second = _takes(tmp_path / "takes", 2)
    sidecar = tmp_path / "metadata.csv"
    sidecar.write_text(f"filename,voice,tts_model\n{first.name},anna,v4\n")

    cli(
        "upload",
        dataset["id"],
        str(tmp_path / "takes"),
        "--metadata",
        "tts_model=v3",
        "--metadata-file",
        str(sidecar),
    )

    metadata = {row["filename"]: row["metadata"] for row in _rows(client, dataset)}
    assert {key: value for key, value in metadata[first.name].items() if key != "sha256"} == {
        "tts_model": "v4",
        "voice": "anna",
    }
    assert metadata[second.name]["tts_model"] == "v3"
    assert len(metadata[second.name]["sha256"]) == 64


def test_files_in_subfolders_are_named_by_their_path_below_the_folder(
    cli, client, dataset, tmp_path
):
    _takes(tmp_path / "takes" / "anna", 1)
    _takes(tmp_path / "takes" / "ben", 1)

    cli("upload", dataset["id"], str(tmp_path / "takes"))

    assert sorted(row["filename"] for row in _rows(client, dataset)) == [
        "anna/take_000.wav",
        "ben/take_000.wav",
    ]
