"""Export of an annotation set as a label file, and import of a label file into a draft."""

from uuid import UUID

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotations import transfer
from annotations.api import AnnotationSetScopedApi
from annotations.label_formats import FORMATS
from annotations.serializers import AnnotationSetSerializer
from relay.api.fields import ChoiceField
from relay.api.parsing import StrictJSONParser, parse_query, parse_query_and_body
from relay.api.schema import error_responses

TAGS = ["annotations"]
# Room for the multipart boundaries and the `format` field around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
FORMAT_HELP = (
    "json: Relay's JSON; csv: Relay's CSV; dcase: DCASE/sed_eval TSV (filename, onset, offset, "
    "event_label); audacity: Audacity label tracks, one .txt per audio file in a zip; raven: "
    "Raven selection table."
)


EXPORT_DESCRIPTION = "The label file: json, csv, dcase and raven as text, audacity as a zip."


class IgnoreFormatParameterNegotiation(DefaultContentNegotiation):
    """JSON for every error body. DRF would take `?format=csv` for a renderer's name and answer
    404; here `format` names a label file format."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class AnnotationExportQuerySerializer(serializers.Serializer):
    format = ChoiceField(choices=FORMATS, default="json", help_text=FORMAT_HELP)


class AnnotationImportFormSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The label file (for audacity, a .zip or one .txt).")
    format = ChoiceField(choices=FORMATS, help_text=FORMAT_HELP)


class AnnotationImportQuerySerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every row and report, writing nothing."
    )


class AnnotationImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(min_value=0)
    dry_run = serializers.BooleanField()


class AnnotationImportErrorSerializer(serializers.Serializer):
    file = serializers.CharField(
        allow_null=True, help_text="The label file inside a zip the error is in; null otherwise."
    )
    line = serializers.IntegerField(
        min_value=1, help_text="1-based line in the file; for JSON, the position in the list."
    )
    field = serializers.CharField(help_text='The annotation field, or "row" for the whole row.')
    message = serializers.CharField()
    type = serializers.CharField()


class AnnotationImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    valid = serializers.BooleanField()
    rows = serializers.IntegerField(min_value=0)
    would_create = serializers.IntegerField(min_value=0)
    errors = AnnotationImportErrorSerializer(many=True)


class AnnotationSetExportApi(AnnotationSetScopedApi):
    """Download the set as a label file (streamed), its rows ordered by filename, then start."""

    required_scopes = {"GET": "read"}
    content_negotiation_class = IgnoreFormatParameterNegotiation

    @extend_schema(
        tags=TAGS,
        operation_id="export_annotation_set",
        parameters=[AnnotationExportQuerySerializer],
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
    def get(self, request: Request, dataset_id: UUID, set_id: UUID) -> StreamingHttpResponse:
        annotation_set = self._set(request, dataset_id, set_id)
        query = parse_query(AnnotationExportQuerySerializer, request)
        export = transfer.export_annotation_set(
            annotation_set=annotation_set,
            label_format=query["format"],
            set_payload=AnnotationSetSerializer(annotation_set).data,
        )
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response


class AnnotationSetImportApi(AnnotationSetScopedApi):
    """Add the rows of a label file to a draft set, all or nothing; rows name their audio by
    filename (or audio_file_id). `?dry_run=true` reports every row's errors by line and writes
    nothing."""

    required_scopes = {"POST": "write"}
    content_negotiation_class = IgnoreFormatParameterNegotiation
    # JSON is parsed too, so that a JSON body is told which field is missing.
    parser_classes = [MultiPartParser, StrictJSONParser]

    def body_limit_bytes(self) -> int:
        return settings.RELAY_MAX_IMPORT_BYTES + MULTIPART_OVERHEAD_BYTES

    @extend_schema(
        tags=TAGS,
        operation_id="import_annotations",
        parameters=[AnnotationImportQuerySerializer],
        request={"multipart/form-data": AnnotationImportFormSerializer},
        responses={
            201: AnnotationImportResultSerializer,
            200: OpenApiResponse(AnnotationImportReportSerializer, description="A dry run."),
            **error_responses(409),
        },
    )
    def post(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        query, body = parse_query_and_body(
            AnnotationImportQuerySerializer, AnnotationImportFormSerializer, request
        )
        upload = body["file"]
        report = transfer.import_annotations(
            annotation_set=annotation_set,
            label_format=body["format"],
            data=upload.read(settings.RELAY_MAX_IMPORT_BYTES + 1),
            upload_name=upload.name or "",
            dry_run=query["dry_run"],
            **self._creator(request),
        )
        if not report.dry_run:
            return Response({"created": report.created, "dry_run": False}, status=201)
        errors = [
            {
                "file": error.member or None,
                "line": error.line,
                "field": error.field,
                "message": error.message,
                "type": error.error_type,
            }
            for error in report.errors
        ]
        return Response(
            {
                "dry_run": True,
                "valid": report.is_valid,
                "rows": report.rows,
                "would_create": report.rows if report.is_valid else 0,
                "errors": errors,
            }
        )
