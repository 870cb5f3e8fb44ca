import logging

import dramatiq

from inference import runner
from relay.queue import INFERENCE_QUEUE

logger = logging.getLogger(__name__)


# No retries: the runner records every failure on the file, and the sweep hands a file whose
# worker died to another. The time limit only bounds a run that hangs.
@dramatiq.actor(queue_name=INFERENCE_QUEUE, max_retries=0, time_limit=2 * 60 * 60 * 1000)
def run_inference_file(file_id: str) -> None:
    file = runner.claim_inference_file(file_id=file_id)
    if file is None:  # gone, finished, cancelled, or leased by a live worker
        return
    runner.run_claimed_file(file=file)


def requeue_stuck_inference() -> int:
    """The sweep: re-enqueue files whose worker died or whose message was lost. (Uploads never
    confirmed are dropped by housekeeping.)"""
    stuck = runner.files_needing_a_worker()
    for file_id in stuck:
        run_inference_file.send(file_id)
    if stuck:
        logger.info("sweep re-enqueued %d inference files", len(stuck))
    return len(stuck)
