from django.db import models
from django.db.models.functions import Lower

from relay.models import TimestampedModel
from tenants.models import Tenant


class Dataset(TimestampedModel):
    """A team's collection of audio with the artifact types it labels and detects."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # Kept up to date by the audio pipeline, so lists never aggregate over every file.
    audio_count = models.PositiveIntegerField(default=0)
    total_duration_ms = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("name"), "tenant", name="dataset_name_unique_in_tenant")
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="dataset_tenant_list")
        ]

    def __str__(self) -> str:
        return self.name


class ArtifactType(TimestampedModel):
    """One kind of artifact a dataset labels (`click`, `long_pause`, …), identified by name."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="artifact_types")
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True, default="")
    color = models.CharField(max_length=7)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "dataset", name="artifact_type_name_unique_in_dataset"
            )
        ]

    def __str__(self) -> str:
        return self.name
