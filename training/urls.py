from django.urls import path

from training import api

urlpatterns = [
    path("training-jobs", api.TrainingJobListApi.as_view(), name="training-job-list"),
    path(
        "training-jobs/<id:job_id>",
        api.TrainingJobDetailApi.as_view(),
        name="training-job-detail",
    ),
    path(
        "training-jobs/<id:job_id>/cancel",
        api.TrainingJobCancelApi.as_view(),
        name="training-job-cancel",
    ),
    path(
        "training-jobs/<id:job_id>/errors",
        api.TrainingJobErrorsApi.as_view(),
        name="training-job-errors",
    ),
    path("models", api.ModelListApi.as_view(), name="model-list"),
    path("models/<id:model_id>", api.ModelDetailApi.as_view(), name="model-detail"),
]
