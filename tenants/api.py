from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import parse_body
from relay.api.views import TenantApiView
from tenants import selectors, services, webhooks
from tenants.serializers import (
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    CreatedApiKeySerializer,
    CreatedWebhookSerializer,
    WebhookCreateSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
    WebhookUpdateSerializer,
)

TAGS = ["api-keys"]


class ApiKeyListApi(TenantApiView):
    required_scopes = {"GET": "admin", "POST": "admin"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_api_keys",
        parameters=[PageQuerySerializer],
        responses=paginated_serializer(ApiKeySerializer),
    )
    def get(self, request: Request) -> Response:
        return paginate(request, selectors.api_keys_for(request.tenant), ApiKeySerializer)

    @extend_schema(
        tags=TAGS,
        operation_id="create_api_key",
        request=ApiKeyCreateSerializer,
        responses={201: CreatedApiKeySerializer},
    )
    def post(self, request: Request) -> Response:
        body = parse_body(ApiKeyCreateSerializer, request)
        created = services.create_api_key(
            tenant=request.tenant, created_by=request.user.user, **body
        )
        data = {**ApiKeySerializer(created.api_key).data, "key": created.key}
        return Response(data, status=201)


class ApiKeyDetailApi(TenantApiView):
    required_scopes = {"GET": "admin", "DELETE": "admin"}

    @extend_schema(tags=TAGS, operation_id="get_api_key", responses=ApiKeySerializer)
    def get(self, request: Request, api_key_id: UUID) -> Response:
        api_key = selectors.get_api_key(tenant=request.tenant, api_key_id=api_key_id)
        return Response(ApiKeySerializer(api_key).data)

    @extend_schema(tags=TAGS, operation_id="revoke_api_key", responses={204: None})
    def delete(self, request: Request, api_key_id: UUID) -> Response:
        api_key = selectors.get_api_key(tenant=request.tenant, api_key_id=api_key_id)
        services.revoke_api_key(api_key=api_key)
        return Response(status=204)


WEBHOOK_TAGS = ["webhooks"]


class WebhookListApi(TenantApiView):
    required_scopes = {"GET": "admin", "POST": "admin"}

    @extend_schema(
        tags=WEBHOOK_TAGS,
        operation_id="list_webhooks",
        parameters=[PageQuerySerializer],
        responses=paginated_serializer(WebhookSerializer),
    )
    def get(self, request: Request) -> Response:
        return paginate(request, selectors.webhooks_for(request.tenant), WebhookSerializer)

    @extend_schema(
        tags=WEBHOOK_TAGS,
        operation_id="create_webhook",
        request=WebhookCreateSerializer,
        responses={201: CreatedWebhookSerializer},
    )
    def post(self, request: Request) -> Response:
        body = parse_body(WebhookCreateSerializer, request)
        webhook = webhooks.create_webhook(tenant=request.tenant, **body)
        return Response(CreatedWebhookSerializer(webhook).data, status=201)


class WebhookDetailApi(TenantApiView):
    required_scopes = {"GET": "admin", "PATCH": "admin", "DELETE": "admin"}

    @extend_schema(tags=WEBHOOK_TAGS, operation_id="get_webhook", responses=WebhookSerializer)
    def get(self, request: Request, webhook_id: UUID) -> Response:
        webhook = selectors.get_webhook(tenant=request.tenant, webhook_id=webhook_id)
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(
        tags=WEBHOOK_TAGS,
        operation_id="update_webhook",
        request=WebhookUpdateSerializer,
        responses=WebhookSerializer,
    )
    def patch(self, request: Request, webhook_id: UUID) -> Response:
        webhook = selectors.get_webhook(tenant=request.tenant, webhook_id=webhook_id)
        body = parse_body(WebhookUpdateSerializer, request)
        webhook = webhooks.update_webhook(webhook=webhook, **body)
        return Response(WebhookSerializer(webhook).data)

    @extend_schema(tags=WEBHOOK_TAGS, operation_id="delete_webhook", responses={204: None})
    def delete(self, request: Request, webhook_id: UUID) -> Response:
        webhook = selectors.get_webhook(tenant=request.tenant, webhook_id=webhook_id)
        webhooks.delete_webhook(webhook=webhook)
        return Response(status=204)


class WebhookPingApi(TenantApiView):
    required_scopes = {"POST": "admin"}

    @extend_schema(
        tags=WEBHOOK_TAGS,
        operation_id="ping_webhook",
        request=None,
        responses=WebhookDeliverySerializer,
        description="Sends a signed `ping` event now, once, and returns how the endpoint answered.",
    )
    def post(self, request: Request, webhook_id: UUID) -> Response:
        webhook = selectors.get_webhook(tenant=request.tenant, webhook_id=webhook_id)
        delivery = webhooks.ping_webhook(webhook=webhook)
        return Response(WebhookDeliverySerializer(delivery).data)


class WebhookDeliveryListApi(TenantApiView):
    required_scopes = {"GET": "admin"}

    @extend_schema(
        tags=WEBHOOK_TAGS,
        operation_id="list_webhook_deliveries",
        parameters=[PageQuerySerializer],
        responses=paginated_serializer(WebhookDeliverySerializer),
    )
    def get(self, request: Request, webhook_id: UUID) -> Response:
        webhook = selectors.get_webhook(tenant=request.tenant, webhook_id=webhook_id)
        return paginate(request, selectors.deliveries_of(webhook), WebhookDeliverySerializer)
