"""The same upload flow against an S3 API: moto's server, run as its own process on 127.0.0.1."""

import base64
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from datasets import tasks
from datasets.models import AudioFile
from tests.audio import write_wav
from tests.factories import make_dataset

BUCKET = "relay-test"
START_DEADLINE_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    # The venv's own moto_server first: a `make test` from a fresh clone has no venv on PATH, and a
    # moto_server found there (a pyenv shim, say) may be another Python's.
    beside = Path(sys.executable).with_name("moto_server")
    executable = str(beside) if beside.exists() else shutil.which("moto_server")
    port = free_port()
    server = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        try:
            requests.get(endpoint, timeout=1)
            break
        except requests.RequestException:  # refused, or accepted but slow to answer while it starts
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise AssertionError("moto_server did not start") from None
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a loaded machine: do not fail a passed module on exit
        server.kill()
        server.wait(timeout=10)


@pytest.fixture
def s3(moto_endpoint, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.RELAY_STORAGE = "s3"
    settings.RELAY_S3_BUCKET = BUCKET
    settings.RELAY_S3_ENDPOINT_URL = moto_endpoint
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def request_upload(api_client, dataset, path: Path, size: int | None = None) -> dict:
    body = {
        "filename": path.name,
        "content_type": "audio/wav",
        "file_size": size if size is not None else path.stat().st_size,
    }
    response = api_client.post(
        f"/api/v1/datasets/{dataset.pk}/audio/upload-url", body, format="json"
    )
    assert response.status_code == 201
    return response.json()


def post_to_s3(target: dict, content: bytes) -> requests.Response:
    return requests.post(
        target["upload_url"], data=target["fields"], files={"file": ("f", content)}, timeout=30
    )


def keys_in(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_file_goes_to_the_bucket_and_is_processed_from_there(
    s3, api_client, tenant, tmp_path, django_capture_on_commit_callbacks
):
    dataset = make_dataset(tenant=tenant)
    path = write_wav(tmp_path / "take.wav", seconds=1.0, sample_rate=22_050, channels=2)
    target = request_upload(api_client, dataset, path)

    assert "policy" in {name.lower() for name in target["fields"]}
    assert post_to_s3(target, path.read_bytes()).status_code in {200, 201, 204}
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api_client.post(
            f"/api/v1/datasets/{dataset.pk}/audio/confirm",
            {"audio_id": target["audio_id"]},
            format="json",
        )
    tasks.process_audio_file(target["audio_id"])

    assert confirmed.status_code == 200
    audio = AudioFile.objects.get(pk=target["audio_id"])
    assert audio.processing_status == "ready", audio.processing_error
    assert (audio.sample_rate, audio.channels) == (22_050, 2)
    assert set(keys_in(s3)) == {
        audio.original_key,
        audio.normalized_key,
        audio.features_key,
        audio.peaks_key,
    }
    peaks = api_client.get(f"/api/v1/datasets/{dataset.pk}/audio/{audio.pk}/peaks").json()
    assert len(peaks["max"]) > 0
    url = api_client.get(f"/api/v1/datasets/{dataset.pk}/audio/{audio.pk}/download-url").json()[
        "url"
    ]
    assert requests.get(url, timeout=10).content == path.read_bytes()


def test_the_policy_binds_the_key_content_type_and_exact_size(s3, api_client, tenant, tmp_path):
    dataset = make_dataset(tenant=tenant)
    path = write_wav(tmp_path / "take.wav", seconds=0.5)
    target = request_upload(api_client, dataset, path)

    policy = json.loads(base64.b64decode(target["fields"]["policy"]))

    size = path.stat().st_size
    assert {"key": target["fields"]["key"]} in policy["conditions"]
    assert {"Content-Type": "audio/wav"} in policy["conditions"]
    assert ["content-length-range", size, size] in policy["conditions"]


def test_confirm_refuses_an_object_of_another_size(
    s3, api_client, tenant, tmp_path, django_capture_on_commit_callbacks
):
    # moto does not enforce POST policies, so the wrong-size object is put there directly, as a
    # client holding other credentials could; confirm must still catch it.
    dataset = make_dataset(tenant=tenant)
    path = write_wav(tmp_path / "take.wav", seconds=0.5)
    target = request_upload(api_client, dataset, path, size=path.stat().st_size - 10)
    s3.put_object(Bucket=BUCKET, Key=target["fields"]["key"], Body=path.read_bytes())

    response = api_client.post(
        f"/api/v1/datasets/{dataset.pk}/audio/confirm",
        {"audio_id": target["audio_id"]},
        format="json",
    )

    assert response.status_code == 409
    assert "declared" in response.json()["detail"]


def test_confirm_without_the_object_is_409(s3, api_client, tenant, tmp_path):
    dataset = make_dataset(tenant=tenant)
    target = request_upload(api_client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))

    response = api_client.post(
        f"/api/v1/datasets/{dataset.pk}/audio/confirm",
        {"audio_id": target["audio_id"]},
        format="json",
    )

    assert response.status_code == 409


def test_deleting_audio_removes_its_objects(
    s3, api_client, tenant, tmp_path, django_capture_on_commit_callbacks
):
    dataset = make_dataset(tenant=tenant)
    path = write_wav(tmp_path / "a.wav", seconds=0.5)
    target = request_upload(api_client, dataset, path)
    post_to_s3(target, path.read_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        api_client.delete(f"/api/v1/datasets/{dataset.pk}/audio/{target['audio_id']}")

    assert keys_in(s3) == []
