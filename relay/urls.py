from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotations import views as annotation_views
from datasets import views as dataset_views
from inference import views as inference_views
from relay import admin_views, health, uploads
from relay.converters import ApiIdConverter
from tenants import views as tenant_views
from training import views as training_views

register_converter(ApiIdConverter, "id")  # the app URL confs name ids `<id:…>`

api_v1 = [
    path("", include("tenants.urls")),
    path("", include("datasets.urls")),
    path("", include("annotations.urls")),
    path("", include("training.urls")),
    path("", include("inference.urls")),
    path("storage/upload", uploads.upload_view, name="storage-upload"),
    path("storage/download", uploads.download_view, name="storage-download"),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("admin/queues/", admin.site.admin_view(admin_views.queues_page), name="admin-queues"),
    path("admin/", admin.site.urls),
    path("login/", tenant_views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", dataset_views.datasets_page, name="dashboard"),
    path("datasets/new", dataset_views.dataset_new_page, name="dataset-new-page"),
    path("datasets/<uuid:dataset_id>", dataset_views.dataset_page, name="dataset-page"),
    path(
        "datasets/<uuid:dataset_id>/edit",
        dataset_views.dataset_edit_page,
        name="dataset-edit-page",
    ),
    path(
        "datasets/<uuid:dataset_id>/annotation-sets/<uuid:set_id>/label",
        annotation_views.labeling_page,
        name="labeling-page",
    ),
    path(
        "datasets/<uuid:dataset_id>/train",
        training_views.training_new_page,
        name="training-new-page",
    ),
    path(
        "training/<uuid:training_job_id>",
        training_views.training_job_page,
        name="training-job-page",
    ),
    path(
        "training/<uuid:training_job_id>/errors",
        training_views.training_errors_page,
        name="training-errors-page",
    ),
    path("models/", training_views.models_page, name="models-page"),
    path("models/compare", training_views.models_compare_page, name="models-compare-page"),
    path("models/<uuid:model_id>", training_views.model_page, name="model-page"),
    path("inference/", inference_views.inference_jobs_page, name="inference-jobs-page"),
    path(
        "inference/<uuid:inference_job_id>",
        inference_views.inference_job_page,
        name="inference-job-page",
    ),
    path("settings/", RedirectView.as_view(pattern_name="api-keys-page"), name="settings-page"),
    path("settings/api-keys", tenant_views.api_keys_page, name="api-keys-page"),
    path("settings/webhooks", tenant_views.webhooks_page, name="webhooks-page"),
]

handler400 = "relay.handlers.bad_request"
handler403 = "relay.handlers.permission_denied"
handler404 = "relay.handlers.page_not_found"
handler500 = "relay.handlers.server_error"
