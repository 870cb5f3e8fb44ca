"""The production shape: PostgreSQL, Redis, and workers in a process of their own.

Runs in CI's PostgreSQL pass, which sets RELAY_TEST_REDIS_URL and RELAY_REQUIRE_INTEGRATION; there
a missing service fails the test. Elsewhere (SQLite's in-memory test database cannot be shared with
another process) it is skipped with the reason shown.
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from dramatiq.brokers.redis import RedisBroker

from datasets import tasks
from datasets.models import AudioFile
from relay.queue import PROCESSING_QUEUE
from tests.api.test_audio import upload
from tests.audio import write_wav
from tests.factories import make_dataset

ROOT = Path(__file__).resolve().parents[2]
READY_DEADLINE_S = 120

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("RELAY_TEST_REDIS_URL", "")
    missing = []
    if not url:
        missing.append("RELAY_TEST_REDIS_URL")
    if connection.vendor != "postgresql":
        missing.append("a PostgreSQL DATABASE_URL")
    if missing:
        reason = f"needs {' and '.join(missing)}"
        if os.environ.get("RELAY_REQUIRE_INTEGRATION"):
            pytest.fail(f"integration services missing: {reason}")
        pytest.skip(reason)
    return url


def worker_database_url() -> str:
    """DATABASE_URL, pointed at the test database pytest-django created."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker_process(redis_url, settings):
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        # Both processes must share the stored files: RELAY_DATA_DIR/files is this test's folder.
        "RELAY_DATA_DIR": str(Path(settings.MEDIA_ROOT).parent),
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_workers", "--queues", "processing", "--threads", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def redis_broker(redis_url, monkeypatch):
    broker = RedisBroker(url=redis_url)
    broker.declare_queue(PROCESSING_QUEUE)
    broker.flush_all()
    monkeypatch.setattr(tasks.process_audio_file, "broker", broker)
    yield broker
    broker.flush_all()


def test_a_separate_worker_process_processes_a_confirmed_upload(
    api_client, client, tenant, tmp_path, worker_process, redis_broker
):
    dataset = make_dataset(tenant=tenant)
    audio_id = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=1.5))

    # Outside a test transaction, the message goes out as soon as confirm commits.
    response = api_client.post(
        f"/api/v1/datasets/{dataset.pk}/audio/confirm", {"audio_id": audio_id}, format="json"
    )
    assert response.status_code == 200

    deadline = time.monotonic() + READY_DEADLINE_S
    status = None
    while time.monotonic() < deadline:
        status = AudioFile.objects.get(pk=audio_id).processing_status
        if status in {"ready", "failed"}:
            break
        time.sleep(0.5)
    if status != "ready":
        worker_process.terminate()
        output = worker_process.communicate(timeout=30)[0]
        raise AssertionError(f"last status {status!r}; worker said:\n{output}")
    assert abs(AudioFile.objects.get(pk=audio_id).duration_ms - 1500) <= 10
