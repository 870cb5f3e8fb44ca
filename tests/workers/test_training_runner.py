"""The training worker: progress as it trains, cancel within one batch, recovery after a killed
worker, failures with readable messages, and the admin's retry."""

import time

import pytest
from django.utils import timezone
from dramatiq import Message

from datasets.audio.features import DEFAULT_RECIPE
from relay import queue
from relay.storage import get_object_store
from tests.factories import make_dataset
from tests.test_settings import load_settings
from tests.training_support import (
    TINY_CONFIG,
    make_audio_files,
    make_published_set,
    make_trained_job,
)
from training import runner, services, tasks
from training.models import TrainedModel, TrainingJob


@pytest.fixture
def dataset(tenant):
    return make_dataset(tenant=tenant, artifact_types=["click", "dropout"])


@pytest.fixture
def published(dataset, tmp_path):
    audio = make_audio_files(dataset, tmp_path, 2)
    return make_published_set(
        dataset, [(audio[0], "click", 100, 120), (audio[1], "click", 500, 520)]
    )


def queued_job(tenant, dataset, published, **config):
    return services.create_training_job(
        tenant=tenant,
        dataset_id=dataset.pk,
        annotation_set_id=published.pk,
        config={**TINY_CONFIG, **config},
    )


def model_files(dataset):
    folder = get_object_store().path(f"tenants/{dataset.tenant_id}/models")
    return sorted(path.name for path in folder.rglob("*.pt")) if folder.exists() else []


def test_a_trained_job_completes_with_its_model_metrics_and_file(tenant, dataset, published):
    job = make_trained_job(tenant, dataset, published, epochs=2)

    assert (job.status, job.progress_percent, job.current_epoch) == ("completed", 100, 2)
    assert job.error_message == ""
    assert job.started_at <= job.completed_at
    assert [entry["epoch"] for entry in job.metrics["history"]] == [1, 2]
    assert set(job.metrics["per_type"]) == {"click"}
    model = job.model
    assert model.artifact_types == ["click"]
    assert model.metrics == job.metrics
    assert model.content_hash == published.content_hash
    assert model.feature_recipe_version == DEFAULT_RECIPE.version
    assert get_object_store().size_of(model.file_key) == model.file_size > 0


def test_running_a_finished_job_again_changes_nothing(tenant, dataset, published):
    job = make_trained_job(tenant, dataset, published)

    tasks.train_model(str(job.pk))

    assert TrainedModel.objects.filter(dataset=dataset).count() == 1
    assert TrainingJob.objects.get(pk=job.pk).attempts == 1
    assert len(model_files(dataset)) == 1


def test_each_epoch_end_saves_the_epoch_and_its_losses(tenant, dataset, published):
    job = runner.claim_training_job(job_id=str(queued_job(tenant, dataset, published).pk))
    writer = runner.ProgressWriter(job)

    writer.on_epoch(1, 50.0, 0.8, float("nan"))

    job.refresh_from_db()
    assert (job.current_epoch, job.progress_percent) == (1, 50)
    assert job.metrics == {"history": [{"epoch": 1, "train_loss": 0.8, "validation_loss": None}]}


def test_a_cancel_stops_a_running_job_within_one_batch(tenant, dataset, published):
    from training.ml.loop import TrainingCancelled, TrainingConfig, train

    job = runner.claim_training_job(job_id=str(queued_job(tenant, dataset, published).pk))
    files = runner.load_training_files(job)
    writer = runner.ProgressWriter(job)
    batches = []

    def cancel_after_the_first_batch(progress_percent):
        batches.append(progress_percent)
        services.cancel_training_job(job=job)

    with pytest.raises(TrainingCancelled):
        train(
            files,
            artifact_types=["click"],
            config=TrainingConfig(epochs=3, batch_size=1, validation_split=0.5),
            device="cpu",
            on_progress=cancel_after_the_first_batch,
            should_stop=writer.should_stop,
        )

    assert len(batches) == 1
    assert TrainingJob.objects.get(pk=job.pk).status == "cancelled"


def test_a_job_cancelled_while_running_ends_cancelled_without_a_model(tenant, dataset, published):
    job = runner.claim_training_job(job_id=str(queued_job(tenant, dataset, published).pk))
    services.cancel_training_job(job=job)

    runner.run_claimed_job(job=job)

    job.refresh_from_db()
    assert (job.status, job.current_epoch) == ("cancelled", 0)
    assert not TrainedModel.objects.exists()
    assert model_files(dataset) == []


def test_a_job_whose_worker_died_restarts_and_completes_with_one_model(tenant, dataset, published):
    job = queued_job(tenant, dataset, published)
    queue.broker.flush_all()  # the message is gone with the worker that took it
    assert runner.claim_training_job(job_id=str(job.pk)) is not None  # then it died
    TrainingJob.objects.filter(pk=job.pk).update(
        progress_percent=40, current_epoch=1, lease_expires_at=timezone.now()
    )
    time.sleep(0.01)

    requeued = tasks.requeue_stuck_training()
    message = Message.decode(queue.broker.queues["training"].get_nowait())
    tasks.train_model(*message.args)
    tasks.train_model(*message.args)  # delivered twice: nothing more happens

    assert requeued == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress_percent) == ("completed", 2, 100)
    assert TrainedModel.objects.filter(training_job=job).count() == 1
    assert TrainedModel.objects.count() == 1
    assert len(model_files(dataset)) == 1


def test_a_job_with_a_live_lease_is_left_to_its_worker(tenant, dataset, published):
    job = queued_job(tenant, dataset, published)
    runner.claim_training_job(job_id=str(job.pk))

    tasks.train_model(str(job.pk))

    assert tasks.requeue_stuck_training() == 0
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)


def test_a_queued_job_whose_message_was_lost_is_sent_again(tenant, dataset, published, settings):
    job = queued_job(tenant, dataset, published)
    queue.broker.flush_all()
    TrainingJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - settings.RELAY_REQUEUE_UNCLAIMED_AFTER * 2
    )

    assert tasks.requeue_stuck_training() == 1
    message = Message.decode(queue.broker.queues["training"].get_nowait())
    assert message.args == (str(job.pk),)


def test_a_job_that_keeps_killing_its_worker_ends_failed(tenant, dataset, published, settings):
    job = queued_job(tenant, dataset, published)
    TrainingJob.objects.filter(pk=job.pk).update(attempts=settings.RELAY_MAX_TRAINING_ATTEMPTS)

    tasks.train_model(str(job.pk))

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_message.startswith("Training was interrupted 3 times")
    assert not TrainedModel.objects.exists()


def test_unreadable_features_fail_the_job_with_a_readable_message(tenant, dataset, published):
    job = queued_job(tenant, dataset, published)
    first = job.dataset.audio_files.order_by("created_at", "id").first()
    get_object_store().path(first.features_key).write_bytes(b"not numpy")

    tasks.train_model(str(job.pk))

    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error_message.startswith("The stored features of take0.wav cannot be read")
    assert job.completed_at is not None


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("ops", "ops@relay.test", "pw-ops-123")
    client.force_login(user)
    return client


def test_operators_retry_failed_jobs_from_the_admin(
    operator, tenant, dataset, published, django_capture_on_commit_callbacks
):
    failed = queued_job(tenant, dataset, published)
    queued = queued_job(tenant, dataset, published)
    TrainingJob.objects.filter(pk=failed.pk).update(
        status="failed", error_message="boom", attempts=4, completed_at=timezone.now()
    )
    queue.broker.flush_all()

    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            "/admin/training/trainingjob/",
            {"action": "retry_selected", "_selected_action": [str(failed.pk), str(queued.pk)]},
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error_message) == ("queued", 0, "")
    assert failed.completed_at is None
    message = Message.decode(queue.broker.queues["training"].get_nowait())
    assert message.args == (str(failed.pk),)
    assert queue.broker.queues["training"].empty()
    tasks.train_model(str(failed.pk))
    assert TrainingJob.objects.get(pk=failed.pk).status == "completed"


def test_operators_see_jobs_and_models(operator, tenant, dataset, published):
    job = make_trained_job(tenant, dataset, published)

    for url in [
        "/admin/training/trainingjob/",
        f"/admin/training/trainingjob/{job.pk}/change/",
        "/admin/training/trainedmodel/",
        f"/admin/training/trainedmodel/{job.model.pk}/change/",
    ]:
        assert operator.get(url).status_code == 200, url


def test_an_unknown_training_device_stops_start_up(tmp_path):
    result = load_settings(tmp_path, RELAY_TRAINING_DEVICE="tpu")

    assert result.returncode != 0
    assert "RELAY_TRAINING_DEVICE" in result.stderr


class WorkerKilled(BaseException):
    """Ends a run the way kill -9 does: nothing in the runner catches it."""


def test_a_job_whose_worker_died_at_a_later_epoch_resumes_from_its_checkpoint(
    tenant, dataset, published, monkeypatch
):
    job = queued_job(tenant, dataset, published, epochs=4)
    queue.broker.flush_all()
    claimed = runner.claim_training_job(job_id=str(job.pk))

    def killed_during_epoch_3(writer):
        if len(writer.history) >= 2:
            raise WorkerKilled
        return False

    with monkeypatch.context() as patch:
        patch.setattr(runner.ProgressWriter, "should_stop", killed_during_epoch_3)
        with pytest.raises(WorkerKilled):
            runner.run_claimed_job(job=claimed)
    assert get_object_store().size_of(claimed.checkpoint_key) > 0
    TrainingJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    time.sleep(0.01)

    assert tasks.requeue_stuck_training() == 1
    message = Message.decode(queue.broker.queues["training"].get_nowait())
    tasks.train_model(*message.args)

    job.refresh_from_db()
    assert (job.status, job.attempts, job.current_epoch) == ("completed", 2, 4)
    assert job.metrics["resumed_from_epoch"] == 2
    assert [entry["epoch"] for entry in job.metrics["history"]] == [1, 2, 3, 4]
    assert TrainedModel.objects.filter(training_job=job).count() == 1
    assert get_object_store().size_of(job.checkpoint_key) is None  # deleted with the job's end


def test_a_cancelled_job_leaves_no_checkpoint(
    tenant, dataset, published, django_capture_on_commit_callbacks
):
    job = runner.claim_training_job(job_id=str(queued_job(tenant, dataset, published).pk))
    runner.StoredCheckpoints(job).write(b"a checkpoint")
    assert get_object_store().size_of(job.checkpoint_key) == len(b"a checkpoint")

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_training_job(job=job)

    assert get_object_store().size_of(job.checkpoint_key) is None
