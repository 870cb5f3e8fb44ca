"""The worker side of inference: claim a file, get its features (decode the upload, or read a
dataset audio's stored features), run the cached model, post-process with the job's config,
and store the detections with the file's and the job's new state in one transaction.

Dramatiq delivers at least once and workers die, so every step is safe to repeat: a claim is a
conditional UPDATE that bumps `attempts`; the final transition happens only while the file is
still `processing` under this claim, and replaces any detections an earlier attempt stored; a
file whose lease expired is handed to another worker by the sweep. Torch is imported only when
a file is run, so web processes never load it.
"""

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from datasets import formats
from datasets.audio.decode import LOSSLESS_FORMATS, AudioDecodeError
from datasets.audio.pipeline import process_audio
from datasets.audio.stored_features import StoredFeatures
from inference import services
from inference.detection import DEFAULT_CHUNK_FRAMES, FileResult, ModelCache, detect_file
from inference.models import (
    AudioUncertainty,
    Detection,
    InferenceFile,
    InferenceJob,
    peaks_key,
)
from relay.leases import lease_heartbeat
from relay.storage import get_object_store
from training.models import TrainedModel

if TYPE_CHECKING:
    from training.ml.model_file import DetectorModel

logger = logging.getLogger(__name__)

model_cache = ModelCache(settings.RELAY_INFERENCE_MODEL_CACHE_SIZE)


class InferenceInputError(Exception):
    """The file cannot be run; the message says why and goes to the user."""


def claim_inference_file(*, file_id: str) -> InferenceFile | None:
    """Lease the file to this worker, or None when it is gone, finished, cancelled, or leased
    by a live worker."""
    now = timezone.now()
    rows = InferenceFile.objects.filter(pk=file_id, status=InferenceFile.Status.PROCESSING)
    unleased = rows.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
    claimed = unleased.update(
        lease_expires_at=now + settings.RELAY_INFERENCE_LEASE,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    # Zero rows updated: another worker holds a live lease, or the file is no longer ours to do.
    return rows.select_related("job", "job__model", "audio_file").first() if claimed else None


def _ours(file: InferenceFile) -> Any:
    """The file's row while it is processing under this worker's claim."""
    return InferenceFile.objects.filter(
        pk=file.pk, status=InferenceFile.Status.PROCESSING, attempts=file.attempts
    )


def run_claimed_file(*, file: InferenceFile, chunk_frames: int = DEFAULT_CHUNK_FRAMES) -> None:
    """Detect and record the outcome. Input the user can act on (undecodable audio, a deleted
    model or source) ends the file `failed` with a readable `error`; so do unexpected errors,
    after logging, so one bad file never blocks its job."""
    if file.attempts > settings.RELAY_MAX_INFERENCE_ATTEMPTS:
        # Each earlier attempt died without recording a result (a crash, a kill for memory).
        _finish_failed(
            file=file,
            message=f"Inference was interrupted {file.attempts - 1} times (its worker stopped); "
            "the file may be too long for the workers' memory",
        )
        return
    try:
        with lease_heartbeat(lambda: _ours(file), settings.RELAY_INFERENCE_LEASE, str(file.pk)):
            model = load_job_model(file.job)
            duration_ms, result = _detect(file, model, chunk_frames)
    except InferenceInputError as error:
        _finish_failed(file=file, message=str(error))
        return
    except Exception as error:  # the boundary that records the failure on the file
        logger.exception("inference file %s failed", file.pk)
        _finish_failed(file=file, message=f"Inference failed unexpectedly: {error}")
        return
    _finish_completed(file=file, duration_ms=duration_ms, result=result)


def load_job_model(job: InferenceJob) -> "DetectorModel":
    """The job's model from the process-wide cache, loaded from storage on first use. Raises
    InferenceInputError for a deleted or unusable model."""
    from training.ml.model_file import ModelFileError, load_model

    model_row = TrainedModel.objects.filter(pk=job.model_id).first() if job.model_id else None
    if model_row is None:
        raise InferenceInputError("The job's model was deleted; run the file with another model")

    def load() -> "DetectorModel":
        with get_object_store().open(model_row.file_key) as stored:
            data = stored.read()
        logger.info("model %s loaded (%d bytes)", model_row.pk, len(data))
        return load_model(data, device=_device())

    _set_threads()
    try:
        return model_cache.get(f"{model_row.pk}:{model_row.file_size}", load)
    except (ModelFileError, OSError) as error:
        raise InferenceInputError(f"The model file cannot be used: {error}") from error


def _device() -> str:
    if settings.RELAY_INFERENCE_DEVICE != "auto":
        return settings.RELAY_INFERENCE_DEVICE
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _set_threads() -> None:
    if settings.RELAY_INFERENCE_THREADS:
        import torch

        torch.set_num_threads(settings.RELAY_INFERENCE_THREADS)


def _detect(
    file: InferenceFile, model: "DetectorModel", chunk_frames: int
) -> tuple[int, FileResult]:
    """(duration_ms, detections and uncertainty) of the file: stored features when it has
    them, else the upload decoded into a temporary folder (only the features are kept, and read
    a chunk at a time)."""
    store = get_object_store()
    if file.features_key:
        try:
            stored_format = file.audio_file.detected_format if file.audio_file else ""
            with store.local_copy(file.features_key) as path, StoredFeatures(path) as features:
                result = detect_file(
                    model,
                    features,
                    config=file.job.config,
                    chunk_frames=chunk_frames,
                    lossy_source=stored_format not in LOSSLESS_FORMATS,
                )
                return file.duration_ms or len(features) * 10, result
        except (OSError, ValueError) as error:
            raise InferenceInputError(
                f"The stored features of {file.original_filename} cannot be read ({error}); "
                "reprocess the audio and add it again"
            ) from error
    expected = formats.format_for_content_type(file.content_type)
    with tempfile.TemporaryDirectory(prefix="relay-inference-") as folder:
        scratch = Path(folder)
        try:
            with store.local_copy(file.source_key) as source:
                result = process_audio(
                    source,
                    normalized_path=scratch / "normalized.wav",
                    features_path=scratch / "features.npy",
                    peaks_path=scratch / "peaks.npz",
                    max_duration_ms=settings.RELAY_MAX_AUDIO_DURATION_MS,
                    expected_formats=expected.decoded_formats if expected else None,
                )
        except AudioDecodeError as error:
            raise InferenceInputError(str(error)) from error
        except FileNotFoundError as error:
            raise InferenceInputError(
                "The audio is no longer stored (its dataset audio was deleted)"
            ) from error
        # Kept so the inference page can draw the upload's waveform; small (about 1 % of it).
        store.save_file(peaks_key(file.job, file.pk), scratch / "peaks.npz")
        with StoredFeatures(scratch / "features.npy") as features:
            found = detect_file(
                model,
                features,
                config=file.job.config,
                chunk_frames=chunk_frames,
                lossy_source=result.format not in LOSSLESS_FORMATS,
            )
    return result.duration_ms, found


def _finish_completed(*, file: InferenceFile, duration_ms: int, result: FileResult) -> bool:
    """In one transaction: the detections, the file `completed` with its uncertainty (also kept
    per dataset audio and model for the "label next" queue), the job's counters and status;
    only while the file still runs under this claim. False when it no longer did."""
    found = result.detections
    now = timezone.now()
    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().filter(pk=file.job_id).first()
        if job is None or not _ours(file).select_for_update().exists():
            logger.info(
                "inference file %s finished after a cancel, takeover or delete; dropped", file.pk
            )
            return False
        Detection.objects.filter(file_id=file.pk).delete()  # an earlier attempt's, if any
        Detection.objects.bulk_create(
            [
                Detection(
                    job_id=file.job_id,
                    file_id=file.pk,
                    artifact_type=item.artifact_type,
                    start_ms=item.start_ms,
                    end_ms=item.end_ms,
                    confidence=item.confidence,
                )
                for item in found
            ],
            batch_size=5_000,
        )
        _ours(file).update(
            status=InferenceFile.Status.COMPLETED,
            error="",
            duration_ms=duration_ms,
            detection_count=len(found),
            uncertainty=result.uncertainty,
            lease_expires_at=None,
            completed_at=now,
            updated_at=now,
        )
        if file.audio_file_id and job.model_id:
            AudioUncertainty.objects.update_or_create(
                audio_file_id=file.audio_file_id,
                model_id=job.model_id,
                defaults={
                    "uncertainty": result.uncertainty,
                    "inference_file_id": file.pk,
                    "updated_at": now,
                },
            )
        services.refresh_job_status(job)  # recounts the job's counters from its files
    logger.info(
        "inference file %s completed: %d ms, %d detections", file.pk, duration_ms, len(found)
    )
    return True


def _finish_failed(*, file: InferenceFile, message: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().filter(pk=file.job_id).first()
        if job is None:
            return  # the job was deleted while the file ran
        failed = _ours(file).update(
            status=InferenceFile.Status.FAILED,
            error=message,
            detection_count=0,
            lease_expires_at=None,
            completed_at=now,
            updated_at=now,
        )
        if failed:
            Detection.objects.filter(file_id=file.pk).delete()
            services.refresh_job_status(job)  # recounts the job's counters from its files
    if failed:
        logger.info("inference file %s failed: %s", file.pk, message)


def files_needing_a_worker() -> list[str]:
    """Ids of confirmed files no live worker holds: their worker died (lease expired) or their
    message was lost (never leased, confirmed RELAY_REQUEUE_UNCLAIMED_AFTER ago)."""
    now = timezone.now()
    unclaimed_since = now - settings.RELAY_REQUEUE_UNCLAIMED_AFTER
    stale = InferenceFile.objects.filter(status=InferenceFile.Status.PROCESSING).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, confirmed_at__lt=unclaimed_since)
    )
    return [str(pk) for pk in stale.values_list("pk", flat=True)]
