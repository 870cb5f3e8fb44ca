"""Worker leases: a worker that claimed a row renews the row's lease in the background while it
works, so the sweep gives the work to another worker only once this one has died."""

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.db import DatabaseError, close_old_connections, connection
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def lease_heartbeat(held: Callable[[], QuerySet], lease: timedelta, name: str) -> Iterator[None]:
    """While the block runs, every third of `lease` set `lease_expires_at` a lease ahead on the
    rows `held()` selects (the claimed row, while it is still this worker's).

    A renewal that fails (the database restarting) is logged and tried again at the next beat on
    a fresh connection: the lease is a third spent, so two beats may fail before it runs out."""
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(lease.total_seconds() / 3):
                try:
                    held().update(lease_expires_at=timezone.now() + lease)
                except DatabaseError as error:
                    logger.warning("lease %s not renewed, trying again: %s", name, error)
                    connection.close()
        finally:
            close_old_connections()

    thread = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
