"""`make run`'s path for real: migrate, bootstrap, then `serve` answering on 127.0.0.1."""

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.live import START_DEADLINE_S, embedded_env, running_relay


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with running_relay(embedded_env(tmp_path_factory.mktemp("served"))) as relay:
        yield relay.base_url, relay.api_key


def request(url: str, *, key: str | None = None, body: dict | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"} | ({"X-API-Key": key} if key else {})
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=headers), timeout=10
        ) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_served_app_creates_a_dataset_with_the_printed_key(served):
    base_url, key = served

    status, body = request(
        f"{base_url}/api/v1/datasets",
        key=key,
        body={"name": "Served", "artifact_types": [{"name": "glitch", "color": "#FF4444"}]},
    )

    assert status == 201
    assert json.loads(body)["artifact_types"] == [
        {"name": "glitch", "description": "", "color": "#FF4444"}
    ]


def test_the_served_app_serves_static_files_and_docs(served):
    base_url, _ = served

    assert request(f"{base_url}/static/css/relay.css")[0] == 200
    assert request(f"{base_url}/api/v1/docs")[0] == 200
    assert request(f"{base_url}/login/")[0] == 200


def test_the_served_app_answers_errors_in_json(served):
    base_url, _ = served

    status, body = request(f"{base_url}/api/v1/datasets")

    assert status == 401
    assert json.loads(body) == {"detail": "Authentication credentials were not provided."}


def test_the_served_app_processes_uploads_with_its_own_worker_threads(served, tmp_path):
    import requests

    from tests.audio import write_wav

    base_url, key = served
    headers = {"X-API-Key": key}
    path = write_wav(tmp_path / "take.wav", seconds=1.0, sample_rate=44_100, channels=2)
    _, created = request(
        f"{base_url}/api/v1/datasets",
        key=key,
        body={"name": "Served audio", "artifact_types": [{"name": "click"}]},
    )
    audio_url = f"{base_url}/api/v1/datasets/{json.loads(created)['id']}/audio"
    target = requests.post(
        f"{audio_url}/upload-url",
        json={"filename": path.name, "content_type": "audio/wav", "file_size": path.stat().st_size},
        headers=headers,
        timeout=10,
    ).json()
    uploaded = requests.post(
        target["upload_url"], data=target["fields"], files={"file": path.open("rb")}, timeout=30
    )
    requests.post(
        f"{audio_url}/confirm", json={"audio_id": target["audio_id"]}, headers=headers, timeout=10
    )

    deadline = time.monotonic() + START_DEADLINE_S
    audio = {}
    while time.monotonic() < deadline:
        audio = requests.get(
            f"{audio_url}/{target['audio_id']}", headers=headers, timeout=10
        ).json()
        if audio["processing_status"] in {"ready", "failed"}:
            break
        time.sleep(0.2)

    assert uploaded.status_code == 204
    assert audio["processing_status"] == "ready", audio
    assert (audio["sample_rate"], audio["channels"]) == (44_100, 2)
