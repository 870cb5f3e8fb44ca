from django.db import models

from annotations.models import AnnotationSet
from datasets.models import AudioFile, Dataset, dataset_storage_prefix
from relay.models import TimestampedModel
from tenants.models import Tenant


class TrainingJob(TimestampedModel):
    """One run of training a detector on a published annotation set.

    The row is the truth about the job; queue messages only name its id. `attempts` counts the
    workers that claimed it, so a job whose worker keeps dying ends `failed`.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="training_jobs")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="training_jobs")
    annotation_set = models.ForeignKey(
        AnnotationSet, on_delete=models.CASCADE, related_name="training_jobs"
    )
    # The request's config with every default filled in, as the API shows it.
    config = models.JSONField(default=dict)
    # The ready audio the job trains on, fixed when it was created and checked.
    audio_file_ids = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    current_epoch = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["dataset", "-created_at", "-id"], name="training_job_dataset_list"
            ),
            models.Index(fields=["tenant", "-created_at", "-id"], name="training_job_tenant_list"),
            models.Index(fields=["status", "lease_expires_at"], name="training_job_status_lease"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100), name="training_job_progress_range"
            )
        ]

    def __str__(self) -> str:
        return f"Training job {self.pk}"

    @property
    def storage_prefix(self) -> str:
        """Where the job keeps its checkpoint while it runs."""
        return f"{dataset_storage_prefix(self.tenant_id, self.dataset_id)}/training-jobs/{self.pk}"

    @property
    def checkpoint_key(self) -> str:
        return f"{self.storage_prefix}/checkpoint.pt"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED}


class TrainedModel(TimestampedModel):
    """A detector a completed training job made; its weights live in storage at `file_key`.

    A model outlives its dataset: deleting the dataset nulls `dataset` and keeps the model, its
    metadata and its file, which is why the file's key is kept on the row.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="trained_models")
    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trained_models",
    )
    # One model per job, enforced here: a job retried after its worker died cannot make a second.
    training_job = models.OneToOneField(
        TrainingJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="model"
    )
    annotation_set = models.ForeignKey(
        AnnotationSet,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trained_models",
    )
    name = models.CharField(max_length=200)
    artifact_types = models.JSONField(default=list)
    metrics = models.JSONField(default=dict, blank=True)
    # What it learned from and on: the set's content hash and the feature recipe's version.
    content_hash = models.CharField(max_length=64, blank=True, default="")
    feature_recipe_version = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    # Where the weights are; set on first save when left empty (`model_file_key`). Models made
    # before 0002 keep their old place under the dataset's prefix.
    file_key = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["dataset", "-created_at", "-id"], name="model_dataset_list"),
            models.Index(fields=["tenant", "-created_at", "-id"], name="model_tenant_list"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.file_key:
            self.file_key = model_file_key(self.tenant_id, self.pk)
        super().save(*args, **kwargs)

    @property
    def storage_prefix(self) -> str:
        """The folder of the model's file, removed with the model."""
        return self.file_key.rsplit("/", 1)[0]


def model_storage_prefix(tenant_id: object, model_id: object) -> str:
    """A model's folder: under its tenant, not its dataset, which it outlives."""
    return f"tenants/{tenant_id}/models/{model_id}"


def model_file_key(tenant_id: object, model_id: object) -> str:
    return f"{model_storage_prefix(tenant_id, model_id)}/model.pt"


def legacy_model_file_key(tenant_id: object, dataset_id: object, model_id: object) -> str:
    """Where models made before migration 0002 keep their file: under the dataset's prefix."""
    return f"{dataset_storage_prefix(tenant_id, dataset_id)}/models/{model_id}/model.pt"


class ValidationMistake(models.Model):
    """One false positive or false negative of a completed job on its validation files, kept
    for the error review (`GET /training-jobs/{id}/errors`). Written with the job's completion;
    the audio's deletion takes its errors with it."""

    class Kind(models.TextChoices):
        FALSE_POSITIVE = "false_positive"
        FALSE_NEGATIVE = "false_negative"

    job = models.ForeignKey(
        TrainingJob, on_delete=models.CASCADE, related_name="validation_mistakes"
    )
    audio_file = models.ForeignKey(AudioFile, on_delete=models.CASCADE, related_name="+")
    artifact_type = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    confidence = models.FloatField()

    class Meta:
        indexes = [
            models.Index(
                "job",
                "artifact_type",
                "kind",
                models.F("confidence").desc(),
                "id",
                name="validation_mistake_review",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.artifact_type} {self.start_ms}-{self.end_ms} ms"
