"""The worker side of training: claim a job, load its features and labels, train, store the model,
record the result.

Dramatiq delivers at least once and workers die, so every step is safe to repeat: a claim is a
conditional UPDATE that bumps `attempts`, a claim of a job whose lease expired resumes it from
the checkpoint its last worker stored at the end of an epoch (or from the start), the model file
goes to a key derived from the model's id, and the final transition only happens while the job
is still running under this claim (the one-to-one from model to job makes a second model
impossible anyway). Torch is imported here only when a job trains, so web processes never load
it.
"""

import logging
import math
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from annotations.models import Annotation
from datasets.audio.features import DEFAULT_RECIPE
from datasets.models import AudioFile
from relay.leases import lease_heartbeat
from relay.storage import get_object_store
from tenants import webhooks
from tenants.models import EventType
from training.models import (
    TrainedModel,
    TrainingJob,
    ValidationMistake,
    model_file_key,
    model_storage_prefix,
)

if TYPE_CHECKING:
    from training.ml.data import LabelledFile
    from training.ml.loop import TrainingResult

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 2.0  # batches report progress at most this often; epoch ends always


class TrainingDataError(Exception):
    """The job's audio or labels cannot be trained on; the message says why."""


def claim_training_job(*, job_id: str) -> TrainingJob | None:
    """Lease the job to this worker and start it from the beginning, or None when it is gone,
    finished, or leased by a live worker."""
    now = timezone.now()
    rows = TrainingJob.objects.filter(
        pk=job_id, status__in=[TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING]
    )
    unleased = rows.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
    claimed = unleased.update(
        status=TrainingJob.Status.RUNNING,
        lease_expires_at=now + settings.RELAY_TRAINING_LEASE,
        attempts=F("attempts") + 1,
        progress_percent=0,
        current_epoch=0,
        metrics={},
        error_message="",
        started_at=now,
        updated_at=now,
    )
    # Zero rows updated: another worker holds a live lease, or the job is no longer ours to do.
    return rows.select_related("annotation_set", "dataset").first() if claimed else None


def _ours(job: TrainingJob) -> Any:
    """The job's row while it is running under this worker's claim."""
    return TrainingJob.objects.filter(
        pk=job.pk, status=TrainingJob.Status.RUNNING, attempts=job.attempts
    )


def run_claimed_job(*, job: TrainingJob) -> "TrainingResult | None":
    """Train and record the outcome; returns what training made, or None when it did not finish.
    Failures the user can act on, and unexpected errors, end the job `failed` with a readable
    message; a cancel leaves it `cancelled`."""
    if job.attempts > settings.RELAY_MAX_TRAINING_ATTEMPTS:
        # Each earlier attempt died without recording a result (a crash, a kill for memory).
        _finish_failed(
            job=job,
            message=f"Training was interrupted {job.attempts - 1} times (its worker stopped); "
            "retry it when workers have more memory or time",
        )
        return None
    from training.ml.loop import TrainingCancelled

    logger.info("training job %s started (attempt %d)", job.pk, job.attempts)
    try:
        with lease_heartbeat(lambda: _ours(job), settings.RELAY_TRAINING_LEASE, str(job.pk)):
            files = load_training_files(job)
            result = _train(job, files)
    except TrainingCancelled:
        logger.info("training job %s stopped: cancelled or claimed by another worker", job.pk)
        return None
    except (TrainingDataError, ValueError) as error:
        _finish_failed(job=job, message=str(error))
        return None
    except Exception as error:  # the boundary that records the failure on the job
        logger.exception("training job %s failed", job.pk)
        _finish_failed(job=job, message=f"Training failed unexpectedly: {error}")
        return None
    return result if _finish_completed(job=job, result=result) else None


def load_training_files(job: TrainingJob) -> list["LabelledFile"]:
    """The job's audio as LabelledFiles: stored float16 features plus the set's annotations of
    the job's types as (type, start_ms, end_ms) events. Raises TrainingDataError."""
    from training.ml.data import LabelledFile

    types = job.config["artifact_types"]
    audio_files = list(
        AudioFile.objects.filter(
            pk__in=job.audio_file_ids, processing_status=AudioFile.Status.READY
        ).order_by("created_at", "id")
    )
    if not audio_files:
        raise TrainingDataError("None of the job's audio files is ready any more")
    events: dict[str, list[tuple[str, float, float]]] = {}
    rows = Annotation.objects.filter(
        annotation_set_id=job.annotation_set_id, artifact_type__name__in=types
    ).values_list("audio_file_id", "artifact_type__name", "start_ms", "end_ms")
    for audio_id, type_name, start_ms, end_ms in rows.iterator(chunk_size=10_000):
        events.setdefault(str(audio_id), []).append((type_name, float(start_ms), float(end_ms)))
    store = get_object_store()
    files = []
    for audio in audio_files:
        if (audio.feature_recipe or {}).get("version") != DEFAULT_RECIPE.version:
            raise TrainingDataError(
                f"{audio.filename} has features of another recipe than "
                f"{DEFAULT_RECIPE.version!r}; reprocess it and train again"
            )
        try:
            with store.local_copy(audio.features_key) as path:
                features = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise TrainingDataError(
                f"The stored features of {audio.filename} cannot be read ({error}); "
                "reprocess it and train again"
            ) from error
        files.append(LabelledFile(str(audio.pk), features, events.get(str(audio.pk), [])))
    return files


class ProgressWriter:
    """Saves progress, the current epoch and the per-epoch losses on the job as training goes:
    batches at most every PROGRESS_INTERVAL_S, every epoch end at once. Writes only while the
    job runs under this claim, so a cancel is never overwritten."""

    def __init__(self, job: TrainingJob) -> None:
        self.job = job
        self.history: list[dict[str, Any]] = []
        self.last_write = time.monotonic()

    def on_progress(self, progress_percent: float) -> None:
        if time.monotonic() - self.last_write >= PROGRESS_INTERVAL_S:
            self._write(progress_percent=_percent(progress_percent))

    def on_epoch(
        self,
        epoch: int,
        progress_percent: float,
        train_loss: float,
        validation_loss: float | None,
    ) -> None:
        entry = {"epoch": epoch, "train_loss": train_loss, "validation_loss": validation_loss}
        self.history.append(json_safe(entry))
        self._write(
            progress_percent=_percent(progress_percent),
            current_epoch=epoch,
            metrics={"history": self.history},
        )

    def on_resume(self, epoch: int, history: list[dict[str, Any]]) -> None:
        """Training continues after `epoch` from a checkpoint: the epochs before it count."""
        keys = ("epoch", "train_loss", "validation_loss")
        self.history = [json_safe({key: entry.get(key) for key in keys}) for entry in history]
        logger.info("training job %s resumed from its checkpoint of epoch %d", self.job.pk, epoch)
        self._write(
            progress_percent=_percent(100.0 * epoch / self.job.config["epochs"]),
            current_epoch=epoch,
            metrics={"history": self.history, "resumed_from_epoch": epoch},
        )

    def should_stop(self) -> bool:
        """True once the job is cancelled (or claimed by another worker after a lost lease)."""
        return not _ours(self.job).exists()

    def _write(self, **fields: Any) -> None:
        now = timezone.now()
        _ours(self.job).update(
            **fields, lease_expires_at=now + settings.RELAY_TRAINING_LEASE, updated_at=now
        )
        self.last_write = time.monotonic()


def _percent(progress_percent: float) -> int:
    # 100 means done: the model is stored and the job completed, which happens after training.
    return min(99, max(0, int(progress_percent)))


def _train(job: TrainingJob, files: list["LabelledFile"]) -> "TrainingResult":
    import torch

    from training.ml.loop import TrainingConfig, train

    checkpoints = StoredCheckpoints(job)

    if settings.RELAY_TRAINING_THREADS:
        torch.set_num_threads(settings.RELAY_TRAINING_THREADS)
    device = None if settings.RELAY_TRAINING_DEVICE == "auto" else settings.RELAY_TRAINING_DEVICE
    config = TrainingConfig(
        epochs=job.config["epochs"],
        validation_split=job.config["validation_split"],
        learning_rate=job.config["learning_rate"],
        batch_size=job.config["batch_size"],
    )
    progress = ProgressWriter(job)
    return train(
        files,
        artifact_types=job.config["artifact_types"],
        config=config,
        device=device,
        annotation_set_hash=job.annotation_set.content_hash,
        on_epoch=progress.on_epoch,
        on_progress=progress.on_progress,
        should_stop=progress.should_stop,
        checkpoints=checkpoints,
        on_resume=progress.on_resume,
    )


class StoredCheckpoints:
    """The job's one checkpoint, in storage beside its dataset: written at the end of every
    epoch while the job is still this worker's, read when a later claim resumes the job, and
    deleted when the job ends."""

    def __init__(self, job: TrainingJob) -> None:
        self.job = job
        self.store = get_object_store()

    def read(self) -> bytes | None:
        if self.store.size_of(self.job.checkpoint_key) is None:
            return None
        with self.store.open(self.job.checkpoint_key) as handle:
            return handle.read()

    def write(self, data: bytes) -> None:
        if not _ours(self.job).exists():  # taken over: the new worker's checkpoints count
            return
        with tempfile.TemporaryDirectory(prefix="relay-checkpoint-") as folder:
            path = Path(folder) / "checkpoint.pt"
            path.write_bytes(data)
            self.store.save_file(self.job.checkpoint_key, path)


def delete_checkpoint(job: TrainingJob) -> None:
    get_object_store().delete_prefix(job.storage_prefix)


def _finish_completed(*, job: TrainingJob, result: "TrainingResult") -> bool:
    """Store the model file, then in one transaction create the model and complete the job,
    only while it still runs under this claim. False when it no longer did."""
    from training.ml.model_file import save_model

    model_id = uuid.uuid4()
    prefix = model_storage_prefix(job.tenant_id, model_id)
    data = save_model(result.model)
    store = get_object_store()
    with tempfile.TemporaryDirectory(prefix="relay-model-") as folder:
        path = Path(folder) / "model.pt"
        path.write_bytes(data)
        store.save_file(model_file_key(job.tenant_id, model_id), path)
    metrics = json_safe(result.metrics)
    now = timezone.now()
    with transaction.atomic():
        locked = _ours(job).select_for_update().first()
        if locked is not None:
            TrainedModel.objects.create(
                id=model_id,
                tenant_id=job.tenant_id,
                dataset_id=job.dataset_id,
                training_job=locked,
                annotation_set_id=job.annotation_set_id,
                name=f"{job.dataset.name} {now:%Y-%m-%d %H:%M}"[:200],
                artifact_types=list(job.config["artifact_types"]),
                metrics=metrics,
                content_hash=job.annotation_set.content_hash,
                feature_recipe_version=result.model.metadata.recipe_version,
                file_size=len(data),
                file_key=model_file_key(job.tenant_id, model_id),
            )
            ValidationMistake.objects.filter(job_id=job.pk).delete()  # an earlier attempt's
            ValidationMistake.objects.bulk_create(
                [
                    ValidationMistake(
                        job_id=job.pk,
                        audio_file_id=mistake.file,
                        artifact_type=mistake.artifact_type,
                        kind=mistake.kind,
                        start_ms=mistake.start_ms,
                        end_ms=mistake.end_ms,
                        confidence=json_safe(mistake.confidence) or 0.0,
                    )
                    for mistake in result.errors
                ],
                batch_size=5_000,
            )
            _ours(job).update(
                status=TrainingJob.Status.COMPLETED,
                progress_percent=100,
                metrics=metrics,
                lease_expires_at=None,
                completed_at=now,
                updated_at=now,
            )
            _publish(job, EventType.TRAINING_COMPLETED)
    if locked is None:
        # Cancelled (or taken over) while the model was being stored: the file belongs to nobody.
        store.delete_prefix(prefix)
        logger.info("training job %s finished after it was cancelled; model discarded", job.pk)
        return False
    delete_checkpoint(job)
    macro_f1 = (metrics.get("macro") or {}).get("f1")
    logger.info(
        "training job %s completed in %.1f s: model %s, macro F1 %s",
        job.pk,
        result.seconds,
        model_id,
        macro_f1,
    )
    return True


@transaction.atomic
def _finish_failed(*, job: TrainingJob, message: str) -> None:
    now = timezone.now()
    failed = _ours(job).update(
        status=TrainingJob.Status.FAILED,
        error_message=message,
        lease_expires_at=None,
        completed_at=now,
        updated_at=now,
    )
    if failed:  # a retry starts from the beginning
        delete_checkpoint(job)
        _publish(job, EventType.TRAINING_FAILED)
    logger.info("training job %s failed: %s", job.pk, message)


def _publish(job: TrainingJob, event_type: EventType) -> None:
    """The job's webhook event, inside the transaction that finished it; its data is the job as
    the API shows it."""
    from training.serializers import TrainingJobSerializer

    finished = TrainingJob.objects.get(pk=job.pk)
    webhooks.publish_event(
        tenant_id=finished.tenant_id,
        event_type=event_type,
        data=TrainingJobSerializer(finished).data,
    )


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as None and numpy scalars as Python numbers: JSON that
    PostgreSQL stores and every client reads."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def jobs_needing_a_worker() -> list[str]:
    """Ids of jobs no live worker holds: running ones whose lease expired (their worker died)
    and queued ones waiting longer than RELAY_REQUEUE_UNCLAIMED_AFTER (their message was lost)."""
    now = timezone.now()
    unclaimed_since = now - settings.RELAY_REQUEUE_UNCLAIMED_AFTER
    stale = TrainingJob.objects.filter(
        Q(status=TrainingJob.Status.RUNNING, lease_expires_at__lt=now)
        | Q(status=TrainingJob.Status.QUEUED, updated_at__lt=unclaimed_since)
    )
    return [str(pk) for pk in stale.values_list("pk", flat=True)]
