"""Each upload flow takes the other's request names (issue 16, item 7): datasets say
`file_size` and `audio_id`, inference says `file_size_bytes` and `file_id`."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inference.models import InferenceJob
from tests.api.test_inference_jobs import make_untrained_model
from tests.factories import make_dataset

CONTENT = b"RIFF" + bytes(40)


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click"])


@pytest.fixture
def job(tenant, dataset):
    model = make_untrained_model(tenant=tenant, dataset=dataset)
    return InferenceJob.objects.create(tenant=tenant, model=model, config={}, artifact_types=[])


def upload_and_confirm(api_client, client, base: str, size_name: str, id_name: str):
    body = {"filename": "a.wav", "content_type": "audio/wav", size_name: len(CONTENT)}
    target = api_client.post(f"{base}/upload-url", body, "json")
    assert target.status_code == 201, target.json()
    target = target.json()
    fields = target.get("fields") or target["upload_fields"]
    stored = client.post(
        "/api/v1/storage/upload", {**fields, "file": SimpleUploadedFile("a.wav", CONTENT)}
    )
    assert stored.status_code == 204
    upload_id = target.get("audio_id") or target["file_id"]
    return api_client.post(f"{base}/confirm", {id_name: upload_id}, "json")


def test_dataset_uploads_take_inference_names(api_client, client, dataset):
    confirmed = upload_and_confirm(
        api_client, client, f"/api/v1/datasets/{dataset.pk}/audio", "file_size_bytes", "file_id"
    )

    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["file_size"] == len(CONTENT)


def test_inference_uploads_take_dataset_names(api_client, client, job):
    confirmed = upload_and_confirm(
        api_client, client, f"/api/v1/inference-jobs/{job.pk}/files", "file_size", "audio_id"
    )

    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "processing"


def test_an_error_is_reported_at_the_name_the_client_sent(api_client, dataset):
    body = {"filename": "a.wav", "content_type": "audio/wav", "file_size_bytes": "big"}

    response = api_client.post(f"/api/v1/datasets/{dataset.pk}/audio/upload-url", body, "json")

    assert [item["loc"] for item in response.json()["detail"]] == [["body", "file_size_bytes"]]


def test_both_names_with_different_values_is_422(api_client, job):
    body = {"filename": "a.wav", "content_type": "audio/wav", "file_size": 5, "file_size_bytes": 6}

    response = api_client.post(f"/api/v1/inference-jobs/{job.pk}/files/upload-url", body, "json")

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "file_size"],
            "msg": "file_size is another name for file_size_bytes; send one of them.",
            "type": "value_error.conflict",
        }
    ]
