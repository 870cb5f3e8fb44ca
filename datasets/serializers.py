import base64
import binascii
import json
import re

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from datasets import formats
from datasets.models import ArtifactType, AudioFile, Dataset
from relay.api.fields import ChoiceField, FileSizeField, TextField, first_forbidden_character
from relay.api.parsing import AliasesMixin, AllErrorsSerializer

ARTIFACT_TYPE_NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
MAX_ARTIFACT_TYPES = 100
METADATA_KEY_PATTERN = r"[A-Za-z0-9_-]{1,64}"


class ArtifactTypeInputSerializer(serializers.Serializer):
    name = TextField(
        min_length=1,
        max_length=64,
        validators=[
            RegexValidator(ARTIFACT_TYPE_NAME_PATTERN, "Use 1-64 letters, digits, '_' or '-'.")
        ],
    )
    description = TextField(multiline=True, max_length=1000, allow_blank=True, required=False)
    color = TextField(
        required=False,
        validators=[RegexValidator(COLOR_PATTERN, "Colour must be #RRGGBB, e.g. #FF4444.")],
    )

    def validate_color(self, value: str) -> str:
        return value.upper()


class ArtifactTypeListField(serializers.ListSerializer):
    """A dataset's artifact types: at least one, names unique (ignoring case)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            child=ArtifactTypeInputSerializer(),
            allow_empty=False,
            min_length=1,
            max_length=MAX_ARTIFACT_TYPES,
            **kwargs,
        )

    def validate(self, attrs: list[dict]) -> list[dict]:
        seen: set[str] = set()
        errors: list[dict] = []
        for item in attrs:
            key = item["name"].lower()
            if key in seen:
                errors.append({"name": [f"Artifact type {item['name']!r} is listed twice."]})
            else:
                errors.append({})
            seen.add(key)
        if any(errors):
            raise serializers.ValidationError(errors, code="unique")
        return attrs


class DatasetCreateSerializer(serializers.Serializer):
    name = TextField(min_length=1, max_length=200)
    description = TextField(multiline=True, max_length=5000, allow_blank=True, default="")
    artifact_types = ArtifactTypeListField()


class DatasetUpdateSerializer(serializers.Serializer):
    name = TextField(min_length=1, max_length=200, required=False)
    description = TextField(multiline=True, max_length=5000, allow_blank=True, required=False)
    artifact_types = ArtifactTypeListField(
        required=False,
        help_text="The complete list of types, matched by name: listed types are added or "
        "updated, unlisted ones removed.",
    )


class DatasetQuerySerializer(serializers.Serializer):
    search = TextField(max_length=200, required=False, allow_blank=True)


class ArtifactTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ArtifactType
        fields = ["name", "description", "color"]


# Output fields of the models' positive integer columns are declared here: otherwise the schema's
# bounds would follow the database backend's column ranges.
COUNT_FIELD = {"min_value": 0, "read_only": True}


class DatasetSerializer(serializers.ModelSerializer):
    artifact_types = ArtifactTypeSerializer(many=True, read_only=True)
    audio_count = serializers.IntegerField(**COUNT_FIELD)
    total_duration_ms = serializers.IntegerField(**COUNT_FIELD)

    class Meta:
        model = Dataset
        fields = [
            "id",
            "name",
            "description",
            "artifact_types",
            "created_at",
            "updated_at",
            "audio_count",
            "total_duration_ms",
        ]


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "A JSON object of your own, up to RELAY_MAX_METADATA_BYTES (8 KiB) as "
        "UTF-8 JSON; keys are 1-64 letters, digits, '_' or '-'; no string in it may hold NUL.",
    }
)
class MetadataField(serializers.JSONField):
    """A small JSON object of the client's own (`{"tts_model": "v3", "voice": "anna"}`)."""

    default_error_messages = {
        "not_an_object": "Metadata must be a JSON object.",
        "too_large": "Metadata is {size} bytes as JSON; the limit is {limit} bytes.",
        "bad_key": "Metadata keys must be 1-64 letters, digits, '_' or '-' (got {name!r}).",
    }

    def to_internal_value(self, data: object) -> dict:
        data = super().to_internal_value(data)
        if not isinstance(data, dict):
            self.fail("not_an_object")
        for key in data:
            if not re.fullmatch(METADATA_KEY_PATTERN, key):
                self.fail("bad_key", name=key)
        size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
        if size > settings.RELAY_MAX_METADATA_BYTES:
            self.fail("too_large", size=size, limit=settings.RELAY_MAX_METADATA_BYTES)
        if _has_forbidden_text(data):
            self.fail("invalid")
        return data


def _has_forbidden_text(value: object) -> bool:
    """True when a string anywhere in the value holds NUL or a lone surrogate (unstorable)."""
    if isinstance(value, str):
        return first_forbidden_character(value, multiline=True) is not None
    if isinstance(value, dict):
        return any(_has_forbidden_text(k) or _has_forbidden_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_forbidden_text(item) for item in value)
    return False


def _any_case(extension: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in extension)


AUDIO_FILENAME_PATTERN = (
    "^[^\\u0000-\\u001f\\u007f-\\u009f]*("
    + "|".join(_any_case(ext) for ext in formats.ACCEPTED_EXTENSIONS)
    + ")$"
)


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": AUDIO_FILENAME_PATTERN,
        "description": "The file's name, ending in an accepted audio extension that matches "
        "content_type (a rule across the two fields, checked by the server).",
    }
)
class AudioFilenameField(TextField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_length=1, max_length=255, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "enum": formats.ACCEPTED_CONTENT_TYPES,
        "description": "The audio content type; parameters (`audio/wav; codecs=1`) are also "
        "accepted.",
    }
)
class AudioContentTypeField(TextField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_length=1, max_length=100, **kwargs)


class UploadRequestSerializer(AllErrorsSerializer):
    """A file to upload: its name, audio content type (matching the name's extension), size in
    bytes and optional metadata."""

    # Both upload flows (dataset audio, inference files) ask this; the format check runs with
    # the field checks, so one 422 names every problem.

    filename = AudioFilenameField()
    content_type = AudioContentTypeField()
    metadata = MetadataField(required=False)

    def validate(self, attrs: dict) -> dict:
        if "filename" in attrs and "content_type" in attrs:
            problems = formats.upload_format_problems(
                filename=attrs["filename"], content_type=attrs["content_type"]
            )
            if problems:
                raise serializers.ValidationError(
                    {
                        problem.field: [serializers.ErrorDetail(problem.message, problem.code)]
                        for problem in problems
                    }
                )
        return attrs


class AudioUploadUrlSerializer(AliasesMixin, UploadRequestSerializer):
    """A file to upload into the dataset. `file_size_bytes` (inference's name) is accepted for
    `file_size`."""

    aliases = {"file_size_bytes": "file_size"}
    file_size = FileSizeField(
        help_text="Size of the file in bytes (at least 1); also accepted as file_size_bytes."
    )


class AudioConfirmSerializer(AliasesMixin, serializers.Serializer):
    """The uploaded audio to confirm. `file_id` (inference's name) is accepted for `audio_id`."""

    aliases = {"file_id": "audio_id"}
    audio_id = serializers.UUIDField(help_text="The upload's audio_id; also accepted as file_id.")


class AudioUpdateSerializer(serializers.Serializer):
    filename = TextField(min_length=1, max_length=255, required=False)
    metadata = MetadataField(required=False)


class AudioQuerySerializer(serializers.Serializer):
    processing_status = ChoiceField(choices=AudioFile.Status.choices, required=False)
    search = TextField(max_length=200, required=False, allow_blank=True)
    without_inference_by = serializers.UUIDField(
        required=False,
        help_text="A model id: only the ready audio that model has not run on yet (no "
        "completed or running inference file of any of its jobs), which files/from-dataset "
        "takes as it is. Pending, processing and failed audio is left out.",
    )
    order = ChoiceField(
        choices=["newest", "uncertainty"],
        default="newest",
        help_text="newest: newest first. uncertainty: the label-next queue, the audio model_id "
        "was most unsure about first (audio it has not run on last).",
    )
    model_id = serializers.UUIDField(
        required=False,
        help_text="A model of your tenant: each item gets its `uncertainty` under that model "
        "(needed with order=uncertainty).",
    )


class PeaksQuerySerializer(serializers.Serializer):
    start_ms = serializers.IntegerField(min_value=0, required=False)
    end_ms = serializers.IntegerField(min_value=1, required=False)
    points = serializers.IntegerField(min_value=1, max_value=20_000, default=1_000)

    def validate(self, attrs: dict) -> dict:
        if "start_ms" in attrs and "end_ms" in attrs and attrs["end_ms"] <= attrs["start_ms"]:
            raise serializers.ValidationError({"end_ms": ["end_ms must be after start_ms."]})
        return attrs


class DownloadQuerySerializer(serializers.Serializer):
    variant = ChoiceField(choices=["original", "normalized"], default="original")


class AudioFileSerializer(serializers.ModelSerializer):
    dataset_id = serializers.UUIDField(read_only=True)
    file_size = serializers.IntegerField(**COUNT_FIELD)
    duration_ms = serializers.IntegerField(allow_null=True, **COUNT_FIELD)
    sample_rate = serializers.IntegerField(allow_null=True, **COUNT_FIELD)
    channels = serializers.IntegerField(allow_null=True, **COUNT_FIELD)
    processing_error = serializers.SerializerMethodField()
    processing_warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Problems with a file that still became ready, e.g. a truncated WAV whose "
        "present audio was kept. Empty for a sound file.",
    )

    class Meta:
        model = AudioFile
        fields = [
            "id",
            "dataset_id",
            "filename",
            "content_type",
            "file_size",
            "processing_status",
            "processing_error",
            "processing_warnings",
            "duration_ms",
            "sample_rate",
            "channels",
            "metadata",
            "created_at",
            "updated_at",
        ]

    def get_processing_error(self, audio: AudioFile) -> str | None:
        return audio.processing_error or None


class AudioFileListItemSerializer(AudioFileSerializer):
    """A listed file, with `uncertainty` under the listing's `model_id`."""

    uncertainty = serializers.SerializerMethodField(
        help_text="With model_id: how unsure that model was about the file, in (frame, type) "
        "pairs with probability in 0.3-0.7 per minute of audio, from its latest completed run "
        "over it; null where it has not run on it, and without model_id."
    )

    class Meta(AudioFileSerializer.Meta):
        fields = [*AudioFileSerializer.Meta.fields, "uncertainty"]

    def get_uncertainty(self, audio: AudioFile) -> float | None:
        return getattr(audio, "uncertainty", None)


class AudioUploadTargetSerializer(serializers.Serializer):
    upload_url = serializers.URLField()
    fields = serializers.DictField(child=serializers.CharField())
    audio_id = serializers.UUIDField()
    expires_in = serializers.IntegerField(help_text="Seconds until the upload URL expires.")


class PeaksSerializer(serializers.Serializer):
    start_ms = serializers.IntegerField()
    end_ms = serializers.IntegerField()
    sample_rate = serializers.IntegerField()
    samples_per_peak = serializers.IntegerField()
    min = serializers.ListField(child=serializers.FloatField())
    max = serializers.ListField(child=serializers.FloatField())


class DownloadUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_in = serializers.IntegerField()


DATA_URL_PATTERN = re.compile(r"data:([\w.+-]+/[\w.+-]+)(?:;[^,;]*)*;base64,(.*)", re.DOTALL)


class InlineUploadSerializer(AllErrorsSerializer):
    """`files` are data URLs (`data:audio/wav;base64,...`); `filenames` and `metadata`, when
    given, hold one entry per file."""

    files = serializers.ListField(
        child=TextField(), min_length=1, max_length=settings.RELAY_INLINE_MAX_FILES
    )
    filenames = serializers.ListField(child=TextField(min_length=1, max_length=255), required=False)
    metadata = serializers.ListField(child=MetadataField(), required=False)

    def validate(self, attrs: dict) -> dict:
        if "files" not in attrs:  # only the other fields' checks can run
            return attrs
        count = len(attrs["files"])
        errors: dict = {
            field: [f"Give one entry per file ({count}), or leave it out."]
            for field in ("filenames", "metadata")
            if field in attrs and len(attrs[field]) != count
        }
        filenames = attrs["filenames"] if "filenames" in attrs and "filenames" not in errors else []
        decoded, file_errors = [], {}
        for index, data_url in enumerate(attrs["files"]):
            filename = filenames[index] if filenames else None
            try:
                decoded.append(_decode_inline_file(data_url, filename, index))
            except serializers.ValidationError as error:
                file_errors[index] = error.detail
        if file_errors:
            errors["files"] = file_errors
        if errors:
            raise serializers.ValidationError(errors)
        metadata = attrs.get("metadata") or [{}] * count
        return {"files": [(*item, meta) for item, meta in zip(decoded, metadata, strict=True)]}


def _decode_inline_file(data_url: str, filename: str | None, index: int) -> tuple[bytes, str, str]:
    """(content, content_type, filename) of one data URL, or a ValidationError saying why not."""
    match = DATA_URL_PATTERN.fullmatch(data_url.strip())
    if match is None:
        raise serializers.ValidationError(
            "Expected a data URL: data:<audio type>;base64,<bytes>.", code="invalid"
        )
    content_type, payload = match.groups()
    limit = settings.RELAY_INLINE_MAX_FILE_BYTES
    if len(payload) > (limit + 2) // 3 * 4 + 4:
        raise serializers.ValidationError(
            f"File is over the inline limit of {limit} bytes; use upload-url.", code="too_large"
        )
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise serializers.ValidationError("The base64 data is malformed.", code="invalid") from None
    if not content:
        raise serializers.ValidationError("The file is empty.", code="empty")
    if len(content) > limit:
        raise serializers.ValidationError(
            f"File is {len(content)} bytes; the inline limit is {limit} bytes.", code="too_large"
        )
    audio_format = formats.format_for_content_type(content_type)
    name = (
        filename
        or f"upload-{index + 1}{sorted(audio_format.extensions)[0] if audio_format else ''}"
    )
    problems = formats.upload_format_problems(filename=name, content_type=content_type)
    if problems:
        raise serializers.ValidationError(
            [serializers.ErrorDetail(problem.message, problem.code) for problem in problems]
        )
    return content, content_type, name


class SpectrogramQuerySerializer(serializers.Serializer):
    start_ms = serializers.IntegerField(min_value=0)
    end_ms = serializers.IntegerField(min_value=1)
    width = serializers.IntegerField(min_value=1, max_value=2048, help_text="Pixels.")
    height = serializers.IntegerField(min_value=8, max_value=512, help_text="Pixels.")

    def validate(self, attrs: dict) -> dict:
        if attrs["end_ms"] <= attrs["start_ms"]:
            raise serializers.ValidationError({"end_ms": ["end_ms must be after start_ms."]})
        return attrs


class CueQuerySerializer(serializers.Serializer):
    after_ms = serializers.IntegerField(min_value=-1, required=False)
    before_ms = serializers.IntegerField(min_value=0, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)

    def validate(self, attrs: dict) -> dict:
        if ("after_ms" in attrs) == ("before_ms" in attrs):
            raise serializers.ValidationError(
                {"after_ms": ["Give exactly one of after_ms and before_ms."]}
            )
        return attrs


class CueSerializer(serializers.Serializer):
    time_ms = serializers.IntegerField(help_text="Where the run of suspicious frames begins.")
    kind = serializers.ChoiceField(choices=["jump", "zero_run", "flat_top"])
    strength = serializers.FloatField(
        help_text="The statistic that tripped the rule: a jump's size, or a fraction of a frame."
    )


class CueListSerializer(serializers.Serializer):
    items = CueSerializer(many=True)
