from django.urls import path

from tenants import api

urlpatterns = [
    path("api-keys", api.ApiKeyListApi.as_view(), name="api-key-list"),
    path("api-keys/<id:api_key_id>", api.ApiKeyDetailApi.as_view(), name="api-key-detail"),
    path("webhooks", api.WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<id:webhook_id>", api.WebhookDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<id:webhook_id>/ping", api.WebhookPingApi.as_view(), name="webhook-ping"),
    path(
        "webhooks/<id:webhook_id>/deliveries",
        api.WebhookDeliveryListApi.as_view(),
        name="webhook-delivery-list",
    ),
]
