"""What the inference page draws and plays for each file: waveform peaks and a playable URL, for
an upload and for dataset audio."""

from tests.api.test_inference_jobs import (
    create_job,
    job_url,
    make_untrained_model,
    request_upload,
    upload_and_run,
)
from tests.audio import write_wav
from tests.factories import make_dataset, make_ready_audio


def test_an_uploaded_file_has_peaks_and_a_playable_url_once_run(
    api_client, client, tenant, tmp_path, django_capture_on_commit_callbacks
):
    model = make_untrained_model(tenant=tenant, dataset=make_dataset(tenant=tenant))
    job = create_job(api_client, model)
    file_id = upload_and_run(
        api_client, client, job, write_wav(tmp_path / "a.wav", seconds=1.5),
        django_capture_on_commit_callbacks,
    )  # fmt: skip

    peaks = api_client.get(job_url(job, f"/files/{file_id}/peaks"), {"points": 100}).json()
    link = api_client.get(job_url(job, f"/files/{file_id}/download-url")).json()
    played = client.get(link["url"])

    assert (peaks["start_ms"], peaks["end_ms"]) == (0, 1500)
    assert len(peaks["min"]) == len(peaks["max"]) >= 100
    assert max(peaks["max"]) > 0.2  # the test tone
    assert played.status_code == 200
    assert b"".join(played.streaming_content).startswith(b"RIFF")


def test_a_dataset_audio_file_uses_its_audios_peaks(api_client, tenant, tmp_path):
    dataset = make_dataset(tenant=tenant)
    audio = make_ready_audio(dataset=dataset, folder=tmp_path, seconds=1.0)
    job = create_job(api_client, make_untrained_model(tenant=tenant, dataset=dataset))
    added = api_client.post(
        job_url(job, "/files/from-dataset"), {"audio_ids": [str(audio.pk)]}, format="json"
    ).json()["items"][0]

    peaks = api_client.get(job_url(job, f"/files/{added['id']}/peaks"), {"points": 50})

    assert peaks.status_code == 200
    assert peaks.json()["end_ms"] == 1000


def test_an_unconfirmed_upload_has_no_peaks_or_url_yet(api_client, tenant):
    job = create_job(
        api_client, make_untrained_model(tenant=tenant, dataset=make_dataset(tenant=tenant))
    )
    file_id = request_upload(api_client, job).json()["file_id"]

    peaks = api_client.get(job_url(job, f"/files/{file_id}/peaks"))
    link = api_client.get(job_url(job, f"/files/{file_id}/download-url"))

    assert (peaks.status_code, link.status_code) == (409, 409)


def test_another_tenants_file_media_is_404(other_client, api_client, tenant):
    job = create_job(
        api_client, make_untrained_model(tenant=tenant, dataset=make_dataset(tenant=tenant))
    )
    file_id = request_upload(api_client, job).json()["file_id"]

    peaks = other_client.get(job_url(job, f"/files/{file_id}/peaks"))
    link = other_client.get(job_url(job, f"/files/{file_id}/download-url"))

    assert (peaks.status_code, link.status_code) == (404, 404)
    assert peaks.json() == {"detail": "Inference job not found"}


def test_the_job_detail_can_leave_its_files_out_for_a_cheap_poll(api_client, tenant, tmp_path):
    dataset = make_dataset(tenant=tenant)
    audio = make_ready_audio(dataset=dataset, folder=tmp_path, seconds=1.0)
    job = create_job(api_client, make_untrained_model(tenant=tenant, dataset=dataset))
    api_client.post(
        job_url(job, "/files/from-dataset"), {"audio_ids": [str(audio.pk)]}, format="json"
    )

    light = api_client.get(job_url(job), {"embed_files": "false"}).json()
    full = api_client.get(job_url(job)).json()

    assert (light["files"], light["has_more_files"], light["total_files"]) == ([], True, 1)
    assert len(full["files"]) == 1
    assert {key: value for key, value in light.items() if "files" not in key} == {
        key: value for key, value in full.items() if "files" not in key
    }


def test_a_bad_embed_files_value_is_422(api_client, tenant):
    job = create_job(
        api_client, make_untrained_model(tenant=tenant, dataset=make_dataset(tenant=tenant))
    )

    response = api_client.get(job_url(job), {"embed_files": "sometimes"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "embed_files"]
