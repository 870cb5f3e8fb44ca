import pytest
from dramatiq import Message

from datasets.audio.features import DEFAULT_RECIPE
from datasets.models import AudioFile
from relay import queue
from tests.factories import make_dataset
from tests.training_support import make_audio_files, make_published_set
from training import runner, services, tasks
from training.models import TrainingJob

URL = "/api/v1/training-jobs"


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout", "clipping"])


@pytest.fixture
def audio(dataset, tmp_path):
    return make_audio_files(dataset, tmp_path, 3)


@pytest.fixture
def published(dataset, audio):
    labels = [(audio[0], "click", 100, 120), (audio[1], "dropout", 300, 400)]
    return make_published_set(dataset, labels)


def body(dataset, annotation_set, **config):
    payload = {"dataset_id": str(dataset.pk), "annotation_set_id": str(annotation_set.pk)}
    if config:
        payload["config"] = config
    return payload


def create(api_client, payload, capture=None):
    if capture is None:
        return api_client.post(URL, payload, format="json")
    with capture(execute=True):
        return api_client.post(URL, payload, format="json")


def test_a_job_is_queued_with_every_default_filled_in(
    api_client, dataset, published, audio, django_capture_on_commit_callbacks
):
    response = create(api_client, body(dataset, published), django_capture_on_commit_callbacks)

    assert response.status_code == 201
    job = response.json()
    assert set(job) >= {
        "id",
        "dataset_id",
        "annotation_set_id",
        "config",
        "status",
        "progress_percent",
        "metrics",
        "error_message",
        "model_id",
        "created_at",
        "started_at",
        "completed_at",
    }
    assert job["config"] == {
        "artifact_types": ["click", "dropout"],  # the labelled ones, in the dataset's order
        "epochs": 20,
        "validation_split": 0.2,
        "learning_rate": 0.001,
        "batch_size": 32,
        "include_unlabelled_audio": True,
    }
    assert (job["status"], job["progress_percent"], job["metrics"]) == ("queued", 0, {})
    assert (job["model_id"], job["error_message"], job["started_at"]) == (None, None, None)
    assert job["audio_file_count"] == 3  # the third file, unlabelled, as clean audio
    message = Message.decode(queue.broker.queues["training"].get_nowait())
    assert message.args == (job["id"],)


def test_without_unlabelled_audio_only_labelled_files_are_used(api_client, dataset, published):
    response = create(api_client, body(dataset, published, include_unlabelled_audio=False))

    assert response.status_code == 201
    assert response.json()["audio_file_count"] == 2


def test_requested_types_are_kept_in_the_order_given(api_client, dataset, published):
    response = create(api_client, body(dataset, published, artifact_types=["dropout", "click"]))

    assert response.json()["config"]["artifact_types"] == ["dropout", "click"]


def test_an_unknown_dataset_is_422_at_dataset_id(api_client, published):
    payload = {
        "dataset_id": "00000000-0000-0000-0000-000000000000",
        "annotation_set_id": str(published.pk),
    }

    response = create(api_client, payload)

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "dataset_id"],
                "msg": "No dataset with this id in your tenant",
                "type": "value_error.not_found",
            }
        ]
    }


def test_another_tenants_dataset_is_422_at_dataset_id(other_client, dataset, published):
    response = create(other_client, body(dataset, published))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "dataset_id"]


def test_a_set_of_another_dataset_is_422_at_annotation_set_id(
    api_client, tenant, published, tmp_path
):
    other = make_dataset(tenant=tenant, name="Other", artifact_types=["click"])

    response = create(api_client, body(other, published))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "annotation_set_id"]
    assert "in this dataset" in response.json()["detail"][0]["msg"]


def test_a_draft_set_is_a_conflict(api_client, dataset, audio):
    draft = make_published_set(dataset, [(audio[0], "click", 100, 120)], publish=False)

    response = create(api_client, body(dataset, draft))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Annotation set is a draft; publish it before training on it"
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("epochs", 501),
        ("validation_split", -0.1),
        ("validation_split", 0.6),
        ("learning_rate", 0),
        ("learning_rate", 1.5),
        ("batch_size", 0),
        ("batch_size", 1025),
        ("include_unlabelled_audio", "perhaps"),
    ],
    ids=lambda value: str(value),
)
def test_config_values_out_of_range_are_422_at_their_field(
    api_client, dataset, published, field, value
):
    response = create(api_client, body(dataset, published, **{field: value}))

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "config", field]]
    assert not TrainingJob.objects.exists()


def test_the_edges_of_the_config_ranges_are_accepted(api_client, dataset, published):
    config = {"epochs": 500, "validation_split": 0.5, "learning_rate": 1, "batch_size": 1024}

    response = create(api_client, body(dataset, published, **config))

    assert response.status_code == 201


def test_an_unknown_config_field_is_422(api_client, dataset, published):
    response = create(api_client, body(dataset, published, epoch=3))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "config", "epoch"]


def test_a_type_the_dataset_lacks_is_422_at_its_index(api_client, dataset, published):
    response = create(api_client, body(dataset, published, artifact_types=["click", "hum"]))

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "config", "artifact_types", 1]
    assert item["msg"] == (
        "'hum' is not an artifact type of this dataset (it has: click, dropout, clipping)"
    )


def test_a_type_without_annotations_in_the_set_is_422_with_a_clear_message(
    api_client, dataset, published
):
    response = create(api_client, body(dataset, published, artifact_types=["click", "clipping"]))

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "config", "artifact_types", 1],
            "msg": "The annotation set has no annotations of 'clipping'; label some or leave it "
            "out of artifact_types",
            "type": "value_error.no_annotations",
        }
    ]


def test_an_empty_type_list_is_422(api_client, dataset, published):
    response = create(api_client, body(dataset, published, artifact_types=[]))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "config", "artifact_types"]


def test_too_little_audio_for_a_validation_split_is_422_saying_how_much_is_needed(
    api_client, dataset, audio
):
    one_file = make_published_set(dataset, [(audio[0], "click", 100, 120)])

    response = create(
        api_client, body(dataset, one_file, include_unlabelled_audio=False, validation_split=0.2)
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "config", "validation_split"],
            "msg": "Training with validation_split 0.2 needs at least 2 ready audio files (whole "
            "files are held out for validation); the set labels 1",
            "type": "value_error.too_little_audio",
        }
    ]


def test_one_file_is_enough_without_a_validation_split(api_client, dataset, audio):
    one_file = make_published_set(dataset, [(audio[0], "click", 100, 120)])

    response = create(
        api_client, body(dataset, one_file, include_unlabelled_audio=False, validation_split=0)
    )

    assert response.status_code == 201


@pytest.mark.parametrize("validation_split", [0.0, 0.01, 0.2, 0.33, 0.4, 0.5])
def test_files_needed_is_the_rule_of_the_training_split(validation_split):
    import numpy as np

    from training.ml.data import LabelledFile, split_by_file

    def splits(count):
        files = [LabelledFile(f"f{i}", np.zeros((1, 70), np.float16), []) for i in range(count)]
        try:
            split_by_file(files, validation_split=validation_split, artifact_types=[], seed=0)
        except ValueError:
            return False
        return True

    needed = services.files_needed(validation_split)

    assert splits(needed)
    assert not splits(needed - 1) or needed == 1


def test_audio_with_features_of_another_recipe_is_422_saying_to_reprocess(
    api_client, dataset, published, audio
):
    AudioFile.objects.filter(pk=audio[1].pk).update(feature_recipe={"version": "relay-features-0"})

    response = create(api_client, body(dataset, published))

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "dataset_id"]
    assert item["msg"] == (
        f"1 audio file(s) have features of another recipe than '{DEFAULT_RECIPE.version}' "
        "(take1.wav); reprocess them before training"
    )


def test_a_read_key_cannot_start_training(read_client, dataset, published):
    response = create(read_client, body(dataset, published))

    assert response.status_code == 403


def test_jobs_are_listed_newest_first_and_filtered(
    api_client, tenant, dataset, published, django_assert_max_num_queries
):
    first = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )
    second = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )
    services.cancel_training_job(job=first)

    with django_assert_max_num_queries(6):
        listed = api_client.get(URL, {"dataset_id": str(dataset.pk)}).json()
    cancelled = api_client.get(URL, {"status": "cancelled"}).json()
    elsewhere = api_client.get(URL, {"dataset_id": "00000000-0000-0000-0000-000000000000"}).json()

    assert [job["id"] for job in listed["items"]] == [str(second.pk), str(first.pk)]
    assert (listed["total"], listed["has_more"]) == (2, False)
    assert [job["id"] for job in cancelled["items"]] == [str(first.pk)]
    assert elsewhere["total"] == 0


def test_a_bad_status_filter_is_422(api_client):
    response = api_client.get(URL, {"status": "done"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]


def test_a_job_is_read_by_id(api_client, tenant, dataset, published):
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )

    response = api_client.get(f"{URL}/{job.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == str(job.pk)


def test_another_tenants_job_is_404(other_client, tenant, dataset, published):
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )

    assert other_client.get(f"{URL}/{job.pk}").json() == {"detail": "Training job not found"}
    assert other_client.get(f"{URL}/{job.pk}").status_code == 404
    assert other_client.post(f"{URL}/{job.pk}/cancel").status_code == 404
    assert other_client.get(URL).json()["total"] == 0


def test_cancelling_a_queued_job_means_it_never_runs(api_client, tenant, dataset, published):
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )

    response = api_client.post(f"{URL}/{job.pk}/cancel")
    tasks.train_model(str(job.pk))  # its message arrives later

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["completed_at"] is not None
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("cancelled", 0)


def test_cancelling_a_finished_job_is_a_conflict(api_client, tenant, dataset, published):
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )
    api_client.post(f"{URL}/{job.pk}/cancel")

    response = api_client.post(f"{URL}/{job.pk}/cancel")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Training job is cancelled; only a queued or running job can be cancelled"
    }


def test_a_read_key_cannot_cancel(read_client, tenant, dataset, published):
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )

    assert read_client.post(f"{URL}/{job.pk}/cancel").status_code == 403
    assert read_client.get(f"{URL}/{job.pk}").status_code == 200


def test_a_claimed_job_shows_as_running(api_client, tenant, dataset, published):
    job = services.create_training_job(
        tenant=tenant, dataset_id=dataset.pk, annotation_set_id=published.pk
    )
    runner.claim_training_job(job_id=str(job.pk))

    body = api_client.get(f"{URL}/{job.pk}").json()

    assert body["status"] == "running"
    assert body["started_at"] is not None


def test_a_job_trains_for_real_on_a_generated_corpus(
    api_client, tenant, tmp_path, settings, django_capture_on_commit_callbacks
):
    import numpy as np

    from relay.storage import get_object_store
    from tests.audio import make_corpus
    from tests.training_support import corpus_labels, upload_corpus
    from training.ml.model_file import load_model, predict

    settings.RELAY_TRAINING_THREADS = 2
    corpus = make_corpus(tmp_path / "corpus")
    names = (corpus / "train_files.txt").read_text().split()[:6]  # a few seconds of training
    types = ["click", "dropout", "clipping", "long_pause", "stutter"]
    dataset = make_dataset(tenant=tenant, artifact_types=types)
    audio_by_name = upload_corpus(dataset, corpus, names)
    annotation_set = make_published_set(dataset, corpus_labels(corpus, audio_by_name))
    config = {"epochs": 2, "batch_size": 8, "validation_split": 0.2}

    created = create(
        api_client, body(dataset, annotation_set, **config), django_capture_on_commit_callbacks
    )
    # What the actor does, keeping the result to compare the stored model with.
    message = Message.decode(queue.broker.queues["training"].get_nowait())
    result = runner.run_claimed_job(job=runner.claim_training_job(job_id=message.args[0]))
    job = api_client.get(f"{URL}/{created.json()['id']}").json()

    assert created.status_code == 201
    assert (job["status"], job["progress_percent"], job["error_message"]) == (
        "completed",
        100,
        None,
    )
    assert job["completed_at"] is not None
    trained_types = job["config"]["artifact_types"]
    assert trained_types == [name for name in types if annotation_set.counts_by_type.get(name)]
    metrics = job["metrics"]
    assert [entry["epoch"] for entry in metrics["history"]] == [1, 2]
    for entry in metrics["history"]:
        assert entry["train_loss"] > 0
        assert entry["validation_loss"] > 0
    for name in trained_types:
        assert metrics["per_type"][name].keys() >= {"precision", "recall", "f1", "threshold"}
    assert metrics["macro"].keys() >= {"precision", "recall", "f1", "segment_f1"}
    assert set(metrics["thresholds"]) == set(trained_types)
    model = api_client.get(f"/api/v1/models/{job['model_id']}").json()
    assert model["training_job_id"] == job["id"]
    assert model["artifact_types"] == trained_types
    stored = TrainingJob.objects.get(pk=job["id"]).model
    with get_object_store().open(stored.file_key) as handle:
        loaded = load_model(handle.read())
    assert loaded.metadata.thresholds == result.model.metadata.thresholds
    assert loaded.metadata.annotation_set_hash == annotation_set.content_hash
    for labelled in runner.load_training_files(TrainingJob.objects.get(pk=job["id"])):
        np.testing.assert_allclose(
            predict(loaded, labelled.features), predict(result.model, labelled.features), atol=1e-6
        )
