"""How well two annotation sets of one dataset agree: one set is scored against the other with
the event matching model evaluation uses, so a team sees how consistent its labelers are and
what F1 a model can reasonably reach on its labels."""

from dataclasses import dataclass
from uuid import UUID

from annotations.event_matching import Event, EventScores, score_events
from annotations.models import Annotation, AnnotationSet
from relay.errors import Invalid


@dataclass(frozen=True)
class Agreement:
    annotation_set: AnnotationSet
    other: AnnotationSet
    # "shared": only audio both sets label; "all": they share none, so all audio either labels.
    audio_scope: str
    audio_file_count: int
    scores: EventScores


def measure_agreement(
    *, annotation_set: AnnotationSet, other_id: UUID, collar_ms: float
) -> Agreement:
    """Scores `other_id`'s annotations against `annotation_set`'s, which act as the reference:
    precision is the share of the other set's events this set also has, recall the share of this
    set's events the other has. Scored on the audio both sets label; when they share no audio
    (one of them is empty, say) every event is a disagreement, over all audio either labels."""
    other = _other_set(annotation_set, other_id)
    reference = _events(annotation_set)
    compared = _events(other)
    reference_audio = {event.file for event in reference}
    compared_audio = {event.file for event in compared}
    shared_audio = reference_audio & compared_audio
    audio_scope, audio = (
        ("shared", shared_audio) if shared_audio else ("all", reference_audio | compared_audio)
    )
    types = list(annotation_set.dataset.artifact_types.values_list("name", flat=True))
    scores = score_events(reference, compared, types=types, files=audio, collar_ms=collar_ms)
    return Agreement(
        annotation_set=annotation_set,
        other=other,
        audio_scope=audio_scope,
        audio_file_count=len(audio),
        scores=scores,
    )


def _other_set(annotation_set: AnnotationSet, other_id: UUID) -> AnnotationSet:
    try:
        return AnnotationSet.objects.get(pk=other_id, dataset_id=annotation_set.dataset_id)
    except AnnotationSet.DoesNotExist:
        raise Invalid.at(
            ["query", "other"],
            "No annotation set with this id in this dataset; agreement compares two sets of "
            "the same dataset.",
            "value_error.not_found",
        ) from None


def _events(annotation_set: AnnotationSet) -> list[Event]:
    rows = Annotation.objects.filter(annotation_set=annotation_set).values_list(
        "audio_file_id", "artifact_type__name", "start_ms", "end_ms"
    )
    return [Event(*row) for row in rows.iterator(chunk_size=10_000)]
