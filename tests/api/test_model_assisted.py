"""Model-assisted labeling through the API: a job's detections imported into a draft
(`import-detections`), detections rejected for a set, and the "label next" order of a dataset's
audio by a model's uncertainty."""

import pytest

from annotations.models import Annotation
from datasets.services import reprocess_audio
from tests.api.test_inference_jobs import make_untrained_model
from tests.factories import make_dataset
from tests.model_assist_support import run_with_results
from tests.training_support import make_audio_files, make_published_set

TYPES = ("click", "dropout")


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=list(TYPES))


@pytest.fixture
def audio(dataset, tmp_path):
    return make_audio_files(dataset, tmp_path, 3, seconds=2.0)


@pytest.fixture
def model(tenant, dataset):
    return make_untrained_model(tenant=tenant, dataset=dataset)


@pytest.fixture
def job(tenant, model, audio):
    return run_with_results(
        tenant=tenant,
        model=model,
        results={
            audio[0]: ([("click", 100, 140, 0.95), ("dropout", 500, 700, 0.6)], 120.0),
            audio[1]: ([("click", 300, 330, 0.85), ("click", 1900, 2100, 0.4)], 30.0),
            audio[2]: ([], 0.0),
        },
    )


@pytest.fixture
def draft(dataset):
    return make_published_set(dataset, [], publish=False)


def set_url(annotation_set, suffix):
    return (
        f"/api/v1/datasets/{annotation_set.dataset_id}/annotation-sets/{annotation_set.pk}{suffix}"
    )


def import_detections(client, annotation_set, **body):
    return client.post(set_url(annotation_set, "/import-detections"), body, format="json")


def stored(annotation_set):
    return sorted(
        Annotation.objects.filter(annotation_set=annotation_set).values_list(
            "audio_file_id", "artifact_type__name", "start_ms", "end_ms", "confidence", "source"
        )
    )


# --- import-detections ---------------------------------------------------------------------


def test_every_detection_becomes_a_model_annotation(api_client, job, draft, audio):
    response = import_detections(api_client, draft, inference_job_id=str(job.pk))

    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["dry_run"]) == (4, False)
    assert {item["source"] for item in body["items"]} == {"model"}
    # The detection past the 2 s file's end is cut to it.
    assert stored(draft) == sorted(
        [
            (audio[0].pk, "click", 100, 140, 0.95, "model"),
            (audio[0].pk, "dropout", 500, 700, 0.6, "model"),
            (audio[1].pk, "click", 300, 330, 0.85, "model"),
            (audio[1].pk, "click", 1900, 2000, 0.4, "model"),
        ]
    )
    draft.refresh_from_db()
    assert draft.counts_by_type == {"click": 3, "dropout": 1}


def test_filters_choose_the_detections(api_client, job, draft, audio):
    response = import_detections(
        api_client,
        draft,
        inference_job_id=str(job.pk),
        min_confidence=0.8,
        artifact_types=["click"],
        audio_file_ids=[str(audio[1].pk)],
    )

    assert response.json()["created"] == 1
    assert stored(draft) == [(audio[1].pk, "click", 300, 330, 0.85, "model")]


def test_a_dry_run_counts_and_writes_nothing(api_client, job, draft):
    response = api_client.post(
        set_url(draft, "/import-detections?dry_run=true"),
        {"inference_job_id": str(job.pk), "min_confidence": 0.8},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "dry_run": True,
        "valid": True,
        "would_create": 2,
        "skipped_rejected": 0,
        "skipped_existing": 0,
        "errors": [],
    }
    assert stored(draft) == []


def test_a_dry_run_reports_what_the_import_would_refuse(api_client, job, draft, audio):
    reprocess_audio(audio_ids=[audio[1].pk])  # not ready again until processed
    body = {
        "inference_job_id": str(job.pk),
        "min_confidence": 0.8,
        "audio_file_ids": [str(audio[1].pk)],  # one row: the reprocessed file's click
    }

    dry = api_client.post(set_url(draft, "/import-detections?dry_run=true"), body, format="json")
    real = import_detections(api_client, draft, **body)

    not_ready = {
        "loc": ["body", "detections", 0, "audio_file_id"],
        "msg": "The audio file is not ready yet",
        "type": "value_error.not_ready",
    }
    assert dry.status_code == 200
    assert dry.json() == {
        "dry_run": True,
        "valid": False,
        "would_create": 0,
        "skipped_rejected": 0,
        "skipped_existing": 0,
        "errors": [not_ready],
    }
    assert real.status_code == 422
    assert real.json() == {"detail": [not_ready]}
    assert stored(draft) == []


def test_importing_twice_adds_nothing_the_second_time(api_client, job, draft):
    import_detections(api_client, draft, inference_job_id=str(job.pk))

    again = import_detections(api_client, draft, inference_job_id=str(job.pk)).json()

    assert (again["created"], again["skipped_existing"]) == (0, 4)
    assert len(stored(draft)) == 4


def test_a_rejected_detection_is_not_imported(api_client, job, draft, audio):
    rejected = api_client.post(
        set_url(draft, "/rejected-detections"),
        {
            "audio_file_id": str(audio[0].pk),
            "artifact_type": "click",
            "start_ms": 100,
            "end_ms": 140,
        },
        format="json",
    )

    body = import_detections(api_client, draft, inference_job_id=str(job.pk)).json()

    assert rejected.status_code == 201
    assert (body["created"], body["skipped_rejected"]) == (3, 1)
    assert (audio[0].pk, "click", 100, 140, 0.95, "model") not in stored(draft)


def test_a_published_set_is_a_conflict(api_client, job, dataset, audio):
    published = make_published_set(dataset, [(audio[0], "click", 10, 20)])

    response = import_detections(api_client, published, inference_job_id=str(job.pk))
    dry = import_detections(api_client, published, inference_job_id=str(job.pk), dry_run=True)

    assert (response.status_code, dry.status_code) == (409, 409)
    assert response.json() == {"detail": "Annotation set is published; copy it to change it"}


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({}, ["body", "inference_job_id"], "value_error.missing"),
        ({"inference_job_id": "nope"}, ["body", "inference_job_id"], "value_error.invalid"),
        ({"min_confidence": 1.5}, ["body", "min_confidence"], "value_error.max_value"),
        ({"min_confidence": -0.1}, ["body", "min_confidence"], "value_error.min_value"),
        ({"artifact_types": []}, ["body", "artifact_types"], "value_error.empty"),
        ({"artifact_types": "click"}, ["body", "artifact_types"], "value_error.not_a_list"),
        ({"audio_file_ids": ["x"]}, ["body", "audio_file_ids", 0], "value_error.invalid"),
        ({"audio_file_ids": []}, ["body", "audio_file_ids"], "value_error.empty"),
        ({"dry_run": "maybe"}, ["body", "dry_run"], "value_error.invalid"),
    ],
    ids=[
        "job-missing",
        "job-malformed",
        "confidence-high",
        "confidence-low",
        "types-empty",
        "types-not-list",
        "audio-malformed",
        "audio-empty",
        "dry-run",
    ],
)
def test_each_bad_field_is_422_at_its_location(api_client, job, draft, body, loc, error_type):
    payload = {"inference_job_id": str(job.pk), **body}
    if not body:
        payload = {}

    response = import_detections(api_client, draft, **payload)

    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (loc, error_type)
    ]
    assert stored(draft) == []


def test_types_the_model_does_not_detect_are_422_at_their_index(api_client, job, draft):
    response = import_detections(
        api_client, draft, inference_job_id=str(job.pk), artifact_types=["click", "hum"]
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "artifact_types", 1],
            "msg": "The job's model does not detect 'hum'",
            "type": "value_error.invalid_choice",
        }
    ]


def test_audio_of_another_dataset_is_422_at_its_index(api_client, tenant, job, draft, tmp_path):
    (tmp_path / "other").mkdir()
    elsewhere = make_audio_files(make_dataset(tenant=tenant, name="other"), tmp_path / "other", 1)

    response = import_detections(
        api_client, draft, inference_job_id=str(job.pk), audio_file_ids=[str(elsewhere[0].pk)]
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "audio_file_ids", 0]


def test_another_tenants_job_is_422_like_an_unknown_one(other_client, other_tenant, job, tmp_path):
    own_dataset = make_dataset(tenant=other_tenant, artifact_types=list(TYPES))
    own_draft = make_published_set(own_dataset, [], publish=False)

    response = import_detections(other_client, own_draft, inference_job_id=str(job.pk))

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "inference_job_id"],
            "msg": "No inference job with this id in your tenant",
            "type": "value_error.not_found",
        }
    ]


def test_another_tenants_set_is_404(other_client, job, draft):
    response = import_detections(other_client, draft, inference_job_id=str(job.pk))

    assert response.status_code == 404
    assert response.json() == {"detail": "Dataset not found"}


def test_a_read_key_cannot_import(read_client, job, draft):
    assert import_detections(read_client, draft, inference_job_id=str(job.pk)).status_code == 403


# --- accepting one detection ---------------------------------------------------------------


def test_an_accepted_detection_is_an_annotation_with_source_model(api_client, draft, audio):
    body = {
        "audio_file_id": str(audio[0].pk),
        "artifact_type": "click",
        "start_ms": 95,
        "end_ms": 150,
        "confidence": 0.95,
        "source": "model",
    }

    response = api_client.post(set_url(draft, "/annotations"), body, format="json")

    assert response.status_code == 201
    assert response.json()["source"] == "model"


def test_an_unknown_source_is_422(api_client, draft, audio):
    body = {
        "audio_file_id": str(audio[0].pk),
        "artifact_type": "click",
        "start_ms": 95,
        "end_ms": 150,
        "source": "robot",
    }

    response = api_client.post(set_url(draft, "/annotations"), body, format="json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "source"]


# --- rejected detections -------------------------------------------------------------------


def rejection(audio_file, **changes):
    return {
        "audio_file_id": str(audio_file.pk),
        "artifact_type": "click",
        "start_ms": 100,
        "end_ms": 140,
        **changes,
    }


def test_a_rejection_is_listed_and_can_be_undone(api_client, draft, audio, model):
    created = api_client.post(
        set_url(draft, "/rejected-detections"),
        rejection(audio[0], model_id=str(model.pk)),
        format="json",
    )
    again = api_client.post(
        set_url(draft, "/rejected-detections"), rejection(audio[0]), format="json"
    )
    listed = api_client.get(
        set_url(draft, "/rejected-detections"), {"audio_file_id": str(audio[0].pk)}
    ).json()
    deleted = api_client.delete(set_url(draft, f"/rejected-detections/{created.json()['id']}"))

    assert (created.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == created.json()["id"]
    assert [item["id"] for item in listed["items"]] == [created.json()["id"]]
    assert listed["items"][0]["model_id"] == str(model.pk)
    assert deleted.status_code == 204
    assert api_client.get(set_url(draft, "/rejected-detections")).json()["total"] == 0


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"audio_file_id": "x"}, ["body", "audio_file_id"]),
        ({"artifact_type": ""}, ["body", "artifact_type"]),
        ({"start_ms": -1}, ["body", "start_ms"]),
        ({"end_ms": 0}, ["body", "end_ms"]),
        ({"end_ms": 100}, ["body", "end_ms"]),
        ({"model_id": "00000000-0000-0000-0000-000000000000"}, ["body", "model_id"]),
        ({"audio_file_id": "00000000-0000-0000-0000-000000000000"}, ["body", "audio_file_id"]),
    ],
    ids=["audio-malformed", "type-blank", "start", "end", "order", "model", "audio-unknown"],
)
def test_a_bad_rejection_is_422_at_its_field(api_client, draft, audio, changes, loc):
    response = api_client.post(
        set_url(draft, "/rejected-detections"), rejection(audio[0], **changes), format="json"
    )

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def test_rejecting_in_a_published_set_is_a_conflict(api_client, dataset, audio):
    published = make_published_set(dataset, [(audio[0], "click", 10, 20)])

    response = api_client.post(
        set_url(published, "/rejected-detections"), rejection(audio[0]), format="json"
    )

    assert response.status_code == 409


def test_another_tenants_rejections_are_404(api_client, other_client, draft, audio):
    created = api_client.post(
        set_url(draft, "/rejected-detections"), rejection(audio[0]), format="json"
    ).json()

    listed = other_client.get(set_url(draft, "/rejected-detections"))
    deleted = other_client.delete(set_url(draft, f"/rejected-detections/{created['id']}"))

    assert (listed.status_code, deleted.status_code) == (404, 404)


# --- the label-next queue --------------------------------------------------------------------


def audio_url(dataset):
    return f"/api/v1/datasets/{dataset.pk}/audio"


def test_audio_is_ranked_by_the_models_uncertainty_most_unsure_first(
    api_client, dataset, audio, job, model, tmp_path
):
    (tmp_path / "new").mkdir()
    never_run = make_audio_files(dataset, tmp_path / "new", 1)[0]

    body = api_client.get(
        audio_url(dataset), {"order": "uncertainty", "model_id": str(model.pk)}
    ).json()

    assert [(item["id"], item["uncertainty"]) for item in body["items"]] == [
        (str(audio[0].pk), 120.0),
        (str(audio[1].pk), 30.0),
        (str(audio[2].pk), 0.0),
        (str(never_run.pk), None),
    ]


def test_a_later_run_replaces_the_uncertainty(api_client, tenant, dataset, audio, job, model):
    run_with_results(tenant=tenant, model=model, results={audio[2]: ([], 500.0)})

    body = api_client.get(
        audio_url(dataset), {"order": "uncertainty", "model_id": str(model.pk)}
    ).json()

    assert body["items"][0] == {**body["items"][0], "id": str(audio[2].pk), "uncertainty": 500.0}


def test_the_uncertainty_of_another_model_is_not_mixed_in(api_client, tenant, dataset, audio, job):
    other_model = make_untrained_model(tenant=tenant, dataset=dataset)

    body = api_client.get(
        audio_url(dataset), {"order": "uncertainty", "model_id": str(other_model.pk)}
    ).json()

    assert {item["uncertainty"] for item in body["items"]} == {None}


def test_a_file_shows_its_uncertainty_in_the_job(api_client, job):
    files = api_client.get(f"/api/v1/inference-jobs/{job.pk}/files").json()["items"]

    assert sorted(item["uncertainty"] for item in files) == [0.0, 30.0, 120.0]


@pytest.mark.parametrize(
    ("query", "loc", "error_type"),
    [
        ({"order": "uncertainty"}, ["query", "model_id"], "value_error.missing"),
        ({"order": "loudest"}, ["query", "order"], "value_error.invalid_choice"),
        ({"model_id": "nope"}, ["query", "model_id"], "value_error.invalid"),
        (
            {"order": "uncertainty", "model_id": "00000000-0000-0000-0000-000000000000"},
            ["query", "model_id"],
            "value_error.not_found",
        ),
    ],
    ids=["model-missing", "order-unknown", "model-malformed", "model-unknown"],
)
def test_a_bad_queue_query_is_422(api_client, dataset, query, loc, error_type):
    response = api_client.get(audio_url(dataset), query)

    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (loc, error_type)
    ]


def test_another_tenants_model_does_not_rank_audio(other_client, other_tenant, job, model):
    own = make_dataset(tenant=other_tenant)

    response = other_client.get(audio_url(own), {"order": "uncertainty", "model_id": str(model.pk)})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "model_id"]


def test_another_tenants_dataset_queue_is_404(other_client, dataset, model):
    response = other_client.get(
        audio_url(dataset), {"order": "uncertainty", "model_id": str(model.pk)}
    )

    assert response.status_code == 404


# --- a model's detections over one audio file ------------------------------------------------


def detections_url(dataset, audio_file):
    return f"/api/v1/datasets/{dataset.pk}/audio/{audio_file.pk}/detections"


def test_an_audios_detections_come_from_the_models_latest_run(
    api_client, tenant, dataset, audio, job, model
):
    later = run_with_results(
        tenant=tenant, model=model, results={audio[0]: ([("click", 1000, 1040, 0.7)], 1.0)}
    )

    body = api_client.get(detections_url(dataset, audio[0]), {"model_id": str(model.pk)}).json()

    assert body["inference_job_id"] == str(later.pk)
    assert [(d["artifact_type"], d["start_ms"], d["confidence"]) for d in body["detections"]] == [
        ("click", 1000, 0.7)
    ]


def test_rejected_detections_are_left_out_for_their_set(
    api_client, dataset, audio, job, model, draft
):
    api_client.post(set_url(draft, "/rejected-detections"), rejection(audio[0]), format="json")

    body = api_client.get(
        detections_url(dataset, audio[0]),
        {"model_id": str(model.pk), "annotation_set_id": str(draft.pk)},
    ).json()

    assert body["hidden_rejected"] == 1
    assert [(d["artifact_type"], d["start_ms"]) for d in body["detections"]] == [("dropout", 500)]


def test_audio_the_model_has_not_run_on_has_no_detections(api_client, tenant, dataset, audio):
    fresh = make_untrained_model(tenant=tenant, dataset=dataset)

    body = api_client.get(detections_url(dataset, audio[0]), {"model_id": str(fresh.pk)}).json()

    assert (body["inference_job_id"], body["detections"]) == (None, [])


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({}, ["query", "model_id"]),
        ({"model_id": "00000000-0000-0000-0000-000000000000"}, ["query", "model_id"]),
        (
            {"annotation_set_id": "00000000-0000-0000-0000-000000000000"},
            ["query", "annotation_set_id"],
        ),
    ],
    ids=["model-missing", "model-unknown", "set-unknown"],
)
def test_bad_detection_queries_are_422(api_client, dataset, audio, model, query, loc):
    response = api_client.get(
        detections_url(dataset, audio[0]),
        {"model_id": str(model.pk), **query} if query.get("annotation_set_id") else query,
    )

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def test_another_tenants_audio_detections_are_404(other_client, dataset, audio, model):
    response = other_client.get(detections_url(dataset, audio[0]), {"model_id": str(model.pk)})

    assert response.status_code == 404
