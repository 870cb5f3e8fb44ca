"""The training, model and inference pages as the server renders them (their scripts are tested
in tests/browser/test_training_pages.py and test_inference_pages.py)."""

import pytest
from django.test import Client

from tests.api.test_inference_jobs import make_untrained_model
from tests.factories import make_dataset, make_tenant
from tests.training_support import make_audio_files, make_published_set
from training import services


@pytest.fixture
def member(db):
    created = make_tenant(name="Page Team", email="trainer@pages.test")
    client = Client()
    client.force_login(created.user)
    client.tenant = created.tenant
    return client


@pytest.fixture
def job(member, tmp_path):
    dataset = make_dataset(tenant=member.tenant, name="Night shift")
    audio = make_audio_files(dataset, tmp_path, 2)
    annotation_set = make_published_set(dataset, [(audio[0], "click", 100, 160)])
    return services.create_training_job(
        tenant=member.tenant, dataset_id=dataset.pk, annotation_set_id=annotation_set.pk, config={}
    )


def page_paths(job, model, inference_job_id):
    return {
        f"/datasets/{job.dataset_id}/train": "training_new.js",
        f"/training/{job.pk}": "training_job.js",
        f"/training/{job.pk}/errors": "training_errors.js",
        "/models/": "models.js",
        f"/models/{model.pk}": "model.js",
        "/models/compare": "models_compare.js",
        "/inference/": "inference_jobs.js",
        f"/inference/{inference_job_id}": "inference_job.js",
    }


def make_inference_job(tenant, model):
    from inference import services as inference_services

    return inference_services.create_inference_job(tenant=tenant, model_id=model.pk).pk


def test_each_page_renders_with_its_script(member, job):
    model = make_untrained_model(tenant=member.tenant, dataset=job.dataset)
    paths = page_paths(job, model, make_inference_job(member.tenant, model))

    for path, script in paths.items():
        response = member.get(path)
        assert response.status_code == 200, path
        assert f"js/pages/{script}" in response.content.decode(), path


def test_the_training_form_starts_from_the_apis_defaults(member, job):
    html = member.get(f"/datasets/{job.dataset_id}/train").content.decode()

    assert '"epochs": 20' in html
    assert '"validation_split": 0.2' in html
    assert '"learning_rate": 0.001' in html
    assert '"batch_size": 32' in html


def test_the_pages_send_strangers_to_the_login(client, job):
    response = client.get(f"/training/{job.pk}")

    assert response.status_code == 302


def test_another_tenants_objects_are_not_found(job, other_tenant):
    model = make_untrained_model(tenant=job.tenant, dataset=job.dataset)
    paths = page_paths(job, model, make_inference_job(job.tenant, model))
    stranger = make_tenant(name="Elsewhere", email="someone@else.test")
    client = Client()
    client.force_login(stranger.user)

    for path in paths:
        if path.endswith(("/models/", "/inference/", "/compare")):
            continue
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Night shift" not in response.content.decode()
