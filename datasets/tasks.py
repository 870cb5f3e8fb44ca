import logging

import dramatiq

from datasets import processing
from relay.queue import PROCESSING_QUEUE

logger = logging.getLogger(__name__)


@dramatiq.actor(queue_name=PROCESSING_QUEUE, max_retries=3, time_limit=2 * 60 * 60 * 1000)
def process_audio_file(audio_id: str) -> None:
    audio = processing.claim_audio_for_processing(audio_id=audio_id)
    if audio is None:  # deleted, already finished, or leased by a live worker
        return
    processing.process_claimed_audio(audio=audio)


def requeue_stuck_audio() -> int:
    stuck = processing.audio_needing_a_worker()
    for audio_id in stuck:
        process_audio_file.send(audio_id)
    if stuck:
        logger.info("sweep re-enqueued %d audio files", len(stuck))
    return len(stuck)
