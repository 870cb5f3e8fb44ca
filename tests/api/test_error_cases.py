"""Every error case of issue 16, sent as a client would, with its status and documented shape:
`{"detail": "..."}`, or for 422 `{"detail": [{"loc", "msg", "type"}, ...]}`."""

import pytest

from inference.models import InferenceJob
from relay.housekeeping import housekeep
from tests.api.test_inference_jobs import make_untrained_model
from tests.factories import make_dataset, make_ready_audio

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


# --- 6: every error in the documented shape ----------------------------------------------------


def test_json_sent_without_its_content_type_is_415(api_client):
    detail = assert_detail(
        api_client.post(DATASETS, b'{"name": "x"}', content_type="text/plain"), 415
    )

    assert "application/json" in detail


@pytest.mark.parametrize("method", ["put", "patch", "delete", "get"])
def test_the_signed_upload_url_answers_other_methods_with_a_json_405(client, method):
    response = getattr(client, method)("/api/v1/storage/upload")

    assert assert_detail(response, 405) == f'Method "{method.upper()}" not allowed.'
    assert response["Allow"] == "POST"


def test_the_signed_download_url_answers_post_with_a_json_405(client):
    response = client.post("/api/v1/storage/download")

    assert assert_detail(response, 405) == 'Method "POST" not allowed.'


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/datasets/not-a-uuid", "Dataset not found"),
        ("/datasets/not-a-uuid/audio", "Dataset not found"),
        ("/inference-jobs/12345", "Inference job not found"),
        ("/models/x", "Model not found"),
    ],
)
def test_a_malformed_id_in_the_path_is_404_like_an_unknown_id(api_client, path, detail):
    unknown = path.replace("not-a-uuid", "0190c7a2-0000-7000-8000-000000000000")

    assert assert_detail(api_client.get(f"/api/v1{path}"), 404) == detail
    assert assert_detail(api_client.get(f"/api/v1{unknown}"), 404) == detail


def test_a_missing_field_has_one_wording_in_serializers_and_row_checks(api_client, dataset):
    missing_name = assert_422(api_client.post(DATASETS, {"artifact_types": []}, "json"))
    annotation_set = api_client.post(
        f"{DATASETS}/{dataset.pk}/annotation-sets", {"name": "s"}, "json"
    ).json()
    missing_type = assert_422(
        api_client.post(
            f"{DATASETS}/{dataset.pk}/annotation-sets/{annotation_set['id']}/annotations",
            {"audio_file_id": "0190c7a2-0000-7000-8000-000000000000", "start_ms": 0, "end_ms": 9},
            "json",
        )
    )

    missing = [
        item for item in missing_name + missing_type if item["type"] == "value_error.missing"
    ]
    assert {tuple(item["loc"]) for item in missing} >= {("body", "name"), ("body", "artifact_type")}
    assert {item["msg"] for item in missing} == {"This field is required."}


def test_field_and_cross_field_problems_are_reported_together(api_client, dataset):
    body = {"filename": "a.mp3", "content_type": "audio/wav", "file_size": 0}

    items = assert_422(api_client.post(f"{DATASETS}/{dataset.pk}/audio/upload-url", body, "json"))

    assert sorted(map(tuple, locs(items))) == [("body", "content_type"), ("body", "file_size")]


def test_inline_upload_reports_a_count_mismatch_and_bad_files_together(api_client, dataset):
    body = {"files": ["not a data url"], "filenames": ["a.wav", "b.wav"]}

    items = assert_422(api_client.post(f"{DATASETS}/{dataset.pk}/audio/upload", body, "json"))

    assert sorted(map(tuple, locs(items))) == [("body", "filenames"), ("body", "files", 0)]


def test_query_and_body_problems_are_reported_together(api_client, dataset):
    annotation_set = api_client.post(
        f"{DATASETS}/{dataset.pk}/annotation-sets", {"name": "s"}, "json"
    ).json()
    url = f"{DATASETS}/{dataset.pk}/annotation-sets/{annotation_set['id']}/import?dry_run=maybe"

    items = assert_422(api_client.post(url, {"format": "nope"}))

    assert sorted(map(tuple, locs(items))) == [
        ("body", "file"),
        ("body", "format"),
        ("query", "dry_run"),
    ]


# --- 11a: a deeply nested body is a 400, never a RecursionError --------------------------------


@pytest.mark.parametrize(
    "body", ["[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000], ids=["arrays", "objects"]
)
def test_a_deeply_nested_json_body_is_400(api_client, body):
    response = api_client.post(DATASETS, body, content_type="application/json")

    assert "nested more than 400 levels" in assert_detail(response, 400)


def test_brackets_inside_strings_do_not_count_as_nesting(api_client):
    body = {
        "name": "[" * 150,
        "description": "{" * 500 + "[" * 500,
        "artifact_types": [{"name": "click"}],
    }

    assert api_client.post(DATASETS, body, "json").status_code == 201


# --- the rest: every case keeps the documented shape and its own `type` ------------------------


def test_a_content_type_that_does_not_match_the_extension_is_a_format_mismatch(api_client, dataset):
    body = {"filename": "a.mp3", "content_type": "audio/wav", "file_size": 10}

    items = assert_422(api_client.post(f"{DATASETS}/{dataset.pk}/audio/upload-url", body, "json"))

    assert [(item["loc"], item["type"]) for item in items] == [
        (["body", "content_type"], "value_error.format_mismatch")
    ]


def test_an_unknown_export_format_lists_the_valid_ones(api_client, job):
    items = assert_422(api_client.get(f"{JOBS}/{job.pk}/detections", {"format": "xml"}))

    assert items[0]["msg"].endswith("use one of: json, csv, dcase, audacity, raven.")


def test_both_alias_names_with_different_values_is_a_conflict(api_client, dataset):
    body = {"filename": "a.wav", "content_type": "audio/wav", "file_size": 5, "file_size_bytes": 6}

    items = assert_422(api_client.post(f"{DATASETS}/{dataset.pk}/audio/upload-url", body, "json"))

    assert [item["type"] for item in items] == ["value_error.conflict"]


def test_confirming_an_upload_that_expired_and_was_removed_is_404(
    api_client, dataset, settings, django_capture_on_commit_callbacks
):
    body = {"filename": "a.wav", "content_type": "audio/wav", "file_size": 5}
    target = api_client.post(f"{DATASETS}/{dataset.pk}/audio/upload-url", body, "json").json()
    settings.RELAY_UPLOAD_URL_EXPIRES_S = settings.RELAY_UPLOAD_GRACE_S = 0
    with django_capture_on_commit_callbacks(execute=True):
        housekeep()

    response = api_client.post(
        f"{DATASETS}/{dataset.pk}/audio/confirm", {"audio_id": target["audio_id"]}, "json"
    )

    assert assert_detail(response, 404) == "Audio file not found"


def test_peaks_whose_end_is_not_after_the_start_is_an_order_error(api_client, dataset, tmp_path):
    audio = make_ready_audio(dataset=dataset, folder=tmp_path)

    items = assert_422(
        api_client.get(
            f"{DATASETS}/{dataset.pk}/audio/{audio.pk}/peaks", {"start_ms": 500, "end_ms": 500}
        )
    )

    assert [(item["loc"], item["type"]) for item in items] == [
        (["query", "end_ms"], "value_error.order")
    ]
