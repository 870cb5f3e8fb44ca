from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.views import APIView


class TenantApiView(APIView):
    """Base of every `/api/v1` view: authenticates, checks `required_scopes`, throttles per key,
    and sets `request.tenant` to the caller's tenant, which every selector starts from."""

    required_scopes: ClassVar[dict[str, str]] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        request.tenant = request.user.tenant
