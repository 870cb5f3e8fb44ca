from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datasets import selectors as dataset_selectors
from tenants import selectors as tenant_selectors

DASHBOARD_DATASET_LIMIT = 100


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    membership = tenant_selectors.membership_of(request.user)
    datasets = []
    if membership is not None:
        datasets = dataset_selectors.list_datasets(tenant=membership.tenant)[
            :DASHBOARD_DATASET_LIMIT
        ]
    return render(request, "relay/dashboard.html", {"membership": membership, "datasets": datasets})
