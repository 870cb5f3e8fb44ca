from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import parse_body, parse_query
from relay.api.schema import error_responses
from relay.api.views import TenantApiView
from training import selectors, services
from training.serializers import (
    TrainedModelQuerySerializer,
    TrainedModelSerializer,
    TrainedModelUpdateSerializer,
    TrainingJobCreateSerializer,
    TrainingJobQuerySerializer,
    TrainingJobSerializer,
    ValidationMistakeQuerySerializer,
    ValidationMistakeSerializer,
)

TAGS = ["training"]


class TrainingJobListApi(TenantApiView):
    required_scopes = {"GET": "read", "POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_training_jobs",
        parameters=[TrainingJobQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(TrainingJobSerializer),
    )
    def get(self, request: Request) -> Response:
        query = parse_query(TrainingJobQuerySerializer, request)
        jobs = selectors.list_training_jobs(tenant=request.tenant, **query)
        return paginate(request, jobs, TrainingJobSerializer)

    @extend_schema(
        tags=TAGS,
        operation_id="create_training_job",
        request=TrainingJobCreateSerializer,
        responses={201: TrainingJobSerializer, **error_responses(409)},
    )
    def post(self, request: Request) -> Response:
        body = parse_body(TrainingJobCreateSerializer, request)
        job = services.create_training_job(tenant=request.tenant, **body)
        return Response(TrainingJobSerializer(job).data, status=201)


class TrainingJobDetailApi(TenantApiView):
    required_scopes = {"GET": "read"}

    @extend_schema(tags=TAGS, operation_id="get_training_job", responses=TrainingJobSerializer)
    def get(self, request: Request, job_id: UUID) -> Response:
        job = selectors.get_training_job(tenant=request.tenant, job_id=job_id)
        return Response(TrainingJobSerializer(job).data)


class TrainingJobCancelApi(TenantApiView):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="cancel_training_job",
        request=None,
        responses={200: TrainingJobSerializer, **error_responses(409)},
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        job = selectors.get_training_job(tenant=request.tenant, job_id=job_id)
        return Response(TrainingJobSerializer(services.cancel_training_job(job=job)).data)


class TrainingJobErrorsApi(TenantApiView):
    """The validation files' false positives and false negatives of a completed job, stored
    when it finished, per type and kind, the most confident first."""

    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_training_job_errors",
        parameters=[ValidationMistakeQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(ValidationMistakeSerializer),
    )
    def get(self, request: Request, job_id: UUID) -> Response:
        job = selectors.get_training_job(tenant=request.tenant, job_id=job_id)
        query = parse_query(ValidationMistakeQuerySerializer, request)
        mistakes = selectors.list_validation_mistakes(job=job, **query)
        return paginate(request, mistakes, ValidationMistakeSerializer)


class ModelListApi(TenantApiView):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_models",
        parameters=[TrainedModelQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(TrainedModelSerializer),
    )
    def get(self, request: Request) -> Response:
        query = parse_query(TrainedModelQuerySerializer, request)
        models = selectors.list_models(tenant=request.tenant, **query)
        return paginate(request, models, TrainedModelSerializer)


class ModelDetailApi(TenantApiView):
    required_scopes = {"GET": "read", "PATCH": "write", "DELETE": "write"}

    @extend_schema(tags=TAGS, operation_id="get_model", responses=TrainedModelSerializer)
    def get(self, request: Request, model_id: UUID) -> Response:
        model = selectors.get_model(tenant=request.tenant, model_id=model_id)
        return Response(TrainedModelSerializer(model).data)

    @extend_schema(
        tags=TAGS,
        operation_id="update_model",
        request=TrainedModelUpdateSerializer,
        responses=TrainedModelSerializer,
    )
    def patch(self, request: Request, model_id: UUID) -> Response:
        model = selectors.get_model(tenant=request.tenant, model_id=model_id)
        body = parse_body(TrainedModelUpdateSerializer, request)
        return Response(TrainedModelSerializer(services.rename_model(model=model, **body)).data)

    @extend_schema(tags=TAGS, operation_id="delete_model", responses={204: None})
    def delete(self, request: Request, model_id: UUID) -> Response:
        services.delete_model(model=selectors.get_model(tenant=request.tenant, model_id=model_id))
        return Response(status=204)
