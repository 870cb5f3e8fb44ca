import logging

import dramatiq

from relay.queue import TRAINING_QUEUE
from training import runner

logger = logging.getLogger(__name__)


# No retries: the runner records every failure on the job, and the sweep restarts a job whose
# worker died. The time limit only bounds a run that hangs.
@dramatiq.actor(queue_name=TRAINING_QUEUE, max_retries=0, time_limit=24 * 60 * 60 * 1000)
def train_model(job_id: str) -> None:
    job = runner.claim_training_job(job_id=job_id)
    if job is None:  # gone, finished, cancelled, or leased by a live worker
        return
    runner.run_claimed_job(job=job)


def requeue_stuck_training() -> int:
    stuck = runner.jobs_needing_a_worker()
    for job_id in stuck:
        train_model.send(job_id)
    if stuck:
        logger.info("sweep re-enqueued %d training jobs", len(stuck))
    return len(stuck)
