"""Training jobs and models: creating a job with every check the API promises, cancelling,
retrying, and renaming or deleting models. The worker side is `training.runner`."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from annotations.models import Annotation, AnnotationSet
from datasets import selectors as dataset_selectors
from datasets.audio.features import DEFAULT_RECIPE
from datasets.models import ArtifactType, AudioFile, Dataset
from relay.errors import Conflict, Invalid, NotFound
from relay.storage import get_object_store
from tenants.models import Tenant
from training import tasks
from training.models import TrainedModel, TrainingJob

logger = logging.getLogger(__name__)

DEFAULT_CONFIG: dict[str, Any] = {
    "epochs": 20,
    "validation_split": 0.2,
    "learning_rate": 0.001,
    "batch_size": 32,
    "include_unlabelled_audio": True,
}
CONFIG_LOC = ["body", "config"]


def files_needed(validation_split: float) -> int:
    """The fewest files `training.ml.data.split_by_file` can split: it holds out
    max(1, round(validation_split x files)) whole files and must leave one for training."""
    if validation_split == 0:
        return 1
    files = 2
    while max(1, round(validation_split * files)) >= files:
        files += 1
    return files


def create_training_job(
    *,
    tenant: Tenant,
    dataset_id: UUID,
    annotation_set_id: UUID,
    config: Mapping[str, Any] | None = None,
) -> TrainingJob:
    """A queued job, enqueued once committed. Raises Invalid (unknown dataset, a set of another
    dataset, unknown or unlabelled types, too little audio, stale features) or Conflict (a
    draft set)."""
    config = {**DEFAULT_CONFIG, **(config or {})}
    dataset = _dataset(tenant, dataset_id)
    annotation_set = _published_set(dataset, annotation_set_id)
    config["artifact_types"] = _artifact_types(
        dataset, annotation_set, config.get("artifact_types")
    )
    audio_file_ids = _training_audio(dataset, annotation_set, config)
    with transaction.atomic():
        job = TrainingJob.objects.create(
            tenant=tenant,
            dataset=dataset,
            annotation_set=annotation_set,
            config=_ordered(config),
            audio_file_ids=audio_file_ids,
        )
        transaction.on_commit(lambda: tasks.train_model.send(str(job.pk)))
    logger.info(
        "training job %s queued: %d audio files, types %s",
        job.pk,
        len(audio_file_ids),
        ",".join(config["artifact_types"]),
    )
    return job


def _ordered(config: dict[str, Any]) -> dict[str, Any]:
    keys = ["artifact_types", *DEFAULT_CONFIG]
    return {key: config[key] for key in keys}


def _dataset(tenant: Tenant, dataset_id: UUID) -> Dataset:
    try:
        return dataset_selectors.get_dataset(tenant=tenant, dataset_id=dataset_id)
    except NotFound:
        raise Invalid.at(
            ["body", "dataset_id"],
            "No dataset with this id in your tenant",
            "value_error.not_found",
        ) from None


def _published_set(dataset: Dataset, annotation_set_id: UUID) -> AnnotationSet:
    try:
        annotation_set = AnnotationSet.objects.get(pk=annotation_set_id, dataset=dataset)
    except AnnotationSet.DoesNotExist:
        raise Invalid.at(
            ["body", "annotation_set_id"],
            "No annotation set with this id in this dataset; train on a set of the dataset",
            "value_error.not_found",
        ) from None
    if not annotation_set.is_published:
        raise Conflict("Annotation set is a draft; publish it before training on it")
    return annotation_set


def _artifact_types(
    dataset: Dataset, annotation_set: AnnotationSet, requested: Sequence[str] | None
) -> list[str]:
    """The requested types, each the dataset's and labelled in the set; by default every type
    the set has annotations of, in the dataset's order."""
    known = list(
        ArtifactType.objects.filter(dataset=dataset)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )
    counts = annotation_set.counts_by_type
    if requested is None:
        labelled = [name for name in known if counts.get(name)]
        if not labelled:
            raise Invalid.at(
                ["body", "annotation_set_id"],
                "The annotation set has no annotations of the dataset's artifact types",
                "value_error.no_annotations",
            )
        return labelled
    errors = []
    for index, name in enumerate(requested):
        loc = [*CONFIG_LOC, "artifact_types", index]
        if name not in known:
            message = f"{name!r} is not an artifact type of this dataset (it has: "
            errors.append(_item(loc, f"{message}{', '.join(known)})", "value_error.unknown_type"))
        elif name in requested[:index]:
            errors.append(_item(loc, f"{name!r} is listed twice", "value_error.duplicate"))
        elif not counts.get(name):
            message = (
                f"The annotation set has no annotations of {name!r}; label some or leave it out "
                "of artifact_types"
            )
            errors.append(_item(loc, message, "value_error.no_annotations"))
    if errors:
        raise Invalid(errors)
    return list(requested)


def _item(loc: list[str | int], msg: str, error_type: str) -> dict[str, object]:
    return {"loc": loc, "msg": msg, "type": error_type}


def _training_audio(
    dataset: Dataset, annotation_set: AnnotationSet, config: Mapping[str, Any]
) -> list[str]:
    """Ids of the ready audio the set labels, plus (unless `include_unlabelled_audio` is false)
    the dataset's other ready audio as examples without artifacts. Raises Invalid when there
    are too few files for the validation split, or features of another recipe."""
    audio = AudioFile.objects.filter(dataset=dataset, processing_status=AudioFile.Status.READY)
    if not config["include_unlabelled_audio"]:
        labelled = Annotation.objects.filter(annotation_set=annotation_set).values("audio_file_id")
        audio = audio.filter(pk__in=labelled)
    rows = list(audio.order_by("created_at", "id").values_list("pk", "filename", "feature_recipe"))
    needed = files_needed(config["validation_split"])
    if len(rows) < needed:
        scope = "the dataset has" if config["include_unlabelled_audio"] else "the set labels"
        raise Invalid.at(
            [*CONFIG_LOC, "validation_split"],
            f"Training with validation_split {config['validation_split']} needs at least {needed} "
            f"ready audio files (whole files are held out for validation); {scope} {len(rows)}",
            "value_error.too_little_audio",
        )
    stale = [
        filename
        for _, filename, recipe in rows
        if (recipe or {}).get("version") != DEFAULT_RECIPE.version
    ]
    if stale:
        examples = ", ".join(stale[:5]) + (", …" if len(stale) > 5 else "")
        raise Invalid.at(
            ["body", "dataset_id"],
            f"{len(stale)} audio file(s) have features of another recipe than "
            f"{DEFAULT_RECIPE.version!r} ({examples}); reprocess them before training",
            "value_error.stale_features",
        )
    return [str(pk) for pk, _, _ in rows]


def cancel_training_job(*, job: TrainingJob) -> TrainingJob:
    """Queued or running → cancelled. A running job stops within one batch: its worker reads the
    status before each. Raises Conflict for a finished job."""
    now = timezone.now()
    cancelled = TrainingJob.objects.filter(
        pk=job.pk, status__in=[TrainingJob.Status.QUEUED, TrainingJob.Status.RUNNING]
    ).update(
        status=TrainingJob.Status.CANCELLED,
        completed_at=now,
        lease_expires_at=None,
        updated_at=now,
    )
    job = TrainingJob.objects.select_related("model").get(pk=job.pk)
    if not cancelled:
        raise Conflict(
            f"Training job is {job.status}; only a queued or running job can be cancelled"
        )
    prefix = job.storage_prefix
    transaction.on_commit(lambda: get_object_store().delete_prefix(prefix))
    logger.info("training job %s cancelled", job.pk)
    return job


def retry_training_jobs(*, job_ids: Sequence[UUID]) -> int:
    """Failed jobs → queued from the start, enqueued once committed; others are left alone.
    Returns how many were queued."""
    now = timezone.now()
    with transaction.atomic():
        failed = list(
            TrainingJob.objects.select_for_update()
            .filter(pk__in=job_ids, status=TrainingJob.Status.FAILED)
            .values_list("pk", flat=True)
        )
        TrainingJob.objects.filter(pk__in=failed).update(
            status=TrainingJob.Status.QUEUED,
            progress_percent=0,
            current_epoch=0,
            metrics={},
            error_message="",
            started_at=None,
            completed_at=None,
            lease_expires_at=None,
            attempts=0,
            updated_at=now,
        )
        for job_id in failed:
            transaction.on_commit(lambda job_id=job_id: tasks.train_model.send(str(job_id)))
    logger.info("%d failed training job(s) queued again", len(failed))
    return len(failed)


def rename_model(*, model: TrainedModel, name: str) -> TrainedModel:
    model.name = name
    model.save(update_fields=["name", "updated_at"])
    return model


def delete_model(*, model: TrainedModel) -> None:
    """Deletes the model and, once committed, its stored file. Its job stays, with no model."""
    model_id, prefix = model.pk, model.storage_prefix
    with transaction.atomic():
        model.delete()
        transaction.on_commit(lambda: get_object_store().delete_prefix(prefix))
    logger.info("model %s deleted", model_id)
