"""Health: `/healthz` says the process is up, `/readyz` whether the database, the broker and the
storage answer (API.md, Health), and the 503 that any request gets while the database is away.

The checks are plain Django views outside the API (no key, no throttle), each dependency asked
with a short timeout so that a load balancer's probe never hangs.
"""

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from relay import queue

logger = logging.getLogger(__name__)

# What a database that is restarting, unreachable or refusing connections raises.
DATABASE_DOWN_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_S = 5
CHECK_TIMEOUT_S = 2


def database_unavailable() -> JsonResponse:
    """The answer while the database is away: 503 with Retry-After, never a 500."""
    response = JsonResponse(
        {"detail": "The database is unavailable; try again in a few seconds"}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DATABASE_DOWN_ERRORS:
        connection.close()  # the next request opens a fresh one
        raise


def check_broker() -> None:
    """Redis answers a PING; the embedded mode's in-memory broker is always there."""
    client = getattr(queue.broker, "client", None)
    if client is not None:
        client.ping()


@functools.lru_cache(maxsize=4)
def _s3_probe(endpoint_url: str, region: str):
    """A boto3 client for the checks (one try, short timeouts), made once: making one takes far
    longer than the HEAD it sends. boto3 clients are safe to share between threads."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        config=Config(
            connect_timeout=CHECK_TIMEOUT_S,
            read_timeout=CHECK_TIMEOUT_S,
            retries={"max_attempts": 1},
        ),
    )


def check_storage() -> None:
    """The bucket answers a HEAD (one try, short timeouts), or the local folder is writable."""
    if settings.RELAY_STORAGE == "s3":
        probe = _s3_probe(settings.RELAY_S3_ENDPOINT_URL, settings.RELAY_S3_REGION)
        probe.head_bucket(Bucket=settings.RELAY_S3_BUCKET)
        return
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists():  # made on the first upload
        folder = folder.parent
    if not os.access(folder, os.W_OK):
        raise OSError(f"{folder} is not writable")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the process runs and answers; it asks nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers, else 503 naming those that did not."""
    checks = {}
    for name, check in CHECKS.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as error:  # any failure of a dependency means not ready
            logger.warning("readiness: %s is down: %s", name, error)
            checks[name] = "down"
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        return JsonResponse(
            {"detail": f"Not ready: {', '.join(down)} down", "checks": checks}, status=503
        )
    return JsonResponse({"status": "ok", "checks": checks})
