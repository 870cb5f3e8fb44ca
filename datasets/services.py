import logging
from collections.abc import Sequence
from typing import TypedDict

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from datasets.models import ArtifactType, Dataset
from datasets.palette import next_color
from relay.errors import Invalid
from tenants.models import Tenant

logger = logging.getLogger(__name__)


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
    """Delete a dataset with its artifact types (and, as they arrive, its audio and labels)."""
    dataset_id = dataset.pk
    dataset.delete()
    logger.info("dataset %s deleted", dataset_id)
