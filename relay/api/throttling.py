from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView
from rest_framework.throttling import SimpleRateThrottle

from relay.api.auth import Caller


class PerKeyRateThrottle(SimpleRateThrottle):
    """`RELAY_THROTTLE_RATE` requests per period for each API key (or dashboard user)."""

    scope = "per_key"

    def get_rate(self) -> str:
        return settings.RELAY_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        caller = request.user
        if not isinstance(caller, Caller):
            return None
        if caller.api_key is not None:
            return f"throttle:key:{caller.api_key.pk}"
        return f"throttle:user:{caller.user.pk}"
