from rest_framework import serializers

from annotations.models import Annotation, AnnotationSet
from relay.api.fields import TextField

MAX_BULK_ANNOTATIONS = 10_000


class AnnotationSetCreateSerializer(serializers.Serializer):
    name = TextField(max_length=200, allow_blank=True, default="")
    description = TextField(multiline=True, max_length=5000, allow_blank=True, default="")


class AnnotationSetUpdateSerializer(serializers.Serializer):
    name = TextField(max_length=200, allow_blank=True, required=False)
    description = TextField(multiline=True, max_length=5000, allow_blank=True, required=False)


class AnnotationSetQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AnnotationSet.Status.choices, required=False)


class AnnotationSetSerializer(serializers.ModelSerializer):
    dataset_id = serializers.UUIDField(read_only=True)
    annotation_count = serializers.IntegerField(min_value=0, read_only=True)
    counts_by_type = serializers.DictField(child=serializers.IntegerField(min_value=0))
    content_hash = serializers.SerializerMethodField()

    class Meta:
        model = AnnotationSet
        fields = [
            "id",
            "dataset_id",
            "name",
            "description",
            "status",
            "annotation_count",
            "counts_by_type",
            "content_hash",
            "created_at",
            "updated_at",
            "published_at",
        ]

    def get_content_hash(self, annotation_set: AnnotationSet) -> str | None:
        return annotation_set.content_hash or None


class AnnotationInputSerializer(serializers.Serializer):
    """The documented shape of one annotation in a request; rows are checked by
    `annotations.validation`, which is fast enough for 10 000 of them."""

    audio_file_id = serializers.UUIDField()
    artifact_type = serializers.CharField()
    start_ms = serializers.IntegerField(min_value=0)
    end_ms = serializers.IntegerField(min_value=1)
    confidence = serializers.FloatField(min_value=0, max_value=1, default=1.0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AnnotationUpdateInputSerializer(AnnotationInputSerializer):
    """Any subset of an annotation's fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class AnnotationBulkInputSerializer(serializers.Serializer):
    annotations = AnnotationInputSerializer(many=True, max_length=MAX_BULK_ANNOTATIONS)


class AnnotationQuerySerializer(serializers.Serializer):
    audio_file_id = serializers.UUIDField(required=False)
    artifact_type = TextField(max_length=64, required=False)


class AnnotationSerializer(serializers.ModelSerializer):
    audio_file_id = serializers.UUIDField()
    artifact_type = serializers.CharField(source="artifact_type.name")
    start_ms = serializers.IntegerField(min_value=0)
    end_ms = serializers.IntegerField(min_value=1)

    class Meta:
        model = Annotation
        fields = [
            "id",
            "audio_file_id",
            "artifact_type",
            "start_ms",
            "end_ms",
            "confidence",
            "note",
            "source",
            "created_at",
        ]


class AnnotationBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    items = AnnotationSerializer(many=True)
