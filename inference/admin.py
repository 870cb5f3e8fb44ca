from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from inference import services
from inference.models import InferenceFile, InferenceJob


class InferenceFileInline(admin.TabularInline):
    model = InferenceFile
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["original_filename", "status", "error", "duration_ms", "detection_count", "attempts"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(InferenceJob)
class InferenceJobAdmin(admin.ModelAdmin):
    """Jobs are made through the API; here operators watch them (and their files)."""

    list_display = [
        "__str__",
        "tenant",
        "model",
        "status",
        "processed_files",
        "total_files",
        "failed_files",
        "total_detections",
        "created_at",
    ]
    list_filter = ["status", "tenant"]
    list_select_related = ["tenant", "model"]
    search_fields = ["id", "model__name"]
    readonly_fields = [
        "tenant",
        "model",
        "config",
        "artifact_types",
        "status",
        "total_files",
        "processed_files",
        "failed_files",
        "total_detections",
        "processed_duration_ms",
        "completed_at",
        "created_at",
        "updated_at",
    ]
    inlines = [InferenceFileInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: InferenceJob) -> None:
        services.delete_inference_job(job=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InferenceJob]) -> None:
        for job in queryset:
            services.delete_inference_job(job=job)


@admin.register(InferenceFile)
class InferenceFileAdmin(admin.ModelAdmin):
    """Operators retry failed files here; the job's counters and status follow."""

    list_display = [
        "original_filename",
        "job",
        "status",
        "duration_ms",
        "detection_count",
        "attempts",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["job"]
    search_fields = ["id", "original_filename", "job__id"]
    readonly_fields = [
        "job",
        "audio_file",
        "original_filename",
        "content_type",
        "file_size",
        "metadata",
        "status",
        "error",
        "duration_ms",
        "detection_count",
        "source_key",
        "features_key",
        "lease_expires_at",
        "attempts",
        "confirmed_at",
        "completed_at",
        "created_at",
        "updated_at",
    ]
    actions = ["retry_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting a file would leave its job's counters wrong; delete the job instead.
        return False

    @admin.action(description="Retry selected failed files", permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[InferenceFile]) -> None:
        count = services.retry_failed_files(file_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        self.message_user(request, f"Queued {count} failed file(s) again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} file(s) that had not failed or whose job was cancelled.",
                messages.WARNING,
            )
