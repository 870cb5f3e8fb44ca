"""GET /training-jobs/{id}/errors: the validation files' false positives and false negatives of
a completed job, stored when it finished."""

import pytest

from tests.factories import make_dataset
from tests.training_support import make_audio_files, make_published_set, make_trained_job
from training import services
from training.models import ValidationMistake

URL = "/api/v1/training-jobs"


@pytest.fixture
def trained(tenant, tmp_path):
    dataset = make_dataset(tenant=tenant, artifact_types=["click", "dropout"])
    audio = make_audio_files(dataset, tmp_path, 4)
    labels = [
        (file, type_name, start_ms, start_ms + 60)
        for file in audio
        for type_name, start_ms in (("click", 100), ("click", 600), ("dropout", 300))
    ]
    annotation_set = make_published_set(dataset, labels)
    return make_trained_job(tenant, dataset, annotation_set)


def errors_of(client, job, **query):
    return client.get(f"{URL}/{job.pk}/errors", query)


def test_the_errors_are_the_misses_and_false_alarms_the_metrics_count(api_client, trained):
    metrics = trained.metrics

    body = errors_of(api_client, trained, page_size=500).json()

    assert trained.status == "completed"
    for name, score in metrics["per_type"].items():
        kinds = [item["kind"] for item in body["items"] if item["artifact_type"] == name]
        assert kinds.count("false_positive") == score["n_detected"] - score["true_positives"]
        assert kinds.count("false_negative") == score["n_reference"] - score["true_positives"]
    assert body["total"] == len(body["items"]) > 0  # an untrained-looking model misses events
    validation_audio = {str(pk) for pk in trained.audio_file_ids}
    for item in body["items"]:
        assert item.keys() == {
            "audio_file_id",
            "filename",
            "artifact_type",
            "kind",
            "start_ms",
            "end_ms",
            "confidence",
        }
        assert item["audio_file_id"] in validation_audio
        assert 0 <= item["start_ms"] < item["end_ms"]
        assert 0.0 <= item["confidence"] <= 1.0


def test_errors_are_filtered_by_type_and_kind(api_client, trained):
    misses = errors_of(api_client, trained, artifact_type="click", kind="false_negative").json()

    expected = ValidationMistake.objects.filter(
        job=trained, artifact_type="click", kind="false_negative"
    ).count()
    assert misses["total"] == expected
    assert {(item["artifact_type"], item["kind"]) for item in misses["items"]} <= {
        ("click", "false_negative")
    }


def test_errors_are_ordered_by_type_kind_then_confidence_and_paginated(api_client, trained):
    everything = errors_of(api_client, trained, page_size=500).json()["items"]
    first = errors_of(api_client, trained, page_size=1).json()

    keys = [(item["artifact_type"], item["kind"], -item["confidence"]) for item in everything]
    assert keys == sorted(keys)
    assert first["items"] == everything[:1]
    assert first["has_more"] == (len(everything) > 1)


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"kind": "wrong"}, ["query", "kind"]),
        ({"artifact_type": "x" * 65}, ["query", "artifact_type"]),
        ({"page": 0}, ["query", "page"]),
        ({"page_size": 501}, ["query", "page_size"]),
    ],
    ids=["kind", "artifact_type", "page", "page_size"],
)
def test_a_bad_query_value_is_422_at_its_name(api_client, tenant, tmp_path, query, loc):
    dataset = make_dataset(tenant=tenant)
    audio = make_audio_files(dataset, tmp_path, 2)
    annotation_set = make_published_set(dataset, [(audio[0], "click", 100, 160)])
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=annotation_set.pk, config={}
    )

    response = errors_of(api_client, job, **query)

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def test_a_job_that_has_not_finished_has_no_errors_yet(api_client, tenant, tmp_path):
    dataset = make_dataset(tenant=tenant)
    audio = make_audio_files(dataset, tmp_path, 2)
    annotation_set = make_published_set(dataset, [(audio[0], "click", 100, 160)])
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=annotation_set.pk, config={}
    )

    body = errors_of(api_client, job).json()

    assert (body["items"], body["total"]) == ([], 0)


def test_another_tenants_job_errors_are_404(other_client, trained):
    response = errors_of(other_client, trained)

    assert response.status_code == 404
    assert response.json() == {"detail": "Training job not found"}
