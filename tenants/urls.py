from django.urls import path

from tenants import api

urlpatterns = [
    path("api-keys", api.ApiKeyListApi.as_view(), name="api-key-list"),
    path("api-keys/<id:api_key_id>", api.ApiKeyDetailApi.as_view(), name="api-key-detail"),
]
