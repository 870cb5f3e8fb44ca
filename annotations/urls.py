from django.urls import path

from annotations import api, transfer_api

SETS = "datasets/<id:dataset_id>/annotation-sets"
ONE_SET = f"{SETS}/<id:set_id>"

urlpatterns = [
    path(SETS, api.AnnotationSetListApi.as_view(), name="annotation-set-list"),
    path(ONE_SET, api.AnnotationSetDetailApi.as_view(), name="annotation-set-detail"),
    path(
        f"{ONE_SET}/publish", api.AnnotationSetPublishApi.as_view(), name="annotation-set-publish"
    ),
    path(f"{ONE_SET}/copy", api.AnnotationSetCopyApi.as_view(), name="annotation-set-copy"),
    path(
        f"{ONE_SET}/agreement",
        api.AnnotationSetAgreementApi.as_view(),
        name="annotation-set-agreement",
    ),
    path(
        f"{ONE_SET}/export",
        transfer_api.AnnotationSetExportApi.as_view(),
        name="annotation-set-export",
    ),
    path(
        f"{ONE_SET}/import",
        transfer_api.AnnotationSetImportApi.as_view(),
        name="annotation-set-import",
    ),
    path(f"{ONE_SET}/annotations", api.AnnotationListApi.as_view(), name="annotation-list"),
    path(f"{ONE_SET}/annotations/bulk", api.AnnotationBulkApi.as_view(), name="annotation-bulk"),
    path(
        f"{ONE_SET}/annotations/<id:annotation_id>",
        api.AnnotationDetailApi.as_view(),
        name="annotation-detail",
    ),
]
