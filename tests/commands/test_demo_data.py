"""`bootstrap_demo --with-data`: labelled synthetic speech in the demo tenant, uploaded through the
real services, processed, and published as exact labels; made once, completed when interrupted,
and left alone once deleted when make run asks with --if-new. The demo login is the operator."""

import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from annotations import demo
from annotations.models import AnnotationSet
from datasets import services as dataset_services
from datasets import tasks as dataset_tasks
from datasets.models import AudioFile, Dataset
from tenants.models import Tenant
from tests.audio import make_corpus

PROFILE = "tiny"  # 9 files to train on and 3 held out: quick to process


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("bootstrap_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def data_dir(settings, tmp_path):
    """RELAY_DATA_DIR, with the tiny corpus already made (the command reuses a complete one)."""
    settings.DATA_DIR = tmp_path
    make_corpus(tmp_path / "demo-corpus", profile=PROFILE)
    return tmp_path


def manifest_labels(data_dir, split: str) -> set[tuple[str, str, int, int]]:
    files = json.loads((data_dir / "demo-corpus" / "manifest.json").read_text())["files"]
    return {
        (entry["filename"], event["artifact_type"], event["start_ms"], event["end_ms"])
        for entry in files
        if entry["split"] == split
        for event in entry["events"]
    }


def published_labels(dataset: Dataset) -> set[tuple[str, str, int, int]]:
    labels = AnnotationSet.objects.get(dataset=dataset, name=demo.LABELS_NAME)
    assert labels.is_published
    return {
        (a.audio_file.filename, a.artifact_type.name, a.start_ms, a.end_ms)
        for a in labels.annotations.select_related("audio_file", "artifact_type")
    }


def test_with_data_makes_two_processed_datasets_with_their_exact_labels_published(db, data_dir):
    output = run("--with-data", "--profile", PROFILE, "--base-url", "http://127.0.0.1:9000")

    tenant = Tenant.objects.get(name="Demo")
    training = Dataset.objects.get(tenant=tenant, name=demo.DATASET_NAME)
    held_out = Dataset.objects.get(tenant=tenant, name=demo.HELD_OUT_NAME)
    assert training.audio_files.count() == 9
    assert held_out.audio_files.count() == 3
    assert set(
        AudioFile.objects.filter(dataset__tenant=tenant).values_list("processing_status", flat=True)
    ) == {"ready"}
    assert published_labels(training) == manifest_labels(data_dir, "train")
    assert published_labels(held_out) == manifest_labels(data_dir, "test")
    labels = AnnotationSet.objects.get(dataset=training, name=demo.LABELS_NAME)
    body = json.dumps({"dataset_id": str(training.pk), "annotation_set_id": str(labels.pk)})
    assert "curl -X POST http://127.0.0.1:9000/api/v1/training-jobs" in output
    assert body in output
    assert f'"{demo.DATASET_NAME}": 9 files to train on' in output


def test_running_it_again_adds_nothing_and_prints_the_same_ids(db, data_dir):
    first = run("--with-data", "--profile", PROFILE)
    audio_ids = set(AudioFile.objects.values_list("pk", flat=True))

    second = run("--with-data", "--profile", PROFILE)

    assert set(AudioFile.objects.values_list("pk", flat=True)) == audio_ids
    assert AnnotationSet.objects.count() == 2
    assert Tenant.objects.count() == 1
    curl = next(line for line in first.splitlines() if "curl" in line)
    assert curl in second


def test_an_interrupted_run_is_completed_by_the_next(db, data_dir):
    run("--with-data", "--background", "--profile", PROFILE)
    # Interrupted: one file was only requested, the rest confirmed but never processed.
    AudioFile.objects.filter(filename__endswith="0000.flac").update(processing_status="pending")

    run("--with-data", "--profile", PROFILE)

    tenant = Tenant.objects.get(name="Demo")
    training = Dataset.objects.get(tenant=tenant, name=demo.DATASET_NAME)
    assert set(AudioFile.objects.values_list("processing_status", flat=True)) == {"ready"}
    assert published_labels(training) == manifest_labels(data_dir, "train")


def test_in_the_background_the_labels_are_published_when_the_workers_finish_the_last_file(
    db, data_dir, django_capture_on_commit_callbacks
):
    output = run("--with-data", "--background", "--profile", PROFILE)
    training = Dataset.objects.get(name=demo.DATASET_NAME)
    labels = AnnotationSet.objects.get(dataset=training, name=demo.LABELS_NAME)
    waiting = list(training.audio_files.order_by("filename"))

    assert "published once processed" in output
    assert all(audio.processing_status == "processing" for audio in waiting)
    for done, audio in enumerate(waiting, start=1):
        with django_capture_on_commit_callbacks(execute=True):
            dataset_tasks.process_audio_file(str(audio.pk))  # what a worker does
        labels.refresh_from_db()
        assert labels.is_published == (done == len(waiting)), done
    assert published_labels(training) == manifest_labels(data_dir, "train")


def test_if_new_leaves_demo_datasets_that_were_deleted_deleted(db, data_dir):
    run("--with-data", "--background", "--if-new", "--profile", PROFILE)
    for dataset in Dataset.objects.all():
        dataset_services.delete_dataset(dataset=dataset)

    again = run("--with-data", "--background", "--if-new", "--profile", PROFILE)
    assert not Dataset.objects.exists()
    assert "Demo data" not in again

    asked = run("--with-data", "--background", "--profile", PROFILE)
    assert Dataset.objects.count() == 2
    assert "Demo data" in asked


def test_without_with_data_it_only_describes_demo_data_that_exists(db, data_dir):
    run("--with-data", "--profile", PROFILE)
    audio_count = AudioFile.objects.count()

    output = run()

    assert AudioFile.objects.count() == audio_count
    assert f'"{demo.DATASET_NAME}": 9 files to train on; ' in output
    assert "training-jobs" in output


def test_the_demo_login_is_the_operator_and_the_admin_url_is_printed(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    output = run("--base-url", "http://127.0.0.1:9000/")
    password = re.search(r"^Password: (\S+)$", output, re.MULTILINE).group(1)

    client = Client()
    assert client.login(username="demo@relay.local", password=password)
    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Admin: http://127.0.0.1:9000/admin/" in output.splitlines()
    assert "Dashboard: http://127.0.0.1:9000/" in output.splitlines()
    assert f"to start afresh, stop Relay and delete {tmp_path}, the RELAY_DATA_DIR folder" in output


def test_an_earlier_installs_demo_user_becomes_the_operator(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    run()
    get_user_model().objects.filter(username="demo@relay.local").update(
        is_staff=False, is_superuser=False
    )

    run()

    user = get_user_model().objects.get(username="demo@relay.local")
    assert (user.is_staff, user.is_superuser) == (True, True)
