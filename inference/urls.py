from django.urls import path

from inference import api, assisted_api

JOB = "inference-jobs/<id:job_id>"
SET = "datasets/<id:dataset_id>/annotation-sets/<id:set_id>"

urlpatterns = [
    path("inference-jobs", api.InferenceJobListApi.as_view(), name="inference-job-list"),
    path(JOB, api.InferenceJobDetailApi.as_view(), name="inference-job-detail"),
    path(f"{JOB}/cancel", api.InferenceJobCancelApi.as_view(), name="inference-job-cancel"),
    path(f"{JOB}/files", api.InferenceFileListApi.as_view(), name="inference-file-list"),
    path(
        f"{JOB}/files/upload-url",
        api.InferenceUploadUrlApi.as_view(),
        name="inference-file-upload-url",
    ),
    path(
        f"{JOB}/files/<id:file_id>/peaks",
        api.InferenceFilePeaksApi.as_view(),
        name="inference-file-peaks",
    ),
    path(
        f"{JOB}/files/<id:file_id>/download-url",
        api.InferenceFileDownloadUrlApi.as_view(),
        name="inference-file-download-url",
    ),
    path(f"{JOB}/files/confirm", api.InferenceConfirmApi.as_view(), name="inference-file-confirm"),
    path(
        f"{JOB}/files/from-dataset",
        api.InferenceFromDatasetApi.as_view(),
        name="inference-file-from-dataset",
    ),
    path(
        f"{JOB}/detections",
        api.InferenceDetectionsExportApi.as_view(),
        name="inference-detections-export",
    ),
    path(
        f"{JOB}/top-detections",
        api.InferenceTopDetectionsApi.as_view(),
        name="inference-top-detections",
    ),
    path(f"{JOB}/summary", api.InferenceSummaryApi.as_view(), name="inference-summary"),
    path(
        "datasets/<id:dataset_id>/audio/<id:audio_id>/detections",
        assisted_api.AudioDetectionsApi.as_view(),
        name="audio-detections",
    ),
    path(
        f"{SET}/import-detections",
        assisted_api.DetectionImportApi.as_view(),
        name="annotation-set-import-detections",
    ),
    path(
        f"{SET}/rejected-detections",
        assisted_api.RejectedDetectionListApi.as_view(),
        name="rejected-detection-list",
    ),
    path(
        f"{SET}/rejected-detections/<id:rejection_id>",
        assisted_api.RejectedDetectionDetailApi.as_view(),
        name="rejected-detection-detail",
    ),
]
