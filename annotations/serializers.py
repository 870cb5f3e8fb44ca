from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.agreement import Agreement
from annotations.models import Annotation, AnnotationSet
from relay.api.fields import ChoiceField, TextField

MAX_BULK_ANNOTATIONS = 10_000


class AnnotationSetCreateSerializer(serializers.Serializer):
    name = TextField(max_length=200, allow_blank=True, default="")
    description = TextField(multiline=True, max_length=5000, allow_blank=True, default="")


class AnnotationSetUpdateSerializer(serializers.Serializer):
    name = TextField(max_length=200, allow_blank=True, required=False)
    description = TextField(multiline=True, max_length=5000, allow_blank=True, required=False)


class AnnotationSetQuerySerializer(serializers.Serializer):
    status = ChoiceField(choices=AnnotationSet.Status.choices, required=False)


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


class AnnotationCreateInputSerializer(AnnotationInputSerializer):
    source = serializers.ChoiceField(
        choices=Annotation.Source.choices,
        default=Annotation.Source.HUMAN,
        help_text="model: a model's detection someone accepted (the labeling page's model "
        "layer); human otherwise.",
    )


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


class AgreementQuerySerializer(serializers.Serializer):
    other = serializers.UUIDField(
        help_text="The annotation set to compare with, of the same dataset."
    )
    collar_ms = serializers.IntegerField(
        min_value=10,
        max_value=2000,
        default=200,
        help_text="Onset collar of the event matching; offsets may differ by max(collar, 20 % of "
        "the event's length).",
    )


class TypeAgreementSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Events of this type in this set.")
    other_count = serializers.IntegerField(help_text="Events of this type in the other set.")
    matched = serializers.IntegerField(help_text="Events matched one to one.")
    precision = serializers.FloatField()
    recall = serializers.FloatField()
    f1 = serializers.FloatField(allow_null=True, help_text="Null when neither set has the type.")
    segment_f1 = serializers.FloatField(allow_null=True)


class MacroAgreementSerializer(serializers.Serializer):
    precision = serializers.FloatField(allow_null=True)
    recall = serializers.FloatField(allow_null=True)
    f1 = serializers.FloatField(allow_null=True)
    segment_f1 = serializers.FloatField(allow_null=True)


class AgreementSerializer(serializers.Serializer):
    annotation_set_id = serializers.UUIDField(source="annotation_set.id")
    other_id = serializers.UUIDField(source="other.id")
    collar_ms = serializers.FloatField(source="scores.collar_ms")
    audio_scope = ChoiceField(
        choices=["shared", "all"],
        help_text="shared: the audio both sets label; all: they share none, so every event of "
        "either set is a disagreement.",
    )
    audio_file_count = serializers.IntegerField()
    per_type = serializers.SerializerMethodField()
    macro = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=TypeAgreementSerializer()))
    def get_per_type(self, agreement: Agreement) -> dict[str, dict[str, object]]:
        return {
            name: {
                "count": score.n_reference,
                "other_count": score.n_detected,
                "matched": score.true_positives,
                "precision": score.precision,
                "recall": score.recall,
                "f1": score.f1,
                "segment_f1": score.segment_f1,
            }
            for name, score in agreement.scores.per_type.items()
        }

    @extend_schema_field(MacroAgreementSerializer)
    def get_macro(self, agreement: Agreement) -> dict[str, float | None]:
        scores = agreement.scores
        return {
            "precision": scores.macro_precision,
            "recall": scores.macro_recall,
            "f1": scores.macro_f1,
            "segment_f1": scores.macro_segment_f1,
        }
