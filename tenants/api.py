from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import parse_body
from relay.api.views import TenantApiView
from tenants import selectors, services
from tenants.serializers import ApiKeyCreateSerializer, ApiKeySerializer, CreatedApiKeySerializer

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
