from django.db import models

from annotations.models import AnnotationSet
from datasets.models import AudioFile
from relay.models import TimestampedModel
from tenants.models import Tenant
from training.models import TrainedModel


class InferenceJob(TimestampedModel):
    """A model run over a batch of files, with the post-processing config it used.

    Status follows the files (`inference.services.refresh_job_status`): `pending` until a file is
    confirmed, `processing` while a confirmed file is unfinished or an upload is unconfirmed,
    then `completed` (or `failed` when every confirmed file failed). The counters change in the
    same transaction as the files they count. Deleting the model keeps the job and its
    detections, with `model` null.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="inference_jobs")
    model = models.ForeignKey(
        TrainedModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inference_jobs",
    )
    # {threshold: number | {type: number} | null, merge_window_ms, min_duration_ms, signal_checks}
    config = models.JSONField(default=dict)
    # The model's types when the job was made: the job's results stay readable without it.
    artifact_types = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total_files = models.PositiveIntegerField(default=0)  # confirmed files
    processed_files = models.PositiveIntegerField(default=0)  # completed + failed
    failed_files = models.PositiveIntegerField(default=0)
    total_detections = models.PositiveIntegerField(default=0)
    processed_duration_ms = models.PositiveBigIntegerField(default=0)  # of completed files
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="inference_job_tenant_list"),
            models.Index(fields=["model", "-created_at", "-id"], name="inference_job_model_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(processed_files__lte=models.F("total_files")),
                name="inference_job_processed_le_total",
            ),
            models.CheckConstraint(
                condition=models.Q(failed_files__lte=models.F("processed_files")),
                name="inference_job_failed_le_processed",
            ),
        ]

    def __str__(self) -> str:
        return f"Inference job {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED}

    @property
    def storage_prefix(self) -> str:
        return f"tenants/{self.tenant_id}/inference/{self.pk}"


class InferenceFile(TimestampedModel):
    """One file of a job: uploaded for it, or taken from a dataset's audio (`audio_file`)."""

    class Status(models.TextChoices):
        PENDING = "pending"  # upload URL issued, bytes not confirmed yet
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"  # its job was cancelled before it finished

    job = models.ForeignKey(InferenceJob, on_delete=models.CASCADE, related_name="files")
    audio_file = models.ForeignKey(
        AudioFile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inference_files",
    )
    original_filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    file_size = models.PositiveBigIntegerField()
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    detection_count = models.PositiveIntegerField(default=0)
    # Unsure (frame, type) pairs per minute (inference.detection.unsure_frames_per_minute).
    uncertainty = models.FloatField(null=True, blank=True)
    # What the worker reads: the original to decode, or (dataset audio whose feature recipe is
    # the model's) the stored features, which skips decoding.
    source_key = models.CharField(max_length=500)
    features_key = models.CharField(max_length=500, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["job", "created_at", "id"], name="inference_file_job_list"),
            models.Index(fields=["job", "status"], name="inference_file_job_status"),
            models.Index(fields=["status", "lease_expires_at"], name="inference_file_status_lease"),
        ]

    def __str__(self) -> str:
        return self.original_filename

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED}


def upload_key(job: InferenceJob, file_id: object) -> str:
    return f"{job.storage_prefix}/files/{file_id}/original"


def peaks_key(job: InferenceJob, file_id: object) -> str:
    """Where the worker keeps an uploaded file's waveform peaks (dataset audio has its own)."""
    return f"{job.storage_prefix}/files/{file_id}/peaks.npz"


class Detection(models.Model):
    """One detected artifact in one file. `job` is repeated from the file so that per-type
    top-k across a job reads one index."""

    job = models.ForeignKey(InferenceJob, on_delete=models.CASCADE, related_name="detections")
    file = models.ForeignKey(InferenceFile, on_delete=models.CASCADE, related_name="detections")
    artifact_type = models.CharField(max_length=64)
    start_ms = models.PositiveBigIntegerField()
    end_ms = models.PositiveBigIntegerField()
    confidence = models.FloatField()

    class Meta:
        indexes = [
            models.Index(fields=["file", "start_ms", "artifact_type"], name="detection_file_start"),
            models.Index(
                "job",
                "artifact_type",
                models.F("confidence").desc(),
                "id",
                name="detection_job_type_top",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_ms__lt=models.F("end_ms")), name="detection_start_lt_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.artifact_type} {self.start_ms}-{self.end_ms} ms"


class AudioUncertainty(models.Model):
    """How unsure a model was about one dataset audio file, from its latest completed inference
    run over it: the "label next" queue (`GET /datasets/{id}/audio?order=uncertainty`) orders by
    it. One row per (audio, model), replaced by every later run."""

    audio_file = models.ForeignKey(
        AudioFile, on_delete=models.CASCADE, related_name="uncertainties"
    )
    model = models.ForeignKey(TrainedModel, on_delete=models.CASCADE, related_name="+")
    uncertainty = models.FloatField()
    inference_file = models.ForeignKey(
        InferenceFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["audio_file", "model"], name="audio_uncertainty_once"),
        ]
        indexes = [
            models.Index("model", models.F("uncertainty").desc(), name="audio_uncertainty_queue")
        ]

    def __str__(self) -> str:
        return f"{self.uncertainty:.1f} unsure frames/min"


class RejectedDetection(TimestampedModel):
    """A model detection someone rejected while labeling a draft set: the labeling page hides
    it for this set, and importing detections into the set skips it. Named by what it covers
    (audio, type, times), not by a detection row, so a rerun of the model keeps it hidden."""

    annotation_set = models.ForeignKey(
        AnnotationSet, on_delete=models.CASCADE, related_name="rejected_detections"
    )
    audio_file = models.ForeignKey(AudioFile, on_delete=models.CASCADE, related_name="+")
    artifact_type = models.CharField(max_length=64)
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    model = models.ForeignKey(
        TrainedModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["annotation_set", "audio_file", "artifact_type", "start_ms", "end_ms"],
                name="rejected_detection_once",
            ),
            models.CheckConstraint(
                condition=models.Q(start_ms__lt=models.F("end_ms")),
                name="rejected_detection_start_lt_end",
            ),
        ]
        indexes = [
            models.Index(
                fields=["annotation_set", "-created_at", "-id"], name="rejected_detection_list"
            )
        ]

    def __str__(self) -> str:
        return f"rejected {self.artifact_type} {self.start_ms}-{self.end_ms} ms"
