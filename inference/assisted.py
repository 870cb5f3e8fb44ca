"""Model-assisted labeling: a model's detections become annotations of a draft set
(`source: "model"`), all at once above a confidence or one at a time from the labeling page, and
a rejected detection is remembered per set so that the page hides it and imports skip it.

Detections of uploaded files cannot become annotations (they name no dataset audio); only files
a job took from the set's dataset count.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction

from annotations import services as annotation_services
from annotations.models import Annotation, AnnotationSet
from datasets.models import ArtifactType, AudioFile
from inference import selectors
from inference.models import Detection, InferenceFile, InferenceJob, RejectedDetection
from relay.errors import Conflict, Invalid
from tenants.models import Tenant
from training.models import TrainedModel

logger = logging.getLogger(__name__)

Key = tuple[str, str, int, int]  # (audio id, type, start_ms, end_ms)
# Where a row's errors point: the detections are the rows, though the body does not list them.
DETECTIONS_LOC: list[str | int] = ["body", "detections"]


@dataclass
class DetectionImport:
    """What an import did (or, for a dry run, would do)."""

    dry_run: bool
    rows: list[dict[str, Any]]
    skipped_rejected: int = 0
    skipped_existing: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    created: list[annotation_services.AddedAnnotation] = field(default_factory=list)


def import_detections(
    *,
    tenant: Tenant,
    annotation_set: AnnotationSet,
    inference_job_id: UUID,
    min_confidence: float = 0.0,
    artifact_types: Sequence[str] | None = None,
    audio_file_ids: Sequence[UUID] | None = None,
    dry_run: bool = False,
    created_by_user: object = None,
    created_by_key: object = None,
) -> DetectionImport:
    """The job's detections of the set's dataset audio, at or above `min_confidence`, of
    `artifact_types` (default: every type the model detects that the dataset has) and of
    `audio_file_ids` (default: all), added to the draft as `source: "model"` annotations, all or
    nothing. Skips detections rejected for this set and ones the set already has (same audio,
    type and times); an end past the audio's end is cut to it. Raises Conflict for a published
    set and Invalid naming every bad field; a dry run checks and writes nothing."""
    if annotation_set.is_published:
        raise Conflict(annotation_services.PUBLISHED_MESSAGE)
    dataset = annotation_set.dataset
    job = InferenceJob.objects.filter(tenant=tenant, pk=inference_job_id).first()
    if job is None:
        raise Invalid.at(
            ["body", "inference_job_id"],
            "No inference job with this id in your tenant",
            "value_error.not_found",
        )
    dataset_types = set(ArtifactType.objects.filter(dataset=dataset).values_list("name", flat=True))
    types = _checked_types(job, dataset_types, artifact_types)
    audio_ids = _checked_audio(dataset.pk, audio_file_ids)
    detections = Detection.objects.filter(
        job=job,
        file__status=InferenceFile.Status.COMPLETED,
        file__audio_file__dataset=dataset,
        artifact_type__in=types,
        confidence__gte=min_confidence,
    )
    if audio_ids is not None:
        detections = detections.filter(file__audio_file_id__in=audio_ids)
    found = detections.order_by("file__audio_file_id", "start_ms", "artifact_type", "id")
    values = found.values_list(
        "file__audio_file_id",
        "artifact_type",
        "start_ms",
        "end_ms",
        "confidence",
        "file__audio_file__duration_ms",
    )
    rejected = rejected_keys(annotation_set)
    existing = _existing_keys(annotation_set, audio_ids)
    result = DetectionImport(dry_run=dry_run, rows=[])
    seen: set[Key] = set()
    for audio_id, type_name, start_ms, end_ms, confidence, duration_ms in values.iterator(2000):
        end_ms = min(end_ms, duration_ms or end_ms)
        key = (str(audio_id), type_name, start_ms, end_ms)
        if key in rejected:
            result.skipped_rejected += 1
        elif key in existing or key in seen:
            result.skipped_existing += 1
        elif start_ms < end_ms:
            seen.add(key)
            result.rows.append(
                {
                    "audio_file_id": str(audio_id),
                    "artifact_type": type_name,
                    "start_ms": start_ms,
                    "end_ms": end_ms,
                    "confidence": confidence,
                }
            )
    if len(result.rows) > settings.RELAY_MAX_IMPORT_ROWS:
        raise Invalid.at(
            ["body"],
            f"{len(result.rows)} detections match, over the limit of "
            f"{settings.RELAY_MAX_IMPORT_ROWS}; raise min_confidence or name artifact_types "
            "or audio_file_ids",
            "value_error.max_rows",
        )
    logger.info(
        "import of job %s's detections into set %s: %d rows, dry run %s",
        job.pk,
        annotation_set.pk,
        len(result.rows),
        dry_run,
    )
    if dry_run:
        result.errors = annotation_services.check_annotation_rows(
            annotation_set=annotation_set, rows=result.rows, loc=DETECTIONS_LOC
        ).errors
        return result
    result.created = annotation_services.add_annotations(
        annotation_set=annotation_set,
        rows=result.rows,
        loc=DETECTIONS_LOC,
        source=Annotation.Source.MODEL,
        created_by_user=created_by_user,
        created_by_key=created_by_key,
    )
    return result


def _checked_types(
    job: InferenceJob, dataset_types: set[str], requested: Sequence[str] | None
) -> list[str]:
    if requested is None:
        types = [name for name in job.artifact_types if name in dataset_types]
        if not types:
            raise Invalid.at(
                ["body", "inference_job_id"],
                "The job's model detects none of this dataset's artifact types",
                "value_error.invalid_choice",
            )
        return types
    errors = []
    for index, name in enumerate(requested):
        if name not in job.artifact_types:
            message = f"The job's model does not detect {name!r}"
        elif name not in dataset_types:
            message = f"The dataset has no artifact type {name!r}"
        else:
            continue
        errors.append(
            {
                "loc": ["body", "artifact_types", index],
                "msg": message,
                "type": "value_error.invalid_choice",
            }
        )
    if errors:
        raise Invalid(errors)
    return list(dict.fromkeys(requested))


def _checked_audio(dataset_id: UUID, requested: Sequence[UUID] | None) -> list[UUID] | None:
    if requested is None:
        return None
    known = set(
        AudioFile.objects.filter(dataset_id=dataset_id, pk__in=requested).values_list(
            "pk", flat=True
        )
    )
    errors = [
        {
            "loc": ["body", "audio_file_ids", index],
            "msg": "No audio file with this id in the dataset",
            "type": "value_error.not_found",
        }
        for index, audio_id in enumerate(requested)
        if audio_id not in known
    ]
    if errors:
        raise Invalid(errors)
    return list(dict.fromkeys(requested))


def _existing_keys(annotation_set: AnnotationSet, audio_ids: list[UUID] | None) -> set[Key]:
    rows = Annotation.objects.filter(annotation_set=annotation_set)
    if audio_ids is not None:
        rows = rows.filter(audio_file_id__in=audio_ids)
    values = rows.values_list("audio_file_id", "artifact_type__name", "start_ms", "end_ms")
    return {(str(audio_id), *rest) for audio_id, *rest in values.iterator(5000)}


def rejected_keys(annotation_set: AnnotationSet) -> set[Key]:
    values = RejectedDetection.objects.filter(annotation_set=annotation_set).values_list(
        "audio_file_id", "artifact_type", "start_ms", "end_ms"
    )
    return {(str(audio_id), *rest) for audio_id, *rest in values.iterator(5000)}


def reject_detection(
    *,
    tenant: Tenant,
    annotation_set: AnnotationSet,
    audio_file_id: UUID,
    artifact_type: str,
    start_ms: int,
    end_ms: int,
    model_id: UUID | None = None,
) -> tuple[RejectedDetection, bool]:
    """Hide a detection for this draft set; (the rejection, whether it is new). Rejecting the
    same detection again returns the first rejection. Raises Conflict for a published set and
    Invalid for audio not in the set's dataset, a model not in the tenant or start >= end."""
    if annotation_set.is_published:
        raise Conflict(annotation_services.PUBLISHED_MESSAGE)
    errors = []
    if not AudioFile.objects.filter(
        dataset_id=annotation_set.dataset_id, pk=audio_file_id
    ).exists():
        errors.append(_error("audio_file_id", "No audio file with this id in the dataset"))
    if model_id and not TrainedModel.objects.filter(tenant=tenant, pk=model_id).exists():
        errors.append(_error("model_id", "No model with this id in your tenant"))
    if end_ms <= start_ms:
        errors.append(
            {
                "loc": ["body", "end_ms"],
                "msg": "end_ms must be after start_ms",
                "type": "value_error.order",
            }
        )
    if errors:
        raise Invalid(errors)
    key = {
        "annotation_set": annotation_set,
        "audio_file_id": audio_file_id,
        "artifact_type": artifact_type,
        "start_ms": start_ms,
        "end_ms": end_ms,
    }
    existing = RejectedDetection.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            rejection = RejectedDetection.objects.create(**key, model_id=model_id)
    except IntegrityError:  # a concurrent rejection of the same detection won
        return RejectedDetection.objects.get(**key), False
    logger.info("detection rejected for set %s: %s", annotation_set.pk, rejection)
    return rejection, True


def _error(name: str, message: str) -> dict[str, object]:
    return {"loc": ["body", name], "msg": message, "type": "value_error.not_found"}


def unreject_detection(*, rejection: RejectedDetection) -> None:
    """Show a rejected detection again. Raises Conflict for a published set."""
    if rejection.annotation_set.is_published:
        raise Conflict(annotation_services.PUBLISHED_MESSAGE)
    rejection.delete()


@dataclass
class AudioDetections:
    model_id: UUID
    inference_file: InferenceFile | None
    detections: list[Detection]
    hidden_rejected: int


def detections_for_audio(
    *,
    tenant: Tenant,
    audio_file: AudioFile,
    model_id: UUID,
    annotation_set_id: UUID | None = None,
) -> AudioDetections:
    """A model's detections over one dataset audio file, from its latest completed run over it
    (none when it has not run on it), less those rejected for `annotation_set_id`. Raises
    Invalid for a model not in the tenant or a set not of the audio's dataset."""
    if not TrainedModel.objects.filter(tenant=tenant, pk=model_id).exists():
        raise Invalid.at(
            ["query", "model_id"], "No model with this id in your tenant", "value_error.not_found"
        )
    rejected: set[Key] = set()
    if annotation_set_id:
        annotation_set = AnnotationSet.objects.filter(
            dataset_id=audio_file.dataset_id, pk=annotation_set_id
        ).first()
        if annotation_set is None:
            raise Invalid.at(
                ["query", "annotation_set_id"],
                "No annotation set with this id in the dataset",
                "value_error.not_found",
            )
        rejected = rejected_keys(annotation_set)
    run = selectors.latest_run_over_audio(audio_file_id=audio_file.pk, model_id=model_id)
    found = list(run.detections.all()) if run else []
    audio_id = str(audio_file.pk)
    shown = [
        item
        for item in found
        if (audio_id, item.artifact_type, item.start_ms, item.end_ms) not in rejected
    ]
    return AudioDetections(model_id, run, shown, len(found) - len(shown))
