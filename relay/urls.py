from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from relay import uploads, views

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
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard_page, name="dashboard"),
]

handler400 = "relay.handlers.bad_request"
handler403 = "relay.handlers.permission_denied"
handler404 = "relay.handlers.page_not_found"
handler500 = "relay.handlers.server_error"
