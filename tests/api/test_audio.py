"""Audio ingestion through the API with the local storage backend: upload-url, the signed upload,
confirm, processing by the actor, and everything read back from what processing stored."""

import base64
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from dramatiq import Message

from datasets import processing, tasks
from datasets.models import AudioFile, Dataset
from relay import queue
from tests.audio import write_wav
from tests.factories import make_dataset


@pytest.fixture
def dataset(tenant) -> Dataset:
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


def audio_url(dataset: Dataset, suffix: str = "") -> str:
    return f"/api/v1/datasets/{dataset.pk}/audio{suffix}"


def request_upload(api_client, dataset, *, filename, content_type, file_size, **extra):
    body = {"filename": filename, "content_type": content_type, "file_size": file_size, **extra}
    return api_client.post(audio_url(dataset, "/upload-url"), body, format="json")


def post_file(client, target: dict, content: bytes, *, fields: dict | None = None):
    """POST the bytes as the client would: every field from `fields`, then `file`."""
    upload_path = urlsplit(target["upload_url"]).path
    form = {**(fields if fields is not None else target["fields"])}
    return client.post(upload_path, {**form, "file": _named(content)})


def _named(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("upload.bin", content)


def upload(api_client, client, dataset, path: Path, content_type: str = "audio/wav", **extra):
    content = path.read_bytes()
    target = request_upload(
        api_client,
        dataset,
        filename=path.name,
        content_type=content_type,
        file_size=len(content),
        **extra,
    ).json()
    assert post_file(client, target, content).status_code == 204
    return target["audio_id"]


def confirm(api_client, dataset, audio_id, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return api_client.post(
            audio_url(dataset, "/confirm"), {"audio_id": audio_id}, format="json"
        )


def upload_and_process(
    api_client, client, dataset, path, captured, content_type="audio/wav", **extra
):
    audio_id = upload(api_client, client, dataset, path, content_type, **extra)
    confirm(api_client, dataset, audio_id, captured)
    tasks.process_audio_file(audio_id)
    return api_client.get(audio_url(dataset, f"/{audio_id}")).json()


def test_a_stereo_44k_wav_flows_to_ready_with_its_facts(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    path = write_wav(tmp_path / "take1.wav", seconds=2.5, sample_rate=44_100, channels=2)

    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    assert audio["processing_status"] == "ready"
    assert audio["processing_error"] is None
    assert abs(audio["duration_ms"] - 2500) <= 10
    assert (audio["sample_rate"], audio["channels"]) == (44_100, 2)
    assert audio["filename"] == "take1.wav"
    row = AudioFile.objects.get(pk=audio["id"])
    assert row.feature_recipe["version"]
    assert abs(row.feature_frames - 250) <= 1
    dataset_body = api_client.get(f"/api/v1/datasets/{dataset.pk}").json()
    assert dataset_body["audio_count"] == 1
    assert dataset_body["total_duration_ms"] == audio["duration_ms"]


def test_the_upload_url_response_has_the_documented_fields(api_client, dataset):
    response = request_upload(
        api_client, dataset, filename="a.wav", content_type="audio/wav", file_size=1000
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"upload_url", "fields", "audio_id", "expires_in"}
    assert body["expires_in"] == 3600
    assert set(body["fields"]) >= {"key", "signature"}
    assert "a.wav" not in body["fields"]["key"]
    pending = api_client.get(audio_url(dataset, f"/{body['audio_id']}")).json()
    assert pending["processing_status"] == "pending"


def test_processing_twice_is_harmless(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    path = write_wav(tmp_path / "a.wav", seconds=1.0)
    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    tasks.process_audio_file(audio["id"])

    dataset.refresh_from_db()
    assert dataset.audio_count == 1
    assert AudioFile.objects.get(pk=audio["id"]).processing_status == "ready"


def test_confirm_before_upload_is_409(api_client, dataset):
    target = request_upload(
        api_client, dataset, filename="a.wav", content_type="audio/wav", file_size=10
    ).json()

    response = api_client.post(
        audio_url(dataset, "/confirm"), {"audio_id": target["audio_id"]}, format="json"
    )

    assert response.status_code == 409
    assert "upload" in response.json()["detail"]


def test_a_second_confirm_returns_the_current_state(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    audio_id = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))
    confirm(api_client, dataset, audio_id, django_capture_on_commit_callbacks)

    again = confirm(api_client, dataset, audio_id, django_capture_on_commit_callbacks)

    assert again.status_code == 200
    assert again.json()["processing_status"] == "processing"
    assert len(queue.broker.queues["processing"].queue) == 1


def test_an_expired_upload_url_is_403_and_stores_nothing(api_client, client, dataset, settings):
    settings.RELAY_UPLOAD_URL_EXPIRES_S = -1
    target = request_upload(
        api_client, dataset, filename="a.wav", content_type="audio/wav", file_size=4
    ).json()

    response = post_file(client, target, b"RIFF")

    assert response.status_code == 403
    assert "expired" in response.json()["detail"]
    assert not list(Path(settings.MEDIA_ROOT).rglob("original"))


@pytest.mark.parametrize("field", ["key", "file_size", "content_type", "expires", "signature"])
def test_a_tampered_upload_is_403_and_stores_nothing(api_client, client, dataset, settings, field):
    target = request_upload(
        api_client, dataset, filename="a.wav", content_type="audio/wav", file_size=4
    ).json()
    fields = {**target["fields"], field: target["fields"][field] + "0"}

    response = post_file(client, target, b"RIFF", fields=fields)

    assert response.status_code == 403
    assert not list(Path(settings.MEDIA_ROOT).rglob("original"))


def test_a_file_larger_than_declared_is_413_and_stores_nothing(
    api_client, client, dataset, settings
):
    target = request_upload(
        api_client, dataset, filename="a.wav", content_type="audio/wav", file_size=4
    ).json()

    response = post_file(client, target, b"RIFF-and-more")

    assert response.status_code == 413
    assert not list(Path(settings.MEDIA_ROOT).rglob("*"))


def test_a_file_over_the_upload_limit_is_413(api_client, client, dataset, settings):
    settings.RELAY_MAX_UPLOAD_BYTES = 10

    response = request_upload(
        api_client, dataset, filename="a.wav", content_type="audio/wav", file_size=11
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "File is 11 bytes; the upload limit is 10 bytes."}
    assert not AudioFile.objects.exists()


def test_a_second_upload_to_the_same_url_is_409(api_client, client, dataset):
    target = request_upload(
        api_client, dataset, filename="a.wav", content_type="audio/wav", file_size=4
    ).json()
    post_file(client, target, b"RIFF")

    assert post_file(client, target, b"EVIL").status_code == 409


@pytest.mark.parametrize(
    ("filename", "content_type", "loc"),
    [
        ("a.wav", "video/mp4", ["body", "content_type"]),
        ("a.exe", "audio/wav", ["body", "filename"]),
        ("a.mp3", "audio/wav", ["body", "content_type"]),
    ],
    ids=["unsupported-type", "unsupported-extension", "type-and-extension-disagree"],
)
def test_unsupported_formats_are_422(api_client, dataset, filename, content_type, loc):
    response = request_upload(
        api_client, dataset, filename=filename, content_type=content_type, file_size=100
    )

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def write_bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("corrupt.wav", b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + bytes(range(256)) * 4),
        ("notes.wav", b"These are my notes, not audio.\n" * 20),
    ],
    ids=["corrupt-bytes", "text-named-wav"],
)
def test_undecodable_files_fail_with_a_readable_message(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks, name, content
):
    path = write_bytes(tmp_path / name, content)

    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    assert audio["processing_status"] == "failed"
    assert len(audio["processing_error"]) > 10
    assert "Traceback" not in audio["processing_error"]
    dataset.refresh_from_db()
    assert dataset.audio_count == 0


def test_a_file_over_the_duration_limit_fails(
    api_client, client, dataset, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.RELAY_MAX_AUDIO_DURATION_MS = 1000
    path = write_wav(tmp_path / "long.wav", seconds=2.0)

    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    assert audio["processing_status"] == "failed"
    assert "limit" in audio["processing_error"]


def test_the_failed_original_is_kept_for_inspection(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    path = write_bytes(tmp_path / "notes.wav", b"not audio at all" * 10)
    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    url = api_client.get(audio_url(dataset, f"/{audio['id']}/download-url")).json()["url"]

    assert (
        b"".join(client.get(urlsplit(url).path + "?" + urlsplit(url).query).streaming_content)
        == path.read_bytes()
    )


def test_silence_is_valid_audio(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(16_000), 16_000)

    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    assert audio["processing_status"] == "ready"
    assert audio["duration_ms"] == 1000


@pytest.fixture
def three_files(api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks):
    made = []
    for name, model in [("anna_1.wav", "v3"), ("anna_2.wav", "v2"), ("ben_1.wav", "v3")]:
        made.append(
            upload_and_process(
                api_client,
                client,
                dataset,
                write_wav(tmp_path / name, seconds=0.3),
                django_capture_on_commit_callbacks,
                metadata={"tts_model": model, "take": 1},
            )
        )
    return made


def test_the_list_filters_by_search_status_and_metadata(api_client, dataset, three_files):
    def names(**query):
        return [
            item["filename"] for item in api_client.get(audio_url(dataset), query).json()["items"]
        ]

    assert names() == ["ben_1.wav", "anna_2.wav", "anna_1.wav"]
    assert names(search="anna") == ["anna_2.wav", "anna_1.wav"]
    assert names(**{"metadata.tts_model": "v3"}) == ["ben_1.wav", "anna_1.wav"]
    assert names(**{"metadata.tts_model": "v3", "search": "anna"}) == ["anna_1.wav"]
    assert names(**{"metadata.take": "1"}) == ["ben_1.wav", "anna_2.wav", "anna_1.wav"]
    assert names(processing_status="failed") == []


def test_a_bad_metadata_filter_is_422(api_client, dataset):
    response = api_client.get(audio_url(dataset), {"metadata.a__b c": "x"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "metadata.a__b c"]


def test_patch_changes_filename_and_metadata(api_client, dataset, three_files):
    audio_id = three_files[0]["id"]

    response = api_client.patch(
        audio_url(dataset, f"/{audio_id}"),
        {"filename": "renamed.wav", "metadata": {"voice": "anna"}},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["filename"], response.json()["metadata"]) == (
        "renamed.wav",
        {"voice": "anna"},
    )


@pytest.mark.parametrize(
    "metadata",
    [["not", "an", "object"], {"text": "x" * 9000}, {"bad key": 1}, {"k": "nul\x00"}],
    ids=["list", "too-large", "bad-key", "nul"],
)
def test_invalid_metadata_is_422(api_client, dataset, metadata):
    response = request_upload(
        api_client,
        dataset,
        filename="a.wav",
        content_type="audio/wav",
        file_size=10,
        metadata=metadata,
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "metadata"]


def test_delete_removes_the_row_its_files_and_its_share_of_the_totals(
    api_client, dataset, three_files, settings, django_capture_on_commit_callbacks
):
    audio_id = three_files[0]["id"]
    prefix = AudioFile.objects.get(pk=audio_id).storage_prefix

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(audio_url(dataset, f"/{audio_id}"))

    assert response.status_code == 204
    assert not (Path(settings.MEDIA_ROOT) / prefix).exists()
    dataset.refresh_from_db()
    assert dataset.audio_count == 2
    assert api_client.get(audio_url(dataset, f"/{audio_id}")).status_code == 404


def test_peaks_cover_the_asked_window(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    path = write_wav(tmp_path / "click.wav", seconds=2.0, clicks_at_ms=[1000])
    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    whole = api_client.get(audio_url(dataset, f"/{audio['id']}/peaks"), {"points": 100}).json()
    zoomed = api_client.get(
        audio_url(dataset, f"/{audio['id']}/peaks"), {"start_ms": 990, "end_ms": 1010, "points": 10}
    ).json()

    assert len(whole["min"]) == len(whole["max"]) >= 100
    assert whole["samples_per_peak"] > zoomed["samples_per_peak"]
    assert max(zoomed["max"]) > 0.9  # the 1-sample click at 0.95 survives at the finest level
    assert -1.0 <= min(whole["min"]) <= max(whole["max"]) <= 1.0


def test_peaks_of_a_file_still_processing_are_409(api_client, client, dataset, tmp_path):
    audio_id = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))

    response = api_client.get(audio_url(dataset, f"/{audio_id}/peaks"))

    assert response.status_code == 409


def test_the_download_url_plays_both_variants_with_ranges(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    path = write_wav(tmp_path / "a.wav", seconds=1.0, sample_rate=44_100)
    audio = upload_and_process(
        api_client, client, dataset, path, django_capture_on_commit_callbacks
    )

    def fetch(variant, **headers):
        body = api_client.get(
            audio_url(dataset, f"/{audio['id']}/download-url"), {"variant": variant}
        ).json()
        assert body["expires_in"] > 0
        parts = urlsplit(body["url"])
        return client.get(f"{parts.path}?{parts.query}", headers=headers)

    original = fetch("original")
    normalized = fetch("normalized")
    ranged = fetch("original", Range="bytes=0-3")

    assert b"".join(original.streaming_content) == path.read_bytes()
    info = sf.info(_spool(tmp_path / "n.wav", b"".join(normalized.streaming_content)))
    assert (info.samplerate, info.channels) == (16_000, 1)
    assert ranged.status_code == 206
    assert ranged.content == b"RIFF"
    assert ranged["Content-Range"] == f"bytes 0-3/{path.stat().st_size}"


def _spool(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_a_tampered_download_url_is_403(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    audio = upload_and_process(
        api_client,
        client,
        dataset,
        write_wav(tmp_path / "a.wav"),
        django_capture_on_commit_callbacks,
    )
    url = api_client.get(audio_url(dataset, f"/{audio['id']}/download-url")).json()["url"]

    response = client.get(url.replace("original", "normalized.wav"))

    assert response.status_code == 403


def data_url(path: Path, content_type: str = "audio/wav") -> str:
    return f"data:{content_type};base64," + base64.b64encode(path.read_bytes()).decode()


def test_an_inline_batch_creates_every_file(
    api_client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    files = [data_url(write_wav(tmp_path / f"{index}.wav", seconds=0.4)) for index in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            audio_url(dataset, "/upload"),
            {"files": files, "filenames": ["a.wav", "b.wav", "c.wav"]},
            format="json",
        )
    for item in response.json()["items"]:
        tasks.process_audio_file(item["id"])

    assert response.status_code == 201
    assert [item["filename"] for item in response.json()["items"]] == ["a.wav", "b.wav", "c.wav"]
    assert {item.processing_status for item in AudioFile.objects.all()} == {"ready"}


def test_an_inline_batch_with_one_bad_file_creates_nothing(api_client, dataset, tmp_path, settings):
    good = data_url(write_wav(tmp_path / "a.wav", seconds=0.4))

    response = api_client.post(
        audio_url(dataset, "/upload"),
        {"files": [good, "data:audio/wav;base64,@@@", good, "data:text/plain;base64,aGk="]},
        format="json",
    )

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [
        ["body", "files", 1],
        ["body", "files", 3],
        ["body", "files", 3],
    ]
    assert not AudioFile.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("original"))


def test_an_inline_batch_over_the_file_count_is_422(api_client, dataset, settings):
    response = api_client.post(
        audio_url(dataset, "/upload"), {"files": ["data:audio/wav;base64,AA=="] * 21}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "files"]


def test_a_file_whose_worker_died_is_recovered_by_the_sweep(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    audio_id = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))
    confirm(api_client, dataset, audio_id, django_capture_on_commit_callbacks)
    queue.broker.flush_all()  # the message is gone with the worker that took it

    assert processing.claim_audio_for_processing(audio_id=audio_id) is not None  # then it died
    AudioFile.objects.filter(pk=audio_id).update(lease_expires_at=timezone.now())
    time.sleep(0.01)

    requeued = tasks.requeue_stuck_audio()
    message = Message.decode(queue.broker.queues["processing"].get_nowait())
    tasks.process_audio_file(*message.args)

    assert requeued == 1
    assert AudioFile.objects.get(pk=audio_id).processing_status == "ready"


def test_embedded_workers_take_files_confirmed_before_they_started_at_once(
    api_client, client, dataset, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    # Confirmed by another process (bootstrap_demo, a shell) whose in-memory message is gone.
    before = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))
    confirm(api_client, dataset, before, django_capture_on_commit_callbacks)
    monkeypatch.setattr(queue, "_workers_started_at", timezone.now())  # serve starts its workers
    after = upload(api_client, client, dataset, write_wav(tmp_path / "b.wav", seconds=0.5))
    confirm(api_client, dataset, after, django_capture_on_commit_callbacks)
    queue.broker.flush_all()

    assert processing.audio_needing_a_worker() == [before]  # the other's message is in flight
    # With Redis (a broker that is not the in-memory one) messages outlive processes.
    monkeypatch.setattr(queue, "StubBroker", type("OtherBroker", (), {}))
    assert processing.audio_needing_a_worker() == []


def test_a_file_that_keeps_killing_its_worker_ends_failed(
    api_client, client, dataset, tmp_path, settings, django_capture_on_commit_callbacks
):
    audio_id = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))
    confirm(api_client, dataset, audio_id, django_capture_on_commit_callbacks)
    AudioFile.objects.filter(pk=audio_id).update(
        processing_attempts=settings.RELAY_MAX_PROCESSING_ATTEMPTS
    )

    tasks.process_audio_file(audio_id)

    audio = AudioFile.objects.get(pk=audio_id)
    assert audio.processing_status == "failed"
    assert "repeatedly" in audio.processing_error


def test_another_tenants_audio_is_404(api_client, other_client, client, dataset, tmp_path):
    audio_id = upload(api_client, client, dataset, write_wav(tmp_path / "a.wav", seconds=0.5))

    for suffix in ["", f"/{audio_id}", f"/{audio_id}/peaks", f"/{audio_id}/download-url"]:
        response = other_client.get(audio_url(dataset, suffix))
        assert response.status_code == 404, suffix
        assert response.json() == {"detail": "Dataset not found"}
    assert (
        other_client.post(
            audio_url(dataset, "/confirm"), {"audio_id": audio_id}, format="json"
        ).status_code
        == 404
    )


def test_an_inline_batch_may_be_larger_than_other_json_bodies(
    api_client, dataset, tmp_path, settings, django_capture_on_commit_callbacks
):
    path = write_wav(tmp_path / "long.wav", seconds=90.0)  # 2.9 MB, 3.8 MB as base64
    body = {"files": [data_url(path)] * 2}  # 7.7 MB: over the 4 MiB limit of other JSON bodies

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(audio_url(dataset, "/upload"), body, format="json")

    assert response.status_code == 201
    assert [item["file_size"] for item in response.json()["items"]] == [path.stat().st_size] * 2


def test_a_truncated_wav_keeps_what_decodes_and_says_so(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks
):
    whole = write_wav(tmp_path / "whole.wav", seconds=2.78, sample_rate=16_000).read_bytes()
    cut = write_bytes(tmp_path / "cut.wav", whole[: 44 + int(1.36 * 16_000) * 2])

    audio = upload_and_process(api_client, client, dataset, cut, django_capture_on_commit_callbacks)
    sound = upload_and_process(
        api_client,
        client,
        dataset,
        write_bytes(tmp_path / "ok.wav", whole),
        django_capture_on_commit_callbacks,
    )

    assert audio["processing_status"] == "ready"
    assert abs(audio["duration_ms"] - 1360) <= 5
    assert len(audio["processing_warnings"]) == 1
    assert "declares 2.78 s of audio but only 1.36 s are present" in audio["processing_warnings"][0]
    assert sound["processing_warnings"] == []


@pytest.mark.parametrize(
    ("filename", "header"),
    [
        (
            "../../etc/take 1.wav",
            "inline; filename=\"take 1.wav\"; filename*=UTF-8''take%201.wav",
        ),
        (
            "evil\u202evaw.exe.wav",
            "inline; filename=\"evilvaw.exe.wav\"; filename*=UTF-8''evilvaw.exe.wav",
        ),
        (
            "café\u200b—1.wav",
            "inline; filename=\"caf__1.wav\"; filename*=UTF-8''caf%C3%A9%E2%80%941.wav",
        ),
    ],
    ids=["path-parts", "right-to-left-override", "non-ascii-and-zero-width"],
)
def test_the_download_header_names_the_file_safely_and_the_stored_name_is_kept(
    api_client, client, dataset, tmp_path, django_capture_on_commit_callbacks, filename, header
):
    path = write_wav(tmp_path / "a.wav", seconds=0.5)
    content = path.read_bytes()
    target = request_upload(
        api_client, dataset, filename=filename, content_type="audio/wav", file_size=len(content)
    ).json()
    assert post_file(client, target, content).status_code == 204
    confirm(api_client, dataset, target["audio_id"], django_capture_on_commit_callbacks)

    url = api_client.get(audio_url(dataset, f"/{target['audio_id']}/download-url")).json()["url"]
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")

    assert response["Content-Disposition"] == header
    stored = api_client.get(audio_url(dataset, f"/{target['audio_id']}")).json()
    assert stored["filename"] == filename
