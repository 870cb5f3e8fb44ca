"""`GET /datasets/{id}/audio?without_inference_by={model_id}`: the dataset's audio a model has
not run on yet (reference/003's "files needing inference")."""

import pytest

from inference import services, tasks
from tests.api.test_inference_jobs import make_untrained_model
from tests.factories import make_dataset, make_ready_audio


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def model(tenant, dataset):
    return make_untrained_model(tenant=tenant, dataset=dataset)


def listed(api_client, dataset, model) -> list[str]:
    response = api_client.get(
        f"/api/v1/datasets/{dataset.pk}/audio", {"without_inference_by": str(model.pk)}
    )
    assert response.status_code == 200, response.json()
    return sorted(item["filename"] for item in response.json()["items"])


def test_audio_a_model_completed_or_is_running_is_left_out(
    api_client, tenant, dataset, model, tmp_path
):
    done, running, failed, _untouched = (
        make_ready_audio(dataset=dataset, folder=tmp_path, name=f"{name}.wav")
        for name in ("done", "running", "failed", "untouched")
    )
    job = services.create_inference_job(tenant=tenant, model_id=model.pk)
    files = services.add_dataset_audio(job=job, audio_ids=[done.pk, running.pk, failed.pk])
    tasks.run_inference_file(str(files[0].pk))
    files[2].status = "failed"  # a failed run does not count as run
    files[2].save()

    assert listed(api_client, dataset, model) == ["failed.wav", "untouched.wav"]


def test_runs_of_another_model_do_not_count(api_client, tenant, dataset, model, tmp_path):
    audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    other_model = make_untrained_model(tenant=tenant, dataset=dataset)
    job = services.create_inference_job(tenant=tenant, model_id=other_model.pk)
    (file,) = services.add_dataset_audio(job=job, audio_ids=[audio.pk])
    tasks.run_inference_file(str(file.pk))

    assert listed(api_client, dataset, model) == ["a.wav"]
    assert listed(api_client, dataset, other_model) == []


def test_a_model_of_another_tenant_is_422(api_client, dataset, other_tenant):
    other_model = make_untrained_model(
        tenant=other_tenant, dataset=make_dataset(tenant=other_tenant)
    )

    response = api_client.get(
        f"/api/v1/datasets/{dataset.pk}/audio", {"without_inference_by": str(other_model.pk)}
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["query", "without_inference_by"],
            "msg": "No model with this id in your tenant",
            "type": "value_error.not_found",
        }
    ]


def test_a_malformed_model_id_is_422(api_client, dataset):
    response = api_client.get(
        f"/api/v1/datasets/{dataset.pk}/audio", {"without_inference_by": "nope"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "without_inference_by"]


def test_only_ready_audio_is_listed_so_from_dataset_takes_the_list_as_it_is(
    api_client, tenant, dataset, model, tmp_path
):
    make_ready_audio(dataset=dataset, folder=tmp_path, name="ready.wav")
    for name, status in (("pending.wav", "pending"), ("failed.wav", "failed")):
        dataset.audio_files.create(
            tenant=tenant,
            filename=name,
            content_type="audio/wav",
            file_size=10,
            processing_status=status,
        )
    job = services.create_inference_job(tenant=tenant, model_id=model.pk)

    names = listed(api_client, dataset, model)
    ids = [item.pk for item in dataset.audio_files.filter(filename__in=names)]

    assert names == ["ready.wav"]
    assert len(services.add_dataset_audio(job=job, audio_ids=ids)) == 1
