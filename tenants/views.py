"""Dashboard pages of the tenant: settings."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.models import Scope
from tenants.pages import is_tenant_admin, tenant_page
from tenants.services import DEFAULT_SCOPES

SCOPE_HELP = {
    Scope.READ: "list and download datasets, audio, labels, models and results",
    Scope.WRITE: "upload audio, label, start training and inference",
    Scope.ADMIN: "create and revoke API keys",
}


@tenant_page
def api_keys_page(request: HttpRequest) -> HttpResponse:
    scopes = [
        {"value": str(scope), "help": SCOPE_HELP[scope], "checked": scope in DEFAULT_SCOPES}
        for scope in Scope
    ]
    return render(
        request,
        "tenants/api_keys.html",
        {"can_manage_keys": is_tenant_admin(request), "scopes": scopes},
    )
