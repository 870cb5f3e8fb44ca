from django.core.validators import RegexValidator
from rest_framework import serializers

from datasets.models import ArtifactType, Dataset
from relay.api.fields import TextField

ARTIFACT_TYPE_NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
MAX_ARTIFACT_TYPES = 100


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


class DatasetSerializer(serializers.ModelSerializer):
    artifact_types = ArtifactTypeSerializer(many=True, read_only=True)

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
