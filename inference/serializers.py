from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from datasets.serializers import UploadRequestSerializer
from inference.exports import FORMATS
from inference.models import InferenceFile, InferenceJob
from relay.api.fields import ChoiceField, FileSizeField, TextField
from relay.api.parsing import AliasesMixin

MAX_DURATION_SETTING_MS = 10_000
MAX_AUDIO_IDS = 1_000
THRESHOLD_SCHEMA = {
    "oneOf": [
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
    ],
    "nullable": True,
}


def _is_number(value: object) -> bool:
    # JSON true/false are not numbers, though Python's bool is an int.
    return isinstance(value, int | float) and not isinstance(value, bool)


@extend_schema_field(THRESHOLD_SCHEMA)
class ThresholdField(serializers.Field):
    """A number in [0, 1] for every type, a `{type: number}` map (types it leaves out keep the
    model's choice), or null for the per-type thresholds the model chose on validation."""

    default_error_messages = {
        "invalid": "Must be a number in [0, 1], an object of them by artifact type, or null.",
        "range": "Must be between 0 and 1.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data: object) -> float | dict[str, float]:
        if _is_number(data):
            if not 0 <= data <= 1:
                self.fail("range")
            return float(data)
        if isinstance(data, dict):
            errors = {
                name: [self.error_messages["range" if _is_number(value) else "invalid"]]
                for name, value in data.items()
                if not (_is_number(value) and 0 <= value <= 1)
            }
            if errors:
                raise serializers.ValidationError(errors, code="range")
            return {str(name): float(value) for name, value in data.items()}
        self.fail("invalid")

    def to_representation(self, value: object) -> object:
        return value


class InferenceConfigInputSerializer(serializers.Serializer):
    rejects_unknown_fields = True  # the schema says `additionalProperties: false`
    threshold = ThresholdField(required=False, default=None)
    merge_window_ms = serializers.IntegerField(
        min_value=0,
        max_value=MAX_DURATION_SETTING_MS,
        default=200,
        help_text="Runs of a type separated by a gap of at most this many ms merge into one.",
    )
    min_duration_ms = serializers.IntegerField(
        min_value=0,
        max_value=MAX_DURATION_SETTING_MS,
        default=50,
        help_text="Runs shorter than this (after merging) are dropped.",
    )
    signal_checks = serializers.BooleanField(
        default=True,
        help_text=(
            "Drop the detections the signal or the model's training labels contradict: "
            "clipping without flat tops (lossless sources only); dropouts with no digital "
            "zeros that look like the file's own noise floor; in a file with many click "
            "detections or many weaker click responses of the model, clicks that do not "
            "stand out of the file's own transients or that share one size with two others "
            "(an engine's repeated unit); and detections under half as long as the shortest "
            "labelled event of their type."
        ),
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


class InferenceJobCreateSerializer(serializers.Serializer):
    model_id = serializers.UUIDField()
    config = InferenceConfigInputSerializer(required=False)


class InferenceJobQuerySerializer(serializers.Serializer):
    model_id = serializers.UUIDField(required=False)
    status = ChoiceField(choices=InferenceJob.Status.choices, required=False)


class InferenceFileQuerySerializer(serializers.Serializer):
    status = ChoiceField(choices=InferenceFile.Status.choices, required=False)


class InferenceConfigSerializer(serializers.Serializer):
    threshold = ThresholdField()
    merge_window_ms = serializers.IntegerField()
    min_duration_ms = serializers.IntegerField()
    signal_checks = serializers.BooleanField(default=True)  # jobs from before it had it on


class DetectionSerializer(serializers.Serializer):
    artifact_type = serializers.CharField()
    start_ms = serializers.IntegerField(min_value=0)
    end_ms = serializers.IntegerField(min_value=1)
    confidence = serializers.FloatField(min_value=0, max_value=1)


class InferenceFileSerializer(serializers.ModelSerializer):
    audio_id = serializers.UUIDField(
        source="audio_file_id",
        allow_null=True,
        help_text="The dataset audio it was taken from (files/from-dataset); null for uploads.",
    )
    error = serializers.SerializerMethodField()
    duration_ms = serializers.IntegerField(allow_null=True, min_value=0)
    file_size = serializers.IntegerField(min_value=0)
    detection_count = serializers.IntegerField(min_value=0)
    uncertainty = serializers.FloatField(
        allow_null=True,
        min_value=0,
        help_text="How unsure the model was: (frame, type) pairs with probability in 0.3-0.7 "
        "per minute of audio; null until the file completes.",
    )
    detections = DetectionSerializer(many=True, read_only=True)

    class Meta:
        model = InferenceFile
        fields = [
            "id",
            "original_filename",
            "content_type",
            "file_size",
            "metadata",
            "audio_id",
            "status",
            "error",
            "duration_ms",
            "detection_count",
            "uncertainty",
            "detections",
            "created_at",
            "completed_at",
        ]

    def get_error(self, file: InferenceFile) -> str | None:
        return file.error or None


class InferenceFileSummarySerializer(InferenceFileSerializer):
    """A file without its detections (confirm and from-dataset answers)."""

    class Meta(InferenceFileSerializer.Meta):
        fields = [name for name in InferenceFileSerializer.Meta.fields if name != "detections"]


class InferenceJobSerializer(serializers.ModelSerializer):
    model_id = serializers.UUIDField(
        allow_null=True, help_text="Null once the model has been deleted; results stay."
    )
    config = InferenceConfigSerializer()
    artifact_types = serializers.ListField(child=serializers.CharField())
    total_files = serializers.IntegerField(min_value=0, help_text="Confirmed files.")
    processed_files = serializers.IntegerField(
        min_value=0, help_text="Confirmed files that finished: completed or failed."
    )
    failed_files = serializers.IntegerField(min_value=0)
    total_detections = serializers.IntegerField(min_value=0)

    class Meta:
        model = InferenceJob
        fields = [
            "id",
            "model_id",
            "config",
            "artifact_types",
            "status",
            "total_files",
            "processed_files",
            "failed_files",
            "total_detections",
            "created_at",
            "completed_at",
        ]


class InferenceJobDetailQuerySerializer(serializers.Serializer):
    embed_files = serializers.BooleanField(
        default=True,
        help_text="false: the job's status and counters only (`files` empty), a cheap poll; "
        "page through GET .../files for the files.",
    )


class InferenceJobDetailSerializer(InferenceJobSerializer):
    files = serializers.SerializerMethodField()
    has_more_files = serializers.SerializerMethodField()

    class Meta(InferenceJobSerializer.Meta):
        fields = [*InferenceJobSerializer.Meta.fields, "files", "has_more_files"]

    @extend_schema_field(InferenceFileSerializer(many=True))
    def get_files(self, job: InferenceJob) -> list[dict]:
        return InferenceFileSerializer(self.context["files"], many=True).data

    @extend_schema_field(
        serializers.BooleanField(
            help_text="True when the job has more files than the detail embeds "
            "(RELAY_INFERENCE_EMBEDDED_FILES); page through GET .../files for all."
        )
    )
    def get_has_more_files(self, job: InferenceJob) -> bool:
        return self.context["has_more_files"]


class InferenceUploadUrlSerializer(AliasesMixin, UploadRequestSerializer):
    """A file to upload into the job. `file_size` (datasets' name) is accepted for
    `file_size_bytes`."""

    aliases = {"file_size": "file_size_bytes"}
    file_size_bytes = FileSizeField(
        help_text="Size of the file in bytes (at least 1); also accepted as file_size."
    )


class InferenceUploadTargetSerializer(serializers.Serializer):
    upload_url = serializers.URLField()
    upload_fields = serializers.DictField(child=serializers.CharField())
    file_id = serializers.UUIDField()
    expires_in = serializers.IntegerField(help_text="Seconds until the upload URL expires.")


class InferenceConfirmSerializer(AliasesMixin, serializers.Serializer):
    """The uploaded file to confirm. `audio_id` (datasets' name) is accepted for `file_id`."""

    aliases = {"audio_id": "file_id"}
    file_id = serializers.UUIDField(help_text="The upload's file_id; also accepted as audio_id.")


class InferenceFromDatasetSerializer(serializers.Serializer):
    audio_ids = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=MAX_AUDIO_IDS,
        help_text="Ready audio of any dataset of your tenant.",
    )


class InferenceFileListSerializer(serializers.Serializer):
    items = InferenceFileSummarySerializer(many=True)


class DetectionExportQuerySerializer(serializers.Serializer):
    format = ChoiceField(
        choices=FORMATS,
        default="json",
        help_text="json: {job, detections: [...]}; csv: file_id, filename, artifact_type, "
        "start_ms, end_ms, confidence; dcase: DCASE/sed_eval TSV (filename, onset, offset, "
        "event_label) in seconds; audacity: a zip of Audacity label tracks, one per file; raven: "
        "a Raven selection table. The label formats are the ones annotation sets export.",
    )


class TopDetectionsQuerySerializer(serializers.Serializer):
    per_type = serializers.IntegerField(min_value=1, max_value=100, default=10)


class DetectionFileSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    original_filename = serializers.CharField()
    audio_id = serializers.UUIDField(source="audio_file_id", allow_null=True)
    metadata = serializers.DictField()


class TopDetectionSerializer(DetectionSerializer):
    file = DetectionFileSerializer()


class TopDetectionsSerializer(serializers.Serializer):
    per_type = serializers.IntegerField()
    detections = serializers.DictField(
        child=TopDetectionSerializer(many=True),
        help_text="For each of the job's artifact types, its highest-confidence detections.",
    )


class TypeRateSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=0)
    per_audio_hour = serializers.FloatField(allow_null=True)


class SummaryGroupSerializer(serializers.Serializer):
    files = serializers.IntegerField(min_value=0)
    audio_hours = serializers.FloatField(min_value=0)
    per_type = serializers.DictField(child=TypeRateSerializer())


class InferenceSummarySerializer(serializers.Serializer):
    completed_files = serializers.IntegerField(min_value=0)
    total_audio_hours = serializers.FloatField(min_value=0)
    total_detections = serializers.IntegerField(min_value=0)
    per_type = serializers.DictField(child=TypeRateSerializer())
    by_metadata = serializers.DictField(
        child=serializers.DictField(child=SummaryGroupSerializer()),
        help_text="metadata key → value (as text) → files, audio hours and per-type rates.",
    )
    ungrouped_keys = serializers.ListField(
        child=serializers.CharField(),
        help_text="Metadata keys with too many distinct values to group by (free text, ids).",
    )


class DetectionImportInputSerializer(serializers.Serializer):
    inference_job_id = serializers.UUIDField(help_text="A job of your tenant.")
    min_confidence = serializers.FloatField(
        min_value=0, max_value=1, default=0.0, help_text="Only detections at least this confident."
    )
    artifact_types = serializers.ListField(
        child=TextField(max_length=64),
        allow_empty=False,
        max_length=100,
        required=False,
        help_text="Types to import, each detected by the job's model and one of the dataset's. "
        "Default: every type of the model that the dataset has.",
    )
    audio_file_ids = serializers.ListField(
        child=serializers.UUIDField(),
        allow_empty=False,
        max_length=MAX_AUDIO_IDS,
        required=False,
        help_text="Only detections of these audio files of the dataset. Default: all the job "
        "ran on.",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check and count, writing nothing (as ?dry_run=true)."
    )


class DryRunQuerySerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="Check and count, writing nothing.")


class DetectionImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField(min_value=0)
    skipped_rejected = serializers.IntegerField(
        min_value=0, help_text="Detections rejected for this set, left out."
    )
    skipped_existing = serializers.IntegerField(
        min_value=0, help_text="Detections the set already has (same audio, type and times)."
    )
    items = serializers.ListField(
        child=serializers.DictField(), help_text="The new annotations, as GET shows them."
    )


class DetectionImportErrorSerializer(serializers.Serializer):
    loc = serializers.ListField(child=serializers.JSONField())
    msg = serializers.CharField()
    type = serializers.CharField()


class DetectionImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    valid = serializers.BooleanField()
    would_create = serializers.IntegerField(min_value=0)
    skipped_rejected = serializers.IntegerField(min_value=0)
    skipped_existing = serializers.IntegerField(min_value=0)
    errors = DetectionImportErrorSerializer(many=True)


class RejectedDetectionInputSerializer(serializers.Serializer):
    audio_file_id = serializers.UUIDField()
    artifact_type = TextField(min_length=1, max_length=64)
    start_ms = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    end_ms = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    model_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="The model that made the detection."
    )


class RejectedDetectionQuerySerializer(serializers.Serializer):
    audio_file_id = serializers.UUIDField(required=False)


class RejectedDetectionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    audio_file_id = serializers.UUIDField()
    artifact_type = serializers.CharField()
    start_ms = serializers.IntegerField(min_value=0)
    end_ms = serializers.IntegerField(min_value=1)
    model_id = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()


class AudioDetectionsQuerySerializer(serializers.Serializer):
    model_id = serializers.UUIDField(help_text="A model of your tenant.")
    annotation_set_id = serializers.UUIDField(
        required=False,
        help_text="A set of the dataset: its rejected detections are left out.",
    )


class AudioDetectionsSerializer(serializers.Serializer):
    model_id = serializers.UUIDField()
    inference_job_id = serializers.UUIDField(
        allow_null=True, help_text="The run they come from; null when the model has not run on it."
    )
    inference_file_id = serializers.UUIDField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    hidden_rejected = serializers.IntegerField(
        min_value=0, help_text="Detections left out because they were rejected for the set."
    )
    detections = DetectionSerializer(many=True)
