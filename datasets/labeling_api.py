"""The audio endpoints behind the labeling page's spectrogram and its `.`/`,` keys."""

from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from datasets import labeling
from datasets.api import AUDIO_TAGS, OneAudioApi
from datasets.serializers import (
    CueListSerializer,
    CueQuerySerializer,
    CueSerializer,
    SpectrogramQuerySerializer,
)
from relay.api.parsing import parse_query
from relay.api.schema import error_responses

# Private: tiles need the session or key; immutable: a tag names one picture for ever.
TILE_CACHE_CONTROL = "private, max-age=31536000, immutable"
SPECTROGRAM_DESCRIPTION = (
    "A PNG of the window's log-mel spectrogram, low frequencies at the bottom, one column per "
    "pixel. `X-Relay-Tile-Source` says whether it came from the stored log-mels (`log-mels`, a "
    "pixel spans at least one 10 ms frame) or from the normalized audio (`stft`). Columns past "
    "the end of the audio are dark grey."
)


class AudioSpectrogramApi(OneAudioApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="get_audio_spectrogram",
        parameters=[SpectrogramQuerySerializer],
        responses={
            (200, "image/png"): OpenApiResponse(
                OpenApiTypes.BINARY, description=SPECTROGRAM_DESCRIPTION
            ),
            (304, "image/png"): OpenApiResponse(description="The tile the ETag names."),
            **error_responses(409),
        },
    )
    def get(self, request: Request, dataset_id: UUID, audio_id: UUID) -> HttpResponse:
        audio = self._audio(request, dataset_id, audio_id)
        query = parse_query(SpectrogramQuerySerializer, request)
        etag = labeling.spectrogram_etag(audio=audio, **query)
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        else:
            tile = labeling.spectrogram_tile(audio=audio, **query)
            response = HttpResponse(tile.png, content_type="image/png")
            response["X-Relay-Tile-Source"] = tile.source
        response["ETag"] = etag
        response["Cache-Control"] = TILE_CACHE_CONTROL
        return response


class AudioCuesApi(OneAudioApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=AUDIO_TAGS,
        operation_id="list_audio_cues",
        parameters=[CueQuerySerializer],
        responses={200: CueListSerializer, **error_responses(409)},
    )
    def get(self, request: Request, dataset_id: UUID, audio_id: UUID) -> Response:
        audio = self._audio(request, dataset_id, audio_id)
        query = parse_query(CueQuerySerializer, request)
        cues = labeling.audio_cues(
            audio=audio,
            after_ms=query.get("after_ms"),
            before_ms=query.get("before_ms"),
            limit=query["limit"],
        )
        return Response({"items": CueSerializer(cues, many=True).data})
