import contextlib
import functools
import hashlib
import itertools
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.functions import Mod, RowNumber
from django.utils import timezone

from annotations import page_anchors
from annotations.models import PAGE_ANCHOR_STRIDE, Annotation, AnnotationSet
from annotations.validation import AnnotationRow, AudioFacts, check_row, check_rows
from datasets.models import ArtifactType, AudioFile, Dataset
from relay import rows
from relay.errors import Conflict, Invalid
from relay.ids import uuid7_batch, uuid7_batch_after
from tenants import webhooks
from tenants.models import EventType

logger = logging.getLogger(__name__)

BULK_BATCH_SIZE = 2000
PUBLISHED_MESSAGE = "Annotation set is published; copy it to change it"


def create_annotation_set(
    *, dataset: Dataset, name: str = "", description: str = ""
) -> AnnotationSet:
    annotation_set = AnnotationSet.objects.create(
        tenant_id=dataset.tenant_id, dataset=dataset, name=name, description=description
    )
    logger.info("annotation set %s created in dataset %s", annotation_set.pk, dataset.pk)
    return annotation_set


def _lock_draft(annotation_set: AnnotationSet) -> AnnotationSet:
    """The set's row, locked for this transaction; Conflict when it is published.

    Every change to a set's annotations takes this lock, so concurrent bulk adds queue behind
    each other and a publish happens wholly before or wholly after any of them.
    """
    locked = rows.one(AnnotationSet, {"id": annotation_set.pk}, for_update=True)
    if locked is None:
        raise AnnotationSet.DoesNotExist("AnnotationSet matching query does not exist.")
    if locked.is_published:
        raise Conflict(PUBLISHED_MESSAGE)
    return locked


@transaction.atomic
def update_annotation_set(
    *, annotation_set: AnnotationSet, name: str | None = None, description: str | None = None
) -> AnnotationSet:
    locked = _lock_draft(annotation_set)
    if name is not None:
        locked.name = name
    if description is not None:
        locked.description = description
    locked.save(update_fields=["name", "description", "updated_at"])
    return locked


@transaction.atomic
def delete_annotation_set(*, annotation_set: AnnotationSet) -> None:
    locked = _lock_draft(annotation_set)
    locked.delete()
    logger.info("annotation set %s deleted", annotation_set.pk)


def content_hash(annotations: Sequence[tuple]) -> str:
    """SHA-256 over the sorted (audio id, type, start, end, confidence) of every annotation."""
    digest = hashlib.sha256()
    for audio_id, type_name, start_ms, end_ms, confidence in sorted(annotations):
        digest.update(f"{audio_id}\t{type_name}\t{start_ms}\t{end_ms}\t{confidence:.6f}\n".encode())
    return digest.hexdigest()


@transaction.atomic
def publish_annotation_set(*, annotation_set: AnnotationSet) -> AnnotationSet:
    locked = AnnotationSet.objects.select_for_update().get(pk=annotation_set.pk)
    if locked.is_published:
        raise Conflict("Annotation set is already published")
    rows = Annotation.objects.filter(annotation_set=locked).values_list(
        "audio_file_id", "artifact_type__name", "start_ms", "end_ms", "confidence"
    )
    annotations = [(str(audio_id), *rest) for audio_id, *rest in rows]
    if not annotations:
        raise Conflict("An empty annotation set cannot be published")
    locked.status = AnnotationSet.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.content_hash = content_hash(annotations)
    locked.page_anchors = read_page_anchors(locked)
    locked.save(
        update_fields=["status", "published_at", "content_hash", "page_anchors", "updated_at"]
    )
    logger.info("annotation set %s published with %d annotations", locked.pk, len(annotations))
    # The event's data is the set as the API shows it.
    from annotations.serializers import AnnotationSetSerializer

    webhooks.publish_event(
        tenant_id=locked.tenant_id,
        event_type=EventType.ANNOTATION_SET_PUBLISHED,
        data=AnnotationSetSerializer(locked).data,
    )
    return locked


def read_page_anchors(annotation_set: AnnotationSet) -> list[list[int | str]]:
    """[position, id] at positions 0, stride, 2 x stride, ... of the set in id order (oldest
    first), read afresh: one pass over the set's index (about 0.75 s for a million rows)."""
    anchors = (
        Annotation.objects.filter(annotation_set=annotation_set)
        .alias(position=Window(RowNumber(), order_by="id"))
        .annotate(step=Mod(F("position") - 1, PAGE_ANCHOR_STRIDE))
        .filter(step=0)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return [[index * PAGE_ANCHOR_STRIDE, str(anchor)] for index, anchor in enumerate(anchors)]


@transaction.atomic
def copy_annotation_set(*, annotation_set: AnnotationSet) -> AnnotationSet:
    """A new draft with the same annotations: how a published set is revised."""
    copy = AnnotationSet.objects.create(
        tenant_id=annotation_set.tenant_id,
        dataset_id=annotation_set.dataset_id,
        name=f"{annotation_set.name or 'Annotation set'} (copy)"[:200],
        description=annotation_set.description,
        annotation_count=annotation_set.annotation_count,
        counts_by_type=annotation_set.counts_by_type,
    )
    now = timezone.now()
    # Everything but the id, the set and the times is carried over, in INSERT_COLUMNS order.
    carried = INSERT_COLUMNS[2:-2]
    originals = (
        Annotation.objects.filter(annotation_set=annotation_set)
        .order_by("id")
        .values_list(*carried)
        .iterator(BULK_BATCH_SIZE)
    )
    while values := list(itertools.islice(originals, BULK_BATCH_SIZE)):
        ids = uuid7_batch(len(values))
        _insert([(id_, copy.pk, *row, now, now) for id_, row in zip(ids, values, strict=True)])
    copy.page_anchors = read_page_anchors(copy)
    copy.save(update_fields=["page_anchors"])
    logger.info("annotation set %s copied to %s", annotation_set.pk, copy.pk)
    return copy


def _audio_facts(dataset: Dataset, audio_ids: set[uuid.UUID]) -> dict[uuid.UUID, AudioFacts]:
    rows = AudioFile.objects.filter(dataset=dataset, pk__in=audio_ids).values_list(
        "pk", "processing_status", "duration_ms"
    )
    return {
        pk: AudioFacts(is_ready=status == AudioFile.Status.READY, duration_ms=duration_ms or 0)
        for pk, status, duration_ms in rows
    }


def _referenced_audio_ids(rows: Sequence[object]) -> set[uuid.UUID]:
    texts = {
        value
        for row in rows
        if isinstance(row, dict) and isinstance(value := row.get("audio_file_id"), str)
    }
    ids = set()
    for value in texts:
        with contextlib.suppress(ValueError):
            ids.add(uuid.UUID(value))
    return ids


@dataclass(slots=True)  # not frozen: a frozen dataclass is several times slower to build
class AddedAnnotation:
    """A stored annotation as the API shows it (ids as text), without the cost of a model
    instance."""

    id: str
    audio_file_id: str
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: float
    note: str
    source: str
    created_at: datetime


@dataclass
class CheckedRows:
    """Annotation rows checked against a set's dataset."""

    rows: list[AnnotationRow]  # the valid ones
    errors: list[dict[str, object]]  # one item per failing field of every failing row
    type_ids: dict[str, str]  # the dataset's artifact types: name → id as text
    audio: dict[uuid.UUID, AudioFacts]  # the dataset's audio that the rows name


def check_annotation_rows(
    *,
    annotation_set: AnnotationSet,
    rows: Sequence[object],
    loc: list[str | int],
    indexed: bool = True,
) -> CheckedRows:
    """The rules `add_annotations` applies before writing, and all that a dry run of an import
    reports: each row against the set's dataset (its ready audio, its types, times within the
    audio), errors at `loc + [index, field]` (`loc + [field]` when not `indexed`). Writes
    nothing and raises nothing."""
    dataset = annotation_set.dataset
    type_ids = {
        name: str(pk)
        for name, pk in ArtifactType.objects.filter(dataset=dataset).values_list("name", "pk")
    }
    audio = _audio_facts(dataset, _referenced_audio_ids(rows))
    clean, errors = check_rows(
        rows, loc=loc, audio=audio, artifact_types=set(type_ids), indexed=indexed
    )
    return CheckedRows(rows=clean, errors=errors, type_ids=type_ids, audio=audio)


INSERT_COLUMNS = (
    "id",
    "annotation_set_id",
    "audio_file_id",
    "artifact_type_id",
    "start_ms",
    "end_ms",
    "confidence",
    "note",
    "source",
    "created_by_user_id",
    "created_by_key_id",
    "created_at",
    "updated_at",
)


def add_annotations(
    *,
    annotation_set: AnnotationSet,
    rows: Sequence[object],
    loc: list[str | int],
    indexed: bool = True,
    created_by_user: object = None,
    created_by_key: object = None,
    source: str = Annotation.Source.HUMAN,
) -> list[AddedAnnotation]:
    """Check every row, then add them all, or none: Invalid lists each failing field by index."""
    checked = check_annotation_rows(
        annotation_set=annotation_set, rows=rows, loc=loc, indexed=indexed
    )
    if checked.errors:
        raise Invalid(checked.errors)
    clean, type_ids = checked.rows, checked.type_ids
    # Ids as text once each: str(UUID) per cell would cost more than the database's work.
    audio_texts = {audio_id: str(audio_id) for audio_id in checked.audio}
    now = timezone.now()
    new_ids = uuid7_batch(len(clean))  # increasing
    added = [
        AddedAnnotation(
            id=str(annotation_id),
            audio_file_id=audio_texts[row.audio_file_id],
            artifact_type=row.artifact_type,
            start_ms=row.start_ms,
            end_ms=row.end_ms,
            confidence=row.confidence,
            note=row.note,
            source=source,
            created_at=now,
        )
        for annotation_id, row in zip(new_ids, clean, strict=True)
    ]
    set_id = str(annotation_set.pk)
    user_id = getattr(created_by_user, "pk", None)
    key_id = getattr(created_by_key, "pk", None)
    records = [
        (
            item.id,
            set_id,
            item.audio_file_id,
            type_ids[item.artifact_type],
            item.start_ms,
            item.end_ms,
            item.confidence,
            item.note,
            item.source,
            user_id,
            key_id,
            now,
            now,
        )
        for item in added
    ]
    with transaction.atomic():
        locked = _lock_draft(annotation_set)
        newest = _newest_id(locked)
        if new_ids and newest is not None and new_ids[0] <= newest:
            # The ids were made before the lock, and a concurrent call's later ones were stored
            # first (or this clock is behind): continuing after the newest keeps this an append,
            # whose anchors follow from the old ones, instead of a pass over the whole set.
            following = uuid7_batch_after(newest, len(new_ids))
            if following is not None:
                new_ids = following
                for item, annotation_id in zip(added, new_ids, strict=True):
                    item.id = str(annotation_id)
                records = [
                    (item.id, *record[1:]) for item, record in zip(added, records, strict=True)
                ]
        _insert(records)
        if not new_ids or newest is None or new_ids[0] > newest:
            anchors = page_anchors.after_appending(
                locked.page_anchors,
                new_ids,
                rows_before=locked.annotation_count,
                stride=PAGE_ANCHOR_STRIDE,
            )
        else:  # ids from a clock behind the set's newest row land among the older rows
            anchors = read_page_anchors(locked)
        _count(locked, Counter(row.artifact_type for row in clean), anchors=anchors)
    logger.info("%d annotations added to set %s", len(added), annotation_set.pk)
    return added


def _insert(records: list[tuple]) -> None:
    """Insert annotation rows, in INSERT_COLUMNS order: PostgreSQL's COPY, many times faster than
    INSERT for thousands of rows, or batched INSERTs elsewhere."""
    if not records:
        return
    if connection.vendor == "postgresql":
        statement = f"COPY {Annotation._meta.db_table} ({', '.join(INSERT_COLUMNS)}) FROM STDIN"
        text = "".join(map(_copy_line, records))
        # The raw psycopg cursor's errors are wrapped as Django's, like every other query's.
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(statement) as copy,
        ):
            copy.write(text.encode("utf-8"))
        return
    Annotation.objects.bulk_create(
        [Annotation(**dict(zip(INSERT_COLUMNS, record, strict=True))) for record in records],
        batch_size=BULK_BATCH_SIZE,
    )


# COPY's text format: these characters are escaped with a backslash, and NULL is \N.
COPY_NULL = "\\N"
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(record: tuple) -> str:
    """One row of INSERT_COLUMNS in COPY's text format. Written out column by column because a
    generic per-value conversion cost more than the database's own work on a bulk call."""
    (id_, set_id, audio_id, type_id, start_ms, end_ms, confidence, note, source, user_id,
     key_id, created_at, updated_at) = record  # fmt: skip
    return (
        f"{id_}\t{set_id}\t{audio_id}\t{type_id}\t{start_ms:d}\t{end_ms:d}\t{confidence!r}\t"
        f"{note.translate(COPY_ESCAPES) if note else ''}\t{source}\t"
        f"{COPY_NULL if user_id is None else user_id}\t{COPY_NULL if key_id is None else key_id}\t"
        f"{_timestamp_text(created_at)}\t{_timestamp_text(updated_at)}\n"
    )


@functools.lru_cache(maxsize=64)
def _timestamp_text(value: datetime) -> str:
    return value.isoformat()


def _newest_id(annotation_set: AnnotationSet) -> uuid.UUID | None:
    return (
        Annotation.objects.filter(annotation_set=annotation_set)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )


def _count(locked: AnnotationSet, added: Counter, *, anchors: list | None = None) -> None:
    """Apply a change of per-type counts to the locked set (negative values remove), and the
    page anchors that change brings when rows were added or removed."""
    counts = Counter(locked.counts_by_type)
    counts.update(added)
    locked.counts_by_type = {name: count for name, count in sorted(counts.items()) if count > 0}
    locked.annotation_count = sum(locked.counts_by_type.values())
    changed = ["counts_by_type", "annotation_count", "updated_at"]
    if anchors is not None:
        locked.page_anchors = anchors
        changed.append("page_anchors")
    locked.save(update_fields=changed)


def remove_labels_of_deleted_audio(sender: object, *, audio: AudioFile, **kwargs: object) -> None:
    """datasets.signals.audio_deleting: take the audio's annotations out of every draft set
    that has some, with their counts and page anchors (the sender has checked that no
    published set labels it)."""
    labelled = (
        AnnotationSet.objects.filter(annotations__audio_file=audio)
        .values_list("pk", flat=True)
        .distinct()
    )
    for annotation_set in AnnotationSet.objects.filter(pk__in=list(labelled)).order_by("pk"):
        locked = _lock_draft(annotation_set)
        removed = Annotation.objects.filter(annotation_set=locked, audio_file=audio)
        rows = list(removed.values_list("id", "artifact_type__name"))
        removed.delete()
        _count(
            locked,
            Counter({name: -count for name, count in Counter(name for _, name in rows).items()}),
            anchors=page_anchors.after_removing(locked.page_anchors, [pk for pk, _ in rows]),
        )


def update_annotation(*, annotation: Annotation, changes: dict[str, object]) -> Annotation:
    """Apply a partial change, checked as a whole row against the dataset's rules."""
    merged = {
        "audio_file_id": str(annotation.audio_file_id),
        "artifact_type": annotation.artifact_type.name,
        "start_ms": annotation.start_ms,
        "end_ms": annotation.end_ms,
        "confidence": annotation.confidence,
        "note": annotation.note,
        **changes,
    }
    annotation_set = annotation.annotation_set
    types = dict(
        ArtifactType.objects.filter(dataset=annotation_set.dataset).values_list("name", "pk")
    )
    audio = _audio_facts(annotation_set.dataset, _referenced_audio_ids([merged]))
    errors, row = check_row(merged, loc=["body"], audio=audio, types=set(types))
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        locked = _lock_draft(annotation_set)
        old_type = annotation.artifact_type.name
        annotation.audio_file_id = row.audio_file_id
        annotation.artifact_type_id = types[row.artifact_type]
        annotation.start_ms, annotation.end_ms = row.start_ms, row.end_ms
        annotation.confidence, annotation.note = row.confidence, row.note
        annotation.updated_at = timezone.now()
        annotation.save()
        if old_type != row.artifact_type:
            _count(locked, Counter({old_type: -1, row.artifact_type: 1}))
    annotation.refresh_from_db()
    return annotation


def delete_annotation(*, annotation: Annotation) -> None:
    with transaction.atomic():
        locked = _lock_draft(annotation.annotation_set)
        type_name = annotation.artifact_type.name
        removed_id = annotation.pk
        annotation.delete()
        _count(
            locked,
            Counter({type_name: -1}),
            anchors=page_anchors.after_removing(locked.page_anchors, [removed_id]),
        )
