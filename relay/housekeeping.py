"""Housekeeping: removes what abandoned work leaves behind (uploads never confirmed, with their
rows and partial objects). Each job is idempotent and safe to run concurrently, so every worker
process may schedule it: the sweep sends the actor every RELAY_HOUSEKEEPING_INTERVAL_S, and
`manage.py housekeeping` runs it at once.
"""

import logging
import threading
import time

import dramatiq
from django.conf import settings
from django.utils.module_loading import import_string

from relay.queue import PROCESSING_QUEUE

logger = logging.getLogger(__name__)

_last_scheduled = 0.0
_schedule_lock = threading.Lock()


def housekeep() -> dict[str, int]:
    """Runs every RELAY_HOUSEKEEPING job; returns how many things each removed, by job path."""
    removed = {path: import_string(path)() for path in settings.RELAY_HOUSEKEEPING}
    if any(removed.values()):
        logger.info("housekeeping removed %s", removed)
    return removed


@dramatiq.actor(queue_name=PROCESSING_QUEUE, max_retries=0, time_limit=10 * 60 * 1000)
def run_housekeeping() -> None:
    housekeep()


def schedule_housekeeping() -> int:
    """A sweep: sends `run_housekeeping` once every RELAY_HOUSEKEEPING_INTERVAL_S in this
    process. Returns the number of messages sent."""
    global _last_scheduled
    with _schedule_lock:
        now = time.monotonic()
        if _last_scheduled and now - _last_scheduled < settings.RELAY_HOUSEKEEPING_INTERVAL_S:
            return 0
        _last_scheduled = now
    run_housekeeping.send()
    return 1
