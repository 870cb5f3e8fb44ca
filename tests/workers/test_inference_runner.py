"""The inference worker: counters consistent with the files, failures isolated, idempotent
runs, cancel, recovery after a killed worker through the lease and the sweep, the model cache,
the admin's retry, chunk boundaries, and the signal checks by the source's format."""

from datetime import timedelta

import numpy as np
import pytest
import soundfile as sf
from django.utils import timezone
from dramatiq import Message

from inference import runner, services, tasks
from inference.detection import detect_events
from inference.models import Detection, InferenceFile, InferenceJob
from relay import housekeeping, queue
from relay.storage import get_object_store
from tests.api.test_inference_jobs import make_untrained_model
from tests.audio import write_wav
from tests.factories import make_dataset, make_ready_audio

TYPES = ("click", "dropout")


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=list(TYPES))


@pytest.fixture
def model(tenant, dataset):
    return make_untrained_model(tenant=tenant, dataset=dataset)


def make_job(tenant, model, **config):
    return services.create_inference_job(
        tenant=tenant, model_id=model.pk, config={"threshold": 0, **config}
    )


def confirmed_file(
    job, path, *, content: bytes | None = None, content_type: str = "audio/wav"
) -> InferenceFile:
    """A file uploaded (stored) and confirmed, the way the API does it."""
    content = path.read_bytes() if content is None else content
    file, _ = services.request_file_upload(
        job=job, filename=path.name, content_type=content_type, file_size_bytes=len(content)
    )
    scratch = path.with_suffix(".stored")
    scratch.write_bytes(content)
    get_object_store().save_file(file.source_key, scratch)
    return services.confirm_file_upload(file=file)


def assert_counters_match_the_files(job: InferenceJob) -> None:
    job.refresh_from_db()
    files = job.files.exclude(status=InferenceFile.Status.PENDING)
    finished = files.filter(status__in=["completed", "failed"])
    assert job.total_files == files.count()
    assert job.processed_files == finished.count()
    assert job.failed_files == files.filter(status="failed").count()
    assert job.total_detections == Detection.objects.filter(job=job).count()
    assert job.total_detections == sum(files.values_list("detection_count", flat=True))


def test_counters_stay_consistent_and_a_bad_file_fails_alone(tenant, model, tmp_path):
    job = make_job(tenant, model)
    good = confirmed_file(job, write_wav(tmp_path / "good.wav", seconds=1))
    bad = confirmed_file(job, tmp_path / "bad.wav", content=b"RIFF\x00\x00garbage" * 20)
    other = confirmed_file(job, write_wav(tmp_path / "other.wav", seconds=2))

    for file in (good, bad, other):
        tasks.run_inference_file(str(file.pk))
        assert_counters_match_the_files(job)

    bad.refresh_from_db()
    assert bad.status == "failed"
    assert bad.error
    job.refresh_from_db()
    assert (job.status, job.processed_files, job.failed_files, job.total_detections) == (
        "completed",
        3,
        1,
        4,
    )


def test_running_a_file_again_changes_nothing(tenant, model, tmp_path):
    job = make_job(tenant, model)
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))

    tasks.run_inference_file(str(file.pk))
    tasks.run_inference_file(str(file.pk))

    file.refresh_from_db()
    assert (file.status, file.attempts, file.detection_count) == ("completed", 1, 2)
    assert_counters_match_the_files(job)


def test_a_cancel_while_a_file_runs_drops_its_result(tenant, model, tmp_path):
    job = make_job(tenant, model)
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))
    claimed = runner.claim_inference_file(file_id=str(file.pk))

    services.cancel_inference_job(job=job)
    runner.run_claimed_file(file=claimed)

    file.refresh_from_db()
    assert (file.status, file.detection_count) == ("cancelled", 0)
    assert Detection.objects.filter(job=job).count() == 0
    assert InferenceJob.objects.get(pk=job.pk).status == "cancelled"


def test_a_job_deleted_while_its_file_runs_drops_the_result(tenant, model, tmp_path):
    job = make_job(tenant, model)
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))
    claimed = runner.claim_inference_file(file_id=str(file.pk))

    services.delete_inference_job(job=job)
    runner.run_claimed_file(file=claimed)

    assert not InferenceJob.objects.filter(pk=job.pk).exists()
    assert not Detection.objects.filter(file_id=file.pk).exists()


def test_a_file_whose_worker_died_is_swept_and_finished_by_another(tenant, model, tmp_path):
    job = make_job(tenant, model)
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))
    assert runner.claim_inference_file(file_id=str(file.pk)) is not None  # then the worker dies
    assert runner.claim_inference_file(file_id=str(file.pk)) is None  # its lease still holds
    assert runner.files_needing_a_worker() == []

    InferenceFile.objects.filter(pk=file.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    queue.broker.flush_all()
    assert tasks.requeue_stuck_inference() == 1
    message = Message.decode(queue.broker.queues["inference"].get_nowait())
    tasks.run_inference_file(*message.args)

    file.refresh_from_db()
    assert (file.status, file.attempts) == ("completed", 2)
    assert_counters_match_the_files(job)
    assert InferenceJob.objects.get(pk=job.pk).status == "completed"


def test_a_file_that_keeps_killing_its_worker_ends_failed(tenant, model, tmp_path, settings):
    job = make_job(tenant, model)
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))
    InferenceFile.objects.filter(pk=file.pk).update(attempts=settings.RELAY_MAX_INFERENCE_ATTEMPTS)

    tasks.run_inference_file(str(file.pk))

    file.refresh_from_db()
    assert file.status == "failed"
    assert file.error.startswith("Inference was interrupted 3 times")
    assert InferenceJob.objects.get(pk=job.pk).status == "failed"


def test_a_confirmed_file_whose_message_was_lost_is_swept(tenant, model, tmp_path, settings):
    job = make_job(tenant, model)
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))
    InferenceFile.objects.filter(pk=file.pk).update(
        confirmed_at=timezone.now() - settings.RELAY_REQUEUE_UNCLAIMED_AFTER - timedelta(seconds=1)
    )

    assert runner.files_needing_a_worker() == [str(file.pk)]


def test_an_upload_never_confirmed_is_abandoned_so_the_job_completes(
    tenant, model, tmp_path, settings
):
    job = make_job(tenant, model)
    stale, _ = services.request_file_upload(
        job=job, filename="never.wav", content_type="audio/wav", file_size_bytes=10
    )
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))
    tasks.run_inference_file(str(file.pk))
    assert InferenceJob.objects.get(pk=job.pk).status == "processing"
    expired_for = settings.RELAY_UPLOAD_URL_EXPIRES_S + settings.RELAY_UPLOAD_GRACE_S + 1
    old = timezone.now() - timedelta(seconds=expired_for)
    InferenceFile.objects.filter(pk=stale.pk).update(created_at=old)

    housekeeping.run_housekeeping()  # the actor, as a worker runs it

    assert not InferenceFile.objects.filter(pk=stale.pk).exists()
    assert InferenceJob.objects.get(pk=job.pk).status == "completed"


def test_the_model_is_loaded_once_per_process(tenant, model, tmp_path):
    runner.model_cache.clear()
    loads = runner.model_cache.loads
    job = make_job(tenant, model)
    files = [confirmed_file(job, write_wav(tmp_path / f"{n}.wav")) for n in range(3)]

    for file in files:
        tasks.run_inference_file(str(file.pk))

    assert runner.model_cache.loads == loads + 1


def test_the_cache_keeps_only_the_most_recently_used_models(tenant, dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(runner.model_cache, "size", 1)
    runner.model_cache.clear()
    loads = runner.model_cache.loads
    first, second = (make_untrained_model(tenant=tenant, dataset=dataset) for _ in range(2))

    for model in (first, second, first):
        job = make_job(tenant, model)
        tasks.run_inference_file(str(confirmed_file(job, write_wav(tmp_path / "a.wav")).pk))

    assert len(runner.model_cache.models) == 1
    assert runner.model_cache.loads == loads + 3  # the first model was evicted, then reloaded


def test_the_admin_retry_runs_a_failed_file_again(tenant, model, tmp_path):
    job = make_job(tenant, model)
    file = confirmed_file(job, write_wav(tmp_path / "a.wav"))
    InferenceFile.objects.filter(pk=file.pk).update(attempts=9)  # fails as "interrupted"
    tasks.run_inference_file(str(file.pk))
    assert InferenceJob.objects.get(pk=job.pk).status == "failed"
    queue.broker.flush_all()

    assert services.retry_failed_files(file_ids=[file.pk]) == 1
    tasks.run_inference_file(str(file.pk))

    file.refresh_from_db()
    assert (file.status, file.error) == ("completed", "")
    assert InferenceJob.objects.get(pk=job.pk).status == "completed"
    assert_counters_match_the_files(job)


def test_dataset_audio_deleted_before_it_runs_fails_readably(tenant, model, dataset, tmp_path):
    from datasets import services as dataset_services

    audio = make_ready_audio(dataset=dataset, folder=tmp_path)
    audio.feature_recipe = {"version": "old"}  # so the worker must decode the original
    audio.save()
    job = make_job(tenant, model)
    (file,) = services.add_dataset_audio(job=job, audio_ids=[audio.pk])
    dataset_services.delete_audio(audio=audio)
    get_object_store().delete_prefix(audio.storage_prefix)

    tasks.run_inference_file(str(file.pk))

    file.refresh_from_db()
    assert file.status == "failed"
    assert file.error


def test_an_event_straddling_a_chunk_boundary_is_reported_once_and_whole(
    tenant, model, dataset, tmp_path
):
    audio = make_ready_audio(dataset=dataset, folder=tmp_path, seconds=6.0)
    with get_object_store().local_copy(audio.features_key) as path:
        features = np.load(path)
    loaded = runner.load_job_model(make_job(tenant, model))
    chunk_frames = 64
    whole = detect_events(
        loaded, features, config={"threshold": 0, "merge_window_ms": 0, "min_duration_ms": 0},
        chunk_frames=chunk_frames,
    )  # fmt: skip
    # The median probability as threshold: many short runs, some across chunk boundaries.
    from training.ml.model_file import predict

    median = float(np.median(predict(loaded, features)[:, 0]))
    config = {
        "threshold": {"click": median},
        "merge_window_ms": 0,
        "min_duration_ms": 0,
        "signal_checks": False,  # the many short clicks would be a crowded file's transients
    }

    in_chunks = detect_events(loaded, features, config=config, chunk_frames=chunk_frames)
    at_once = detect_events(loaded, features, config=config, chunk_frames=len(features))

    assert [(d.artifact_type, d.start_ms, d.end_ms) for d in whole] == [
        ("click", 0, len(features) * 10),
        ("dropout", 0, len(features) * 10),
    ]
    boundaries_ms = {frame * 10 for frame in range(chunk_frames, len(features), chunk_frames)}
    straddling = [
        d for d in in_chunks if any(d.start_ms < boundary < d.end_ms for boundary in boundaries_ms)
    ]
    assert straddling, "the check needs an event across a chunk boundary"
    assert [(d.artifact_type, d.start_ms, d.end_ms) for d in in_chunks] == [
        (d.artifact_type, d.start_ms, d.end_ms) for d in at_once
    ]
    np.testing.assert_allclose(
        [d.confidence for d in in_chunks], [d.confidence for d in at_once], rtol=1e-5
    )


def noise_wav(path, *, seconds: float = 2.0, rate: int = 48_000):
    """Noise at -20 dBFS: as good as no two neighbouring samples are equal, so no flat tops."""
    samples = 0.1 * np.random.default_rng(0).standard_normal(int(seconds * rate))
    sf.write(path, samples, rate, subtype="PCM_16")
    return path


@pytest.fixture
def clipping_model(tenant):
    """At threshold 0 it calls every file clipped from end to end."""
    dataset = make_dataset(tenant=tenant, name="clipping", artifact_types=["clipping"])
    return make_untrained_model(tenant=tenant, dataset=dataset, types=("clipping",))


def clipping_found_in(tenant, model, path, *, content_type="audio/wav", **config) -> int:
    file = confirmed_file(make_job(tenant, model, **config), path, content_type=content_type)
    tasks.run_inference_file(str(file.pk))
    file.refresh_from_db()
    assert file.status == "completed"
    return file.detection_count


def test_clipping_without_flat_tops_in_a_wav_is_dropped_unless_the_job_turns_checks_off(
    tenant, clipping_model, tmp_path
):
    path = noise_wav(tmp_path / "noise.wav")

    assert clipping_found_in(tenant, clipping_model, path) == 0
    assert clipping_found_in(tenant, clipping_model, path, signal_checks=False) == 1


def test_clipping_in_lossy_audio_is_left_to_the_network(tenant, clipping_model, tmp_path):
    samples, rate = sf.read(noise_wav(tmp_path / "noise.wav"))
    path = tmp_path / "noise.ogg"
    sf.write(path, samples, rate, format="OGG", subtype="VORBIS")

    assert clipping_found_in(tenant, clipping_model, path, content_type="audio/ogg") == 1
