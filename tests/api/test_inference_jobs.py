"""Inference jobs through the API: creating with a checked config, the upload flow, files from
a dataset, every job state, results (detail, files, downloads, top detections, summary),
cancel, and tenant isolation. Files are run by calling the actor, as a worker would."""

import csv
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile
from dramatiq import Message

from annotations import label_formats
from datasets.audio.features import DEFAULT_RECIPE
from inference import tasks
from inference.models import InferenceFile, InferenceJob
from relay import queue
from relay.storage import get_object_store
from tests.audio import write_wav
from tests.factories import make_dataset, make_ready_audio
from training import services as training_services
from training.ml.data import INPUT_SIZE, InputStatistics
from training.ml.model_file import DetectorModel, ModelMetadata, save_model
from training.ml.network import Detector, NetworkConfig
from training.models import TrainedModel, model_storage_prefix

TYPES = ("click", "dropout")
JOBS = "/api/v1/inference-jobs"


def make_untrained_model(*, tenant, dataset, types=TYPES, hidden_size=8) -> TrainedModel:
    """A model of the default architecture with untrained weights, stored as training stores
    one. Its outputs are arbitrary but fixed: threshold 0 detects every type over a whole file,
    threshold 1 detects nothing, which is all API tests need (training is slow)."""
    torch.manual_seed(0)
    config = NetworkConfig(hidden_size=hidden_size, num_types=len(types))
    metadata = ModelMetadata(
        artifact_types=tuple(types),
        feature_recipe=DEFAULT_RECIPE.to_dict(),
        input_statistics=InputStatistics(mean=(0.0,) * INPUT_SIZE, std=(1.0,) * INPUT_SIZE),
        thresholds=dict.fromkeys(types, 0.5),
        network=config,
        min_target_ms=80,
    )
    data = save_model(DetectorModel(network=Detector(config).eval(), metadata=metadata))
    model = TrainedModel(
        tenant=tenant,
        dataset=dataset,
        name="untrained",
        artifact_types=list(types),
        feature_recipe_version=DEFAULT_RECIPE.version,
        file_size=len(data),
    )
    path = Path(get_object_store().path(model_storage_prefix(tenant.pk, model.pk)))
    path.mkdir(parents=True, exist_ok=True)
    (path / "model.pt").write_bytes(data)
    model.save()
    return model


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=list(TYPES))


@pytest.fixture
def model(tenant, dataset):
    return make_untrained_model(tenant=tenant, dataset=dataset)


def create_job(api_client, model, **config):
    body = {"model_id": str(model.pk)}
    if config:
        body["config"] = config
    response = api_client.post(JOBS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def job_url(job, suffix=""):
    job_id = job["id"] if isinstance(job, dict) else job.pk
    return f"{JOBS}/{job_id}{suffix}"


def request_upload(
    api_client, job, *, filename="take.wav", content_type="audio/wav", size=100, **extra
):
    body = {"filename": filename, "content_type": content_type, "file_size_bytes": size, **extra}
    return api_client.post(job_url(job, "/files/upload-url"), body, format="json")


def post_bytes(client, target, content: bytes):
    return client.post(
        urlsplit(target["upload_url"]).path,
        {**target["upload_fields"], "file": SimpleUploadedFile("upload.bin", content)},
    )


def upload(api_client, client, job, path: Path, **extra):
    content = path.read_bytes()
    target = request_upload(api_client, job, filename=path.name, size=len(content), **extra)
    assert target.status_code == 201, target.json()
    assert post_bytes(client, target.json(), content).status_code == 204
    return target.json()["file_id"]


def confirm(api_client, job, file_id, captured):
    with captured(execute=True):
        return api_client.post(job_url(job, "/files/confirm"), {"file_id": file_id}, format="json")


def run_queued():
    """Run every queued inference message, as a worker would."""
    inference_queue = queue.broker.queues["inference"]
    while not inference_queue.empty():
        message = Message.decode(inference_queue.get_nowait())
        tasks.run_inference_file(*message.args)


def upload_and_run(api_client, client, job, path, captured, **extra):
    file_id = upload(api_client, client, job, path, **extra)
    assert confirm(api_client, job, file_id, captured).status_code == 200
    run_queued()
    return file_id


# --- create --------------------------------------------------------------------------------


def test_a_new_job_is_pending_with_the_config_defaults(api_client, model):
    job = create_job(api_client, model)

    assert job["status"] == "pending"
    assert job["model_id"] == str(model.pk)
    assert job["config"] == {
        "threshold": None,
        "merge_window_ms": 200,
        "min_duration_ms": 50,
        "signal_checks": True,
    }
    assert job["artifact_types"] == list(TYPES)
    assert (job["total_files"], job["processed_files"], job["total_detections"]) == (0, 0, 0)
    assert job["files"] == []
    assert job["has_more_files"] is False
    assert job["completed_at"] is None


def test_signal_checks_can_be_turned_off(api_client, model):
    job = create_job(api_client, model, signal_checks=False)

    assert job["config"]["signal_checks"] is False


@pytest.mark.parametrize(
    "threshold", [0.5, 0, 1, {"click": 0.3}, {"click": 0.3, "dropout": 0.9}], ids=str
)
def test_a_threshold_may_be_a_number_or_a_per_type_map(api_client, model, threshold):
    job = create_job(api_client, model, threshold=threshold, merge_window_ms=0)

    assert job["config"]["threshold"] == threshold
    assert job["config"]["merge_window_ms"] == 0


@pytest.mark.parametrize(
    ("config", "loc"),
    [
        ({"threshold": 1.5}, ["body", "config", "threshold"]),
        ({"threshold": -0.1}, ["body", "config", "threshold"]),
        ({"threshold": "high"}, ["body", "config", "threshold"]),
        ({"threshold": True}, ["body", "config", "threshold"]),
        ({"threshold": [0.5]}, ["body", "config", "threshold"]),
        ({"threshold": {"click": 2}}, ["body", "config", "threshold", "click"]),
        ({"threshold": {"click": "x"}}, ["body", "config", "threshold", "click"]),
        ({"threshold": {"hiss": 0.5}}, ["body", "config", "threshold", "hiss"]),
        ({"merge_window_ms": -1}, ["body", "config", "merge_window_ms"]),
        ({"merge_window_ms": 10_001}, ["body", "config", "merge_window_ms"]),
        ({"min_duration_ms": 10_001}, ["body", "config", "min_duration_ms"]),
        ({"min_duration_ms": 1.5}, ["body", "config", "min_duration_ms"]),
        ({"hop_ms": 5}, ["body", "config", "hop_ms"]),
        ({"signal_checks": "sometimes"}, ["body", "config", "signal_checks"]),
    ],
    ids=lambda value: json.dumps(value) if isinstance(value, dict) else None,
)
def test_a_bad_config_is_422_at_its_location(api_client, model, config, loc):
    response = api_client.post(JOBS, {"model_id": str(model.pk), "config": config}, format="json")

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def test_an_unknown_type_in_the_map_names_what_the_model_detects(api_client, model):
    config = {"threshold": {"hiss": 0.5}}
    response = api_client.post(JOBS, {"model_id": str(model.pk), "config": config}, format="json")

    assert response.json()["detail"] == [
        {
            "loc": ["body", "config", "threshold", "hiss"],
            "msg": "The model does not detect 'hiss' (it detects: click, dropout)",
            "type": "value_error.unknown_type",
        }
    ]


def test_a_model_of_another_tenant_is_422_like_an_unknown_one(api_client, other_tenant):
    other_model = make_untrained_model(
        tenant=other_tenant, dataset=make_dataset(tenant=other_tenant)
    )

    response = api_client.post(JOBS, {"model_id": str(other_model.pk)}, format="json")

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "model_id"],
            "msg": "No model with this id in your tenant",
            "type": "value_error.not_found",
        }
    ]


def test_a_read_key_cannot_create_jobs(read_client, model):
    response = read_client.post(JOBS, {"model_id": str(model.pk)}, format="json")

    assert response.status_code == 403


# --- uploads and states ---------------------------------------------------------------------


def test_an_upload_url_uses_the_quickstart_field_names(api_client, model):
    job = create_job(api_client, model)

    response = request_upload(api_client, job, size=2_097_152)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"upload_url", "upload_fields", "file_id", "expires_in"}
    assert body["expires_in"] == 3600
    detail = api_client.get(job_url(job)).json()
    # No file is confirmed yet: the job is still pending and counts nothing.
    assert (detail["status"], detail["total_files"]) == ("pending", 0)
    assert detail["files"][0]["status"] == "pending"


def test_an_upload_over_the_limit_is_413(api_client, model, settings):
    settings.RELAY_MAX_UPLOAD_BYTES = 1000
    job = create_job(api_client, model)

    response = request_upload(api_client, job, size=1001)

    assert response.status_code == 413
    assert response.json() == {"detail": "File is 1001 bytes; the upload limit is 1000 bytes."}


def test_an_upload_of_an_unsupported_type_is_422(api_client, model):
    job = create_job(api_client, model)

    response = request_upload(api_client, job, filename="notes.txt", content_type="text/plain")

    assert response.status_code == 422
    assert {tuple(item["loc"]) for item in response.json()["detail"]} == {
        ("body", "content_type"),
        ("body", "filename"),
    }


def test_confirming_before_uploading_is_409(api_client, model, django_capture_on_commit_callbacks):
    job = create_job(api_client, model)
    file_id = request_upload(api_client, job).json()["file_id"]

    response = confirm(api_client, job, file_id, django_capture_on_commit_callbacks)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "No file has been uploaded for this file_id yet; upload it, then confirm."
    }


def test_confirming_an_unknown_file_is_404(api_client, model, django_capture_on_commit_callbacks):
    job = create_job(api_client, model)

    response = confirm(
        api_client, job, "00000000-0000-0000-0000-000000000000", django_capture_on_commit_callbacks
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Inference file not found"}


def test_a_confirmed_file_is_queued_and_the_job_is_processing(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model)
    file_id = upload(api_client, client, job, write_wav(tmp_path / "a.wav", seconds=1))

    response = confirm(api_client, job, file_id, django_capture_on_commit_callbacks)
    again = confirm(api_client, job, file_id, django_capture_on_commit_callbacks)

    assert response.status_code == again.status_code == 200
    assert response.json()["status"] == "processing"
    message = Message.decode(queue.broker.queues["inference"].get_nowait())
    assert (message.actor_name, message.args) == ("run_inference_file", (file_id,))
    assert queue.broker.queues["inference"].empty()  # confirming twice queues once
    detail = api_client.get(job_url(job)).json()
    assert (detail["status"], detail["total_files"], detail["processed_files"]) == (
        "processing",
        1,
        0,
    )


def test_a_finished_job_shows_its_files_and_detections_as_the_quickstart_does(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model, threshold=0, min_duration_ms=0)
    upload_and_run(
        api_client, client, job, write_wav(tmp_path / "a.wav", seconds=1.5),
        django_capture_on_commit_callbacks,
    )  # fmt: skip

    detail = api_client.get(job_url(job)).json()

    assert detail["status"] == "completed"
    assert detail["completed_at"] is not None
    assert (detail["total_files"], detail["processed_files"], detail["total_detections"]) == (
        1,
        1,
        2,
    )
    (file,) = detail["files"]
    assert (file["original_filename"], file["status"], file["error"]) == (
        "a.wav",
        "completed",
        None,
    )
    assert abs(file["duration_ms"] - 1500) <= 10
    # Threshold 0: every frame is active, so each type is one detection over the whole file.
    assert [(d["artifact_type"], d["start_ms"]) for d in file["detections"]] == [
        ("click", 0),
        ("dropout", 0),
    ]
    assert all(abs(d["end_ms"] - 1500) <= 10 for d in file["detections"])
    assert all(0 <= d["confidence"] <= 1 for d in file["detections"])
    assert set(file["detections"][0]) == {"artifact_type", "start_ms", "end_ms", "confidence"}


def test_threshold_one_finds_nothing_and_the_job_still_completes(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model, threshold=1)
    upload_and_run(
        api_client, client, job, write_wav(tmp_path / "a.wav"), django_capture_on_commit_callbacks
    )

    detail = api_client.get(job_url(job)).json()

    assert (detail["status"], detail["total_detections"]) == ("completed", 0)
    assert detail["files"][0]["detections"] == []


def test_an_undecodable_file_fails_with_an_error_and_does_not_block_the_others(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model, threshold=0)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wav file at all" * 10)
    upload_and_run(api_client, client, job, broken, django_capture_on_commit_callbacks)
    upload_and_run(
        api_client,
        client,
        job,
        write_wav(tmp_path / "good.wav"),
        django_capture_on_commit_callbacks,
    )

    detail = api_client.get(job_url(job)).json()

    assert detail["status"] == "completed"
    assert (detail["total_files"], detail["processed_files"], detail["failed_files"]) == (2, 2, 1)
    failed, good = detail["files"]
    assert failed["status"] == "failed"
    assert failed["error"]
    assert failed["detections"] == []
    assert good["status"] == "completed"
    assert len(good["detections"]) == 2


def test_a_job_whose_every_file_failed_is_failed(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"\x00" * 100)
    upload_and_run(api_client, client, job, broken, django_capture_on_commit_callbacks)

    assert api_client.get(job_url(job)).json()["status"] == "failed"


def test_a_job_waits_for_requested_uploads_before_it_completes(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model)
    request_upload(api_client, job)  # requested, never confirmed (yet)
    upload_and_run(
        api_client, client, job, write_wav(tmp_path / "a.wav"), django_capture_on_commit_callbacks
    )

    detail = api_client.get(job_url(job)).json()

    assert (detail["status"], detail["total_files"], detail["processed_files"]) == (
        "processing",
        1,
        1,
    )


def test_a_file_added_to_a_completed_job_makes_it_processing_again(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model)
    upload_and_run(
        api_client, client, job, write_wav(tmp_path / "a.wav"), django_capture_on_commit_callbacks
    )
    assert api_client.get(job_url(job)).json()["status"] == "completed"

    request_upload(api_client, job)

    detail = api_client.get(job_url(job)).json()
    assert (detail["status"], detail["completed_at"]) == ("processing", None)


# --- cancel ---------------------------------------------------------------------------------


def test_cancelling_stops_pending_work(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model)
    file_id = upload(api_client, client, job, write_wav(tmp_path / "a.wav"))
    confirm(api_client, job, file_id, django_capture_on_commit_callbacks)

    response = api_client.post(job_url(job, "/cancel"))
    run_queued()

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["completed_at"] is not None
    file = InferenceFile.objects.get(pk=file_id)
    assert (file.status, file.attempts) == ("cancelled", 0)  # the worker skipped it


@pytest.mark.parametrize("first", ["cancel", "complete"])
def test_cancelling_a_finished_job_is_409(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks, first
):
    job = create_job(api_client, model)
    if first == "cancel":
        api_client.post(job_url(job, "/cancel"))
    else:
        upload_and_run(
            api_client, client, job, write_wav(tmp_path / "a.wav"),
            django_capture_on_commit_callbacks,
        )  # fmt: skip
    status = "cancelled" if first == "cancel" else "completed"

    response = api_client.post(job_url(job, "/cancel"))

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Inference job is {status}; only a pending or processing job can be cancelled"
    }


def test_deleting_a_job_removes_its_files_detections_and_uploads(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model)
    file_id = upload_and_run(
        api_client, client, job, write_wav(tmp_path / "a.wav"), django_capture_on_commit_callbacks
    )
    source_key = InferenceFile.objects.get(pk=file_id).source_key
    assert get_object_store().size_of(source_key) is not None

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(job_url(job))

    assert response.status_code == 204
    assert api_client.get(job_url(job)).status_code == 404
    assert not InferenceFile.objects.filter(pk=file_id).exists()
    assert get_object_store().size_of(source_key) is None


def test_deleting_a_job_needs_the_write_scope(api_client, read_client, model):
    job = create_job(api_client, model)

    response = read_client.delete(job_url(job))

    assert response.status_code == 403
    assert InferenceJob.objects.filter(pk=job["id"]).exists()


def test_a_cancelled_job_takes_no_more_files(api_client, model):
    job = create_job(api_client, model)
    api_client.post(job_url(job, "/cancel"))

    response = request_upload(api_client, job)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Inference job is cancelled; create a new job to run more files"
    }


# --- from a dataset -------------------------------------------------------------------------


def test_dataset_audio_runs_without_reupload_reusing_its_features(
    api_client, model, dataset, tmp_path, django_capture_on_commit_callbacks
):
    audio = make_ready_audio(dataset=dataset, folder=tmp_path, seconds=1.0)
    audio.metadata = {"voice": "anna"}
    audio.save()
    job = create_job(api_client, model, threshold=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            job_url(job, "/files/from-dataset"), {"audio_ids": [str(audio.pk)]}, format="json"
        )
    run_queued()

    assert response.status_code == 201
    (item,) = response.json()["items"]
    assert (item["audio_id"], item["original_filename"], item["status"]) == (
        str(audio.pk),
        "a.wav",
        "processing",
    )
    assert item["metadata"] == {"voice": "anna"}
    file = InferenceFile.objects.get(pk=item["id"])
    assert file.features_key == audio.features_key
    assert (file.status, file.duration_ms, file.detection_count) == ("completed", 1000, 2)
    assert api_client.get(job_url(job)).json()["status"] == "completed"


def test_adding_the_same_audio_again_returns_its_file(
    api_client, model, dataset, tmp_path, django_capture_on_commit_callbacks
):
    audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    job = create_job(api_client, model)
    body = {"audio_ids": [str(audio.pk)]}
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(job_url(job, "/files/from-dataset"), body, format="json")
        second = api_client.post(job_url(job, "/files/from-dataset"), body, format="json")

    assert second.json()["items"][0]["id"] == first.json()["items"][0]["id"]
    assert api_client.get(job_url(job)).json()["total_files"] == 1


def test_audio_of_other_recipes_is_decoded_again(
    api_client, model, dataset, tmp_path, django_capture_on_commit_callbacks
):
    audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    audio.feature_recipe = {"version": "relay-features-0"}
    audio.save()
    job = create_job(api_client, model, threshold=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            job_url(job, "/files/from-dataset"), {"audio_ids": [str(audio.pk)]}, format="json"
        )
    run_queued()

    file = InferenceFile.objects.get(pk=response.json()["items"][0]["id"])
    assert (file.features_key, file.source_key) == ("", audio.original_key)
    assert (file.status, file.detection_count) == ("completed", 2)


def test_bad_audio_ids_are_422_item_by_item(api_client, model, dataset, tmp_path, other_tenant):
    ready = make_ready_audio(dataset=dataset, folder=tmp_path)
    other = make_ready_audio(
        dataset=make_dataset(tenant=other_tenant), folder=tmp_path, name="b.wav"
    )
    job = create_job(api_client, model)

    response = api_client.post(
        job_url(job, "/files/from-dataset"),
        {"audio_ids": [str(ready.pk), str(other.pk)]},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "audio_ids", 1],
            "msg": "No audio file with this id in your tenant",
            "type": "value_error.not_found",
        }
    ]
    assert InferenceFile.objects.count() == 0


def test_empty_or_repeated_audio_ids_are_422(api_client, model, dataset, tmp_path):
    audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    job = create_job(api_client, model)

    empty = api_client.post(job_url(job, "/files/from-dataset"), {"audio_ids": []}, format="json")
    twice = api_client.post(
        job_url(job, "/files/from-dataset"), {"audio_ids": [str(audio.pk)] * 2}, format="json"
    )

    assert [item["loc"] for item in empty.json()["detail"]] == [["body", "audio_ids"]]
    assert [item["loc"] for item in twice.json()["detail"]] == [["body", "audio_ids"]]


# --- results --------------------------------------------------------------------------------


@pytest.fixture
def finished_job(api_client, client, model, tmp_path, django_capture_on_commit_callbacks):
    """Three files (voices anna, anna, ben), threshold 0: two whole-file detections each."""
    job = create_job(api_client, model, threshold=0, min_duration_ms=0)
    for index, voice in enumerate(["anna", "anna", "ben"]):
        path = write_wav(tmp_path / f"take{index}.wav", seconds=1 + index)
        file_id = upload(api_client, client, job, path, metadata={"voice": voice, "take": index})
        confirm(api_client, job, file_id, django_capture_on_commit_callbacks)
    run_queued()
    return job


def test_files_page_with_their_detections(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/files"), {"page_size": 2})

    body = response.json()
    assert (body["total"], body["has_more"]) == (3, True)
    assert [item["original_filename"] for item in body["items"]] == ["take0.wav", "take1.wav"]
    assert [len(item["detections"]) for item in body["items"]] == [2, 2]
    last = api_client.get(job_url(finished_job, "/files"), {"page_size": 2, "page": 2}).json()
    assert [item["original_filename"] for item in last["items"]] == ["take2.wav"]


def test_files_filter_by_status(api_client, finished_job):
    failed = api_client.get(job_url(finished_job, "/files"), {"status": "failed"}).json()
    bad = api_client.get(job_url(finished_job, "/files"), {"status": "done"})

    assert failed["total"] == 0
    assert bad.status_code == 422


def test_the_detail_embeds_at_most_the_configured_number_of_files(
    api_client, finished_job, settings
):
    settings.RELAY_INFERENCE_EMBEDDED_FILES = 2

    detail = api_client.get(job_url(finished_job)).json()

    assert [file["original_filename"] for file in detail["files"]] == ["take0.wav", "take1.wav"]
    assert detail["has_more_files"] is True
    assert detail["total_files"] == 3


def test_the_detail_reads_a_fixed_number_of_queries(
    api_client, finished_job, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        api_client.get(job_url(finished_job))


def test_detections_download_as_json(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/detections"), {"format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(b"".join(response.streaming_content))
    assert body["job"]["id"] == finished_job["id"]
    assert len(body["detections"]) == 6
    first = body["detections"][0]
    assert set(first) == {
        "file_id",
        "filename",
        "artifact_type",
        "start_ms",
        "end_ms",
        "confidence",
    }
    assert (first["filename"], first["artifact_type"], first["start_ms"]) == (
        "take0.wav",
        "click",
        0,
    )


def test_detections_download_as_csv(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/detections"), {"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 6
    assert list(rows[0]) == [
        "file_id",
        "filename",
        "artifact_type",
        "start_ms",
        "end_ms",
        "confidence",
    ]


def test_detections_download_as_dcase_tsv_in_seconds(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/detections"), {"format": "dcase"})

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert response["Content-Type"].startswith("text/tab-separated-values")
    assert response["Content-Disposition"].endswith('.tsv"')
    assert lines[0] == "filename\tonset\toffset\tevent_label"
    filename, onset, offset, label = lines[1].split("\t")
    assert (filename, onset, label) == ("take0.wav", "0.000", "click")
    assert abs(float(offset) - 1.0) <= 0.01
    assert len(lines) == 7


def test_detections_download_as_audacity_label_tracks_that_import_back(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/detections"), {"format": "audacity"})

    data = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["take0.txt", "take1.txt", "take2.txt"]
        first = archive.read("take0.txt").decode().splitlines()[0]
    assert first.split("\t")[0] == "0.000"
    parsed = label_formats.parse("audacity", data, name="x.zip", max_rows=100, max_text_bytes=10**6)
    assert (len(parsed.rows), parsed.errors) == (6, [])


def test_detections_download_as_a_raven_selection_table(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/detections"), {"format": "raven"})

    data = b"".join(response.streaming_content)
    assert response["Content-Disposition"].endswith('.selections.txt"')
    assert data.decode().splitlines()[0].split("\t") == list(label_formats.RAVEN_COLUMNS)
    parsed = label_formats.parse("raven", data, name="x.txt", max_rows=100, max_text_bytes=10**6)
    assert (len(parsed.rows), parsed.errors) == (6, [])
    assert {row.filename for row in parsed.rows} == {"take0.wav", "take1.wav", "take2.wav"}


def test_an_unknown_download_format_is_422_listing_the_formats(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/detections"), {"format": "xml"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["query", "format"],
            "msg": '"xml" is not a valid choice; use one of: json, csv, dcase, audacity, raven.',
            "type": "value_error.invalid_choice",
        }
    ]


def test_top_detections_list_the_most_confident_per_type_with_their_file(api_client, finished_job):
    response = api_client.get(job_url(finished_job, "/top-detections"), {"per_type": 2})

    body = response.json()
    assert body["per_type"] == 2
    assert set(body["detections"]) == set(TYPES)
    for artifact_type, found in body["detections"].items():
        assert len(found) == 2
        assert [d["artifact_type"] for d in found] == [artifact_type] * 2
        assert found[0]["confidence"] >= found[1]["confidence"]
        assert found[0]["file"]["original_filename"].startswith("take")
        assert found[0]["file"]["metadata"]["voice"] in {"anna", "ben"}


@pytest.mark.parametrize("per_type", ["0", "101", "ten"])
def test_top_detections_per_type_is_1_to_100(api_client, finished_job, per_type):
    response = api_client.get(job_url(finished_job, "/top-detections"), {"per_type": per_type})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "per_type"]


def test_the_summary_gives_rates_per_audio_hour_grouped_by_metadata(api_client, finished_job):
    summary = api_client.get(job_url(finished_job, "/summary")).json()

    assert summary["completed_files"] == 3
    assert abs(summary["total_audio_hours"] - 6 / 3600) < 1e-4
    assert summary["total_detections"] == 6
    assert summary["per_type"]["click"]["count"] == 3
    assert abs(summary["per_type"]["click"]["per_audio_hour"] - 3 / (6 / 3600)) < 20
    anna, ben = summary["by_metadata"]["voice"]["anna"], summary["by_metadata"]["voice"]["ben"]
    assert (anna["files"], ben["files"]) == (2, 1)
    assert anna["per_type"]["dropout"]["count"] == 2
    assert set(summary["by_metadata"]["take"]) == {"0", "1", "2"}
    assert summary["ungrouped_keys"] == []


def test_the_summary_of_a_job_without_files_has_no_rates(api_client, model):
    job = create_job(api_client, model)

    summary = api_client.get(job_url(job, "/summary")).json()

    assert summary["total_audio_hours"] == 0
    assert summary["per_type"]["click"] == {"count": 0, "per_audio_hour": None}


# --- lists, models, isolation ---------------------------------------------------------------


def test_jobs_list_newest_first_and_filter_by_model_and_status(api_client, tenant, dataset, model):
    other_model = make_untrained_model(tenant=tenant, dataset=dataset)
    first = create_job(api_client, model)
    second = create_job(api_client, other_model)
    api_client.post(job_url(second, "/cancel"))

    everything = api_client.get(JOBS).json()
    by_model = api_client.get(JOBS, {"model_id": str(model.pk)}).json()
    cancelled = api_client.get(JOBS, {"status": "cancelled"}).json()

    assert [job["id"] for job in everything["items"]] == [second["id"], first["id"]]
    assert "files" not in everything["items"][0]
    assert [job["id"] for job in by_model["items"]] == [first["id"]]
    assert [job["id"] for job in cancelled["items"]] == [second["id"]]
    assert api_client.get(JOBS, {"status": "done"}).status_code == 422


def test_deleting_the_model_keeps_the_job_and_its_detections(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model, threshold=0)
    upload_and_run(
        api_client, client, job, write_wav(tmp_path / "a.wav"), django_capture_on_commit_callbacks
    )

    training_services.delete_model(model=model)

    detail = api_client.get(job_url(job)).json()
    assert detail["model_id"] is None
    assert detail["total_detections"] == 2
    assert len(detail["files"][0]["detections"]) == 2


def test_a_file_of_a_job_whose_model_was_deleted_fails_readably(
    api_client, client, model, tmp_path, django_capture_on_commit_callbacks
):
    job = create_job(api_client, model)
    file_id = upload(api_client, client, job, write_wav(tmp_path / "a.wav"))
    confirm(api_client, job, file_id, django_capture_on_commit_callbacks)
    training_services.delete_model(model=model)

    run_queued()

    file = InferenceFile.objects.get(pk=file_id)
    assert file.status == "failed"
    assert file.error == "The job's model was deleted; run the file with another model"
    assert InferenceJob.objects.get(pk=job["id"]).status == "failed"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "/cancel", None),
        ("get", "/files", None),
        ("post", "/files/upload-url", {"filename": "a.wav", "content_type": "audio/wav",
                                       "file_size_bytes": 1}),
        ("post", "/files/confirm", {"file_id": "00000000-0000-0000-0000-000000000000"}),
        ("post", "/files/from-dataset", {"audio_ids": ["00000000-0000-0000-0000-000000000000"]}),
        ("get", "/detections", None),
        ("get", "/top-detections", None),
        ("get", "/summary", None),
    ],
)  # fmt: skip
def test_another_tenants_job_is_404(api_client, other_client, model, method, suffix, body):
    job = create_job(api_client, model)

    response = getattr(other_client, method)(job_url(job, suffix), body, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Inference job not found"}
    assert api_client.get(JOBS).json()["total"] == 1
    assert other_client.get(JOBS).json()["total"] == 0
