from django.contrib import admin

from datasets.models import ArtifactType, Dataset


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
