"""Housekeeping removes uploads that never arrived (issue 16, item 3): after the upload URL's
expiry plus the grace period the row and any partial object are gone; it is idempotent and safe
to run concurrently; inference jobs' counters agree with their files throughout."""

import re
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from datasets.models import AudioFile
from inference.models import InferenceFile, InferenceJob
from inference.services import add_dataset_audio, request_file_upload
from relay import housekeeping
from relay.storage import get_object_store
from tests.api.test_inference_jobs import make_untrained_model
from tests.conftest import skip_unless_postgresql
from tests.factories import make_dataset, make_ready_audio
from tests.live import ROOT, embedded_env, manage


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


def requested(dataset, name: str, *, age: timedelta) -> AudioFile:
    """An upload requested `age` ago and never confirmed, with a partial object in storage."""
    audio = AudioFile.objects.create(
        tenant_id=dataset.tenant_id,
        dataset=dataset,
        filename=name,
        content_type="audio/wav",
        file_size=100,
    )
    AudioFile.objects.filter(pk=audio.pk).update(created_at=timezone.now() - age)
    partial = Path(get_object_store().path(audio.original_key)).with_name(".original.x.partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"half an upl")
    return audio


def expired_age(settings) -> timedelta:
    return timedelta(
        seconds=settings.RELAY_UPLOAD_URL_EXPIRES_S + settings.RELAY_UPLOAD_GRACE_S + 5
    )


def counters(job: InferenceJob) -> tuple[int, int, int, int]:
    job.refresh_from_db()
    return job.total_files, job.processed_files, job.failed_files, job.total_detections


def files_counted(job: InferenceJob) -> tuple[int, int, int, int]:
    files = InferenceFile.objects.filter(job=job)
    return (
        files.filter(confirmed_at__isnull=False).count(),
        files.filter(status__in=["completed", "failed"]).count(),
        files.filter(status="failed").count(),
        sum(files.values_list("detection_count", flat=True)),
    )


def test_an_upload_that_never_arrived_is_gone_after_expiry_plus_grace(
    dataset, settings, tmp_path, django_capture_on_commit_callbacks
):
    ghost = requested(dataset, "take.wav", age=expired_age(settings))
    recent = requested(dataset, "take.wav", age=timedelta(seconds=60))
    ready = make_ready_audio(dataset=dataset, folder=tmp_path, name="take.wav")
    store = get_object_store()

    with django_capture_on_commit_callbacks(execute=True):
        first = housekeeping.housekeep()
    with django_capture_on_commit_callbacks(execute=True):
        second = housekeeping.housekeep()

    assert first["datasets.services.expire_unconfirmed_uploads"] == 1
    assert set(second.values()) == {0}
    assert not AudioFile.objects.filter(pk=ghost.pk).exists()
    assert not Path(store.path(ghost.storage_prefix)).exists()
    assert AudioFile.objects.filter(pk__in=[recent.pk, ready.pk]).count() == 2
    assert Path(store.path(recent.storage_prefix)).exists()


def test_an_abandoned_inference_upload_goes_and_its_job_finishes_with_true_counters(
    tenant, dataset, settings, tmp_path, django_capture_on_commit_callbacks
):
    model = make_untrained_model(tenant=tenant, dataset=dataset)
    job = InferenceJob.objects.create(tenant=tenant, model=model, config={}, artifact_types=[])
    audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    with django_capture_on_commit_callbacks(execute=False):
        (from_dataset,) = add_dataset_audio(job=job, audio_ids=[audio.pk])
    ghost, _ = request_file_upload(
        job=job, filename="late.wav", content_type="audio/wav", file_size_bytes=10
    )
    InferenceFile.objects.filter(pk=ghost.pk).update(
        created_at=timezone.now() - expired_age(settings)
    )
    assert counters(job) == files_counted(job) == (1, 0, 0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        housekeeping.housekeep()

    job.refresh_from_db()
    assert not InferenceFile.objects.filter(pk=ghost.pk).exists()
    assert list(job.files.values_list("pk", flat=True)) == [from_dataset.pk]
    assert counters(job) == files_counted(job) == (1, 0, 0, 0)
    assert job.status == "processing"  # the dataset file still runs; nothing waits for upload


@pytest.mark.django_db(transaction=True)
def test_concurrent_housekeeping_threads_remove_each_ghost_once(tenant, settings):
    skip_unless_postgresql("threads sharing the test database")
    dataset = make_dataset(tenant=tenant, artifact_types=["click"])
    ghosts = [requested(dataset, f"g{i}.wav", age=expired_age(settings)) for i in range(6)]
    start = threading.Barrier(3)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=30)
            results.append(housekeeping.housekeep())
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    runners = [threading.Thread(target=run) for _ in range(3)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=60)

    assert errors == []
    removed = sum(result["datasets.services.expire_unconfirmed_uploads"] for result in results)
    assert removed == len(ghosts)
    assert not AudioFile.objects.exists()
    store = get_object_store()
    assert not any(Path(store.path(ghost.storage_prefix)).exists() for ghost in ghosts)


MAKE_GHOSTS = """
from datetime import timedelta
from pathlib import Path
from django.conf import settings
from django.utils import timezone
from datasets.models import AudioFile, Dataset
from relay.storage import get_object_store
from tenants.models import Tenant
dataset = Dataset.objects.create(tenant=Tenant.objects.get(), name="Ghosts")
age = settings.RELAY_UPLOAD_URL_EXPIRES_S + settings.RELAY_UPLOAD_GRACE_S + 5
for i in range(12):
    audio = AudioFile.objects.create(tenant=dataset.tenant, dataset=dataset, filename=f"g{i}.wav",
        content_type="audio/wav", file_size=100)
    AudioFile.objects.filter(pk=audio.pk).update(created_at=timezone.now() - timedelta(seconds=age))
    path = Path(get_object_store().path(audio.original_key)).with_name(".original.x.partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half")
"""


def test_concurrent_housekeeping_commands_remove_each_ghost_once(tmp_path):
    """Three `manage.py housekeeping` processes at once on one database, as workers of several
    machines would run it."""
    env = embedded_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    manage("bootstrap_demo", env=env)
    manage("shell", "-c", MAKE_GHOSTS, env=env)

    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "housekeeping"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0]
    pattern = r"datasets.services.expire_unconfirmed_uploads: (\d+) removed"
    assert sum(int(re.search(pattern, output).group(1)) for output in outputs) == 12
    again = manage("housekeeping", env=env)
    assert "expire_unconfirmed_uploads: 0 removed" in again
    assert list((tmp_path / "files").rglob("*.partial")) == []
