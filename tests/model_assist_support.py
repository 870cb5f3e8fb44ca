"""Inference results with chosen detections and uncertainty, stored through the worker's own
completion step, so tests of what is built on them need no trained model."""

from collections.abc import Sequence

from inference import runner, services
from inference.detection import FileResult
from inference.models import InferenceJob
from training.ml.postprocess import Detection


def run_with_results(*, tenant, model, results: dict, config: dict | None = None) -> InferenceJob:
    """A job of `model` over dataset audio, each file completed with the given
    `(detections, uncertainty)`: `results` maps an AudioFile to `([(type, start_ms, end_ms,
    confidence), ...], uncertainty)`."""
    job = services.create_inference_job(tenant=tenant, model_id=model.pk, config=config)
    files = services.add_dataset_audio(job=job, audio_ids=[audio.pk for audio in results])
    for file, (detections, uncertainty) in zip(files, results.values(), strict=True):
        claimed = runner.claim_inference_file(file_id=str(file.pk))
        runner._finish_completed(
            file=claimed,
            duration_ms=claimed.audio_file.duration_ms,
            result=FileResult(_detections(detections), uncertainty),
        )
    job.refresh_from_db()
    return job


def _detections(rows: Sequence[tuple[str, int, int, float]]) -> list[Detection]:
    return [Detection(*row) for row in rows]
