"""Deleting a dataset keeps its trained models (issue 16, item 8): the contract says trained
models stay usable, so the model loses only its dataset reference."""

import shutil
from pathlib import Path

import pytest

from relay.storage import get_object_store
from tests.api.test_inference_jobs import (
    create_job,
    job_url,
    make_untrained_model,
    upload_and_run,
)
from tests.audio import write_wav
from tests.factories import make_dataset
from training.models import TrainedModel, legacy_model_file_key


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


def delete_dataset(api_client, dataset, captured):
    with captured(execute=True):
        assert api_client.delete(f"/api/v1/datasets/{dataset.pk}").status_code == 204


def test_a_models_metadata_survives_its_dataset(
    api_client, tenant, dataset, django_capture_on_commit_callbacks
):
    model = make_untrained_model(tenant=tenant, dataset=dataset)
    before = api_client.get(f"/api/v1/models/{model.pk}").json()

    delete_dataset(api_client, dataset, django_capture_on_commit_callbacks)

    after = api_client.get(f"/api/v1/models/{model.pk}").json()
    assert after["dataset_id"] is None
    assert {**before, "dataset_id": None, "updated_at": after["updated_at"]} == after
    assert get_object_store().size_of(TrainedModel.objects.get(pk=model.pk).file_key)


def test_a_model_still_runs_inference_after_its_dataset_is_gone(
    api_client, client, tenant, dataset, tmp_path, django_capture_on_commit_callbacks
):
    model = make_untrained_model(tenant=tenant, dataset=dataset)
    old_job = create_job(api_client, model, threshold=0, min_duration_ms=0)
    delete_dataset(api_client, dataset, django_capture_on_commit_callbacks)

    job = create_job(api_client, model, threshold=0, min_duration_ms=0)
    path = write_wav(tmp_path / "after.wav", seconds=1)
    upload_and_run(api_client, client, job, path, django_capture_on_commit_callbacks)

    result = api_client.get(job_url(job)).json()
    assert (result["status"], result["model_id"]) == ("completed", str(model.pk))
    assert result["total_detections"] > 0
    assert api_client.get(job_url(old_job)).json()["model_id"] == str(model.pk)


def test_a_model_stored_under_its_dataset_keeps_its_file(
    api_client, tenant, dataset, django_capture_on_commit_callbacks
):
    """Models made before models moved to the tenant's prefix keep their old place."""
    model = make_untrained_model(tenant=tenant, dataset=dataset)
    store = get_object_store()
    legacy = legacy_model_file_key(tenant.pk, dataset.pk, model.pk)
    Path(store.path(legacy)).parent.mkdir(parents=True)
    shutil.copyfile(store.path(model.file_key), store.path(legacy))
    TrainedModel.objects.filter(pk=model.pk).update(file_key=legacy)
    audio_folder = Path(store.path(f"{dataset.storage_prefix}/audio/x"))
    audio_folder.mkdir(parents=True)

    delete_dataset(api_client, dataset, django_capture_on_commit_callbacks)

    assert store.size_of(legacy)
    assert not audio_folder.parent.exists()
