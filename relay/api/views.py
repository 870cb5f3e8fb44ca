from typing import Any, ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from relay import logs
from relay.api import throttling
from relay.errors import TooLarge


class TenantApiView(APIView):
    """Base of every `/api/v1` view: authenticates, checks `required_scopes`, throttles per key,
    refuses bodies over the view's size limit before reading them, and sets `request.tenant` to
    the caller's tenant, which every selector starts from."""

    required_scopes: ClassVar[dict[str, str]] = {}

    def body_limit_bytes(self) -> int:
        """Largest request body this view reads; views taking bigger bodies override it."""
        return settings.RELAY_MAX_JSON_BODY_BYTES

    def check_permissions(self, request: Request) -> None:
        # Throttled before the scope check: a refused call still counts, and reports its headers.
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request: Request) -> None:
        """Already done, first thing in `check_permissions`."""

    def throttled(self, request: Request, wait: float | None) -> None:
        raise throttling.too_many_requests(settings.RELAY_THROTTLE_RATE, wait or 1)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        decision = throttling.remembered(request)
        if decision is None and response.status_code == 401:
            decision = throttling.failed_authentications_allowance(request)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        request.tenant = request.user.tenant
        logs.tenant_var.set(str(request.tenant.pk))  # RequestLogMiddleware resets it
        declared = request.META.get("CONTENT_LENGTH") or ""
        limit = self.body_limit_bytes()
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"Request body is {declared} bytes; the limit is {limit} bytes.")
