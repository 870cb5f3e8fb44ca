"""The Dramatiq broker and the workers: Redis in production, in memory for the embedded mode.

In the embedded mode `serve` runs worker threads in its own process; messages then live in memory
only, which is safe because the database row, not the message, is the truth about every job: the
sweep re-enqueues whatever a restart dropped. `manage.py run_workers` runs the same workers as a
process of their own (with Redis).
"""

import logging
import threading
from datetime import datetime

import dramatiq
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware

from relay import logs

logger = logging.getLogger(__name__)

PROCESSING_QUEUE = "processing"
TRAINING_QUEUE = "training"
INFERENCE_QUEUE = "inference"
WEBHOOKS_QUEUE = "webhooks"
QUEUES = (PROCESSING_QUEUE, TRAINING_QUEUE, INFERENCE_QUEUE, WEBHOOKS_QUEUE)


class DatabaseConnections(Middleware):
    """Worker threads open Django connections; close broken or expired ones around each message."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        close_old_connections()

    def after_process_message(
        self, broker: dramatiq.Broker, message, *, result=None, exception=None
    ):
        close_old_connections()

    after_skip_message = after_process_message


class LogContext(Middleware):
    """A worker's log lines carry the message's id where a request's carry the request id, so
    every line of one task can be found together."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        logs.request_id_var.set(f"message-{message.message_id}")
        logs.tenant_var.set(None)

    def after_process_message(
        self, broker: dramatiq.Broker, message, *, result=None, exception=None
    ):
        logs.request_id_var.set(None)

    after_skip_message = after_process_message


# Out of a million broker commands, how many also look for dead worker processes and put their
# unacknowledged messages back on the queue. Every idle consumer polls about once a second, so at
# 10 % a dead process's messages come back within seconds of RELAY_BROKER_HEARTBEAT_TIMEOUT_S
# (Dramatiq's default, 0.1 %, takes many minutes); the look is one sorted-set range query.
BROKER_MAINTENANCE_CHANCE = 100_000


def build_broker(redis_url: str) -> dramatiq.Broker:
    broker = (
        RedisBroker(
            url=redis_url,
            heartbeat_timeout=settings.RELAY_BROKER_HEARTBEAT_TIMEOUT_S * 1000,
            maintenance_chance=BROKER_MAINTENANCE_CHANCE,
        )
        if redis_url
        else StubBroker()
    )
    broker.add_middleware(DatabaseConnections())
    broker.add_middleware(LogContext())
    for queue_name in QUEUES:
        broker.declare_queue(queue_name)
    return broker


broker = build_broker(settings.REDIS_URL)
dramatiq.set_broker(broker)
_workers_started_at: datetime | None = None


def in_memory_workers_started_at() -> datetime | None:
    """When this process's workers started, if its messages live in memory (the embedded
    mode); None with Redis or before any worker started here."""
    return _workers_started_at if isinstance(broker, StubBroker) else None


def load_actors() -> None:
    """Import every task module, so the broker knows each actor before a worker starts."""
    for path in settings.RELAY_SWEEPS:
        import_string(path)


def sweep_once() -> int:
    """Re-enqueue stuck work of every kind; returns how many messages were sent."""
    return sum(import_string(path)() for path in settings.RELAY_SWEEPS)


class Sweeper(threading.Thread):
    """Runs `sweep_once` every RELAY_SWEEP_INTERVAL_S seconds until stopped."""

    def __init__(self) -> None:
        super().__init__(name="relay-sweeper", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(settings.RELAY_SWEEP_INTERVAL_S):
            try:
                sweep_once()
            except Exception:
                logger.exception(
                    "sweep failed; trying again in %d s", settings.RELAY_SWEEP_INTERVAL_S
                )
            finally:
                close_old_connections()

    def stop(self) -> None:
        self.stopped.set()


class Workers:
    """Dramatiq worker threads plus the sweeper, started and stopped together."""

    def __init__(self, *, threads: int, queues: tuple[str, ...] = QUEUES) -> None:
        load_actors()
        self.worker = dramatiq.Worker(
            broker, queues=set(queues), worker_threads=threads, worker_timeout=1000
        )
        self.sweeper = Sweeper()
        self.threads = threads
        self.queues = queues

    def start(self) -> "Workers":
        global _workers_started_at
        _workers_started_at = timezone.now()
        self.worker.start()
        self.sweeper.start()
        sweep_once()  # pick up whatever the previous run left behind
        logger.info("workers started: %d threads on %s", self.threads, ", ".join(self.queues))
        return self

    def stop(self) -> None:
        self.sweeper.stop()
        self.worker.stop()
