import logging

import dramatiq

from relay.queue import WEBHOOKS_QUEUE
from tenants import webhooks

logger = logging.getLogger(__name__)


# Retries of a failed attempt are new deliveries (tenants.webhooks); Dramatiq retries only a
# worker that broke before recording its attempt.
@dramatiq.actor(queue_name=WEBHOOKS_QUEUE, max_retries=3, time_limit=5 * 60 * 1000)
def deliver_webhook(delivery_id: str) -> None:
    webhooks.deliver(delivery_id=delivery_id)


def requeue_stuck_webhooks() -> int:
    stuck = webhooks.deliveries_needing_a_worker()
    for delivery_id in stuck:
        deliver_webhook.send(delivery_id)
    if stuck:
        logger.info("sweep re-enqueued %d webhook deliveries", len(stuck))
    return len(stuck)
