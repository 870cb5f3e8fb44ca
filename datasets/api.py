import re
from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from datasets import selectors, services
from datasets.models import AudioFile
from datasets.serializers import (
    METADATA_KEY_PATTERN,
    AudioConfirmSerializer,
    AudioFileListItemSerializer,
    AudioFileSerializer,
    AudioQuerySerializer,
    AudioUpdateSerializer,
    AudioUploadTargetSerializer,
    AudioUploadUrlSerializer,
    DatasetCreateSerializer,
    DatasetQuerySerializer,
    DatasetSerializer,
    DatasetUpdateSerializer,
    DownloadQuerySerializer,
    DownloadUrlSerializer,
    InlineUploadSerializer,
    PeaksQuerySerializer,
    PeaksSerializer,
)
from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import parse_body, parse_query
from relay.api.schema import error_responses
from relay.api.views import TenantApiView
from relay.errors import Invalid

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


# --- Audio files -------------------------------------------------------------------------------

AUDIO_TAGS = ["audio"]
METADATA_QUERY_PREFIX = "metadata."


def metadata_filters(request: Request) -> dict[str, str]:
    """`?metadata.<key>=<value>` query parameters as `{key: value}`."""
    filters = {}
    for name, value in request.query_params.items():
        if not name.startswith(METADATA_QUERY_PREFIX):
            continue
        key = name.removeprefix(METADATA_QUERY_PREFIX)
        if not re.fullmatch(METADATA_KEY_PATTERN, key) or "\x00" in value:
            raise Invalid.at(["query", name], "Not a metadata key filter", "value_error.invalid")
        filters[key] = value
    return filters


class AudioListApi(TenantApiView):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="list_audio_files",
        parameters=[
            AudioQuerySerializer,
            PageQuerySerializer,
            OpenApiParameter(
                "metadata.<key>",
                str,
                description="Only files whose metadata has this value at <key>, "
                "e.g. metadata.tts_model=v3.1 (repeat for several keys).",
            ),
        ],
        responses=paginated_serializer(AudioFileListItemSerializer),
    )
    def get(self, request: Request, dataset_id: UUID) -> Response:
        dataset = selectors.get_dataset(
            tenant=request.tenant, dataset_id=dataset_id, artifact_types=False
        )
        query = parse_query(AudioQuerySerializer, request)
        audio_files = selectors.list_audio_files(
            dataset=dataset, metadata=metadata_filters(request), **query
        )
        return paginate(request, audio_files, AudioFileListItemSerializer)


class AudioUploadUrlApi(TenantApiView):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="create_audio_upload_url",
        request=AudioUploadUrlSerializer,
        responses={201: AudioUploadTargetSerializer},
    )
    def post(self, request: Request, dataset_id: UUID) -> Response:
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        body = parse_body(AudioUploadUrlSerializer, request)
        audio, target = services.request_audio_upload(dataset=dataset, **body)
        data = {
            "upload_url": target.url,
            "fields": target.fields,
            "audio_id": audio.pk,
            "expires_in": target.expires_in,
        }
        return Response(AudioUploadTargetSerializer(data).data, status=201)


class AudioConfirmApi(TenantApiView):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="confirm_audio_upload",
        request=AudioConfirmSerializer,
        responses={200: AudioFileSerializer, **error_responses(409)},
    )
    def post(self, request: Request, dataset_id: UUID) -> Response:
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        body = parse_body(AudioConfirmSerializer, request)
        audio = selectors.get_audio_file(dataset=dataset, audio_id=body["audio_id"])
        audio = services.confirm_audio_upload(audio=audio)
        return Response(AudioFileSerializer(audio).data)


class OneAudioApi(TenantApiView):
    """Base of the views under one audio file's URL."""

    def _audio(self, request: Request, dataset_id: UUID, audio_id: UUID) -> AudioFile:
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        return selectors.get_audio_file(dataset=dataset, audio_id=audio_id)


class AudioDetailApi(OneAudioApi):
    required_scopes = {"GET": "read", "PATCH": "write", "DELETE": "write"}

    @extend_schema(tags=AUDIO_TAGS, operation_id="get_audio_file", responses=AudioFileSerializer)
    def get(self, request: Request, dataset_id: UUID, audio_id: UUID) -> Response:
        return Response(AudioFileSerializer(self._audio(request, dataset_id, audio_id)).data)

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="update_audio_file",
        request=AudioUpdateSerializer,
        responses=AudioFileSerializer,
    )
    def patch(self, request: Request, dataset_id: UUID, audio_id: UUID) -> Response:
        audio = self._audio(request, dataset_id, audio_id)
        body = parse_body(AudioUpdateSerializer, request)
        audio = services.update_audio(audio=audio, **body)
        return Response(AudioFileSerializer(audio).data)

    @extend_schema(tags=AUDIO_TAGS, operation_id="delete_audio_file", responses={204: None})
    def delete(self, request: Request, dataset_id: UUID, audio_id: UUID) -> Response:
        services.delete_audio(audio=self._audio(request, dataset_id, audio_id))
        return Response(status=204)


class AudioPeaksApi(OneAudioApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="get_audio_peaks",
        parameters=[PeaksQuerySerializer],
        responses={200: PeaksSerializer, **error_responses(409)},
    )
    def get(self, request: Request, dataset_id: UUID, audio_id: UUID) -> Response:
        audio = self._audio(request, dataset_id, audio_id)
        query = parse_query(PeaksQuerySerializer, request)
        window = services.read_audio_peaks(audio=audio, **query)
        return Response(PeaksSerializer(window).data)


class AudioDownloadUrlApi(OneAudioApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="get_audio_download_url",
        parameters=[DownloadQuerySerializer],
        responses={200: DownloadUrlSerializer, **error_responses(409)},
    )
    def get(self, request: Request, dataset_id: UUID, audio_id: UUID) -> Response:
        audio = self._audio(request, dataset_id, audio_id)
        query = parse_query(DownloadQuerySerializer, request)
        url, expires_in = services.audio_download_url(audio=audio, **query)
        return Response({"url": url, "expires_in": expires_in})


def inline_upload_response() -> serializers.Serializer:
    return inline_serializer("InlineUploadResult", {"items": AudioFileSerializer(many=True)})


class AudioInlineUploadApi(TenantApiView):
    required_scopes = {"POST": "write"}

    def body_limit_bytes(self) -> int:
        return settings.RELAY_INLINE_MAX_BODY_BYTES

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="upload_audio_inline",
        request=InlineUploadSerializer,
        responses={201: inline_upload_response()},
    )
    def post(self, request: Request, dataset_id: UUID) -> Response:
        dataset = selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        body = parse_body(InlineUploadSerializer, request)
        files = [
            services.InlineAudio(content=content, content_type=ctype, filename=name, metadata=meta)
            for content, ctype, name, meta in body["files"]
        ]
        created = services.upload_audio_inline(dataset=dataset, files=files)
        return Response({"items": AudioFileSerializer(created, many=True).data}, status=201)
