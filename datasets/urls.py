from django.urls import path

from datasets import api, labeling_api

AUDIO = "datasets/<id:dataset_id>/audio"
ONE_AUDIO = f"{AUDIO}/<id:audio_id>"

urlpatterns = [
    path("datasets", api.DatasetListApi.as_view(), name="dataset-list"),
    path("datasets/<id:dataset_id>", api.DatasetDetailApi.as_view(), name="dataset-detail"),
    path(AUDIO, api.AudioListApi.as_view(), name="audio-list"),
    path(f"{AUDIO}/upload-url", api.AudioUploadUrlApi.as_view(), name="audio-upload-url"),
    path(f"{AUDIO}/upload", api.AudioInlineUploadApi.as_view(), name="audio-upload-inline"),
    path(f"{AUDIO}/confirm", api.AudioConfirmApi.as_view(), name="audio-confirm"),
    path(ONE_AUDIO, api.AudioDetailApi.as_view(), name="audio-detail"),
    path(f"{ONE_AUDIO}/peaks", api.AudioPeaksApi.as_view(), name="audio-peaks"),
    path(
        f"{ONE_AUDIO}/spectrogram",
        labeling_api.AudioSpectrogramApi.as_view(),
        name="audio-spectrogram",
    ),
    path(f"{ONE_AUDIO}/cues", labeling_api.AudioCuesApi.as_view(), name="audio-cues"),
    path(f"{ONE_AUDIO}/download-url", api.AudioDownloadUrlApi.as_view(), name="audio-download-url"),
]
