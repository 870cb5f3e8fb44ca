from django.conf import settings
from django.db import models

from datasets.models import ArtifactType, AudioFile, Dataset
from relay.ids import uuid7
from relay.models import TimestampedModel
from tenants.models import ApiKey, Tenant

PAGE_ANCHOR_STRIDE = 10_000


class AnnotationSet(TimestampedModel):
    """A body of labels for one dataset: a draft while people label, immutable once published."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="annotation_sets")
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="annotation_sets")
    name = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # SHA-256 of the published annotations, so a model can name exactly what it learned from.
    content_hash = models.CharField(max_length=64, blank=True, default="")
    # Kept by the services in the same transaction as every change, so pages never COUNT(*).
    annotation_count = models.PositiveIntegerField(default=0)
    counts_by_type = models.JSONField(default=dict, blank=True)
    # [position, id] pairs about every PAGE_ANCHOR_STRIDE positions of the id order (oldest
    # first), kept with every change like the counts, so any page starts from an index seek
    # instead of skipping up to a million rows (annotations/page_anchors.py).
    page_anchors = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["dataset", "-created_at", "-id"], name="annotation_set_list")
        ]

    def __str__(self) -> str:
        return self.name or f"Annotation set {self.pk}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Annotation(models.Model):
    """One labelled region: an artifact of a type between two times of one audio file."""

    class Source(models.TextChoices):
        HUMAN = "human"
        MODEL = "model"

    # Time-ordered, so the newest-first page order is the primary key's order and bulk inserts
    # append to the index instead of scattering over it.
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # The set, audio and type are checked by triggers (migration 0004) instead of foreign-key
    # constraints: PostgreSQL checks a foreign key row by row, which cost a third of a
    # 10 000-row bulk add, where the triggers check a whole statement's rows at once (and that
    # the audio and type belong to the set's dataset). Django still cascades and restricts.
    # No index of its own: the indexes below lead with the set.
    annotation_set = models.ForeignKey(
        AnnotationSet,
        on_delete=models.CASCADE,
        related_name="annotations",
        db_index=False,
        db_constraint=False,
    )
    audio_file = models.ForeignKey(
        AudioFile, on_delete=models.CASCADE, related_name="annotations", db_constraint=False
    )
    # RESTRICT: a type that labels use cannot disappear from under them, unless they go too
    # (deleting the whole dataset).
    artifact_type = models.ForeignKey(
        ArtifactType, on_delete=models.RESTRICT, related_name="annotations", db_constraint=False
    )
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    confidence = models.FloatField(default=1.0)
    note = models.TextField(blank=True, default="")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.HUMAN)
    # Who added it, for the record: unindexed and unconstrained in the database (Django still
    # sets them NULL when the user or key is deleted), so a bulk add skips a foreign-key check
    # per row.
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_by_key = models.ForeignKey(
        ApiKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Paging a set newest first (ids are time-ordered), index-only for deep pages.
            models.Index(fields=["annotation_set", "id"], name="annotation_set_page"),
            models.Index(fields=["annotation_set", "audio_file"], name="annotation_by_audio"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_ms__gt=models.F("start_ms")),
                name="annotation_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0),
                name="annotation_confidence_unit_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.artifact_type_id} {self.start_ms}-{self.end_ms} ms"
