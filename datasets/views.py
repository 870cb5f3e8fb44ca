"""Dashboard pages of datasets. They render the page's frame; the page scripts read and write
through /api/v1 (static/js/pages/)."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import selectors
from datasets.palette import PALETTE
from tenants.pages import found_or_404, tenant_of, tenant_page


@tenant_page
def datasets_page(request: HttpRequest) -> HttpResponse:
    return render(request, "datasets/datasets.html")


@tenant_page
def dataset_new_page(request: HttpRequest) -> HttpResponse:
    return render(request, "datasets/dataset_form.html", _form_context(dataset=None))


@tenant_page
def dataset_edit_page(request: HttpRequest, dataset_id: UUID) -> HttpResponse:
    dataset = found_or_404(selectors.get_dataset, tenant=tenant_of(request), dataset_id=dataset_id)
    return render(request, "datasets/dataset_form.html", _form_context(dataset=dataset))


@tenant_page
def dataset_page(request: HttpRequest, dataset_id: UUID) -> HttpResponse:
    dataset = found_or_404(selectors.get_dataset, tenant=tenant_of(request), dataset_id=dataset_id)
    return render(request, "datasets/dataset.html", {"dataset": dataset})


def _form_context(*, dataset: object) -> dict[str, object]:
    return {"dataset": dataset, "form_config": {"palette": list(PALETTE)}}
