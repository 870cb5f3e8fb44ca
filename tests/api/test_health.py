"""/healthz, /readyz (API.md, Health), the 503 while the database is away, and the admin's
queue page."""

import pytest
from django.db import OperationalError
from django.test import Client

from datasets import selectors
from relay import health
from tests.factories import make_dataset


def test_healthz_says_the_process_is_up_without_asking_anything_else(client, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "database", failing("no database"))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_200_when_database_broker_and_storage_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


def failing(message):
    def check():
        raise ConnectionError(message)

    return check


@pytest.mark.django_db
def test_readyz_is_503_naming_what_is_down(client, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "broker", failing("Connection refused"))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "detail": "Not ready: broker down",
        "checks": {"database": "ok", "broker": "down", "storage": "ok"},
    }


@pytest.mark.django_db
def test_readyz_finds_a_bucket_that_does_not_answer(client, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.RELAY_STORAGE = "s3"
    settings.RELAY_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # the discard port: refused

    body = client.get("/readyz").json()

    assert body["checks"] == {"database": "ok", "broker": "ok", "storage": "down"}


def database_away(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_the_api_answers_503_json_while_the_database_is_away(api_client, monkeypatch):
    monkeypatch.setattr(selectors, "list_datasets", database_away)

    response = api_client.get("/api/v1/datasets")

    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unavailable; try again in a few seconds"}
    assert response["Retry-After"] == "5"


def test_a_failure_before_any_view_is_a_503_too(tenant, monkeypatch):
    # The session middleware asks the database before a view runs.
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", database_away)
    browser = Client(raise_request_exception=False)
    browser.cookies["sessionid"] = "a-session"

    page = browser.get("/")
    api = browser.get("/api/v1/datasets")

    assert (page.status_code, api.status_code) == (503, 503)
    assert api.json()["detail"].startswith("The database is unavailable")


def test_operators_see_queue_lengths_and_job_counts(client, django_user_model, tenant):
    make_dataset(tenant=tenant)
    client.force_login(django_user_model.objects.create_superuser("ops", "o@relay.test", "pw"))

    page = client.get("/admin/queues/").content.decode()
    index = client.get("/admin/").content.decode()

    for name in ("processing", "training", "inference", "Audio files", "Training jobs"):
        assert name in page
    assert "Embedded mode" in page
    assert "/admin/queues/" in index


def test_the_queue_page_is_for_staff_only(client, tenant):
    response = client.get("/admin/queues/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_counts_are_by_state_and_the_queue_lengths_count_waiting_messages(tenant, tmp_path):
    from datasets.tasks import process_audio_file
    from relay import operations
    from tests.factories import make_ready_audio

    make_ready_audio(dataset=make_dataset(tenant=tenant), folder=tmp_path)
    process_audio_file.send("an-audio-id")

    stats, workers = operations.queue_stats()
    counts = dict(operations.job_counts())

    assert workers is None  # embedded: no worker processes to count
    assert [(queue.name, queue.waiting) for queue in stats] == [
        ("processing", 1),
        ("training", 0),
        ("inference", 0),
        ("webhooks", 0),
    ]
    assert counts["Audio files"] == {"pending": 0, "processing": 0, "ready": 1, "failed": 0}
    assert sum(counts["Training jobs"].values()) == 0


def test_make_stack_starts_a_worker_for_every_queue():
    from relay import queue
    from scripts import stack

    assert stack.QUEUES == queue.QUEUES
    assert set(stack.WORKER_THREADS) == set(queue.QUEUES)
