from uuid import UUID

from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform

from datasets.models import ArtifactType, AudioFile, Dataset
from relay import rows
from relay.errors import Invalid, NotFound
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


def get_dataset(*, tenant: Tenant, dataset_id: UUID, artifact_types: bool = True) -> Dataset:
    """The tenant's dataset, with its artifact types read in the same call unless the caller
    needs only the row (`artifact_types=False`: one query fewer)."""
    if not artifact_types:
        # The row alone is what most requests under a dataset's URL need (relay.rows).
        dataset = rows.one(Dataset, {"id": dataset_id, "tenant": tenant.pk})
        if dataset is None:
            raise NotFound("Dataset not found")
        return dataset
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
    without_inference_by: UUID | None = None,
    order: str = "newest",
    model_id: UUID | None = None,
) -> QuerySet[AudioFile]:
    """Newest first, or with `order="uncertainty"` most unsure first by `model_id`'s stored
    uncertainty (audio it has not run on last, newest first among them); with `model_id`,
    each file carries that `uncertainty` (None where the model has not run on it). `metadata`
    matches top-level keys: `?metadata.tts_model=v3` finds `{"tts_model": "v3"}`, and
    `?metadata.take=2` finds both `{"take": 2}` and `{"take": "2"}`. `without_inference_by`
    keeps the audio that model has not run on (see `_without_inference_by`)."""
    audio_files = audio_files_for(dataset)
    if model_id:
        _check_model(dataset, model_id, ["query", "model_id"])
        # Reverse relation to inference's per-(audio, model) row, so this app imports no higher
        # one; the row is unique per model, so the join never repeats a file.
        by_model = FilteredRelation("uncertainties", condition=Q(uncertainties__model_id=model_id))
        audio_files = audio_files.annotate(by_model=by_model).annotate(
            uncertainty=F("by_model__uncertainty")
        )
    elif order == "uncertainty":
        raise Invalid.at(
            ["query", "model_id"],
            "order=uncertainty needs model_id: the model whose uncertainty ranks the audio",
            "value_error.missing",
        )
    if without_inference_by:
        audio_files = _without_inference_by(audio_files, dataset, without_inference_by)
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
    if order == "uncertainty":
        return audio_files.order_by(F("uncertainty").desc(nulls_last=True), "-created_at", "-id")
    return audio_files.order_by("-created_at", "-id")


def _check_model(dataset: Dataset, model_id: UUID, loc: list[str | int]) -> None:
    if not dataset.tenant.trained_models.filter(pk=model_id).exists():
        raise Invalid.at(loc, "No model with this id in your tenant", "value_error.not_found")


# Inference file statuses that count as "the model has run on it": done, or under way.
INFERENCE_RUN_STATUSES = ("processing", "completed")


def _without_inference_by(
    audio_files: QuerySet[AudioFile], dataset: Dataset, model_id: UUID
) -> QuerySet[AudioFile]:
    """Ready audio (what `files/from-dataset` takes) that no inference job of the model has
    completed or is running (a failed or cancelled run does not count). Raises Invalid for a
    model not in the dataset's tenant. Reads inference through reverse relations, so this app
    never imports a higher one."""
    _check_model(dataset, model_id, ["query", "without_inference_by"])
    run = AudioFile.objects.filter(
        dataset=dataset,
        inference_files__job__model_id=model_id,
        inference_files__status__in=INFERENCE_RUN_STATUSES,
    )
    ready = audio_files.filter(processing_status=AudioFile.Status.READY)
    return ready.exclude(pk__in=run.values("pk"))


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
