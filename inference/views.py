"""Dashboard pages of inference: the jobs, creating one from a model, and one job's files,
detections and summary. The page scripts read and write through /api/v1."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inference import selectors
from inference.exports import FORMATS
from tenants.pages import found_or_404, tenant_of, tenant_page


@tenant_page
def inference_jobs_page(request: HttpRequest) -> HttpResponse:
    return render(request, "inference/inference_jobs.html")


@tenant_page
def inference_job_page(request: HttpRequest, inference_job_id: UUID) -> HttpResponse:
    job = found_or_404(
        selectors.get_inference_job, tenant=tenant_of(request), job_id=inference_job_id
    )
    context = {
        "job": job,
        "inference_config": {
            "job_id": str(job.pk),
            "model_id": str(job.model_id) if job.model_id else None,
            "dataset_id": str(job.model.dataset_id) if job.model else None,
            "formats": list(FORMATS),
        },
    }
    return render(request, "inference/inference_job.html", context)
