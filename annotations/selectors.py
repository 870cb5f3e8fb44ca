from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from annotations import page_anchors
from annotations.models import Annotation, AnnotationSet
from datasets import selectors as dataset_selectors
from datasets.models import Dataset
from relay import rows
from relay.api.pagination import fetch_page
from relay.errors import NotFound
from tenants.models import Tenant


def annotation_sets_for(dataset: Dataset) -> QuerySet[AnnotationSet]:
    return AnnotationSet.objects.filter(dataset=dataset)


def list_annotation_sets(*, dataset: Dataset, status: str = "") -> QuerySet[AnnotationSet]:
    sets = annotation_sets_for(dataset)
    if status:
        sets = sets.filter(status=status)
    return sets.order_by("-created_at", "-id")


def get_annotation_set(*, dataset: Dataset, set_id: UUID) -> AnnotationSet:
    try:
        return annotation_sets_for(dataset).get(pk=set_id)
    except AnnotationSet.DoesNotExist:
        raise NotFound("Annotation set not found") from None


def get_annotation_set_of_tenant(
    *, tenant: Tenant, dataset_id: UUID, set_id: UUID
) -> AnnotationSet:
    """The set `set_id` of the tenant's dataset `dataset_id`, with its dataset (without artifact
    types), in one query. Raises NotFound naming the dataset when that is what is missing."""
    found = rows.one(
        AnnotationSet,
        {"id": set_id, "dataset": dataset_id},
        parent_key="dataset",
        parent_where={"tenant": tenant.pk},
    )
    if found is not None:
        return found
    dataset_selectors.get_dataset(tenant=tenant, dataset_id=dataset_id, artifact_types=False)
    raise NotFound("Annotation set not found")


def list_annotations(
    *, annotation_set: AnnotationSet, audio_file_id: UUID | None = None, artifact_type: str = ""
) -> QuerySet[Annotation]:
    annotations = Annotation.objects.filter(annotation_set=annotation_set)
    if audio_file_id:
        annotations = annotations.filter(audio_file_id=audio_file_id)
    if artifact_type:
        annotations = annotations.filter(artifact_type__name=artifact_type)
    return annotations.order_by("-id")


def get_annotation(*, annotation_set: AnnotationSet, annotation_id: UUID) -> Annotation:
    try:
        return (
            Annotation.objects.select_related("artifact_type")
            .filter(annotation_set=annotation_set)
            .get(pk=annotation_id)
        )
    except Annotation.DoesNotExist:
        raise NotFound("Annotation not found") from None


def anchored_annotation_page(
    annotation_set: AnnotationSet,
    annotations: QuerySet[Annotation],
    *,
    offset: int,
    limit: int,
    total: int,
    load: Callable[[QuerySet[Annotation]], QuerySet[Any]],
) -> list[object]:
    """Rows [offset, offset + limit) of the set's newest-first `annotations` (unfiltered). The
    page's ids are read from the index first, starting from the page anchor at or before the
    page, or from the newest end when that is nearer, so about a stride of index entries is
    skipped at most, whatever the page; then only the page's own rows are read."""
    if offset >= total or limit <= 0:
        return []
    count = min(limit, total - offset)
    oldest = total - offset - count  # the page's oldest row, counted from the set's first
    anchor = page_anchors.anchor_before(annotation_set.page_anchors, oldest)
    if anchor is not None and oldest - anchor[0] <= offset:
        anchor_position, anchor_id = anchor
        skip = oldest - anchor_position
        from_anchor = annotations.filter(id__gte=anchor_id).order_by("id")
        keys = list(from_anchor.values_list("pk", flat=True)[skip : skip + count])
    elif annotation_set.is_published:
        keys = list(annotations.values_list("pk", flat=True)[offset : offset + count])
    else:
        return fetch_page(annotations, offset=offset, limit=limit, total=total, load=load)
    if not keys:
        return []
    if annotation_set.is_published:
        # A published set never changes, so the page is exactly the range its keys span: one
        # index range scan instead of looking up each of the page's keys.
        return list(load(annotations.filter(pk__gte=min(keys), pk__lte=max(keys))))
    return list(load(annotations.filter(pk__in=keys)))
