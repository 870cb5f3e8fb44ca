from uuid import UUID

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from relay.api.fields import ChoiceField, TextField
from training.models import TrainedModel, TrainingJob, ValidationMistake

MAX_ARTIFACT_TYPES = 100


@extend_schema_field(
    {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1, "default": 0.001}
)
class LearningRateField(serializers.FloatField):
    """A float whose schema shows the exclusive lower bound the serializer checks."""


class TrainingConfigInputSerializer(serializers.Serializer):
    rejects_unknown_fields = True  # the schema says `additionalProperties: false`
    artifact_types = serializers.ListField(
        child=TextField(max_length=64),
        allow_empty=False,
        min_length=1,
        max_length=MAX_ARTIFACT_TYPES,
        required=False,
        help_text="Types to detect, each one of the dataset's and labelled in the set. Default: "
        "every type the set has annotations of, in the dataset's order.",
    )
    epochs = serializers.IntegerField(min_value=1, max_value=500, default=20)
    validation_split = serializers.FloatField(
        min_value=0,
        max_value=0.5,
        default=0.2,
        help_text="Share of the audio files held out, whole, for validation, thresholds and "
        "metrics.",
    )
    learning_rate = LearningRateField(
        max_value=1, default=0.001, help_text="Greater than 0, at most 1."
    )
    batch_size = serializers.IntegerField(min_value=1, max_value=1024, default=32)
    include_unlabelled_audio = serializers.BooleanField(
        default=True,
        help_text="Also train on the dataset's ready audio the set does not label, as audio "
        "without artifacts.",
    )

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                known = ", ".join(self.fields)
                raise serializers.ValidationError(
                    {key: [f"Unknown config field; the fields are {known}."] for key in unknown},
                    code="unknown",
                )
        return super().to_internal_value(data)

    def validate_learning_rate(self, value: float) -> float:
        if value <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.", "min_value")
        return value


class TrainingJobCreateSerializer(serializers.Serializer):
    dataset_id = serializers.UUIDField()
    annotation_set_id = serializers.UUIDField(help_text="A published set of the dataset.")
    config = TrainingConfigInputSerializer(required=False)


class TrainingJobQuerySerializer(serializers.Serializer):
    dataset_id = serializers.UUIDField(required=False)
    status = ChoiceField(choices=TrainingJob.Status.choices, required=False)


class TrainingConfigSerializer(serializers.Serializer):
    artifact_types = serializers.ListField(child=serializers.CharField())
    epochs = serializers.IntegerField()
    validation_split = serializers.FloatField()
    learning_rate = serializers.FloatField()
    batch_size = serializers.IntegerField()
    include_unlabelled_audio = serializers.BooleanField()


class TrainingJobSerializer(serializers.ModelSerializer):
    dataset_id = serializers.UUIDField()
    annotation_set_id = serializers.UUIDField()
    config = TrainingConfigSerializer()
    progress_percent = serializers.IntegerField(min_value=0, max_value=100)
    current_epoch = serializers.IntegerField(min_value=0)
    attempts = serializers.IntegerField(
        min_value=0, help_text="Workers that have started this job; more than 1 after a restart."
    )
    metrics = serializers.DictField(
        help_text="While training: `history`, the per-epoch train and validation loss. Once "
        "completed: also per-type and macro precision/recall/F1 on the validation files, the "
        "chosen thresholds and false alarms per hour."
    )
    error_message = serializers.SerializerMethodField()
    model_id = serializers.SerializerMethodField()
    audio_file_count = serializers.SerializerMethodField()

    class Meta:
        model = TrainingJob
        fields = [
            "id",
            "dataset_id",
            "annotation_set_id",
            "config",
            "status",
            "progress_percent",
            "current_epoch",
            "metrics",
            "error_message",
            "model_id",
            "audio_file_count",
            "attempts",
            "created_at",
            "started_at",
            "completed_at",
        ]

    def get_error_message(self, job: TrainingJob) -> str | None:
        return job.error_message or None

    def get_model_id(self, job: TrainingJob) -> UUID | None:
        try:
            return job.model.pk
        except TrainedModel.DoesNotExist:
            return None

    def get_audio_file_count(self, job: TrainingJob) -> int:
        return len(job.audio_file_ids)


class TrainedModelSerializer(serializers.ModelSerializer):
    dataset_id = serializers.UUIDField(
        allow_null=True,
        help_text="Null once the dataset has been deleted; the model stays usable.",
    )
    training_job_id = serializers.UUIDField(allow_null=True)
    annotation_set_id = serializers.UUIDField(allow_null=True)
    artifact_types = serializers.ListField(child=serializers.CharField())
    metrics = serializers.DictField(help_text="The metrics of the job that made the model.")
    file_size = serializers.IntegerField(min_value=0, help_text="Bytes of the model file.")

    class Meta:
        model = TrainedModel
        fields = [
            "id",
            "name",
            "dataset_id",
            "training_job_id",
            "annotation_set_id",
            "artifact_types",
            "metrics",
            "content_hash",
            "feature_recipe_version",
            "file_size",
            "created_at",
            "updated_at",
        ]


class TrainedModelUpdateSerializer(serializers.Serializer):
    name = TextField(min_length=1, max_length=200)


class TrainedModelQuerySerializer(serializers.Serializer):
    dataset_id = serializers.UUIDField(required=False)


class ValidationMistakeQuerySerializer(serializers.Serializer):
    artifact_type = TextField(max_length=64, required=False)
    kind = ChoiceField(choices=ValidationMistake.Kind.choices, required=False)


class ValidationMistakeSerializer(serializers.ModelSerializer):
    audio_file_id = serializers.UUIDField()
    filename = serializers.CharField(source="audio_file.filename")
    start_ms = serializers.IntegerField(min_value=0)
    end_ms = serializers.IntegerField(min_value=1)
    confidence = serializers.FloatField(
        min_value=0,
        max_value=1,
        help_text="A false positive's peak probability; for a false negative, the highest "
        "probability the model gave the type inside the labelled event.",
    )

    class Meta:
        model = ValidationMistake
        fields = [
            "audio_file_id",
            "filename",
            "artifact_type",
            "kind",
            "start_ms",
            "end_ms",
            "confidence",
        ]
