"""Model-assisted labeling under one dataset's annotation set: importing a job's detections into
a draft, and the detections rejected for the set."""

from uuid import UUID

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from annotations.api import AnnotationSetScopedApi, annotation_payloads
from datasets import selectors as dataset_selectors
from inference import assisted, selectors
from inference.serializers import (
    AudioDetectionsQuerySerializer,
    AudioDetectionsSerializer,
    DetectionImportInputSerializer,
    DetectionImportReportSerializer,
    DetectionImportResultSerializer,
    DryRunQuerySerializer,
    RejectedDetectionInputSerializer,
    RejectedDetectionQuerySerializer,
    RejectedDetectionSerializer,
)
from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import parse_body, parse_query
from relay.api.schema import error_responses
from relay.api.views import TenantApiView

TAGS = ["annotations"]


class DetectionImportApi(AnnotationSetScopedApi):
    """Add an inference job's detections of this dataset's audio to a draft set as annotations
    with `source: "model"`, all or nothing; `dry_run` counts and checks, writing nothing."""

    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="import_detections",
        parameters=[DryRunQuerySerializer],
        request=DetectionImportInputSerializer,
        responses={
            201: DetectionImportResultSerializer,
            200: OpenApiResponse(DetectionImportReportSerializer, description="A dry run."),
            **error_responses(409),
        },
    )
    def post(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        query = parse_query(DryRunQuerySerializer, request)
        body = parse_body(DetectionImportInputSerializer, request)
        body["dry_run"] = body["dry_run"] or query["dry_run"]
        result = assisted.import_detections(
            tenant=request.tenant, annotation_set=annotation_set, **body, **self._creator(request)
        )
        counts = {
            "skipped_rejected": result.skipped_rejected,
            "skipped_existing": result.skipped_existing,
        }
        if result.dry_run:
            return Response(
                {
                    "dry_run": True,
                    "valid": not result.errors,
                    "would_create": 0 if result.errors else len(result.rows),
                    **counts,
                    "errors": result.errors,
                }
            )
        items = annotation_payloads(result.created)
        return Response(
            {"dry_run": False, "created": len(items), **counts, "items": items}, status=201
        )


class RejectedDetectionListApi(AnnotationSetScopedApi):
    """Detections hidden for this set: the labeling page does not show them and imports skip
    them. A detection is named by its audio, type and times, so a rerun keeps it hidden."""

    required_scopes = {"GET": "read", "POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_rejected_detections",
        parameters=[RejectedDetectionQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(RejectedDetectionSerializer),
    )
    def get(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        query = parse_query(RejectedDetectionQuerySerializer, request)
        rejections = selectors.list_rejected_detections(annotation_set=annotation_set, **query)
        return paginate(request, rejections, RejectedDetectionSerializer)

    @extend_schema(
        tags=TAGS,
        operation_id="reject_detection",
        request=RejectedDetectionInputSerializer,
        responses={
            201: RejectedDetectionSerializer,
            200: OpenApiResponse(RejectedDetectionSerializer, description="Already rejected."),
            **error_responses(409),
        },
    )
    def post(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        body = parse_body(RejectedDetectionInputSerializer, request)
        rejection, is_new = assisted.reject_detection(
            tenant=request.tenant, annotation_set=annotation_set, **body
        )
        return Response(RejectedDetectionSerializer(rejection).data, status=201 if is_new else 200)


class RejectedDetectionDetailApi(AnnotationSetScopedApi):
    required_scopes = {"DELETE": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="unreject_detection",
        responses={204: None, **error_responses(409)},
    )
    def delete(
        self, request: Request, dataset_id: UUID, set_id: UUID, rejection_id: UUID
    ) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        rejection = selectors.get_rejected_detection(
            annotation_set=annotation_set, rejection_id=rejection_id
        )
        assisted.unreject_detection(rejection=rejection)
        return Response(status=204)


class AudioDetectionsApi(TenantApiView):
    """A model's detections over one audio file of the dataset, from its latest completed run
    over it, for the labeling page's model layer; with `annotation_set_id`, less the detections
    rejected for that set."""

    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="get_audio_detections",
        parameters=[AudioDetectionsQuerySerializer],
        responses=AudioDetectionsSerializer,
    )
    def get(self, request: Request, dataset_id: UUID, audio_id: UUID) -> Response:
        dataset = dataset_selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        audio_file = dataset_selectors.get_audio_file(dataset=dataset, audio_id=audio_id)
        query = parse_query(AudioDetectionsQuerySerializer, request)
        found = assisted.detections_for_audio(tenant=request.tenant, audio_file=audio_file, **query)
        run = found.inference_file
        return Response(
            AudioDetectionsSerializer(
                {
                    "model_id": found.model_id,
                    "inference_job_id": run.job_id if run else None,
                    "inference_file_id": run.pk if run else None,
                    "completed_at": run.completed_at if run else None,
                    "hidden_rejected": found.hidden_rejected,
                    "detections": found.detections,
                }
            ).data
        )
