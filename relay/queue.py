"""The Dramatiq broker: Redis in production, in memory for the embedded mode.

In the embedded mode `serve` runs the worker threads in its own process (`start_embedded_worker`);
messages then live in memory only, which is safe because the database row, not the message, is the
truth about every job: the sweep re-enqueues whatever a restart dropped.
"""

import logging

import dramatiq
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

logger = logging.getLogger(__name__)

QUEUES = ("processing", "training", "inference")


def build_broker(redis_url: str) -> dramatiq.Broker:
    if redis_url:
        return RedisBroker(url=redis_url)
    return StubBroker()


broker = build_broker(settings.REDIS_URL)
dramatiq.set_broker(broker)


def start_embedded_worker(*, threads: int) -> dramatiq.Worker:
    """Worker threads in this process, consuming every queue; call `.stop()` on shutdown."""
    for queue_name in QUEUES:
        broker.declare_queue(queue_name)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=1000)
    worker.start()
    logger.info("embedded worker started with %d threads on queues %s", threads, ", ".join(QUEUES))
    return worker
