"""Request middleware: a request id on every request, its log lines and its response."""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
            logger.info(
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
