from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join

from datasets import services
from datasets.models import ArtifactType, AudioFile, Dataset
from relay.errors import Conflict


class ArtifactTypeInline(admin.TabularInline):
    model = ArtifactType
    extra = 0
    fields = ["name", "description", "color", "position"]


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "audio_count", "total_duration_ms", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["name", "description", "tenant__name"]
    readonly_fields = ["audio_count", "total_duration_ms", "created_at", "updated_at"]
    inlines = [ArtifactTypeInline]


@admin.register(AudioFile)
class AudioFileAdmin(admin.ModelAdmin):
    list_display = [
        "filename",
        "dataset",
        "processing_status",
        "duration_ms",
        "sample_rate",
        "channels",
        "created_at",
    ]
    list_filter = ["processing_status", "dataset__tenant"]
    search_fields = ["filename", "dataset__name"]
    readonly_fields = [
        "tenant",
        "dataset",
        "content_type",
        "file_size",
        "processing_status",
        "processing_error",
        "duration_ms",
        "sample_rate",
        "channels",
        "detected_format",
        "feature_recipe",
        "feature_frames",
        "lease_expires_at",
        "processing_attempts",
        "confirmed_at",
        "processed_at",
        "created_at",
        "updated_at",
        "labeling_links",
    ]
    actions = ["reprocess_selected"]

    @admin.display(description="Label")
    def labeling_links(self, obj: AudioFile) -> str:
        """This file in the labeling view of each of its dataset's annotation sets."""
        sets = obj.dataset.annotation_sets.order_by("-created_at")
        if not sets:
            return "No annotation set yet: create one on the dataset's page."
        return format_html_join(
            " · ",
            '<a href="{}?audio={}">{} ({})</a>',
            (
                (
                    reverse("admin:annotations_annotationset_label", args=[annotation_set.pk]),
                    obj.pk,
                    annotation_set.name,
                    annotation_set.status,
                )
                for annotation_set in sets
            ),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # audio arrives through uploads, which the API signs

    @admin.action(description="Process selected audio again", permissions=["change"])
    def reprocess_selected(self, request: HttpRequest, queryset: QuerySet[AudioFile]) -> None:
        count = services.reprocess_audio(audio_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Queued {count} file(s) for processing.", messages.SUCCESS)

    # Deletes go through the service, like the API's: it refuses audio a published annotation set
    # labels, takes its labels out of draft sets' counts, keeps the dataset's totals and removes
    # the stored files. The ORM's own cascade would do none of that.
    def has_delete_permission(self, request: HttpRequest, obj: AudioFile | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (
            obj is not None and services.labelled_by_published_set(obj)
        )

    def delete_model(self, request: HttpRequest, obj: AudioFile) -> None:
        services.delete_audio(audio=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AudioFile]) -> None:
        kept = []
        for audio in queryset:
            try:
                services.delete_audio(audio=audio)
            except Conflict:
                kept.append(audio.filename)
        if kept:
            self.message_user(
                request,
                f"Not deleted, a published annotation set labels them: {', '.join(kept)}",
                messages.ERROR,
            )
