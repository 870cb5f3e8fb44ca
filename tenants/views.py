"""Dashboard pages of the tenant: sign-in and settings."""

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from relay.api import throttling
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


class SignInView(auth_views.LoginView):
    """Django's sign-in, with failed attempts counted per client address like bad API keys
    (RELAY_AUTH_FAILURE_RATE): over the limit, 429 and the form says when to try again, before
    the password is even checked."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        allowance = throttling.failed_authentications_allowance(request)
        if not allowance.allowed:
            response = self.render_to_response(
                self.get_context_data(
                    form=self.get_form_class()(request),
                    throttled_for_s=allowance.retry_after_s,
                ),
                status=429,
            )
            response["Retry-After"] = str(allowance.retry_after_s)
            return response
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the login and password did not match
            throttling.record_failed_authentication(request)
        return response
