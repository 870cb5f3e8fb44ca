"""The admin's "Queues and jobs" page: queue lengths, live worker processes and job counts."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from relay import operations


def queues_page(request: HttpRequest) -> HttpResponse:
    stats, workers = operations.queue_stats()
    context = {
        **admin.site.each_context(request),
        "title": "Queues and jobs",
        "queues": stats,
        "workers": workers,
        "job_counts": operations.job_counts(),
    }
    return TemplateResponse(request, "admin/relay/queues.html", context)
