"""Inference jobs: creating one with a checked post-processing config, adding files (uploaded or
from a dataset), cancelling, retrying failed files, and keeping the job's status and counters
true to its files. The worker side is `inference.runner`.

A job's status follows its files (`refresh_job_status`): `pending` while no file is confirmed;
`processing` while a confirmed file is unfinished or a requested upload is unconfirmed;
`completed` once every file is confirmed and finished and at least one completed; `failed` when
every confirmed file failed. Adding a file to a finished job (not a cancelled one) makes it
`processing` again. The counters are recounted from the files in the same transaction as every
change to them, with the job row locked, so they agree with the files at every moment.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from datasets import services as dataset_services
from datasets.audio.peaks import PeakWindow, read_peaks
from datasets.models import AudioFile
from inference.models import InferenceFile, InferenceJob, peaks_key, upload_key
from relay.errors import Conflict, Invalid, NotFound
from relay.storage import UploadTarget, get_object_store
from tenants import webhooks
from tenants.models import EventType, Tenant
from training import selectors as training_selectors
from training.ml.postprocess import resolve_thresholds
from training.models import TrainedModel

logger = logging.getLogger(__name__)

DEFAULT_CONFIG: dict[str, Any] = {
    "threshold": None,
    "merge_window_ms": 200,
    "min_duration_ms": 50,
    "signal_checks": True,
}
CONFIG_LOC = ["body", "config"]
MAX_FROM_DATASET = 1_000
# Only these read as "the model has run on this audio" for `without_inference_by`.
RUN_STATUSES = (InferenceFile.Status.PROCESSING, InferenceFile.Status.COMPLETED)


def create_inference_job(
    *, tenant: Tenant, model_id: UUID, config: Mapping[str, Any] | None = None
) -> InferenceJob:
    """A pending job with every config default filled in. Raises Invalid for an unknown model,
    a threshold outside [0, 1] or one for a type the model does not detect."""
    try:
        model = training_selectors.get_model(tenant=tenant, model_id=model_id)
    except NotFound:
        raise Invalid.at(
            ["body", "model_id"], "No model with this id in your tenant", "value_error.not_found"
        ) from None
    config = {**DEFAULT_CONFIG, **(config or {})}
    _check_threshold(config["threshold"], model)
    job = InferenceJob.objects.create(
        tenant=tenant, model=model, config=config, artifact_types=list(model.artifact_types)
    )
    logger.info("inference job %s created for model %s", job.pk, model.pk)
    return job


def _check_threshold(threshold: object, model: TrainedModel) -> None:
    loc = [*CONFIG_LOC, "threshold"]
    if isinstance(threshold, Mapping):
        unknown = [name for name in threshold if name not in model.artifact_types]
        if unknown:
            detects = ", ".join(model.artifact_types)
            raise Invalid(
                [
                    {
                        "loc": [*loc, name],
                        "msg": f"The model does not detect {name!r} (it detects: {detects})",
                        "type": "value_error.unknown_type",
                    }
                    for name in unknown
                ]
            )
    try:
        resolve_thresholds(threshold, artifact_types=model.artifact_types)  # type: ignore[arg-type]
    except ValueError as error:
        raise Invalid.at(loc, str(error), "value_error.number.not_in_range") from None


# --- files ----------------------------------------------------------------------------------


def _ensure_open(job: InferenceJob) -> None:
    if job.status == InferenceJob.Status.CANCELLED:
        raise Conflict("Inference job is cancelled; create a new job to run more files")


def _lock(job: InferenceJob) -> InferenceJob:
    return InferenceJob.objects.select_for_update().get(pk=job.pk)


def request_file_upload(
    *,
    job: InferenceJob,
    filename: str,
    content_type: str,
    file_size_bytes: int,
    metadata: dict | None = None,
) -> tuple[InferenceFile, UploadTarget]:
    """A pending file and the URL + form fields the client POSTs the bytes to (the same signing
    as dataset audio). Raises TooLarge, Invalid (type or extension), Conflict (cancelled)."""
    dataset_services.check_upload_request(
        filename=filename, content_type=content_type, file_size=file_size_bytes
    )
    with transaction.atomic():
        locked = _lock(job)
        _ensure_open(locked)
        file = InferenceFile(
            job=locked,
            original_filename=filename,
            content_type=content_type,
            file_size=file_size_bytes,
            metadata=metadata or {},
        )
        file.source_key = upload_key(locked, file.pk)
        file.save()
        refresh_job_status(locked)
    target = get_object_store().presign_upload(
        key=file.source_key,
        content_type=content_type,
        size_bytes=file_size_bytes,
        expires_in=settings.RELAY_UPLOAD_URL_EXPIRES_S,
    )
    logger.info("inference file %s upload url issued (%d bytes declared)", file.pk, file_size_bytes)
    return file, target


def confirm_file_upload(*, file: InferenceFile) -> InferenceFile:
    """Queue an uploaded file for detection. Idempotent: a confirmed file is returned as it is.
    Raises Conflict when nothing (or a different size) was uploaded, or the job is cancelled."""
    with transaction.atomic():
        job = _lock(file.job)
        locked = InferenceFile.objects.select_for_update().get(pk=file.pk)
        if locked.status != InferenceFile.Status.PENDING:
            return locked
        _ensure_open(job)
        stored_size = get_object_store().size_of(locked.source_key)
        if stored_size is None:
            raise Conflict(
                "No file has been uploaded for this file_id yet; upload it, then confirm."
            )
        if stored_size != locked.file_size:
            raise Conflict(
                f"The uploaded file is {stored_size} bytes but {locked.file_size} were declared; "
                "upload it again."
            )
        locked.status = InferenceFile.Status.PROCESSING
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_at", "updated_at"])
        refresh_job_status(job)
        _enqueue(locked.pk)
    logger.info("inference file %s confirmed", locked.pk)
    return locked


def add_dataset_audio(*, job: InferenceJob, audio_ids: Sequence[UUID]) -> list[InferenceFile]:
    """Files for ready audio of any dataset of the job's tenant, queued at once, all or none.
    Audio already in the job is not added twice (its existing file is returned). Stored features
    are reused when their recipe is the model's; other audio is decoded again from its stored
    original. Raises Invalid naming each bad id, Conflict for a cancelled job or a deleted
    model."""
    if len(set(audio_ids)) != len(audio_ids):
        raise Invalid.at(["body", "audio_ids"], "Each audio id may appear once", "value_error")
    audio_by_id = {
        audio.pk: audio
        for audio in AudioFile.objects.filter(tenant_id=job.tenant_id, pk__in=audio_ids)
    }
    errors = []
    for index, audio_id in enumerate(audio_ids):
        audio = audio_by_id.get(audio_id)
        loc = ["body", "audio_ids", index]
        if audio is None:
            errors.append(
                {
                    "loc": loc,
                    "msg": "No audio file with this id in your tenant",
                    "type": "value_error.not_found",
                }
            )
        elif audio.processing_status != AudioFile.Status.READY:
            errors.append(
                {
                    "loc": loc,
                    "msg": f"{audio.filename} is {audio.processing_status}; only ready audio "
                    "can be run",
                    "type": "value_error.not_ready",
                }
            )
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        locked = _lock(job)
        _ensure_open(locked)
        if locked.model_id is None:
            raise Conflict("The job's model was deleted; create a job with another model")
        recipe_version = locked.model.feature_recipe_version
        existing = {
            file.audio_file_id: file
            for file in InferenceFile.objects.filter(job=locked, audio_file_id__in=audio_ids)
        }
        now = timezone.now()
        created = []
        for audio_id in audio_ids:
            if audio_id in existing:
                continue
            audio = audio_by_id[audio_id]
            same_recipe = (audio.feature_recipe or {}).get("version") == recipe_version
            created.append(
                InferenceFile(
                    job=locked,
                    audio_file=audio,
                    original_filename=audio.filename,
                    content_type=audio.content_type,
                    file_size=audio.file_size,
                    metadata=audio.metadata,
                    duration_ms=audio.duration_ms,
                    status=InferenceFile.Status.PROCESSING,
                    source_key=audio.original_key,
                    features_key=audio.features_key if same_recipe else "",
                    confirmed_at=now,
                )
            )
        InferenceFile.objects.bulk_create(created)
        if created:
            refresh_job_status(locked)
        for file in created:
            _enqueue(file.pk)
    logger.info("inference job %s: %d dataset audio files added", job.pk, len(created))
    by_audio = {**existing, **{file.audio_file_id: file for file in created}}
    return [by_audio[audio_id] for audio_id in audio_ids]


def _enqueue(file_id: object) -> None:
    from inference import tasks

    transaction.on_commit(lambda: tasks.run_inference_file.send(str(file_id)))


def _recount(job: InferenceJob) -> None:
    """The job's counters, counted afresh from its files: `total_files` the confirmed ones,
    `processed_files` the completed or failed ones, `failed_files`, `total_detections`, and the
    audio time of the completed ones."""
    finished = [InferenceFile.Status.COMPLETED, InferenceFile.Status.FAILED]
    completed = Q(status=InferenceFile.Status.COMPLETED)
    counts = InferenceFile.objects.filter(job_id=job.pk).aggregate(
        total_files=Count("pk", filter=Q(confirmed_at__isnull=False)),
        processed_files=Count("pk", filter=Q(status__in=finished)),
        failed_files=Count("pk", filter=Q(status=InferenceFile.Status.FAILED)),
        total_detections=Coalesce(Sum("detection_count"), 0),
        processed_duration_ms=Coalesce(Sum("duration_ms", filter=completed), 0),
    )
    InferenceJob.objects.filter(pk=job.pk).update(**counts, updated_at=timezone.now())


def refresh_job_status(job: InferenceJob) -> InferenceJob:
    """Recount the job's counters from its files and set its status from them; call inside the
    transaction that changed the files, with the job row locked. A cancelled job stays
    cancelled (its counters are still recounted)."""
    _recount(job)
    job.refresh_from_db()
    if job.status == InferenceJob.Status.CANCELLED:
        return job
    awaiting_upload = job.files.filter(status=InferenceFile.Status.PENDING).exists()
    if job.total_files == 0:
        status = InferenceJob.Status.PENDING
    elif awaiting_upload or job.processed_files < job.total_files:
        status = InferenceJob.Status.PROCESSING
    elif job.failed_files == job.total_files:
        status = InferenceJob.Status.FAILED
    else:
        status = InferenceJob.Status.COMPLETED
    if status != job.status:
        finished = status in {InferenceJob.Status.COMPLETED, InferenceJob.Status.FAILED}
        job.status = status
        job.completed_at = timezone.now() if finished else None
        job.save(update_fields=["status", "completed_at", "updated_at"])
        if finished:
            logger.info(
                "inference job %s %s: %d files, %d detections",
                job.pk,
                status,
                job.total_files,
                job.total_detections,
            )
            _publish_completed(job)
    return job


def _publish_completed(job: InferenceJob) -> None:
    """`inference.completed` when every file has finished, whether any succeeded or not (the
    data's `status` says which); its data is the job as the API lists it."""
    from inference.serializers import InferenceJobSerializer

    webhooks.publish_event(
        tenant_id=job.tenant_id,
        event_type=EventType.INFERENCE_COMPLETED,
        data=InferenceJobSerializer(job).data,
    )


def cancel_inference_job(*, job: InferenceJob) -> InferenceJob:
    """Pending or processing → cancelled; its unfinished files become `cancelled` and workers
    skip them (a file being processed is dropped when it finishes). Finished files keep their
    detections. Raises Conflict for a finished job."""
    with transaction.atomic():
        locked = _lock(job)
        if locked.is_finished:
            raise Conflict(
                f"Inference job is {locked.status}; only a pending or processing job can be "
                "cancelled"
            )
        now = timezone.now()
        locked.files.filter(
            status__in=[InferenceFile.Status.PENDING, InferenceFile.Status.PROCESSING]
        ).update(status=InferenceFile.Status.CANCELLED, lease_expires_at=None, updated_at=now)
        locked.status = InferenceJob.Status.CANCELLED
        locked.completed_at = now
        locked.save(update_fields=["status", "completed_at", "updated_at"])
    logger.info("inference job %s cancelled", job.pk)
    return locked


def retry_failed_files(*, file_ids: Sequence[UUID]) -> int:
    """Failed files of jobs that are not cancelled → processing again, queued once committed;
    their jobs' counters and status follow. Returns how many were queued."""
    queued = 0
    with transaction.atomic():
        files = list(
            InferenceFile.objects.filter(pk__in=file_ids, status=InferenceFile.Status.FAILED)
            .exclude(job__status=InferenceJob.Status.CANCELLED)
            .values_list("pk", "job_id")
        )
        by_job: dict[UUID, list[UUID]] = {}
        for file_id, job_id in files:
            by_job.setdefault(job_id, []).append(file_id)
        for job_id, ids in sorted(by_job.items()):
            job = InferenceJob.objects.select_for_update().get(pk=job_id)
            retried = InferenceFile.objects.filter(
                pk__in=ids, status=InferenceFile.Status.FAILED
            ).update(
                status=InferenceFile.Status.PROCESSING,
                error="",
                attempts=0,
                lease_expires_at=None,
                completed_at=None,
                confirmed_at=timezone.now(),
                updated_at=timezone.now(),
            )
            refresh_job_status(job)
            for file_id in ids:
                _enqueue(file_id)
            queued += retried
    logger.info("%d failed inference file(s) queued again", queued)
    return queued


def abandon_unconfirmed_uploads() -> int:
    """Housekeeping: delete files whose upload URL expired `RELAY_UPLOAD_GRACE_S` ago without a
    confirm, with whatever their upload left in storage, so that their jobs can finish; the
    jobs' counters and status follow in the same transaction (`delete_expired_uploads`:
    idempotent, and safe to run concurrently with itself and with a confirm, a file confirmed
    meanwhile stays). Returns how many files this call removed."""
    removed = dataset_services.delete_expired_uploads(
        InferenceFile.objects.filter(status=InferenceFile.Status.PENDING),
        storage_prefix=lambda file: file.source_key.rsplit("/", 1)[0],
        # None when the job was deleted meanwhile, with its files
        lock_owner=lambda file: (
            InferenceJob.objects.select_for_update().filter(pk=file.job_id).first()
        ),
        after_delete=refresh_job_status,
    )
    if removed:
        logger.info("%d unconfirmed inference uploads abandoned", removed)
    return removed


def delete_inference_job(*, job: InferenceJob) -> None:
    """Delete the job, its files and detections, and once committed its uploaded files."""
    job_id, prefix = job.pk, job.storage_prefix
    with transaction.atomic():
        job.delete()
        transaction.on_commit(lambda: get_object_store().delete_prefix(prefix))
    logger.info("inference job %s deleted", job_id)


def read_file_peaks(
    *, file: InferenceFile, points: int, start_ms: int | None = None, end_ms: int | None = None
) -> PeakWindow:
    """Waveform peaks of a completed file: its dataset audio's, or those the worker kept for an
    upload. Raises Conflict until the file is completed."""
    if file.audio_file_id:
        return dataset_services.read_audio_peaks(
            audio=file.audio_file, points=points, start_ms=start_ms, end_ms=end_ms
        )
    if file.status != InferenceFile.Status.COMPLETED or not file.duration_ms:
        raise Conflict("Peaks exist once the file has completed")
    end_ms = min(end_ms if end_ms is not None else file.duration_ms, file.duration_ms)
    start_ms = min(start_ms or 0, max(end_ms - 1, 0))
    with get_object_store().open(peaks_key(file.job, file.pk)) as peaks_file:
        return read_peaks(peaks_file, start_ms=start_ms, end_ms=end_ms, points=points)


def file_download_url(*, file: InferenceFile) -> tuple[str, int]:
    """A playable URL for the file's audio: its dataset audio's original, or the upload."""
    if file.audio_file_id:
        return dataset_services.audio_download_url(audio=file.audio_file, variant="original")
    if file.status == InferenceFile.Status.PENDING:
        raise Conflict("This file has not been uploaded and confirmed yet.")
    expires_in = settings.RELAY_DOWNLOAD_URL_EXPIRES_S
    url = get_object_store().download_url(
        key=file.source_key,
        filename=file.original_filename,
        content_type=file.content_type,
        expires_in=expires_in,
    )
    return url, expires_in
