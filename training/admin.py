from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from training import services
from training.models import TrainedModel, TrainingJob


@admin.register(TrainingJob)
class TrainingJobAdmin(admin.ModelAdmin):
    """Jobs are made through the API; here operators watch them and retry failed ones."""

    list_display = ["__str__", "dataset", "status", "progress_percent", "attempts", "created_at"]
    list_filter = ["status", "tenant"]
    list_select_related = ["dataset"]
    search_fields = ["id", "dataset__name"]
    readonly_fields = [
        "tenant",
        "dataset",
        "annotation_set",
        "config",
        "status",
        "progress_percent",
        "current_epoch",
        "metrics",
        "error_message",
        "started_at",
        "completed_at",
        "lease_expires_at",
        "attempts",
        "created_at",
        "updated_at",
    ]
    exclude = ["audio_file_ids"]
    actions = ["retry_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry selected failed jobs", permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[TrainingJob]) -> None:
        count = services.retry_training_jobs(job_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        self.message_user(request, f"Queued {count} failed job(s) again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Skipped {skipped} job(s) that had not failed.", messages.WARNING
            )


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    """Models can be renamed or deleted here (deleting also removes the stored file)."""

    list_display = ["name", "dataset", "training_job", "file_size", "created_at"]
    list_filter = ["tenant"]
    list_select_related = ["dataset", "training_job"]
    search_fields = ["name", "dataset__name"]
    readonly_fields = [
        "tenant",
        "dataset",
        "training_job",
        "annotation_set",
        "artifact_types",
        "metrics",
        "content_hash",
        "feature_recipe_version",
        "file_size",
        "created_at",
        "updated_at",
    ]
    fields = ["name", *readonly_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TrainedModel) -> None:
        services.delete_model(model=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TrainedModel]) -> None:
        for model in queryset:
            services.delete_model(model=model)
