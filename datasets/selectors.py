from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform

from datasets.models import ArtifactType, AudioFile, Dataset
from relay.errors import NotFound
from tenants.models import Tenant


def datasets_for(tenant: Tenant) -> QuerySet[Dataset]:
    return Dataset.objects.filter(tenant=tenant)


def _with_artifact_types(datasets: QuerySet[Dataset]) -> QuerySet[Dataset]:
    return datasets.prefetch_related(
        Prefetch("artifact_types", queryset=ArtifactType.objects.order_by("position", "name"))
    )


def list_datasets(*, tenant: Tenant, search: str = "") -> QuerySet[Dataset]:
    datasets = datasets_for(tenant)
    if search:
        datasets = datasets.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return _with_artifact_types(datasets).order_by("-created_at", "-id")


def get_dataset(*, tenant: Tenant, dataset_id: UUID) -> Dataset:
    try:
        return _with_artifact_types(datasets_for(tenant)).get(pk=dataset_id)
    except Dataset.DoesNotExist:
        raise NotFound("Dataset not found") from None


def audio_files_for(dataset: Dataset) -> QuerySet[AudioFile]:
    return AudioFile.objects.filter(dataset=dataset)


def list_audio_files(
    *,
    dataset: Dataset,
    processing_status: str = "",
    search: str = "",
    metadata: dict[str, str] | None = None,
) -> QuerySet[AudioFile]:
    """Newest first. `metadata` matches top-level keys: `?metadata.tts_model=v3` finds
    `{"tts_model": "v3"}`, and `?metadata.take=2` finds both `{"take": 2}` and `{"take": "2"}`."""
    audio_files = audio_files_for(dataset)
    if processing_status:
        audio_files = audio_files.filter(processing_status=processing_status)
    if search:
        audio_files = audio_files.filter(filename__icontains=search)
    for index, (key, value) in enumerate((metadata or {}).items()):
        # KeyTransform, not `metadata__<key>`: a key named like a lookup must stay a key.
        alias = f"metadata_value_{index}"
        audio_files = audio_files.alias(**{alias: KeyTransform(key, "metadata")}).filter(
            Q(**{alias: value}) | Q(**{alias: _as_json_scalar(value)})
        )
    return audio_files.order_by("-created_at", "-id")


def _as_json_scalar(value: str) -> object:
    """The number or boolean a query value spells, so it also matches non-string metadata."""
    if value in {"true", "false"}:
        return value == "true"
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def get_audio_file(*, dataset: Dataset, audio_id: UUID) -> AudioFile:
    try:
        return audio_files_for(dataset).get(pk=audio_id)
    except AudioFile.DoesNotExist:
        raise NotFound("Audio file not found") from None
