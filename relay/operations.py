"""What an operator watches: the queues' lengths and the jobs' counts by state (the admin's
"Queues and jobs" page)."""

import time
from dataclasses import dataclass

from django.db.models import Count
from dramatiq.common import dq_name

from relay import queue


@dataclass(frozen=True)
class QueueStats:
    name: str
    waiting: int  # messages no worker has taken yet
    in_flight: int | None  # taken by a worker, not yet acknowledged (None: not known)
    delayed: int  # waiting for a retry's backoff


def queue_stats() -> tuple[list[QueueStats], int | None]:
    """Each queue's messages, and how many worker processes Redis heard from within the
    heartbeat timeout (None in the embedded mode, whose workers are threads of `serve`)."""
    broker = queue.broker
    client = getattr(broker, "client", None)
    if client is None:  # the in-memory broker of the embedded mode
        stats = [
            QueueStats(
                name,
                broker.queues[name].qsize(),
                None,
                broker.queues[dq_name(name)].qsize() if dq_name(name) in broker.queues else 0,
            )
            for name in queue.QUEUES
        ]
        return stats, None
    namespace = broker.namespace
    stats = []
    with client.pipeline(transaction=False) as pipe:
        for name in queue.QUEUES:
            pipe.llen(f"{namespace}:{name}")
            pipe.hlen(f"{namespace}:{name}.msgs")
            pipe.hlen(f"{namespace}:{dq_name(name)}.msgs")
        alive_since = (time.time() - broker.heartbeat_timeout / 1000) * 1000
        pipe.zcount(f"{namespace}:__heartbeats__", alive_since, "+inf")
        replies = pipe.execute()
    for index, name in enumerate(queue.QUEUES):
        waiting, stored, delayed = replies[3 * index : 3 * index + 3]
        stats.append(QueueStats(name, waiting, max(0, stored - waiting), delayed))
    return stats, replies[-1]


def job_counts() -> list[tuple[str, dict[str, int]]]:
    """(what, {state: count}) for audio processing, training jobs, inference jobs and files,
    and webhook deliveries."""
    from datasets.models import AudioFile
    from inference.models import InferenceFile, InferenceJob
    from tenants.models import WebhookDelivery
    from training.models import TrainingJob

    def by(model, field: str, states) -> dict[str, int]:
        found = dict(model.objects.values_list(field).annotate(n=Count("pk")).order_by())
        return {state: found.get(state, 0) for state in states.values}

    return [
        ("Audio files", by(AudioFile, "processing_status", AudioFile.Status)),
        ("Training jobs", by(TrainingJob, "status", TrainingJob.Status)),
        ("Inference jobs", by(InferenceJob, "status", InferenceJob.Status)),
        ("Inference files", by(InferenceFile, "status", InferenceFile.Status)),
        ("Webhook deliveries", by(WebhookDelivery, "status", WebhookDelivery.Status)),
    ]
