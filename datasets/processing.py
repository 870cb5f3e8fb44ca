"""The worker side of audio: claim a file, run the pipeline, store what it made, record the result.

Dramatiq delivers at least once and workers die, so every step is safe to repeat: a claim is a
conditional UPDATE on the row, outputs go to id-derived keys that a rerun overwrites, and the final
transition only happens while the row is still `processing`.
"""

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from datasets import formats, signals
from datasets.audio.decode import AudioDecodeError
from datasets.audio.pipeline import ProcessedAudio, process_audio
from datasets.audio.wav_header import truncation_warning
from datasets.models import AudioFile
from datasets.services import adjust_dataset_totals
from relay import queue
from relay.leases import lease_heartbeat
from relay.storage import get_object_store
from tenants import webhooks
from tenants.models import EventType

logger = logging.getLogger(__name__)


def claim_audio_for_processing(*, audio_id: str) -> AudioFile | None:
    """Lease the file to this worker, or None when it is gone, finished, or leased elsewhere."""
    now = timezone.now()
    rows = AudioFile.objects.filter(pk=audio_id, processing_status=AudioFile.Status.PROCESSING)
    unleased = rows.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
    claimed = unleased.update(
        lease_expires_at=now + settings.RELAY_PROCESSING_LEASE,
        processing_attempts=F("processing_attempts") + 1,
    )
    # Zero rows updated: another worker holds a live lease, or the file is no longer ours to do.
    return rows.select_related("dataset").first() if claimed else None


def process_claimed_audio(*, audio: AudioFile) -> None:
    if audio.processing_attempts > settings.RELAY_MAX_PROCESSING_ATTEMPTS:
        # Each earlier attempt died without recording a result (a crash, a kill for memory).
        _finish_failed(
            audio=audio, message="Processing failed repeatedly; the file may be damaged."
        )
        return
    store = get_object_store()
    expected = formats.format_for_content_type(audio.content_type)
    with (
        lease_heartbeat(
            lambda: AudioFile.objects.filter(
                pk=audio.pk, processing_status=AudioFile.Status.PROCESSING
            ),
            settings.RELAY_PROCESSING_LEASE,
            str(audio.pk),
        ),
        tempfile.TemporaryDirectory(prefix="relay-audio-") as folder,
        store.local_copy(audio.original_key) as source,
    ):
        outputs = {
            audio.normalized_key: Path(folder) / "normalized.wav",
            audio.features_key: Path(folder) / "features.npy",
            audio.peaks_key: Path(folder) / "peaks.npz",
        }
        try:
            result = process_audio(
                source,
                normalized_path=outputs[audio.normalized_key],
                features_path=outputs[audio.features_key],
                peaks_path=outputs[audio.peaks_key],
                max_duration_ms=settings.RELAY_MAX_AUDIO_DURATION_MS,
                expected_formats=expected.decoded_formats if expected else None,
            )
        except AudioDecodeError as error:
            _finish_failed(audio=audio, message=str(error))
            return
        for key, path in outputs.items():
            store.save_file(key, path)
        warnings = [warning] if (warning := truncation_warning(source)) else []
    _finish_ready(audio=audio, result=result, warnings=warnings)


def _finish_ready(*, audio: AudioFile, result: ProcessedAudio, warnings: list[str]) -> None:
    with transaction.atomic():
        finished = AudioFile.objects.filter(
            pk=audio.pk, processing_status=AudioFile.Status.PROCESSING
        ).update(
            processing_status=AudioFile.Status.READY,
            processing_error="",
            processing_warnings=warnings,
            duration_ms=result.duration_ms,
            sample_rate=result.sample_rate,
            channels=result.channels,
            detected_format=result.format,
            feature_recipe=result.recipe.to_dict(),
            feature_frames=result.feature_frames,
            lease_expires_at=None,
            processed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if finished:
            adjust_dataset_totals(audio.dataset_id, count=1, duration_ms=result.duration_ms)
            _announce_finished(audio, EventType.AUDIO_READY)
    if finished:
        logger.info(
            "audio %s ready: %d ms (%d warnings)", audio.pk, result.duration_ms, len(warnings)
        )
    elif not AudioFile.objects.filter(pk=audio.pk).exists():
        # Deleted while we worked: what we just stored belongs to nobody.
        get_object_store().delete_prefix(audio.storage_prefix)


def _finish_failed(*, audio: AudioFile, message: str) -> None:
    with transaction.atomic():
        failed = AudioFile.objects.filter(
            pk=audio.pk, processing_status=AudioFile.Status.PROCESSING
        ).update(
            processing_status=AudioFile.Status.FAILED,
            processing_error=message,
            lease_expires_at=None,
            processed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if failed:
            _announce_finished(audio, EventType.AUDIO_FAILED)
    logger.info("audio %s failed: %s", audio.pk, message)


def _announce_finished(audio: AudioFile, event_type: EventType) -> None:
    """Inside the transaction that finished the file: its webhook event, and the signal."""
    # The event's data is the file as the API shows it.
    from datasets.serializers import AudioFileSerializer

    finished = AudioFile.objects.get(pk=audio.pk)
    webhooks.publish_event(
        tenant_id=finished.tenant_id, event_type=event_type, data=AudioFileSerializer(finished).data
    )
    audio_id = str(audio.pk)
    transaction.on_commit(lambda: signals.audio_finished.send(sender=AudioFile, audio_id=audio_id))


def audio_needing_a_worker() -> list[str]:
    """Ids of confirmed files no live worker holds: their message was lost or their worker died."""
    now = timezone.now()
    unclaimed_since = now - settings.RELAY_REQUEUE_UNCLAIMED_AFTER
    started_at = queue.in_memory_workers_started_at()
    if started_at is not None:
        # Embedded mode: messages live in this process's memory, so a file confirmed before its
        # workers started (by a command such as bootstrap_demo, or before a restart) has no
        # message anywhere; waiting out the lease would only delay it.
        unclaimed_since = max(unclaimed_since, started_at)
    stale = AudioFile.objects.filter(processing_status=AudioFile.Status.PROCESSING).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, confirmed_at__lt=unclaimed_since)
    )
    return [str(pk) for pk in stale.values_list("pk", flat=True)]
