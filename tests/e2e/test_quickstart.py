"""reference/002's quickstart, end to end over HTTP against a live Relay with its workers, on a
tiny corpus of `datasets.synthetic`: create a dataset, upload and confirm, poll until ready,
annotate, publish, train, poll, create an inference job, upload and confirm, poll, and score the
detections against the corpus's labels with Relay's event matching.

It runs twice: on the embedded default (`make run`: SQLite, local files, worker threads inside
`serve`), and on the production shape (PostgreSQL, Redis, `manage.py run_workers` as a process
of its own) when DATABASE_URL is PostgreSQL and RELAY_TEST_REDIS_URL is set. CI's PostgreSQL
pass sets RELAY_REQUIRE_INTEGRATION, and there a missing service fails instead of skipping.
"""

import csv
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from annotations.event_matching import Event, score_events
from tests.audio import make_corpus
from tests.live import ROOT, LiveRelay, embedded_env, running_relay

TYPES = ("click", "dropout", "clipping", "long_pause", "stutter")
CONTENT_TYPES = {".wav": "audio/wav", ".flac": "audio/flac"}
# The quickstart's inference config (reference/002 step 6).
QUICKSTART_CONFIG = {"threshold": 0.5, "merge_window_ms": 200, "min_duration_ms": 50}
TRAINING_CONFIG = {"epochs": 2, "validation_split": 0.2, "learning_rate": 0.001, "batch_size": 8}
DEADLINE_S = 600


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "tiny")


def _integration_services() -> tuple[str, str]:
    """(DATABASE_URL, Redis URL) of the production-shape run, or a skip (a failure under
    RELAY_REQUIRE_INTEGRATION) naming what is missing."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("RELAY_TEST_REDIS_URL", "")
    missing = []
    if not database_url.startswith(("postgres://", "postgresql://")):
        missing.append("a PostgreSQL DATABASE_URL")
    if not redis_url:
        missing.append("RELAY_TEST_REDIS_URL")
    if missing:
        reason = f"needs {' and '.join(missing)}"
        if os.environ.get("RELAY_REQUIRE_INTEGRATION"):
            pytest.fail(f"integration services missing: {reason}")
        pytest.skip(reason)
    return database_url, redis_url


@pytest.fixture
def embedded_relay(tmp_path) -> Iterator[LiveRelay]:
    (tmp_path / "data").mkdir()
    with running_relay(embedded_env(tmp_path / "data")) as relay:
        yield relay


@pytest.fixture
def production_relay(request, tmp_path) -> Iterator[LiveRelay]:
    database_url, redis_url = _integration_services()
    request.getfixturevalue("transactional_db")  # the test database pytest-django made
    from django.db import connection
    from dramatiq.brokers.redis import RedisBroker

    from relay.queue import QUEUES

    parts = urlsplit(database_url)
    test_database_url = urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    broker = RedisBroker(url=redis_url)
    for queue_name in QUEUES:
        broker.declare_queue(queue_name)
    broker.flush_all()
    env = embedded_env(
        tmp_path / "data",
        DATABASE_URL=test_database_url,
        REDIS_URL=redis_url,
        RELAY_EMBEDDED_WORKER_THREADS="0",
    )
    (tmp_path / "data").mkdir()
    log_path = tmp_path / "data" / "workers.log"
    with running_relay(env) as relay, log_path.open("ab") as log:
        workers = subprocess.Popen(
            [sys.executable, "manage.py", "run_workers", "--threads", "2"],
            cwd=ROOT,
            env={**env, "RELAY_PUBLIC_URL": relay.base_url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield relay
        finally:
            workers.terminate()
            try:
                workers.wait(timeout=30)
            except subprocess.TimeoutExpired:
                workers.kill()
            broker.flush_all()


def _split(corpus: Path, split: str) -> list[Path]:
    return [corpus / name for name in (corpus / f"{split}_files.txt").read_text().split()]


def _labels(corpus: Path) -> dict[str, list[tuple[str, int, int]]]:
    labels = defaultdict(list)
    with (corpus / "labels.csv").open(newline="") as rows:
        for row in csv.DictReader(rows):
            labels[row["filename"]].append(
                (row["artifact_type"], int(row["start_ms"]), int(row["end_ms"]))
            )
    return labels


def run_quickstart(relay: LiveRelay, corpus: Path) -> None:
    client = relay.client()
    # Step 2: a dataset of the corpus's artifact types.
    dataset = client.post(
        "/datasets",
        {
            "name": "TTS Glitch Detection",
            "description": "Detect glitches and pauses in TTS output",
            "artifact_types": [{"name": name} for name in TYPES],
        },
        expect=201,
    )
    # Step 3: upload, confirm, poll each file until it is ready.
    audio_ids = {
        path.name: client.upload_audio(dataset["id"], path, content_type=CONTENT_TYPES[path.suffix])
        for path in _split(corpus, "train")
    }
    for audio_id in audio_ids.values():
        audio = client.wait_until(
            f"/datasets/{dataset['id']}/audio/{audio_id}",
            "processing_status",
            {"ready", "failed"},
            timeout_s=DEADLINE_S,
            poll_s=0.5,
        )
        assert audio["processing_status"] == "ready", audio
    # Step 4: annotate and publish.
    sets_path = f"/datasets/{dataset['id']}/annotation-sets"
    annotation_set = client.post(sets_path, expect=201)
    rows = [
        {
            "audio_file_id": audio_ids[name],
            "artifact_type": kind,
            "start_ms": start,
            "end_ms": end,
            "confidence": 1.0,
        }
        for name, events in _labels(corpus).items()
        if name in audio_ids
        for kind, start, end in events
    ]
    created = client.post(
        f"{sets_path}/{annotation_set['id']}/annotations/bulk", {"annotations": rows}, expect=201
    )
    assert created["created"] == len(rows)
    client.post(f"{sets_path}/{annotation_set['id']}/publish")
    # Step 5: train and poll.
    job = client.post(
        "/training-jobs",
        {
            "dataset_id": dataset["id"],
            "annotation_set_id": annotation_set["id"],
            "config": TRAINING_CONFIG,
        },
        expect=201,
    )
    job = client.wait_until(
        f"/training-jobs/{job['id']}",
        "status",
        {"completed", "failed", "cancelled"},
        timeout_s=DEADLINE_S,
    )
    assert job["status"] == "completed", job
    # Step 6: an inference job, the test split uploaded and confirmed, polled to the end.
    inference = client.post(
        "/inference-jobs", {"model_id": job["model_id"], "config": QUICKSTART_CONFIG}, expect=201
    )
    assert inference["status"] == "pending"
    test_files = _split(corpus, "test")
    for path in test_files:
        client.upload_for_inference(inference["id"], path, content_type=CONTENT_TYPES[path.suffix])
    result = client.wait_until(
        f"/inference-jobs/{inference['id']}",
        "status",
        {"completed", "failed", "cancelled"},
        timeout_s=DEADLINE_S,
        poll_s=0.5,
    )
    assert result["status"] == "completed", result
    assert result["total_files"] == result["processed_files"] == len(test_files)
    assert {file["original_filename"] for file in result["files"]} == {p.name for p in test_files}
    assert all(file["status"] == "completed" for file in result["files"])
    assert result["total_detections"] == sum(len(file["detections"]) for file in result["files"])
    # Scored against the corpus's labels, from the job exactly as the API returns it.
    test_names = [p.name for p in test_files]
    reference = [
        Event(name, kind, start, end)
        for name, events in _labels(corpus).items()
        for kind, start, end in events
    ]
    detected = [
        Event(file["original_filename"], d["artifact_type"], d["start_ms"], d["end_ms"])
        for file in result["files"]
        for d in file["detections"]
    ]
    scores = score_events(reference, detected, types=TYPES, files=test_names)
    expected_counts = {
        kind: sum(event.artifact_type == kind and event.file in test_names for event in reference)
        for kind in TYPES
    }
    assert {kind: scores.per_type[kind].n_reference for kind in TYPES} == expected_counts
    assert sum(score.n_detected for score in scores.per_type.values()) == sum(
        1 for file in result["files"] for d in file["detections"] if d["artifact_type"] in TYPES
    )

    # The same model over the training audio, without re-upload, with threshold 0: every
    # frame is active, so detections are certainly present, from the stored features. The
    # signal checks are off: they would drop the whole-file clipping of unclipped files.
    everything = client.post(
        "/inference-jobs",
        {"model_id": job["model_id"], "config": {"threshold": 0, "signal_checks": False}},
        expect=201,
    )
    pending = client.get(
        f"/datasets/{dataset['id']}/audio", without_inference_by=job["model_id"], page_size=500
    )
    assert pending["total"] == len(audio_ids)
    client.post(
        f"/inference-jobs/{everything['id']}/files/from-dataset",
        {"audio_ids": [item["id"] for item in pending["items"]]},
        expect=201,
    )
    everything = client.wait_until(
        f"/inference-jobs/{everything['id']}",
        "status",
        {"completed", "failed", "cancelled"},
        timeout_s=DEADLINE_S,
        poll_s=0.5,
    )
    assert everything["status"] == "completed", everything
    detected_types = everything["artifact_types"]  # the types the set labels, of TYPES
    assert all(len(file["detections"]) == len(detected_types) for file in everything["files"])
    left = client.get(f"/datasets/{dataset['id']}/audio", without_inference_by=job["model_id"])
    assert left["total"] == 0
    top = client.get(f"/inference-jobs/{everything['id']}/top-detections", per_type=3)
    assert all(len(top["detections"][name]) == 3 for name in detected_types)
    dcase = client.session.get(
        f"{client.api}/inference-jobs/{everything['id']}/detections",
        params={"format": "dcase"},
        timeout=60,
    )
    assert dcase.status_code == 200
    assert len(dcase.text.splitlines()) == 1 + len(detected_types) * len(audio_ids)


def test_the_quickstart_runs_end_to_end_on_the_embedded_default(embedded_relay, corpus):
    run_quickstart(embedded_relay, corpus)


def test_the_quickstart_runs_end_to_end_on_postgresql_redis_and_a_worker_process(
    production_relay, corpus
):
    run_quickstart(production_relay, corpus)
