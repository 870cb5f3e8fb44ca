import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Model, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from datasets import formats, signals
from datasets.audio.peaks import PeakWindow, read_peaks
from datasets.models import ArtifactType, AudioFile, Dataset
from datasets.palette import next_color
from relay.errors import Conflict, Invalid, TooLarge
from relay.storage import ObjectStore, UploadTarget, get_object_store
from tenants.models import Tenant

logger = logging.getLogger(__name__)

UploadRow = TypeVar("UploadRow", bound=Model)  # a row made by an upload request (AudioFile, …)


class ArtifactTypeSpec(TypedDict, total=False):
    name: str  # required; the others are optional
    description: str
    color: str


def _name_taken_error(name: str) -> Invalid:
    return Invalid.at(
        ["body", "name"],
        f"A dataset named {name!r} already exists; choose another name",
        "value_error.unique",
    )


def _ensure_name_free(*, tenant: Tenant, name: str, except_id: object = None) -> None:
    clashing = Dataset.objects.filter(tenant=tenant).annotate(lower_name=Lower("name"))
    if clashing.filter(lower_name=name.lower()).exclude(pk=except_id).exists():
        raise _name_taken_error(name)


def create_dataset(
    *,
    tenant: Tenant,
    name: str,
    artifact_types: Sequence[ArtifactTypeSpec],
    description: str = "",
) -> Dataset:
    try:
        with transaction.atomic():
            _ensure_name_free(tenant=tenant, name=name)
            dataset = Dataset.objects.create(tenant=tenant, name=name, description=description)
            _add_artifact_types(dataset=dataset, specs=list(enumerate(artifact_types)), existing=[])
    except IntegrityError:
        # Lost a race with another request creating the same name.
        raise _name_taken_error(name) from None
    logger.info("dataset %s created with %d artifact types", dataset.pk, len(artifact_types))
    return dataset


def update_dataset(
    *,
    dataset: Dataset,
    name: str | None = None,
    description: str | None = None,
    artifact_types: Sequence[ArtifactTypeSpec] | None = None,
) -> Dataset:
    """Change name and description, and with `artifact_types` set the dataset's types to exactly
    that list, matched by name: listed types are added or updated (a colour or description left
    out keeps its value), unlisted ones are removed."""
    try:
        with transaction.atomic():
            locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
            if name is not None:
                _ensure_name_free(tenant=locked.tenant, name=name, except_id=locked.pk)
                locked.name = name
            if description is not None:
                locked.description = description
            if artifact_types is not None:
                _replace_artifact_types(dataset=locked, specs=artifact_types)
            locked.save()
    except IntegrityError:
        raise _name_taken_error(name or dataset.name) from None
    logger.info("dataset %s updated", dataset.pk)
    return locked


def _replace_artifact_types(*, dataset: Dataset, specs: Sequence[ArtifactTypeSpec]) -> None:
    existing = {item.name.lower(): item for item in dataset.artifact_types.all()}
    wanted = {spec["name"].lower() for spec in specs}
    removed = [item.pk for key, item in existing.items() if key not in wanted]
    in_use = ArtifactType.objects.filter(pk__in=removed, annotations__isnull=False).distinct()
    if in_use.exists():
        names = ", ".join(sorted(item.name for item in in_use))
        raise Conflict(
            f"Artifact types in use by annotations cannot be removed or renamed: {names}"
        )
    ArtifactType.objects.filter(pk__in=removed).delete()
    kept = [item for key, item in existing.items() if key in wanted]
    new_specs = []
    for position, spec in enumerate(specs):
        current = existing.get(spec["name"].lower())
        if current is None:
            new_specs.append((position, spec))
            continue
        current.name = spec["name"]
        current.position = position
        current.description = spec.get("description", current.description)
        current.color = spec.get("color", current.color)
        current.save()
    _add_artifact_types(dataset=dataset, specs=new_specs, existing=kept)


def _add_artifact_types(
    *,
    dataset: Dataset,
    specs: Sequence[tuple[int, ArtifactTypeSpec]],
    existing: list[ArtifactType],
) -> None:
    """Create types from `(position, spec)` pairs; missing colours avoid those already used."""
    # Colours given explicitly are taken first, so a palette pick never duplicates one of them.
    used_colors = [item.color for item in existing] + [s["color"] for _, s in specs if "color" in s]
    created = []
    for position, spec in specs:
        color = spec.get("color") or next_color(used_colors)
        used_colors.append(color)
        created.append(
            ArtifactType(
                dataset=dataset,
                name=spec["name"],
                description=spec.get("description", ""),
                color=color,
                position=position,
            )
        )
    ArtifactType.objects.bulk_create(created)


def delete_dataset(*, dataset: Dataset) -> None:
    """Delete a dataset with its types, audio and labels, and once committed its stored files.

    Its trained models stay, with no dataset (the database nulls the reference), and so do their
    files: models made before they moved to the tenant's prefix keep theirs under the dataset's
    `models/` folder, so then only the audio folder is removed.
    """
    dataset_id, prefix = dataset.pk, dataset.storage_prefix
    keeps_model_files = dataset.trained_models.filter(file_key__startswith=f"{prefix}/").exists()
    removed = f"{prefix}/audio" if keeps_model_files else prefix
    with transaction.atomic():
        dataset.delete()
        transaction.on_commit(lambda: get_object_store().delete_prefix(removed))
    logger.info("dataset %s deleted; its models are kept", dataset_id)


# --- Audio files -------------------------------------------------------------------------------


def check_upload_request(*, filename: str, content_type: str, file_size: int) -> None:
    """Raise TooLarge or Invalid (naming each failing field) for an upload Relay won't take."""
    if file_size > settings.RELAY_MAX_UPLOAD_BYTES:
        limit = settings.RELAY_MAX_UPLOAD_BYTES
        raise TooLarge(f"File is {file_size} bytes; the upload limit is {limit} bytes.")
    problems = formats.upload_format_problems(filename=filename, content_type=content_type)
    if problems:
        raise Invalid(
            [
                {
                    "loc": ["body", problem.field],
                    "msg": problem.message,
                    "type": f"value_error.{problem.code}",
                }
                for problem in problems
            ]
        )


def request_audio_upload(
    *,
    dataset: Dataset,
    filename: str,
    content_type: str,
    file_size: int,
    metadata: dict | None = None,
) -> tuple[AudioFile, UploadTarget]:
    """A pending audio row and the URL + form fields the client POSTs the bytes to."""
    check_upload_request(filename=filename, content_type=content_type, file_size=file_size)
    audio = AudioFile.objects.create(
        tenant_id=dataset.tenant_id,
        dataset=dataset,
        filename=filename,
        content_type=content_type,
        file_size=file_size,
        metadata=metadata or {},
    )
    target = get_object_store().presign_upload(
        key=audio.original_key,
        content_type=content_type,
        size_bytes=file_size,
        expires_in=settings.RELAY_UPLOAD_URL_EXPIRES_S,
    )
    logger.info("audio %s upload url issued (%d bytes declared)", audio.pk, file_size)
    return audio, target


def upload_expiry_cutoff() -> datetime:
    """Uploads requested before this and still unconfirmed are abandoned: their URL expired
    (`RELAY_UPLOAD_URL_EXPIRES_S`) and the grace period for a late confirm is over."""
    expired_for = settings.RELAY_UPLOAD_URL_EXPIRES_S + settings.RELAY_UPLOAD_GRACE_S
    return timezone.now() - timedelta(seconds=expired_for)


def delete_expired_uploads(
    pending: QuerySet[UploadRow],
    *,
    storage_prefix: Callable[[UploadRow], str],
    lock_owner: Callable[[UploadRow], object | None] = lambda row: row,
    after_delete: Callable[[Any], None] = lambda owner: None,
) -> int:
    """The expiry of uploads never confirmed, for every kind of upload row: each row of
    `pending` (the rows still waiting for their confirm) requested before `upload_expiry_cutoff`
    is deleted in a transaction of its own, only if it is still in `pending` (a confirm meanwhile
    wins), and once that commits its `storage_prefix` goes from the store with whatever the
    upload left. In the transaction, `lock_owner` first locks what the row belongs to (None: it
    has gone, with the row, so the row is skipped) and `after_delete` gets that owner once the
    row is deleted. Idempotent and safe to run concurrently with itself. Returns how many rows
    this call deleted."""
    store = get_object_store()
    removed = 0
    # Listed first: no cursor stays open across the deletes (SQLite's would see them).
    for row in list(pending.filter(created_at__lt=upload_expiry_cutoff())):
        with transaction.atomic():
            owner = lock_owner(row)
            if owner is None:
                continue
            deleted, _ = pending.filter(pk=row.pk).delete()
            if deleted:
                removed += 1
                after_delete(owner)
                prefix = storage_prefix(row)
                transaction.on_commit(lambda prefix=prefix: store.delete_prefix(prefix))
    return removed


def expire_unconfirmed_uploads() -> int:
    """Housekeeping: delete audio rows whose upload was never confirmed by `upload_expiry_cutoff`,
    with any (partial) object the upload left, so that a ghost keeps neither a row nor a file
    (`delete_expired_uploads`: idempotent, and safe to run concurrently with itself and with a
    confirm). Returns how many rows this call removed."""
    removed = delete_expired_uploads(
        AudioFile.objects.filter(processing_status=AudioFile.Status.PENDING),
        storage_prefix=lambda audio: audio.storage_prefix,
    )
    if removed:
        logger.info("%d unconfirmed audio uploads expired", removed)
    return removed


def confirm_audio_upload(*, audio: AudioFile) -> AudioFile:
    """Start processing an uploaded file. Idempotent: a confirmed file is returned as it is."""
    with transaction.atomic():
        locked = AudioFile.objects.select_for_update().get(pk=audio.pk)
        if locked.processing_status != AudioFile.Status.PENDING:
            return locked
        stored_size = get_object_store().size_of(locked.original_key)
        if stored_size is None:
            raise Conflict("No file has been uploaded for this audio yet; upload it, then confirm.")
        if stored_size != locked.file_size:
            raise Conflict(
                f"The uploaded file is {stored_size} bytes but {locked.file_size} were declared; "
                "upload it again."
            )
        locked.processing_status = AudioFile.Status.PROCESSING
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["processing_status", "confirmed_at", "updated_at"])
        _enqueue_processing(locked.pk)
    logger.info("audio %s confirmed", locked.pk)
    return locked


def _enqueue_processing(audio_id: object) -> None:
    from datasets import tasks

    transaction.on_commit(lambda: tasks.process_audio_file.send(str(audio_id)))


def update_audio(
    *, audio: AudioFile, filename: str | None = None, metadata: dict | None = None
) -> AudioFile:
    if filename is not None:
        audio.filename = filename
    if metadata is not None:
        audio.metadata = metadata
    audio.save(update_fields=["filename", "metadata", "updated_at"])
    return audio


def delete_audio(*, audio: AudioFile) -> None:
    """Delete the row, its dataset totals and, once committed, its stored objects."""
    with transaction.atomic():
        locked = AudioFile.objects.select_for_update().filter(pk=audio.pk).first()
        if locked is None:
            return
        if labelled_by_published_set(locked):
            raise Conflict(
                "A published annotation set labels this audio file; it cannot be deleted."
            )
        if locked.processing_status == AudioFile.Status.READY:
            adjust_dataset_totals(locked.dataset_id, count=-1, duration_ms=-locked.duration_ms)
        signals.audio_deleting.send(sender=AudioFile, audio=locked)  # drafts drop its labels
        locked.delete()
        prefix = audio.storage_prefix
        transaction.on_commit(lambda: get_object_store().delete_prefix(prefix))
    logger.info("audio %s deleted", audio.pk)


def labelled_by_published_set(audio: AudioFile) -> bool:
    return audio.annotations.filter(annotation_set__status="published").exists()


def adjust_dataset_totals(dataset_id: object, *, count: int, duration_ms: int) -> None:
    Dataset.objects.filter(pk=dataset_id).update(
        audio_count=F("audio_count") + count,
        total_duration_ms=F("total_duration_ms") + duration_ms,
    )


def _ensure_ready(audio: AudioFile, what: str) -> None:
    if audio.processing_status != AudioFile.Status.READY:
        raise Conflict(
            f"{what} exist once processing has finished; this file is {audio.processing_status}."
        )


def read_audio_peaks(
    *, audio: AudioFile, points: int, start_ms: int | None = None, end_ms: int | None = None
) -> PeakWindow:
    """Waveform peaks for a window of the audio, at the best stored resolution for `points`."""
    _ensure_ready(audio, "Peaks")
    end_ms = min(end_ms if end_ms is not None else audio.duration_ms, audio.duration_ms)
    start_ms = min(start_ms or 0, max(end_ms - 1, 0))
    with get_object_store().open(audio.peaks_key) as peaks_file:
        return read_peaks(peaks_file, start_ms=start_ms, end_ms=end_ms, points=points)


def audio_download_url(*, audio: AudioFile, variant: str) -> tuple[str, int]:
    """A playable URL for the original upload or the normalized 16 kHz mono WAV."""
    expires_in = settings.RELAY_DOWNLOAD_URL_EXPIRES_S
    if variant == "normalized":
        _ensure_ready(audio, "Normalized audio and its URLs")
        key, content_type = audio.normalized_key, "audio/wav"
        filename = f"{PurePosixPath(audio.filename).stem}.16k.wav"
    else:
        if audio.processing_status == AudioFile.Status.PENDING:
            raise Conflict("This file has not been uploaded and confirmed yet.")
        key, content_type, filename = audio.original_key, audio.content_type, audio.filename
    url = get_object_store().download_url(
        key=key, filename=filename, content_type=content_type, expires_in=expires_in
    )
    return url, expires_in


@dataclass(frozen=True)
class InlineAudio:
    """One decoded file of an inline batch upload."""

    content: bytes
    content_type: str
    filename: str
    metadata: dict


def upload_audio_inline(*, dataset: Dataset, files: Sequence[InlineAudio]) -> list[AudioFile]:
    """Store and confirm a batch of small files at once: every file or, on any failure, none.

    The caller has checked each file's format and size; the stored originals of a batch that
    fails are removed again.
    """
    store = get_object_store()
    stored_prefixes: list[str] = []
    try:
        with transaction.atomic():
            created = []
            for item in files:
                audio = AudioFile.objects.create(
                    tenant_id=dataset.tenant_id,
                    dataset=dataset,
                    filename=item.filename,
                    content_type=item.content_type,
                    file_size=len(item.content),
                    metadata=item.metadata,
                    processing_status=AudioFile.Status.PROCESSING,
                    confirmed_at=timezone.now(),
                )
                stored_prefixes.append(audio.storage_prefix)
                _store_bytes(store, audio.original_key, item.content)
                _enqueue_processing(audio.pk)
                created.append(audio)
    except BaseException:
        for prefix in stored_prefixes:
            store.delete_prefix(prefix)
        raise
    logger.info("inline upload of %d files into dataset %s", len(created), dataset.pk)
    return created


def _store_bytes(store: ObjectStore, key: str, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(prefix="relay-inline-") as handle:
        handle.write(content)
        handle.flush()
        store.save_file(key, Path(handle.name))


def reprocess_audio(*, audio_ids: Sequence[object]) -> int:
    """Send confirmed files through the pipeline again (after a recipe change or a fix).

    A ready file leaves its dataset's totals until it is ready again; pending files, never
    uploaded, are left alone. Returns how many files were queued.
    """
    queued = 0
    with transaction.atomic():
        rows = AudioFile.objects.select_for_update().filter(pk__in=audio_ids)
        for audio in rows.exclude(processing_status=AudioFile.Status.PENDING):
            if audio.processing_status == AudioFile.Status.READY:
                adjust_dataset_totals(audio.dataset_id, count=-1, duration_ms=-audio.duration_ms)
            audio.processing_status = AudioFile.Status.PROCESSING
            audio.processing_error = ""
            audio.processing_warnings = []
            audio.processing_attempts = 0
            audio.lease_expires_at = None
            audio.confirmed_at = timezone.now()
            audio.save()
            _enqueue_processing(audio.pk)
            queued += 1
    logger.info("%d audio files queued for reprocessing", queued)
    return queued
