"""Request middleware: a request id on every request, its log lines and its response."""

import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from relay import logs

logger = logging.getLogger("relay.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is a plain token (a proxy's or a client's id), else replaced:
# it is echoed in a header and written to logs, so nothing else gets through.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class RequestLogMiddleware:
    """Takes a sane `X-Request-ID` or makes one, binds it to the request's log lines, echoes it
    in the response, and logs one line per request: method, path, status, duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request_token = logs.request_id_var.set(request_id)
        tenant_token = logs.tenant_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            response[REQUEST_ID_HEADER] = request_id
            logger.log(
                _level(request.path, response.status_code),
                "%s %s %d %.1f ms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            logs.tenant_var.reset(tenant_token)
            logs.request_id_var.reset(request_token)


def _level(path: str, status: int) -> int:
    # A load balancer's probes and a page's static files would drown the requests that matter.
    routine = path.startswith(settings.STATIC_URL) or path in QUIET_PATHS
    return logging.DEBUG if routine and status < 400 else logging.INFO


QUIET_PATHS = {"/healthz", "/readyz"}


class SecurityHeadersMiddleware:
    """A Content-Security-Policy with a fresh nonce per request (`request.csp_nonce`, which
    templates put on their few inline `<script>`/`<style>` elements), and a Permissions-Policy
    that turns off the browser features Relay never uses. Django's SecurityMiddleware adds the
    rest (nosniff, HSTS, Referrer-Policy, Cross-Origin-Opener-Policy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(request.csp_nonce))
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def content_security_policy(nonce: str) -> str:
    # Uploads and playback talk to the bucket itself in S3 mode (presigned POST and GET).
    storage = " ".join(settings.RELAY_CSP_STORAGE_SOURCES)
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        # No 'unsafe-inline': styles come from stylesheets, scripts' CSSOM or a nonce'd element.
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": "'self' data: blob:",
        "media-src": f"'self' blob: {storage}".strip(),
        "connect-src": f"'self' {storage}".strip(),
        "font-src": "'self' data:",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CORS_ALLOWED_METHODS = "GET, POST, PATCH, DELETE"
CORS_ALLOWED_HEADERS = "X-API-Key, Content-Type, X-Request-ID"
CORS_EXPOSED_HEADERS = (
    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-ID"
)


class CorsMiddleware:
    """Cross-origin API calls: closed unless the origin is in RELAY_CORS_ALLOWED_ORIGINS, and then
    for `/api/` only, with the API key (never credentials, so the dashboard's cookies stay
    same-origin). Answers the browser's preflight itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("Origin", "")
        allowed = origin in settings.RELAY_CORS_ALLOWED_ORIGINS and request.path.startswith("/api/")
        if (
            allowed
            and request.method == "OPTIONS"
            and "Access-Control-Request-Method" in (request.headers)
        ):
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = CORS_ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = CORS_ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = "600"
        else:
            response = self.get_response(request)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
        if settings.RELAY_CORS_ALLOWED_ORIGINS:
            patch_vary_headers(response, ["Origin"])
        return response


class PageMessagesMiddleware(MessageMiddleware):
    """Django's one-time messages, for pages and the admin. API calls never add or show one, so
    they skip making its cookie and session stores (1-2 % of an API call's time); the messages a
    page left wait for the next page, as before."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith("/api/"):
            super().process_request(request)
