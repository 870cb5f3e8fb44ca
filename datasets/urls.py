from django.urls import path

from datasets import api

urlpatterns = [
    path("datasets", api.DatasetListApi.as_view(), name="dataset-list"),
    path("datasets/<uuid:dataset_id>", api.DatasetDetailApi.as_view(), name="dataset-detail"),
]
