import pytest

from tenants.models import ApiKey
from tests.factories import make_api_key, make_dataset


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("ops", "ops@relay.test", "pw-ops-123")
    client.force_login(user)
    return client


def test_operators_see_tenants_keys_and_datasets(operator, tenant):
    dataset = make_dataset(tenant=tenant, artifact_types=["click", "dropout"])

    for url in [
        "/admin/tenants/tenant/",
        f"/admin/tenants/tenant/{tenant.pk}/change/",
        "/admin/tenants/membership/",
        "/admin/tenants/apikey/",
        "/admin/datasets/dataset/",
        f"/admin/datasets/dataset/{dataset.pk}/change/",
    ]:
        assert operator.get(url).status_code == 200, url


def test_the_dataset_page_shows_its_artifact_types_inline(operator, tenant):
    dataset = make_dataset(tenant=tenant, artifact_types=["click", "dropout"])

    page = operator.get(f"/admin/datasets/dataset/{dataset.pk}/change/").content.decode()

    assert 'value="click"' in page
    assert 'value="dropout"' in page


def test_a_key_page_never_shows_the_secret_or_its_hash(operator, tenant):
    created = make_api_key(tenant=tenant)

    page = operator.get(f"/admin/tenants/apikey/{created.api_key.pk}/change/").content.decode()

    assert created.api_key.prefix in page
    assert created.key not in page
    assert created.api_key.key_hash not in page


def test_operators_revoke_keys_with_the_admin_action(operator, tenant):
    created = make_api_key(tenant=tenant)

    response = operator.post(
        "/admin/tenants/apikey/",
        {"action": "revoke_selected", "_selected_action": [str(created.api_key.pk)]},
    )

    assert response.status_code == 302
    assert ApiKey.objects.get(pk=created.api_key.pk).revoked_at is not None


def test_operators_reprocess_audio_from_the_admin(
    operator, api_client, client, tenant, tmp_path, django_capture_on_commit_callbacks
):
    from datasets import tasks
    from datasets.models import AudioFile
    from tests.api.test_audio import upload_and_process
    from tests.audio import write_wav

    dataset = make_dataset(tenant=tenant)
    audio = upload_and_process(
        api_client,
        client,
        dataset,
        write_wav(tmp_path / "a.wav"),
        django_capture_on_commit_callbacks,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            "/admin/datasets/audiofile/",
            {"action": "reprocess_selected", "_selected_action": [audio["id"]]},
        )
    assert AudioFile.objects.get(pk=audio["id"]).processing_status == "processing"
    tasks.process_audio_file(audio["id"])

    assert response.status_code == 302
    assert AudioFile.objects.get(pk=audio["id"]).processing_status == "ready"
    dataset.refresh_from_db()
    assert dataset.audio_count == 1
    assert operator.get(f"/admin/datasets/audiofile/{audio['id']}/change/").status_code == 200


def test_deleting_audio_in_the_admin_goes_through_the_service(operator, tenant, tmp_path):
    from annotations import services as annotation_services
    from annotations.models import AnnotationSet
    from datasets.models import AudioFile
    from tests.factories import make_ready_audio

    dataset = make_dataset(tenant=tenant)
    unlabelled = make_ready_audio(dataset=dataset, folder=tmp_path, name="unlabelled.wav")
    labelled = make_ready_audio(dataset=dataset, folder=tmp_path, name="labelled.wav")
    published = AnnotationSet.objects.create(tenant=tenant, dataset=dataset)
    row = {"audio_file_id": str(labelled.pk), "artifact_type": "click", "start_ms": 0, "end_ms": 9}
    annotation_services.add_annotations(annotation_set=published, rows=[row], loc=["body"])
    annotation_services.publish_annotation_set(annotation_set=published)

    refused = operator.get(f"/admin/datasets/audiofile/{labelled.pk}/delete/")
    operator.post(f"/admin/datasets/audiofile/{unlabelled.pk}/delete/", {"post": "yes"})

    assert refused.status_code == 403
    assert list(AudioFile.objects.values_list("filename", flat=True)) == ["labelled.wav"]
    dataset.refresh_from_db()
    assert (dataset.audio_count, dataset.total_duration_ms) == (1, labelled.duration_ms)
