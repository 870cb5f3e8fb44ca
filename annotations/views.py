"""The labeling page. It renders the component's frame; static/js/pages/labeling.js reads and
writes through /api/v1."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations import selectors
from annotations.pages import labeling_config
from datasets import selectors as dataset_selectors
from tenants.pages import found_or_404, tenant_of, tenant_page


@tenant_page
def labeling_page(request: HttpRequest, dataset_id: UUID, set_id: UUID) -> HttpResponse:
    dataset = found_or_404(
        dataset_selectors.get_dataset, tenant=tenant_of(request), dataset_id=dataset_id
    )
    annotation_set = found_or_404(selectors.get_annotation_set, dataset=dataset, set_id=set_id)
    config = labeling_config(
        request, dataset=dataset, annotation_set=annotation_set, page_url=request.path
    )
    context = {"dataset": dataset, "annotation_set": annotation_set, "labeling_config": config}
    return render(request, "annotations/labeling.html", context)
