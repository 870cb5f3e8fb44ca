"""Dashboard pages of the tenant: settings."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.models import EventType, Scope
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


EVENT_HELP = {
    EventType.AUDIO_READY: "a file finished processing",
    EventType.AUDIO_FAILED: "a file could not be processed",
    EventType.ANNOTATION_SET_PUBLISHED: "a label set was published",
    EventType.TRAINING_COMPLETED: "a model is ready",
    EventType.TRAINING_FAILED: "a training job failed",
    EventType.INFERENCE_COMPLETED: "an inference job finished",
}
CHECKED_EVENTS = {
    EventType.TRAINING_COMPLETED,
    EventType.TRAINING_FAILED,
    EventType.INFERENCE_COMPLETED,
}


@tenant_page
def webhooks_page(request: HttpRequest) -> HttpResponse:
    events = [
        {"value": str(event), "help": EVENT_HELP[event], "checked": event in CHECKED_EVENTS}
        for event in EventType
    ]
    return render(
        request,
        "tenants/webhooks.html",
        {"can_manage_webhooks": is_tenant_admin(request), "events": events},
    )
