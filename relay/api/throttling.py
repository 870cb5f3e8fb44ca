"""Rate limits of the API: requests per key, and failed authentications per client address.

Both count in a sliding window (`relay.ratelimit`): in Redis when `REDIS_URL` is set, so every web
process shares one count per key, else in this process. The decision is kept on the request, and
`TenantApiView` turns it into the `RateLimit-*` headers of the response.
"""

import functools
import hashlib
import logging
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from relay import proxies
from relay.api import auth  # auth imports this module too: use auth.Caller at call time
from relay.ratelimit import (
    Check,
    Decision,
    LocalWindowStore,
    Rate,
    RedisWindowStore,
    WindowStore,
)

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

DECISION_ATTRIBUTE = "relay_rate_limit"


class TooManyRequests(exceptions.Throttled):
    default_detail = "Too many requests."
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."


@functools.cache
def _store_for(redis_url: str) -> WindowStore:
    if not redis_url:
        return LocalWindowStore()
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    return RedisWindowStore(client)


def window_store() -> WindowStore:
    return _store_for(settings.REDIS_URL)


def _checked(*checks: Check) -> list[Decision]:
    try:
        return window_store().check(*checks)
    except redis.RedisError as error:
        # Redis down: the queue is down too and /readyz says so; refusing every request on top
        # of that would turn a degraded API into a dead one.
        logger.warning("rate limit not checked, Redis unavailable: %s", error)
        return [Decision(True, check.rate.limit, check.rate.limit, 0.0) for check in checks]


def _checked_one(key: str, rate: Rate, *, record: bool) -> Decision:
    return _checked(Check(key, rate, record))[0]


def client_address(request: HttpRequest | Request) -> str:
    """The address failed authentications are counted against: the client's, through trusted
    proxies (RELAY_TRUSTED_PROXIES), so clients behind one proxy are counted apart."""
    return proxies.client_address(request) or "unknown"


def remember(request: HttpRequest | Request, decision: Decision) -> None:
    """Keep the decision on the Django request, for the response's RateLimit-* headers."""
    setattr(getattr(request, "_request", request), DECISION_ATTRIBUTE, decision)


def remembered(request: HttpRequest | Request) -> Decision | None:
    return getattr(request, DECISION_ATTRIBUTE, None)


class PerKeyRateThrottle(BaseThrottle):
    """`RELAY_THROTTLE_RATE` requests per period for each API key (or dashboard user)."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        caller = request.user
        if not isinstance(caller, auth.Caller):
            return True
        if caller.rate_limit is not None:  # an API key, counted as it was presented
            self.decision = caller.rate_limit
        else:
            rate = Rate.parse(settings.RELAY_THROTTLE_RATE)
            self.decision = _checked_one(f"user:{caller.user.pk}", rate, record=True)
        remember(request, self.decision)
        return self.decision.allowed

    def wait(self) -> float:
        return self.decision.retry_after_s


def too_many_requests(rate_text: str, wait_s: float) -> TooManyRequests:
    return TooManyRequests(
        wait=wait_s,
        detail=f"Too many requests for this key: the limit is {Rate.parse(rate_text)}.",
    )


def key_window(key: str) -> str:
    """The window of a presented API key: a digest of the key itself, so that it can be counted
    before the key is looked up, and a wrong guess is never counted against a real key."""
    return "key:" + hashlib.sha256(f"relay rate limit {key}".encode()).hexdigest()[:32]


def check_address_and_key(request: Request, key: str) -> Decision:
    """Before a presented key is looked up, in one round trip to Redis: refuse (429) an address
    that failed to authenticate too often lately, so its next guess is never even looked at;
    else count the request in the key's window (`RELAY_THROTTLE_RATE`) and return that decision,
    which the key's throttle then applies."""
    failures = Rate.parse(settings.RELAY_AUTH_FAILURE_RATE)
    address_check = Check(f"auth-failures:{client_address(request)}", failures, record=False)
    key_check = Check(key_window(key), Rate.parse(settings.RELAY_THROTTLE_RATE), record=True)
    decisions = _checked(address_check, key_check)
    if not decisions[0].allowed:
        remember(request, decisions[0])
        raise TooManyRequests(
            wait=decisions[0].retry_after_s,
            detail=(
                f"Too many failed authentication attempts from this address "
                f"(the limit is {failures})."
            ),
        )
    remember(request, decisions[1])
    return decisions[1]


def failed_authentications_allowance(request: HttpRequest | Request) -> Decision:
    """How many failed authentications this address has left (for a 401's headers)."""
    rate = Rate.parse(settings.RELAY_AUTH_FAILURE_RATE)
    return _checked_one(f"auth-failures:{client_address(request)}", rate, record=False)


def record_failed_authentication(request: HttpRequest | Request) -> None:
    rate = Rate.parse(settings.RELAY_AUTH_FAILURE_RATE)
    address = client_address(request)
    decision = _checked_one(f"auth-failures:{address}", rate, record=True)
    remember(request, decision)
    if decision.remaining == 0:
        logger.warning("authentication failures from %s reached the limit of %s", address, rate)
