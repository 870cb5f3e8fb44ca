from uuid import UUID

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework.request import Request
from rest_framework.response import Response

from annotations.transfer_api import IgnoreFormatParameterNegotiation
from datasets.serializers import DownloadUrlSerializer, PeaksQuerySerializer, PeaksSerializer
from inference import exports, selectors, services
from inference.models import InferenceJob
from inference.serializers import (
    DetectionExportQuerySerializer,
    InferenceConfirmSerializer,
    InferenceFileQuerySerializer,
    InferenceFileSerializer,
    InferenceFileSummarySerializer,
    InferenceFromDatasetSerializer,
    InferenceJobCreateSerializer,
    InferenceJobDetailQuerySerializer,
    InferenceJobDetailSerializer,
    InferenceJobQuerySerializer,
    InferenceJobSerializer,
    InferenceSummarySerializer,
    InferenceUploadTargetSerializer,
    InferenceUploadUrlSerializer,
    TopDetectionsQuerySerializer,
    TopDetectionsSerializer,
)
from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import parse_body, parse_query
from relay.api.schema import error_responses
from relay.api.views import TenantApiView

TAGS = ["inference"]


def job_detail(job: InferenceJob, *, embed_files: bool = True) -> dict:
    if embed_files:
        files, has_more = selectors.embedded_files(job=job)
    else:
        files, has_more = [], job.files.exists()
    context = {"files": files, "has_more_files": has_more}
    return InferenceJobDetailSerializer(job, context=context).data


class InferenceJobListApi(TenantApiView):
    required_scopes = {"GET": "read", "POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_inference_jobs",
        parameters=[InferenceJobQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(InferenceJobSerializer),
    )
    def get(self, request: Request) -> Response:
        query = parse_query(InferenceJobQuerySerializer, request)
        jobs = selectors.list_inference_jobs(tenant=request.tenant, **query)
        return paginate(request, jobs, InferenceJobSerializer)

    @extend_schema(
        tags=TAGS,
        operation_id="create_inference_job",
        request=InferenceJobCreateSerializer,
        responses={201: InferenceJobDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        body = parse_body(InferenceJobCreateSerializer, request)
        job = services.create_inference_job(tenant=request.tenant, **body)
        return Response(job_detail(job), status=201)


class OneJobApi(TenantApiView):
    """Base of the views under one inference job's URL."""

    def _job(self, request: Request, job_id: UUID) -> InferenceJob:
        return selectors.get_inference_job(tenant=request.tenant, job_id=job_id)


class InferenceJobDetailApi(OneJobApi):
    required_scopes = {"GET": "read", "DELETE": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="get_inference_job",
        parameters=[InferenceJobDetailQuerySerializer],
        responses=InferenceJobDetailSerializer,
    )
    def get(self, request: Request, job_id: UUID) -> Response:
        query = parse_query(InferenceJobDetailQuerySerializer, request)
        return Response(job_detail(self._job(request, job_id), **query))

    @extend_schema(tags=TAGS, operation_id="delete_inference_job", responses={204: None})
    def delete(self, request: Request, job_id: UUID) -> Response:
        services.delete_inference_job(job=self._job(request, job_id))
        return Response(status=204)


class InferenceJobCancelApi(OneJobApi):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="cancel_inference_job",
        request=None,
        responses={200: InferenceJobDetailSerializer, **error_responses(409)},
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        job = services.cancel_inference_job(job=self._job(request, job_id))
        return Response(job_detail(job))


class InferenceFileListApi(OneJobApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_inference_files",
        parameters=[InferenceFileQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(InferenceFileSerializer),
    )
    def get(self, request: Request, job_id: UUID) -> Response:
        job = self._job(request, job_id)
        query = parse_query(InferenceFileQuerySerializer, request)
        files = selectors.list_job_files(job=job, **query)
        return paginate(request, files, InferenceFileSerializer, load=selectors.with_detections)


class InferenceFilePeaksApi(OneJobApi):
    """Waveform peaks of one completed file, as for dataset audio."""

    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="get_inference_file_peaks",
        parameters=[PeaksQuerySerializer],
        responses={200: PeaksSerializer, **error_responses(409)},
    )
    def get(self, request: Request, job_id: UUID, file_id: UUID) -> Response:
        file = selectors.get_inference_file(job=self._job(request, job_id), file_id=file_id)
        query = parse_query(PeaksQuerySerializer, request)
        return Response(PeaksSerializer(services.read_file_peaks(file=file, **query)).data)


class InferenceFileDownloadUrlApi(OneJobApi):
    """A playable URL of one file's audio (its dataset audio's original, or the upload)."""

    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="get_inference_file_download_url",
        responses={200: DownloadUrlSerializer, **error_responses(409)},
    )
    def get(self, request: Request, job_id: UUID, file_id: UUID) -> Response:
        file = selectors.get_inference_file(job=self._job(request, job_id), file_id=file_id)
        url, expires_in = services.file_download_url(file=file)
        return Response({"url": url, "expires_in": expires_in})


class InferenceUploadUrlApi(OneJobApi):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="create_inference_upload_url",
        request=InferenceUploadUrlSerializer,
        responses={201: InferenceUploadTargetSerializer, **error_responses(409, 413)},
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        job = self._job(request, job_id)
        body = parse_body(InferenceUploadUrlSerializer, request)
        file, target = services.request_file_upload(job=job, **body)
        data = {
            "upload_url": target.url,
            "upload_fields": target.fields,
            "file_id": file.pk,
            "expires_in": target.expires_in,
        }
        return Response(InferenceUploadTargetSerializer(data).data, status=201)


class InferenceConfirmApi(OneJobApi):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="confirm_inference_upload",
        request=InferenceConfirmSerializer,
        responses={200: InferenceFileSummarySerializer, **error_responses(409)},
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        job = self._job(request, job_id)
        body = parse_body(InferenceConfirmSerializer, request)
        file = selectors.get_inference_file(job=job, file_id=body["file_id"])
        file = services.confirm_file_upload(file=file)
        return Response(InferenceFileSummarySerializer(file).data)


class InferenceFromDatasetApi(OneJobApi):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="add_inference_files_from_dataset",
        request=InferenceFromDatasetSerializer,
        responses={
            201: inline_serializer(
                "InferenceFromDatasetResult",
                {"items": InferenceFileSummarySerializer(many=True)},
            ),
            **error_responses(409),
        },
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        job = self._job(request, job_id)
        body = parse_body(InferenceFromDatasetSerializer, request)
        files = services.add_dataset_audio(job=job, **body)
        return Response(
            {"items": InferenceFileSummarySerializer(files, many=True).data}, status=201
        )


EXPORT_DESCRIPTION = (
    "Every detection of the job, streamed: json, csv, dcase and raven as text, audacity as a zip "
    "of label tracks."
)


class InferenceDetectionsExportApi(OneJobApi):
    """Download every detection (streamed), ordered by filename, file, then start."""

    required_scopes = {"GET": "read"}
    content_negotiation_class = IgnoreFormatParameterNegotiation

    @extend_schema(
        tags=TAGS,
        operation_id="export_inference_detections",
        parameters=[DetectionExportQuerySerializer],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description=EXPORT_DESCRIPTION
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=EXPORT_DESCRIPTION),
            (200, "text/tab-separated-values"): OpenApiResponse(
                OpenApiTypes.STR, description=EXPORT_DESCRIPTION
            ),
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description=EXPORT_DESCRIPTION
            ),
        },
    )
    def get(self, request: Request, job_id: UUID) -> StreamingHttpResponse:
        job = self._job(request, job_id)
        label_format = parse_query(DetectionExportQuerySerializer, request)["format"]
        chunks = exports.render(
            label_format,
            selectors.export_rows(job=job),
            job=InferenceJobSerializer(job).data,
            files=selectors.detected_files(job=job),
        )
        response = StreamingHttpResponse(chunks, content_type=exports.CONTENT_TYPES[label_format])
        filename = f"inference-{str(job.pk)[:8]}.{exports.EXTENSIONS[label_format]}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class InferenceTopDetectionsApi(OneJobApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="get_inference_top_detections",
        parameters=[TopDetectionsQuerySerializer],
        responses=TopDetectionsSerializer,
    )
    def get(self, request: Request, job_id: UUID) -> Response:
        job = self._job(request, job_id)
        per_type = parse_query(TopDetectionsQuerySerializer, request)["per_type"]
        found = selectors.top_detections(job=job, per_type=per_type)
        return Response(TopDetectionsSerializer({"per_type": per_type, "detections": found}).data)


class InferenceSummaryApi(OneJobApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS, operation_id="get_inference_summary", responses=InferenceSummarySerializer
    )
    def get(self, request: Request, job_id: UUID) -> Response:
        job = self._job(request, job_id)
        return Response(InferenceSummarySerializer(selectors.job_summary(job=job)).data)
