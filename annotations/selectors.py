from uuid import UUID

from django.db.models import QuerySet

from annotations.models import Annotation, AnnotationSet
from datasets.models import Dataset
from relay.errors import NotFound


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


def list_annotations(
    *, annotation_set: AnnotationSet, audio_file_id: UUID | None = None, artifact_type: str = ""
) -> QuerySet[Annotation]:
    annotations = Annotation.objects.filter(annotation_set=annotation_set)
    if audio_file_id:
        annotations = annotations.filter(audio_file_id=audio_file_id)
    if artifact_type:
        annotations = annotations.filter(artifact_type__name=artifact_type)
    return annotations.select_related("artifact_type").order_by("-created_at", "-id")


def get_annotation(*, annotation_set: AnnotationSet, annotation_id: UUID) -> Annotation:
    try:
        return (
            Annotation.objects.select_related("artifact_type")
            .filter(annotation_set=annotation_set)
            .get(pk=annotation_id)
        )
    except Annotation.DoesNotExist:
        raise NotFound("Annotation not found") from None
