import pytest

from relay.storage import get_object_store
from tests.factories import make_dataset
from tests.training_support import make_audio_files, make_published_set, make_trained_job
from training.models import TrainingJob

URL = "/api/v1/models"


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def published(dataset, tmp_path):
    audio = make_audio_files(dataset, tmp_path, 2)
    return make_published_set(
        dataset, [(audio[0], "click", 100, 120), (audio[1], "click", 500, 520)]
    )


@pytest.fixture
def job(tenant, dataset, published):
    return make_trained_job(tenant, dataset, published)


def test_a_completed_job_names_its_model(api_client, job):
    body = api_client.get(f"/api/v1/training-jobs/{job.pk}").json()

    assert body["status"] == "completed"
    assert body["progress_percent"] == 100
    assert body["model_id"] == str(job.model.pk)


def test_a_model_shows_where_it_came_from(api_client, job, published):
    response = api_client.get(f"{URL}/{job.model.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "id",
        "name",
        "dataset_id",
        "training_job_id",
        "artifact_types",
        "metrics",
        "created_at",
    }
    assert body["training_job_id"] == str(job.pk)
    assert body["dataset_id"] == str(job.dataset_id)
    assert body["annotation_set_id"] == str(published.pk)
    assert body["content_hash"] == published.content_hash
    assert body["artifact_types"] == ["click"]
    assert body["metrics"]["macro"].keys() >= {"precision", "recall", "f1"}


def test_models_are_listed_and_filtered_by_dataset(api_client, tenant, job, tmp_path):
    other = make_dataset(tenant=tenant, name="Other")

    listed = api_client.get(URL).json()
    of_dataset = api_client.get(URL, {"dataset_id": str(job.dataset_id)}).json()
    of_other = api_client.get(URL, {"dataset_id": str(other.pk)}).json()

    assert [model["id"] for model in listed["items"]] == [str(job.model.pk)]
    assert of_dataset["total"] == 1
    assert of_other["total"] == 0


def test_a_model_is_renamed(api_client, job):
    response = api_client.patch(f"{URL}/{job.model.pk}", {"name": "clicks v1"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "clicks v1"
    assert api_client.get(f"{URL}/{job.model.pk}").json()["name"] == "clicks v1"


def test_a_blank_name_is_422(api_client, job):
    response = api_client.patch(f"{URL}/{job.model.pk}", {"name": ""}, format="json")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_deleting_a_model_removes_its_file_and_leaves_the_job_without_one(
    api_client, job, django_capture_on_commit_callbacks
):
    model = job.model
    store = get_object_store()
    assert store.size_of(model.file_key)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(f"{URL}/{model.pk}")

    assert response.status_code == 204
    assert store.size_of(model.file_key) is None
    assert api_client.get(f"{URL}/{model.pk}").status_code == 404
    job_body = api_client.get(f"/api/v1/training-jobs/{job.pk}").json()
    assert (job_body["status"], job_body["model_id"]) == ("completed", None)
    assert TrainingJob.objects.filter(pk=job.pk).exists()


def test_a_read_key_reads_but_cannot_change_models(read_client, job):
    assert read_client.get(URL).status_code == 200
    assert read_client.get(f"{URL}/{job.model.pk}").status_code == 200
    assert (
        read_client.patch(f"{URL}/{job.model.pk}", {"name": "x"}, format="json").status_code == 403
    )
    assert read_client.delete(f"{URL}/{job.model.pk}").status_code == 403


def test_another_tenants_model_is_404(other_client, job):
    url = f"{URL}/{job.model.pk}"

    assert other_client.get(url).json() == {"detail": "Model not found"}
    assert other_client.patch(url, {"name": "mine"}, format="json").status_code == 404
    assert other_client.delete(url).status_code == 404
    assert other_client.get(URL).json()["total"] == 0
