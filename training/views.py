"""Dashboard pages of training: start a job, follow it, review its errors, and the models it
made. They render the page's frame; the page scripts read and write through /api/v1."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import selectors as dataset_selectors
from tenants.pages import found_or_404, tenant_of, tenant_page
from training import selectors
from training.serializers import TrainingConfigInputSerializer


def _config_defaults() -> dict[str, object]:
    """The API's config defaults, so the form starts where a POST without config would."""
    fields = TrainingConfigInputSerializer().fields
    return {
        name: field.default
        for name, field in fields.items()
        if name != "artifact_types" and not callable(field.default)
    }


@tenant_page
def training_new_page(request: HttpRequest, dataset_id: UUID) -> HttpResponse:
    dataset = found_or_404(
        dataset_selectors.get_dataset, tenant=tenant_of(request), dataset_id=dataset_id
    )
    context = {
        "dataset": dataset,
        "training_config": {
            "dataset_id": str(dataset.pk),
            "defaults": _config_defaults(),
            "types": [
                {"name": artifact_type.name, "color": artifact_type.color}
                for artifact_type in dataset.artifact_types.all()
            ],
        },
    }
    return render(request, "training/training_new.html", context)


@tenant_page
def training_job_page(request: HttpRequest, training_job_id: UUID) -> HttpResponse:
    job = found_or_404(
        selectors.get_training_job, tenant=tenant_of(request), job_id=training_job_id
    )
    return render(request, "training/training_job.html", {"job": job, "dataset": job.dataset})


@tenant_page
def training_errors_page(request: HttpRequest, training_job_id: UUID) -> HttpResponse:
    job = found_or_404(
        selectors.get_training_job, tenant=tenant_of(request), job_id=training_job_id
    )
    return render(request, "training/training_errors.html", {"job": job, "dataset": job.dataset})


@tenant_page
def models_page(request: HttpRequest) -> HttpResponse:
    return render(request, "training/models.html")


@tenant_page
def model_page(request: HttpRequest, model_id: UUID) -> HttpResponse:
    model = found_or_404(selectors.get_model, tenant=tenant_of(request), model_id=model_id)
    return render(request, "training/model.html", {"model": model})


@tenant_page
def models_compare_page(request: HttpRequest) -> HttpResponse:
    return render(request, "training/models_compare.html")
