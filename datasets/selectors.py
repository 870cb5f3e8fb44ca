from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from datasets.models import ArtifactType, Dataset
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
