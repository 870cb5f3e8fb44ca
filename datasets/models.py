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

    @property
    def storage_prefix(self) -> str:
        return dataset_storage_prefix(self.tenant_id, self.pk)


def dataset_storage_prefix(tenant_id: object, dataset_id: object) -> str:
    return f"tenants/{tenant_id}/datasets/{dataset_id}"


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


class AudioFile(TimestampedModel):
    """One uploaded recording and what the pipeline derived from it.

    The row is the truth about the file's state; queue messages only name its id.
    """

    class Status(models.TextChoices):
        PENDING = "pending"  # upload URL issued, bytes not confirmed yet
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audio_files")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="audio_files")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    file_size = models.PositiveBigIntegerField()
    metadata = models.JSONField(default=dict, blank=True)
    processing_status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    processing_error = models.TextField(blank=True, default="")
    # Sentences about a file that became ready with a problem (a truncated WAV): what was kept.
    processing_warnings = models.JSONField(default=list, blank=True)
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    sample_rate = models.PositiveIntegerField(null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    detected_format = models.CharField(max_length=32, blank=True, default="")
    feature_recipe = models.JSONField(null=True, blank=True)
    feature_frames = models.PositiveIntegerField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["dataset", "-created_at", "-id"], name="audio_dataset_list"),
            models.Index(
                fields=["processing_status", "lease_expires_at"], name="audio_status_lease"
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def storage_prefix(self) -> str:
        return f"{dataset_storage_prefix(self.tenant_id, self.dataset_id)}/audio/{self.pk}"

    @property
    def original_key(self) -> str:
        return f"{self.storage_prefix}/original"

    @property
    def normalized_key(self) -> str:
        return f"{self.storage_prefix}/normalized.wav"

    @property
    def features_key(self) -> str:
        return f"{self.storage_prefix}/features.npy"

    @property
    def peaks_key(self) -> str:
        return f"{self.storage_prefix}/peaks.npz"
