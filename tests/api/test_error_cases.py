"""Every error case of issue 16, sent as a client would, with its status and documented shape:
`{"detail": "..."}`, or for 422 `{"detail": [{"loc", "msg", "type"}, ...]}`."""

import pytest

from inference.models import InferenceJob
from tests.api.test_inference_jobs import make_untrained_model
from tests.factories import make_dataset

DATASETS = "/api/v1/datasets"
JOBS = "/api/v1/inference-jobs"


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def job(tenant, dataset):
    model = make_untrained_model(tenant=tenant, dataset=dataset)
    return InferenceJob.objects.create(tenant=tenant, model=model, config={}, artifact_types=[])


def assert_detail(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], str)
    return body["detail"]


def assert_422(response) -> list[dict]:
    assert response.status_code == 422, response.content
    items = response.json()["detail"]
    assert items
    assert all(set(item) == {"loc", "msg", "type"} for item in items)
    return items


def locs(items: list[dict]) -> list[list]:
    return [item["loc"] for item in items]


# --- 4: an empty file is refused when its upload is requested ----------------------------------


def test_a_zero_byte_dataset_upload_is_422_at_upload_url(api_client, dataset):
    body = {"filename": "a.wav", "content_type": "audio/wav", "file_size": 0}

    items = assert_422(api_client.post(f"{DATASETS}/{dataset.pk}/audio/upload-url", body, "json"))

    assert items == [
        {
            "loc": ["body", "file_size"],
            "msg": "An empty file holds no audio; file_size must be at least 1 byte.",
            "type": "value_error.min_value",
        }
    ]
    assert not dataset.audio_files.exists()


def test_a_zero_byte_inference_upload_is_422_at_upload_url(api_client, job):
    body = {"filename": "a.wav", "content_type": "audio/wav", "file_size_bytes": 0}

    items = assert_422(api_client.post(f"{JOBS}/{job.pk}/files/upload-url", body, "json"))

    assert locs(items) == [["body", "file_size_bytes"]]
    assert not job.files.exists()
