"""System checks of how Relay is deployed (`manage.py check --deploy`)."""

from typing import Any

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register

WITHOUT_REDIS = CheckWarning(
    "REDIS_URL is not set, so Relay runs embedded: its queues, per-key rate limits and "
    "failed-authentication throttle live in each web process's memory.",
    hint=(
        "Run a single web process (make run), or set REDIS_URL so that every web process and "
        "worker shares one broker and one rate-limit window (docs/operations.md)."
    ),
    id="relay.W001",
)


@register(deploy=True)
def shared_state_needs_redis(**kwargs: Any) -> list[CheckWarning]:
    return [] if settings.REDIS_URL else [WITHOUT_REDIS]
