"""Worker leases: a worker that claimed a row renews the row's lease in the background while it
works, so the sweep gives the work to another worker only once this one has died."""

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.db import close_old_connections
from django.db.models import QuerySet
from django.utils import timezone


@contextlib.contextmanager
def lease_heartbeat(held: Callable[[], QuerySet], lease: timedelta, name: str) -> Iterator[None]:
    """While the block runs, every third of `lease` set `lease_expires_at` a lease ahead on the
    rows `held()` selects (the claimed row, while it is still this worker's)."""
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(lease.total_seconds() / 3):
                held().update(lease_expires_at=timezone.now() + lease)
        finally:
            close_old_connections()

    thread = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
