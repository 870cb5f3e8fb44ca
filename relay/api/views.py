from typing import Any, ClassVar

from django.conf import settings
from rest_framework.request import Request
from rest_framework.views import APIView

from relay.errors import TooLarge


class TenantApiView(APIView):
    """Base of every `/api/v1` view: authenticates, checks `required_scopes`, throttles per key,
    refuses bodies over the view's size limit before reading them, and sets `request.tenant` to
    the caller's tenant, which every selector starts from."""

    required_scopes: ClassVar[dict[str, str]] = {}

    def body_limit_bytes(self) -> int:
        """Largest request body this view reads; views taking bigger bodies override it."""
        return settings.RELAY_MAX_JSON_BODY_BYTES

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        request.tenant = request.user.tenant
        declared = request.META.get("CONTENT_LENGTH") or ""
        limit = self.body_limit_bytes()
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"Request body is {declared} bytes; the limit is {limit} bytes.")
