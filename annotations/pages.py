"""What the labeling component needs from the server, the same on the dashboard page and in the
admin: the set, the dataset's types with their number keys, and the deep link (`?audio=&t=`).
Everything else the page script reads through /api/v1."""

from uuid import UUID

from django.http import HttpRequest

from annotations.models import AnnotationSet
from datasets.models import Dataset

TYPE_KEYS = 9  # types 1-9 get a number key


def deep_link(request: HttpRequest) -> tuple[str | None, int | None]:
    """`?audio=<uuid>&t=<ms>`; a malformed value is ignored, like a missing one."""
    audio_id: str | None = request.GET.get("audio")
    try:
        audio_id = str(UUID(audio_id)) if audio_id else None
    except ValueError:
        audio_id = None
    time_text = request.GET.get("t", "")
    t_ms = int(time_text) if time_text.isdigit() else None
    return audio_id, t_ms


def labeling_config(
    request: HttpRequest, *, dataset: Dataset, annotation_set: AnnotationSet, page_url: str
) -> dict[str, object]:
    audio_id, t_ms = deep_link(request)
    types = list(dataset.artifact_types.all())
    return {
        "dataset": {"id": str(dataset.pk), "name": dataset.name},
        "set": {
            "id": str(annotation_set.pk),
            "name": annotation_set.name,
            "status": annotation_set.status,
        },
        "types": [
            {
                "name": artifact_type.name,
                "color": artifact_type.color,
                "description": artifact_type.description,
                "key": str(index + 1) if index < TYPE_KEYS else None,
            }
            for index, artifact_type in enumerate(types)
        ],
        "audio_id": audio_id,
        "t_ms": t_ms,
        "page_url": page_url,
    }
