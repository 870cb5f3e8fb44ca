from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from annotations.models import Annotation, AnnotationSet
from annotations.pages import labeling_config
from tenants.selectors import membership_of


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
        "labeling_link",
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

    @admin.display(description="Labeling")
    def labeling_link(self, obj: AnnotationSet) -> str:
        url = reverse("admin:annotations_annotationset_label", args=[obj.pk])
        return format_html('<a href="{}">Open the labeling view</a>', url)

    def get_urls(self) -> list[URLPattern]:
        label = path(
            "<path:object_id>/label/",
            self.admin_site.admin_view(self.labeling_view),
            name="annotations_annotationset_label",
        )
        return [label, *super().get_urls()]

    def labeling_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The labeling component inside the admin. It works through /api/v1 as the operator's
        own tenant, so an operator outside the set's tenant is told so instead."""
        annotation_set = self.get_object(request, object_id)
        if annotation_set is None or not self.has_view_permission(request, annotation_set):
            raise Http404("Annotation set not found")
        membership = membership_of(request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Label {annotation_set.name}",
            "opts": self.model._meta,
            "original": annotation_set,
            "annotation_set": annotation_set,
            "dataset": annotation_set.dataset,
            "member": membership is not None and membership.tenant_id == annotation_set.tenant_id,
            "labeling_config": labeling_config(
                request,
                dataset=annotation_set.dataset,
                annotation_set=annotation_set,
                page_url=request.path,
            ),
        }
        return TemplateResponse(request, "admin/annotations/annotationset/label.html", context)


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
