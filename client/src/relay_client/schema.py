"""The Relay API's types, generated from its OpenAPI schema.

Do not edit: client/tools/generate_types.py writes this file; run `make client-types` after
`make schema`. Request bodies are the `*Request` types, responses the others; keys the schema
marks optional are NotRequired.
"""

import sys
from typing import Any, Literal, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:
    from typing_extensions import NotRequired

__all__ = [
    "Agreement",
    "Annotation",
    "AnnotationBulkInputRequest",
    "AnnotationBulkResult",
    "AnnotationCreateInputRequest",
    "AnnotationImportError",
    "AnnotationImportFormRequest",
    "AnnotationImportReport",
    "AnnotationImportResult",
    "AnnotationInputRequest",
    "AnnotationSet",
    "AnnotationSetCreateRequest",
    "AnnotationSetStatusEnum",
    "AnnotationSetUpdateRequest",
    "AnnotationUpdateInputRequest",
    "ApiKey",
    "ApiKeyCreateRequest",
    "ApiKeyScopeEnum",
    "ArtifactType",
    "ArtifactTypeInputRequest",
    "AudioConfirmRequest",
    "AudioDetections",
    "AudioFile",
    "AudioFileListItem",
    "AudioScopeEnum",
    "AudioUpdateRequest",
    "AudioUploadTarget",
    "AudioUploadUrlRequest",
    "ContentTypeEnum",
    "CreatedApiKey",
    "CreatedWebhook",
    "Cue",
    "CueKindEnum",
    "CueList",
    "Dataset",
    "DatasetCreateRequest",
    "DatasetUpdateRequest",
    "Detection",
    "DetectionFile",
    "DetectionImportError",
    "DetectionImportInputRequest",
    "DetectionImportReport",
    "DetectionImportResult",
    "DownloadUrl",
    "Error",
    "EventsEnum",
    "FormatEnum",
    "InferenceConfig",
    "InferenceConfigInputRequest",
    "InferenceConfirmRequest",
    "InferenceFile",
    "InferenceFileSummary",
    "InferenceFromDatasetRequest",
    "InferenceFromDatasetResult",
    "InferenceJob",
    "InferenceJobCreateRequest",
    "InferenceJobDetail",
    "InferenceStatusEnum",
    "InferenceSummary",
    "InferenceUploadTarget",
    "InferenceUploadUrlRequest",
    "InlineUploadRequest",
    "InlineUploadResult",
    "MacroAgreement",
    "PaginatedAnnotationList",
    "PaginatedAnnotationSetList",
    "PaginatedApiKeyList",
    "PaginatedAudioFileListItemList",
    "PaginatedDatasetList",
    "PaginatedInferenceFileList",
    "PaginatedInferenceJobList",
    "PaginatedRejectedDetectionList",
    "PaginatedTrainedModelList",
    "PaginatedTrainingJobList",
    "PaginatedValidationMistakeList",
    "PaginatedWebhookDeliveryList",
    "PaginatedWebhookList",
    "Peaks",
    "ProcessingStatusEnum",
    "RejectedDetection",
    "RejectedDetectionInputRequest",
    "SourceEnum",
    "SummaryGroup",
    "TopDetection",
    "TopDetections",
    "TrainedModel",
    "TrainedModelUpdateRequest",
    "TrainingConfig",
    "TrainingConfigInputRequest",
    "TrainingJob",
    "TrainingJobCreateRequest",
    "TrainingJobStatusEnum",
    "TypeAgreement",
    "TypeRate",
    "ValidationError",
    "ValidationErrorItem",
    "ValidationMistake",
    "ValidationMistakeKindEnum",
    "Webhook",
    "WebhookCreateRequest",
    "WebhookDelivery",
    "WebhookDeliveryStatusEnum",
    "WebhookUpdateRequest",
]


AudioScopeEnum = Literal["shared", "all"]


class MacroAgreement(TypedDict):
    precision: float | None
    recall: float | None
    f1: float | None
    segment_f1: float | None


class TypeAgreement(TypedDict):
    count: int
    other_count: int
    matched: int
    precision: float
    recall: float
    f1: float | None
    segment_f1: float | None


class Agreement(TypedDict):
    annotation_set_id: str
    other_id: str
    collar_ms: float
    audio_scope: AudioScopeEnum
    audio_file_count: int
    per_type: dict[str, TypeAgreement]
    macro: MacroAgreement


SourceEnum = Literal["human", "model"]


class Annotation(TypedDict):
    id: str
    audio_file_id: str
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: NotRequired[float]
    note: NotRequired[str]
    source: NotRequired[SourceEnum]
    created_at: str


class AnnotationInputRequest(TypedDict):
    """The documented shape of one annotation in a request; rows are checked by"""

    audio_file_id: str
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: NotRequired[float]
    note: NotRequired[str]


class AnnotationBulkInputRequest(TypedDict):
    annotations: list[AnnotationInputRequest]


class AnnotationBulkResult(TypedDict):
    created: int
    items: list[Annotation]


class AnnotationCreateInputRequest(TypedDict):
    """The documented shape of one annotation in a request; rows are checked by"""

    audio_file_id: str
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: NotRequired[float]
    note: NotRequired[str]
    source: NotRequired[SourceEnum]


class AnnotationImportError(TypedDict):
    file: str | None
    line: int
    field: str
    message: str
    type: str


FormatEnum = Literal["json", "csv", "dcase", "audacity", "raven"]


class AnnotationImportFormRequest(TypedDict):
    file: str
    format: FormatEnum


class AnnotationImportReport(TypedDict):
    dry_run: bool
    valid: bool
    rows: int
    would_create: int
    errors: list[AnnotationImportError]


class AnnotationImportResult(TypedDict):
    created: int
    dry_run: bool


AnnotationSetStatusEnum = Literal["draft", "published"]


class AnnotationSet(TypedDict):
    id: str
    dataset_id: str
    name: NotRequired[str]
    description: NotRequired[str]
    status: NotRequired[AnnotationSetStatusEnum]
    annotation_count: int
    counts_by_type: dict[str, int]
    content_hash: str | None
    created_at: str
    updated_at: str
    published_at: NotRequired[str | None]


class AnnotationSetCreateRequest(TypedDict):
    name: NotRequired[str]
    description: NotRequired[str]


class AnnotationSetUpdateRequest(TypedDict):
    name: NotRequired[str]
    description: NotRequired[str]


class AnnotationUpdateInputRequest(TypedDict):
    """Any subset of an annotation's fields."""

    audio_file_id: NotRequired[str]
    artifact_type: NotRequired[str]
    start_ms: NotRequired[int]
    end_ms: NotRequired[int]
    confidence: NotRequired[float]
    note: NotRequired[str]


ApiKeyScopeEnum = Literal["read", "write", "admin"]


class ApiKey(TypedDict):
    id: str
    name: str
    prefix: str
    scopes: list[ApiKeyScopeEnum]
    created_at: str
    last_used_at: NotRequired[str | None]
    expires_at: NotRequired[str | None]
    revoked_at: NotRequired[str | None]


class ApiKeyCreateRequest(TypedDict):
    name: str
    scopes: NotRequired[list[ApiKeyScopeEnum]]
    expires_at: NotRequired[str | None]


class ArtifactType(TypedDict):
    name: str
    description: NotRequired[str]
    color: str


class ArtifactTypeInputRequest(TypedDict):
    name: str
    description: NotRequired[str]
    color: NotRequired[str]


class AudioConfirmRequest(TypedDict):
    """The uploaded audio to confirm. `file_id` (inference's name) is accepted for `audio_id`."""

    audio_id: str


class Detection(TypedDict):
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: float


class AudioDetections(TypedDict):
    model_id: str
    inference_job_id: str | None
    inference_file_id: str | None
    completed_at: str | None
    hidden_rejected: int
    detections: list[Detection]


ProcessingStatusEnum = Literal["pending", "processing", "ready", "failed"]


class AudioFile(TypedDict):
    id: str
    dataset_id: str
    filename: str
    content_type: str
    file_size: int
    processing_status: NotRequired[ProcessingStatusEnum]
    processing_error: str | None
    processing_warnings: list[str]
    duration_ms: int | None
    sample_rate: int | None
    channels: int | None
    metadata: NotRequired[Any]
    created_at: str
    updated_at: str


class AudioFileListItem(TypedDict):
    """A listed file, with `uncertainty` under the listing's `model_id`."""

    id: str
    dataset_id: str
    filename: str
    content_type: str
    file_size: int
    processing_status: NotRequired[ProcessingStatusEnum]
    processing_error: str | None
    processing_warnings: list[str]
    duration_ms: int | None
    sample_rate: int | None
    channels: int | None
    metadata: NotRequired[Any]
    created_at: str
    updated_at: str
    uncertainty: float | None


class AudioUpdateRequest(TypedDict):
    filename: NotRequired[str]
    metadata: NotRequired[dict[str, Any]]


class AudioUploadTarget(TypedDict):
    upload_url: str
    fields: dict[str, str]
    audio_id: str
    expires_in: int


ContentTypeEnum = Literal[
    "application/ogg",
    "audio/aac",
    "audio/flac",
    "audio/m4a",
    "audio/mp3",
    "audio/mp4",
    "audio/mpeg",
    "audio/ogg",
    "audio/opus",
    "audio/vnd.wave",
    "audio/wav",
    "audio/wave",
    "audio/webm",
    "audio/x-aac",
    "audio/x-flac",
    "audio/x-m4a",
    "audio/x-wav",
    "video/webm",
]


class AudioUploadUrlRequest(TypedDict):
    """A file to upload into the dataset. `file_size_bytes` (inference's name) is accepted for"""

    filename: str
    content_type: ContentTypeEnum
    metadata: NotRequired[dict[str, Any]]
    file_size: int


class CreatedApiKey(TypedDict):
    id: str
    name: str
    prefix: str
    scopes: list[ApiKeyScopeEnum]
    created_at: str
    last_used_at: NotRequired[str | None]
    expires_at: NotRequired[str | None]
    revoked_at: NotRequired[str | None]
    key: str


EventsEnum = Literal[
    "audio.ready",
    "audio.failed",
    "annotation_set.published",
    "training.completed",
    "training.failed",
    "inference.completed",
]


class CreatedWebhook(TypedDict):
    id: str
    url: str
    events: list[EventsEnum]
    description: NotRequired[str]
    is_active: NotRequired[bool]
    created_at: str
    updated_at: str
    secret: str


CueKindEnum = Literal["jump", "zero_run", "flat_top"]


class Cue(TypedDict):
    time_ms: int
    kind: CueKindEnum
    strength: float


class CueList(TypedDict):
    items: list[Cue]


class Dataset(TypedDict):
    id: str
    name: str
    description: NotRequired[str]
    artifact_types: list[ArtifactType]
    created_at: str
    updated_at: str
    audio_count: int
    total_duration_ms: int


class DatasetCreateRequest(TypedDict):
    name: str
    description: NotRequired[str]
    artifact_types: list[ArtifactTypeInputRequest]


class DatasetUpdateRequest(TypedDict):
    name: NotRequired[str]
    description: NotRequired[str]
    artifact_types: NotRequired[list[ArtifactTypeInputRequest]]


class DetectionFile(TypedDict):
    id: str
    original_filename: str
    audio_id: str | None
    metadata: dict[str, Any]


class DetectionImportError(TypedDict):
    loc: list[Any]
    msg: str
    type: str


class DetectionImportInputRequest(TypedDict):
    inference_job_id: str
    min_confidence: NotRequired[float]
    artifact_types: NotRequired[list[str]]
    audio_file_ids: NotRequired[list[str]]
    dry_run: NotRequired[bool]


class DetectionImportReport(TypedDict):
    dry_run: bool
    valid: bool
    would_create: int
    skipped_rejected: int
    skipped_existing: int
    errors: list[DetectionImportError]


class DetectionImportResult(TypedDict):
    dry_run: bool
    created: int
    skipped_rejected: int
    skipped_existing: int
    items: list[dict[str, Any]]


class DownloadUrl(TypedDict):
    url: str
    expires_in: int


class Error(TypedDict):
    detail: str


class InferenceConfig(TypedDict):
    threshold: float | dict[str, float] | None
    merge_window_ms: int
    min_duration_ms: int
    signal_checks: NotRequired[bool]


class InferenceConfigInputRequest(TypedDict):
    threshold: NotRequired[float | dict[str, float] | None]
    merge_window_ms: NotRequired[int]
    min_duration_ms: NotRequired[int]
    signal_checks: NotRequired[bool]


class InferenceConfirmRequest(TypedDict):
    """The uploaded file to confirm. `audio_id` (datasets' name) is accepted for `file_id`."""

    file_id: str


InferenceStatusEnum = Literal["pending", "processing", "completed", "failed", "cancelled"]


class InferenceFile(TypedDict):
    id: str
    original_filename: str
    content_type: str
    file_size: int
    metadata: NotRequired[Any]
    audio_id: str | None
    status: NotRequired[InferenceStatusEnum]
    error: str | None
    duration_ms: int | None
    detection_count: int
    uncertainty: float | None
    detections: list[Detection]
    created_at: str
    completed_at: NotRequired[str | None]


class InferenceFileSummary(TypedDict):
    """A file without its detections (confirm and from-dataset answers)."""

    id: str
    original_filename: str
    content_type: str
    file_size: int
    metadata: NotRequired[Any]
    audio_id: str | None
    status: NotRequired[InferenceStatusEnum]
    error: str | None
    duration_ms: int | None
    detection_count: int
    uncertainty: float | None
    created_at: str
    completed_at: NotRequired[str | None]


class InferenceFromDatasetRequest(TypedDict):
    audio_ids: list[str]


class InferenceFromDatasetResult(TypedDict):
    items: list[InferenceFileSummary]


class InferenceJob(TypedDict):
    id: str
    model_id: str | None
    config: InferenceConfig
    artifact_types: list[str]
    status: NotRequired[InferenceStatusEnum]
    total_files: int
    processed_files: int
    failed_files: int
    total_detections: int
    created_at: str
    completed_at: NotRequired[str | None]


class InferenceJobCreateRequest(TypedDict):
    model_id: str
    config: NotRequired[InferenceConfigInputRequest]


class InferenceJobDetail(TypedDict):
    id: str
    model_id: str | None
    config: InferenceConfig
    artifact_types: list[str]
    status: NotRequired[InferenceStatusEnum]
    total_files: int
    processed_files: int
    failed_files: int
    total_detections: int
    created_at: str
    completed_at: NotRequired[str | None]
    files: list[InferenceFile]
    has_more_files: bool


class TypeRate(TypedDict):
    count: int
    per_audio_hour: float | None


class SummaryGroup(TypedDict):
    files: int
    audio_hours: float
    per_type: dict[str, TypeRate]


class InferenceSummary(TypedDict):
    completed_files: int
    total_audio_hours: float
    total_detections: int
    per_type: dict[str, TypeRate]
    by_metadata: dict[str, dict[str, SummaryGroup]]
    ungrouped_keys: list[str]


class InferenceUploadTarget(TypedDict):
    upload_url: str
    upload_fields: dict[str, str]
    file_id: str
    expires_in: int


class InferenceUploadUrlRequest(TypedDict):
    """A file to upload into the job. `file_size` (datasets' name) is accepted for"""

    filename: str
    content_type: ContentTypeEnum
    metadata: NotRequired[dict[str, Any]]
    file_size_bytes: int


class InlineUploadRequest(TypedDict):
    """`files` are data URLs (`data:audio/wav;base64,...`); `filenames` and `metadata`, when"""

    files: list[str]
    filenames: NotRequired[list[str]]
    metadata: NotRequired[list[dict[str, Any]]]


class InlineUploadResult(TypedDict):
    items: list[AudioFile]


class PaginatedAnnotationList(TypedDict):
    items: list[Annotation]
    total: int
    page: int
    page_size: int
    has_more: bool


class PaginatedAnnotationSetList(TypedDict):
    items: list[AnnotationSet]
    total: int
    page: int
    page_size: int
    has_more: bool


class PaginatedApiKeyList(TypedDict):
    items: list[ApiKey]
    total: int
    page: int
    page_size: int
    has_more: bool


class PaginatedAudioFileListItemList(TypedDict):
    items: list[AudioFileListItem]
    total: int
    page: int
    page_size: int
    has_more: bool


class PaginatedDatasetList(TypedDict):
    items: list[Dataset]
    total: int
    page: int
    page_size: int
    has_more: bool


class PaginatedInferenceFileList(TypedDict):
    items: list[InferenceFile]
    total: int
    page: int
    page_size: int
    has_more: bool


class PaginatedInferenceJobList(TypedDict):
    items: list[InferenceJob]
    total: int
    page: int
    page_size: int
    has_more: bool


class RejectedDetection(TypedDict):
    id: str
    audio_file_id: str
    artifact_type: str
    start_ms: int
    end_ms: int
    model_id: str | None
    created_at: str


class PaginatedRejectedDetectionList(TypedDict):
    items: list[RejectedDetection]
    total: int
    page: int
    page_size: int
    has_more: bool


class TrainedModel(TypedDict):
    id: str
    name: str
    dataset_id: str | None
    training_job_id: str | None
    annotation_set_id: str | None
    artifact_types: list[str]
    metrics: dict[str, Any]
    content_hash: NotRequired[str]
    feature_recipe_version: str
    file_size: int
    created_at: str
    updated_at: str


class PaginatedTrainedModelList(TypedDict):
    items: list[TrainedModel]
    total: int
    page: int
    page_size: int
    has_more: bool


class TrainingConfig(TypedDict):
    artifact_types: list[str]
    epochs: int
    validation_split: float
    learning_rate: float
    batch_size: int
    include_unlabelled_audio: bool


TrainingJobStatusEnum = Literal["queued", "running", "completed", "failed", "cancelled"]


class TrainingJob(TypedDict):
    id: str
    dataset_id: str
    annotation_set_id: str
    config: TrainingConfig
    status: NotRequired[TrainingJobStatusEnum]
    progress_percent: int
    current_epoch: int
    metrics: dict[str, Any]
    error_message: str | None
    model_id: str | None
    audio_file_count: int
    attempts: int
    created_at: str
    started_at: NotRequired[str | None]
    completed_at: NotRequired[str | None]


class PaginatedTrainingJobList(TypedDict):
    items: list[TrainingJob]
    total: int
    page: int
    page_size: int
    has_more: bool


ValidationMistakeKindEnum = Literal["false_positive", "false_negative"]


class ValidationMistake(TypedDict):
    audio_file_id: str
    filename: str
    artifact_type: str
    kind: ValidationMistakeKindEnum
    start_ms: int
    end_ms: int
    confidence: float


class PaginatedValidationMistakeList(TypedDict):
    items: list[ValidationMistake]
    total: int
    page: int
    page_size: int
    has_more: bool


WebhookDeliveryStatusEnum = Literal["pending", "sending", "succeeded", "failed"]


class WebhookDelivery(TypedDict):
    id: str
    event_id: str
    event_type: str
    attempt: int
    status: NotRequired[WebhookDeliveryStatusEnum]
    scheduled_at: str
    attempted_at: NotRequired[str | None]
    response_status: int | None
    response_body: NotRequired[str]
    error: NotRequired[str]
    duration_ms: int | None
    will_retry: NotRequired[bool]
    created_at: str


class PaginatedWebhookDeliveryList(TypedDict):
    items: list[WebhookDelivery]
    total: int
    page: int
    page_size: int
    has_more: bool


class Webhook(TypedDict):
    id: str
    url: str
    events: list[EventsEnum]
    description: NotRequired[str]
    is_active: NotRequired[bool]
    created_at: str
    updated_at: str


class PaginatedWebhookList(TypedDict):
    items: list[Webhook]
    total: int
    page: int
    page_size: int
    has_more: bool


class Peaks(TypedDict):
    start_ms: int
    end_ms: int
    sample_rate: int
    samples_per_peak: int
    min: list[float]
    max: list[float]


class RejectedDetectionInputRequest(TypedDict):
    audio_file_id: str
    artifact_type: str
    start_ms: int
    end_ms: int
    model_id: NotRequired[str | None]


class TopDetection(TypedDict):
    artifact_type: str
    start_ms: int
    end_ms: int
    confidence: float
    file: DetectionFile


class TopDetections(TypedDict):
    per_type: int
    detections: dict[str, list[TopDetection]]


class TrainedModelUpdateRequest(TypedDict):
    name: str


class TrainingConfigInputRequest(TypedDict):
    artifact_types: NotRequired[list[str]]
    epochs: NotRequired[int]
    validation_split: NotRequired[float]
    learning_rate: NotRequired[float]
    batch_size: NotRequired[int]
    include_unlabelled_audio: NotRequired[bool]


class TrainingJobCreateRequest(TypedDict):
    dataset_id: str
    annotation_set_id: str
    config: NotRequired[TrainingConfigInputRequest]


class ValidationErrorItem(TypedDict):
    loc: list[str | int]
    msg: str
    type: str


class ValidationError(TypedDict):
    detail: list[ValidationErrorItem]


class WebhookCreateRequest(TypedDict):
    url: str
    events: list[EventsEnum]
    description: NotRequired[str]


class WebhookUpdateRequest(TypedDict):
    url: NotRequired[str]
    events: NotRequired[list[EventsEnum]]
    description: NotRequired[str]
    is_active: NotRequired[bool]
