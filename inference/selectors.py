import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet

from annotations.models import AnnotationSet
from inference.models import Detection, InferenceFile, InferenceJob, RejectedDetection
from relay.errors import NotFound
from tenants.models import Tenant

EXPORT_CHUNK_ROWS = 5_000
MS_PER_HOUR = 3_600_000
# A metadata key with more distinct values than this (free text, ids) is not grouped by.
MAX_GROUP_VALUES = 100


def inference_jobs_for(tenant: Tenant) -> QuerySet[InferenceJob]:
    return InferenceJob.objects.filter(tenant=tenant)


def list_inference_jobs(
    *, tenant: Tenant, model_id: UUID | None = None, status: str = ""
) -> QuerySet[InferenceJob]:
    jobs = inference_jobs_for(tenant)
    if model_id:
        jobs = jobs.filter(model_id=model_id)
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-id")


def get_inference_job(*, tenant: Tenant, job_id: UUID) -> InferenceJob:
    try:
        return inference_jobs_for(tenant).get(pk=job_id)
    except InferenceJob.DoesNotExist:
        raise NotFound("Inference job not found") from None


def get_inference_file(*, job: InferenceJob, file_id: UUID) -> InferenceFile:
    try:
        return job.files.select_related("job").get(pk=file_id)
    except InferenceFile.DoesNotExist:
        raise NotFound("Inference file not found") from None


def _ordered_detections() -> Prefetch:
    return Prefetch(
        "detections", queryset=Detection.objects.order_by("start_ms", "artifact_type", "id")
    )


def list_job_files(*, job: InferenceJob, status: str = "") -> QuerySet[InferenceFile]:
    """In upload order (oldest first), so pages line up with the job detail's embedded files."""
    files = job.files.all()
    if status:
        files = files.filter(status=status)
    return files.order_by("created_at", "id")


def with_detections(files: QuerySet[InferenceFile]) -> QuerySet[InferenceFile]:
    return files.prefetch_related(_ordered_detections())


def embedded_files(*, job: InferenceJob) -> tuple[list[InferenceFile], bool]:
    """The first RELAY_INFERENCE_EMBEDDED_FILES files with their detections, and whether there
    are more."""
    limit = settings.RELAY_INFERENCE_EMBEDDED_FILES
    files = list(with_detections(list_job_files(job=job))[: limit + 1])
    return files[:limit], len(files) > limit


def top_detections(*, job: InferenceJob, per_type: int) -> dict[str, list[Detection]]:
    """Per artifact type of the job, its `per_type` highest-confidence detections (ties: the
    earlier stored first), each with its file. One index range read per type."""
    found: dict[str, list[Detection]] = {}
    for artifact_type in job.artifact_types:
        rows = (
            Detection.objects.filter(job=job, artifact_type=artifact_type)
            .select_related("file")
            .order_by("-confidence", "id")[:per_type]
        )
        found[artifact_type] = list(rows)
    return found


def export_rows(*, job: InferenceJob) -> Iterator[dict[str, Any]]:
    """Every detection of the job with its file, ordered by filename, file, then start."""
    rows = (
        Detection.objects.filter(job=job)
        .order_by("file__original_filename", "file_id", "start_ms", "artifact_type", "id")
        .values_list(
            "file_id",
            "file__original_filename",
            "artifact_type",
            "start_ms",
            "end_ms",
            "confidence",
        )
        .iterator(chunk_size=EXPORT_CHUNK_ROWS)
    )
    for file_id, filename, artifact_type, start_ms, end_ms, confidence in rows:
        yield {
            "file_id": str(file_id),
            "filename": filename,
            "artifact_type": artifact_type,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "confidence": confidence,
        }


def detected_files(*, job: InferenceJob) -> Iterator[tuple[str, str]]:
    """`(file_id, filename)` of each file of the job with detections (Audacity's track names)."""
    files = job.files.filter(detection_count__gt=0).values_list("pk", "original_filename")
    for file_id, filename in files.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield str(file_id), filename


def _rates(counts: dict[str, int], duration_ms: int, types: list[str]) -> dict[str, Any]:
    hours = duration_ms / MS_PER_HOUR
    return {
        name: {
            "count": counts.get(name, 0),
            "per_audio_hour": round(counts.get(name, 0) / hours, 3) if hours else None,
        }
        for name in types
    }


def _group_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def job_summary(*, job: InferenceJob) -> dict[str, Any]:
    """Detections per type and per audio hour over the completed files, overall and grouped by
    each top-level `metadata` key the files carry (`{"voice": {"anna": {...}}}`). Keys with
    more than MAX_GROUP_VALUES distinct values are listed in `ungrouped_keys` instead."""
    types = list(job.artifact_types)
    files = job.files.filter(status=InferenceFile.Status.COMPLETED).values_list(
        "pk", "duration_ms", "metadata"
    )
    counts_by_file: dict[UUID, dict[str, int]] = defaultdict(dict)
    per_type = (
        Detection.objects.filter(job=job)
        .values_list("file_id", "artifact_type")
        .annotate(count=Count("id"))
        .order_by()
    )
    for file_id, artifact_type, count in per_type:
        counts_by_file[file_id][artifact_type] = count
    total_ms, total_counts = 0, defaultdict(int)
    groups: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    file_count = 0
    for file_id, duration_ms, metadata in files.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        file_count += 1
        duration_ms = duration_ms or 0
        counts = counts_by_file.get(file_id, {})
        total_ms += duration_ms
        for name, count in counts.items():
            total_counts[name] += count
        for key, value in (metadata or {}).items():
            group = groups[key].setdefault(
                _group_value(value), {"files": 0, "duration_ms": 0, "counts": defaultdict(int)}
            )
            group["files"] += 1
            group["duration_ms"] += duration_ms
            for name, count in counts.items():
                group["counts"][name] += count
    by_metadata, ungrouped = {}, []
    for key in sorted(groups):
        if len(groups[key]) > MAX_GROUP_VALUES:
            ungrouped.append(key)
            continue
        by_metadata[key] = {
            value: {
                "files": group["files"],
                "audio_hours": round(group["duration_ms"] / MS_PER_HOUR, 6),
                "per_type": _rates(group["counts"], group["duration_ms"], types),
            }
            for value, group in sorted(groups[key].items())
        }
    return {
        "completed_files": file_count,
        "total_audio_hours": round(total_ms / MS_PER_HOUR, 6),
        "total_detections": sum(total_counts.values()),
        "per_type": _rates(total_counts, total_ms, types),
        "by_metadata": by_metadata,
        "ungrouped_keys": ungrouped,
    }


def list_rejected_detections(
    *, annotation_set: AnnotationSet, audio_file_id: UUID | None = None
) -> QuerySet[RejectedDetection]:
    rejections = RejectedDetection.objects.filter(annotation_set=annotation_set)
    if audio_file_id:
        rejections = rejections.filter(audio_file_id=audio_file_id)
    return rejections.order_by("-created_at", "-id")


def get_rejected_detection(
    *, annotation_set: AnnotationSet, rejection_id: UUID
) -> RejectedDetection:
    try:
        return RejectedDetection.objects.select_related("annotation_set").get(
            annotation_set=annotation_set, pk=rejection_id
        )
    except RejectedDetection.DoesNotExist:
        raise NotFound("Rejected detection not found") from None


def latest_run_over_audio(*, audio_file_id: UUID, model_id: UUID) -> InferenceFile | None:
    """The model's most recently completed inference file over this dataset audio, with its
    detections in start order; None when the model has not run on it."""
    return (
        with_detections(
            InferenceFile.objects.filter(
                audio_file_id=audio_file_id,
                job__model_id=model_id,
                status=InferenceFile.Status.COMPLETED,
            )
        )
        .order_by("-completed_at", "-id")
        .first()
    )
