"""Faults on the production shape: a worker killed with SIGKILL in the middle of processing, of
training (at a later epoch) and of inference; Redis restarted mid-run; PostgreSQL stopped for
10 s. Everything completes exactly once (no duplicate audio rows, models or detections) within
60 s of a new worker starting; training resumes from its checkpoint; while the database is away
the API answers 503 JSON, and afterwards it recovers without a restart.

The measured gaps go to var/stack/faults.json (docs/operations.md, Recovery, quotes them).
"""

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from scripts.stack import alive
from tests.audio import write_wav
from tests.live import ROOT

RECOVERY_S = 60  # from a new worker's start to the work done, at the default lease and sweep
MEASURED: dict[str, dict[str, float]] = {}
TRAINING_CONFIG = {"epochs": 6, "batch_size": 8, "validation_split": 0.25}


def wait_for(check: Callable[[], Any], *, timeout_s: float, what: str, poll_s: float = 0.05):
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout_s} s still waiting for {what}")
        time.sleep(poll_s)


@pytest.fixture(scope="module", autouse=True)
def _write_measurements():
    yield
    if MEASURED:
        path = ROOT / "var" / "stack" / "faults.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(MEASURED, indent=2) + "\n")


def new_dataset(relay, name: str) -> dict:
    return relay.client.post(
        "/datasets", {"name": name, "artifact_types": [{"name": "click"}]}, expect=201
    )


def upload(relay, dataset: dict, folder: Path, count: int, seconds: float) -> list[str]:
    ids = []
    for index in range(count):
        path = write_wav(
            folder / f"{dataset['name']}-{index}.wav",
            seconds=seconds,
            clicks_at_ms=range(500, int(seconds * 1000) - 500, 1700),
        )
        ids.append(relay.client.upload_audio(dataset["id"], path, content_type="audio/wav"))
    return ids


def audio_states(relay, dataset: dict) -> list[str]:
    return [
        item["processing_status"]
        for item in relay.client.all_pages(f"/datasets/{dataset['id']}/audio")
    ]


def all_ready(relay, dataset: dict, count: int):
    states = audio_states(relay, dataset)
    assert "failed" not in states, states
    return len(states) == count and set(states) == {"ready"}


def kill_and_replace(relay, queue_name: str) -> tuple[float, float]:
    """kill -9 the queue's worker and start a new one; (killed at, new one consuming at)."""
    relay.stack.kill(f"worker-{queue_name}")
    killed_at = time.monotonic()
    relay.stack.start_worker(queue_name)
    return killed_at, time.monotonic()


def record(name: str, killed_at: float, started_at: float, done_at: float) -> None:
    MEASURED[name] = {
        "since_kill_s": round(done_at - killed_at, 1),
        "since_new_worker_s": round(done_at - started_at, 1),
    }


def test_a_worker_killed_mid_processing_loses_nothing_and_duplicates_nothing(relay_stack, tmp_path):
    dataset = new_dataset(relay_stack, "processing-fault")
    ids = upload(relay_stack, dataset, tmp_path, count=3, seconds=240)
    leased = (
        "SELECT id FROM datasets_audiofile WHERE dataset_id = %s "
        "AND processing_status = 'processing' AND lease_expires_at IS NOT NULL"
    )
    wait_for(lambda: relay_stack.sql(leased, dataset["id"]), timeout_s=60, what="a claim")

    killed_at, started_at = kill_and_replace(relay_stack, "processing")
    in_the_middle = relay_stack.sql(leased, dataset["id"])
    wait_for(lambda: all_ready(relay_stack, dataset, 3), timeout_s=RECOVERY_S * 2, what="ready")
    done_at = time.monotonic()

    record("processing", killed_at, started_at, done_at)
    assert in_the_middle, "the worker had finished before it was killed"
    rows = relay_stack.sql(
        "SELECT id, processing_attempts FROM datasets_audiofile WHERE dataset_id = %s",
        dataset["id"],
    )
    assert sorted(str(row[0]) for row in rows) == sorted(ids)
    assert max(attempts for _, attempts in rows) == 2  # the killed file was claimed again
    assert done_at - started_at <= RECOVERY_S


@pytest.fixture(scope="module")
def labelled_dataset(relay_stack, tmp_path_factory) -> dict:
    """Four processed files of 20 s with a click label every 1.7 s, published."""
    dataset = new_dataset(relay_stack, "training-fault")
    ids = upload(relay_stack, dataset, tmp_path_factory.mktemp("labelled"), count=4, seconds=20)
    wait_for(lambda: all_ready(relay_stack, dataset, 4), timeout_s=120, what="ready", poll_s=0.5)
    sets_path = f"/datasets/{dataset['id']}/annotation-sets"
    labels = relay_stack.client.post(sets_path, expect=201)
    rows = [
        {"audio_file_id": audio_id, "artifact_type": "click", "start_ms": ms, "end_ms": ms + 20}
        for audio_id in ids
        for ms in range(500, 19_500, 1700)
    ]
    relay_stack.client.post(
        f"{sets_path}/{labels['id']}/annotations/bulk", {"annotations": rows}, expect=201
    )
    relay_stack.client.post(f"{sets_path}/{labels['id']}/publish")
    return {**dataset, "annotation_set_id": labels["id"], "audio_ids": ids}


@pytest.fixture(scope="module")
def killed_training(relay_stack, labelled_dataset) -> dict:
    """A training job whose worker is killed after its second epoch, run to its end."""
    job = relay_stack.client.post(
        "/training-jobs",
        {
            "dataset_id": labelled_dataset["id"],
            "annotation_set_id": labelled_dataset["annotation_set_id"],
            "config": TRAINING_CONFIG,
        },
        expect=201,
    )
    epoch_sql = "SELECT current_epoch, status FROM training_trainingjob WHERE id = %s"
    wait_for(
        lambda: relay_stack.sql(epoch_sql, job["id"])[0][0] >= 2,
        timeout_s=300,
        what="epoch 2",
    )
    killed_at, started_at = kill_and_replace(relay_stack, "training")
    started_wall = time.time()
    epoch_at_kill, status_at_kill = relay_stack.sql(epoch_sql, job["id"])[0]
    finished = relay_stack.client.wait_until(
        f"/training-jobs/{job['id']}",
        "status",
        {"completed", "failed", "cancelled"},
        timeout_s=RECOVERY_S * 4,
        poll_s=0.2,
    )
    done_at = time.monotonic()
    record("training", killed_at, started_at, done_at)
    # The resuming claim sets started_at: how long the job waited for a worker.
    resumed_wall = datetime.fromisoformat(finished["started_at"].replace("Z", "+00:00"))
    picked_up_s = resumed_wall.timestamp() - started_wall
    MEASURED["training"]["resumed_after_new_worker_s"] = round(picked_up_s, 1)
    return {
        "picked_up_s": picked_up_s,
        "job": finished,
        "epoch_at_kill": epoch_at_kill,
        "status_at_kill": status_at_kill,
    }


def test_a_worker_killed_at_a_later_epoch_resumes_from_its_checkpoint(relay_stack, killed_training):
    job = killed_training["job"]

    assert killed_training["status_at_kill"] == "running"
    assert job["status"] == "completed", job
    assert 2 <= killed_training["epoch_at_kill"] <= job["metrics"]["resumed_from_epoch"] < 6
    assert [entry["epoch"] for entry in job["metrics"]["history"]] == list(range(1, 7))
    models = relay_stack.sql(
        "SELECT count(*) FROM training_trainedmodel WHERE training_job_id = %s", job["id"]
    )
    assert models == [(1,)]
    # What is left to train after the checkpoint takes its time; picking it up, under 60 s.
    assert killed_training["picked_up_s"] <= RECOVERY_S


def test_a_worker_killed_mid_inference_makes_each_detection_once(
    relay_stack, labelled_dataset, killed_training
):
    model_id = killed_training["job"]["model_id"]
    job = relay_stack.client.post(
        "/inference-jobs",
        {"model_id": model_id, "config": {"threshold": 0, "signal_checks": False}},
        expect=201,
    )
    relay_stack.client.post(
        f"/inference-jobs/{job['id']}/files/from-dataset",
        {"audio_ids": labelled_dataset["audio_ids"]},
        expect=201,
    )
    leased = (
        "SELECT id FROM inference_inferencefile WHERE job_id = %s "
        "AND status = 'processing' AND lease_expires_at IS NOT NULL"
    )
    wait_for(lambda: relay_stack.sql(leased, job["id"]), timeout_s=120, what="a claim")

    killed_at, started_at = kill_and_replace(relay_stack, "inference")
    in_the_middle = relay_stack.sql(leased, job["id"])
    finished = relay_stack.client.wait_until(
        f"/inference-jobs/{job['id']}",
        "status",
        {"completed", "failed", "cancelled"},
        timeout_s=RECOVERY_S * 2,
        poll_s=0.2,
    )
    done_at = time.monotonic()

    record("inference", killed_at, started_at, done_at)
    assert in_the_middle, "the worker had finished before it was killed"
    assert finished["status"] == "completed", finished
    assert finished["processed_files"] == finished["total_files"] == 4
    # Threshold 0: every frame is active, so each file has exactly one click detection.
    rows = relay_stack.sql(
        "SELECT file_id, count(*) FROM inference_detection WHERE job_id = %s GROUP BY file_id",
        job["id"],
    )
    assert sorted(count for _, count in rows) == [1, 1, 1, 1]
    assert finished["total_detections"] == 4
    assert done_at - started_at <= RECOVERY_S


def test_a_redis_restart_mid_run_loses_no_message(relay_stack, tmp_path):
    import redis

    stack = relay_stack.stack
    dataset = new_dataset(relay_stack, "redis-restart")
    stack.stop_process("worker-processing")  # the messages wait in Redis meanwhile
    ids = upload(relay_stack, dataset, tmp_path, count=6, seconds=60)
    stack.start_worker("processing")
    leased = (
        "SELECT id FROM datasets_audiofile WHERE dataset_id = %s "
        "AND processing_status = 'processing' AND lease_expires_at IS NOT NULL"
    )
    wait_for(lambda: relay_stack.sql(leased, dataset["id"]), timeout_s=60, what="a claim")
    waiting = redis.Redis.from_url(stack.redis_url).llen("dramatiq:processing")
    stack.stop_process("redis")  # SIGTERM: Redis writes its append-only file
    restarted_at = time.monotonic()
    stack.start_redis()

    wait_for(lambda: all_ready(relay_stack, dataset, 6), timeout_s=RECOVERY_S, what="ready")

    MEASURED["redis_restart"] = {
        "messages_waiting_at_restart": waiting,
        "all_ready_after_s": round(time.monotonic() - restarted_at, 1),
    }
    assert waiting > 0, "every message had been taken before the restart"
    rows = relay_stack.sql("SELECT id FROM datasets_audiofile WHERE dataset_id = %s", dataset["id"])
    assert sorted(str(row[0]) for row in rows) == sorted(ids)


def test_postgresql_down_for_10_s_is_503_json_then_recovery_without_a_restart(
    relay_stack, tmp_path
):
    api = f"{relay_stack.stack.base_url}/api/v1/datasets"
    headers = {"X-API-Key": relay_stack.api_key}
    web_pid = relay_stack.stack.pids["web"]
    relay_stack.stack.stop_process("postgres")
    seen = []
    stopped_at = time.monotonic()
    while time.monotonic() - stopped_at < 10:
        for url in (api, f"{relay_stack.stack.base_url}/readyz"):
            response = requests.get(url, headers=headers, timeout=15)
            seen.append((response.status_code, response.json()))
        time.sleep(0.5)
    relay_stack.stack.start_postgres()
    started_at = time.monotonic()
    wait_for(
        lambda: requests.get(api, headers=headers, timeout=15).status_code == 200,
        timeout_s=30,
        what="the API to answer 200 again",
        poll_s=0.2,
    )
    MEASURED["postgresql_restart"] = {"api_200_after_s": round(time.monotonic() - started_at, 1)}

    assert {status for status, _ in seen} == {503}
    assert all("unavailable" in body["detail"] or "database" in body["detail"] for _, body in seen)
    assert {"database": "down", "broker": "ok", "storage": "ok"} in [
        body.get("checks") for _, body in seen
    ]
    assert alive(web_pid)  # the same gunicorn, never restarted
    # The workers reconnect too: a new upload is processed.
    dataset = new_dataset(relay_stack, "after-postgresql")
    upload(relay_stack, dataset, tmp_path, count=1, seconds=5)
    wait_for(lambda: all_ready(relay_stack, dataset, 1), timeout_s=RECOVERY_S, what="ready")
