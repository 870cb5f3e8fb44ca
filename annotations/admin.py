from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from annotations.models import Annotation, AnnotationSet


@admin.register(AnnotationSet)
class AnnotationSetAdmin(admin.ModelAdmin):
    """Drafts can be renamed or deleted here; published sets are read-only (the database also
    refuses to change them)."""

    list_display = ["__str__", "dataset", "status", "annotation_count", "published_at"]
    list_filter = ["status", "tenant"]
    search_fields = ["name", "dataset__name"]
    readonly_fields = [
        "tenant",
        "dataset",
        "status",
        "annotation_count",
        "counts_by_type",
        "content_hash",
        "published_at",
        "annotations_link",
    ]
    fields = ["name", "description", *readonly_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AnnotationSet | None = None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request: HttpRequest, obj: AnnotationSet | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)

    @admin.display(description="Annotations")
    def annotations_link(self, obj: AnnotationSet) -> str:
        url = reverse("admin:annotations_annotation_changelist")
        return format_html(
            '<a href="{}?annotation_set__id__exact={}">{} annotations</a>',
            url,
            obj.pk,
            obj.annotation_count,
        )


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    """Annotations are made through the API and the labeling page; here operators look."""

    list_display = ["annotation_set", "audio_file", "artifact_type", "start_ms", "end_ms", "source"]
    list_filter = ["source", "annotation_set__status"]
    list_select_related = ["annotation_set", "audio_file", "artifact_type"]
    raw_id_fields = ["annotation_set", "audio_file", "artifact_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Annotation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Annotation | None = None) -> bool:
        return False
