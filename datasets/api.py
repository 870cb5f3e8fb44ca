from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from datasets import selectors, services
from datasets.serializers import (
    DatasetCreateSerializer,
    DatasetQuerySerializer,
    DatasetSerializer,
    DatasetUpdateSerializer,
)
from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import parse_body, parse_query
from relay.api.views import TenantApiView

TAGS = ["datasets"]


class DatasetListApi(TenantApiView):
    required_scopes = {"GET": "read", "POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_datasets",
        parameters=[DatasetQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(DatasetSerializer),
    )
    def get(self, request: Request) -> Response:
        query = parse_query(DatasetQuerySerializer, request)
        datasets = selectors.list_datasets(tenant=request.tenant, search=query.get("search", ""))
        return paginate(request, datasets, DatasetSerializer)

    @extend_schema(
        tags=TAGS,
        operation_id="create_dataset",
        request=DatasetCreateSerializer,
        responses={201: DatasetSerializer},
    )
    def post(self, request: Request) -> Response:
        body = parse_body(DatasetCreateSerializer, request)
        dataset = services.create_dataset(tenant=request.tenant, **body)
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset.pk)
        return Response(DatasetSerializer(dataset).data, status=201)


class DatasetDetailApi(TenantApiView):
    required_scopes = {"GET": "read", "PATCH": "write", "DELETE": "write"}

    @extend_schema(tags=TAGS, operation_id="get_dataset", responses=DatasetSerializer)
    def get(self, request: Request, dataset_id: UUID) -> Response:
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        return Response(DatasetSerializer(dataset).data)

    @extend_schema(
        tags=TAGS,
        operation_id="update_dataset",
        request=DatasetUpdateSerializer,
        responses=DatasetSerializer,
    )
    def patch(self, request: Request, dataset_id: UUID) -> Response:
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        body = parse_body(DatasetUpdateSerializer, request)
        services.update_dataset(dataset=dataset, **body)
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        return Response(DatasetSerializer(dataset).data)

    @extend_schema(tags=TAGS, operation_id="delete_dataset", responses={204: None})
    def delete(self, request: Request, dataset_id: UUID) -> Response:
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        services.delete_dataset(dataset=dataset)
        return Response(status=204)
