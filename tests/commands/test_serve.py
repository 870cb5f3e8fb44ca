"""`make run`'s path for real: migrate, bootstrap, then `serve` answering on 127.0.0.1."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def wait_until_listening(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited early: {server.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not listen on {port} within {START_DEADLINE_S} s")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    env.pop("DATABASE_URL", None)  # the embedded default, exactly as `make run` uses it
    env["RELAY_DATA_DIR"] = str(tmp_path)
    port = free_port()
    env["RELAY_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    manage("migrate", "--noinput", env=env)
    credentials = manage("bootstrap_demo", env=env)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_listening(port, server)
        key = next(
            line.removeprefix("RELAY_API_KEY=")
            for line in credentials.splitlines()
            if line.startswith("RELAY_API_KEY=")
        )
        yield f"http://127.0.0.1:{port}", key
    finally:
        server.terminate()
        server.wait(timeout=30)


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
