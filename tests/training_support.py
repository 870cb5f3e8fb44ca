"""Test data for training: ready audio, published sets and trained models, made through the
services and the real worker."""

import csv
from collections.abc import Sequence
from pathlib import Path

from annotations import services as annotation_services
from annotations.models import AnnotationSet
from datasets import processing
from datasets import services as dataset_services
from datasets.models import AudioFile, Dataset
from relay.storage import get_object_store
from tests.factories import make_ready_audio
from training import services, tasks
from training.models import TrainingJob

CONTENT_TYPES = {".wav": "audio/wav", ".flac": "audio/flac"}
TINY_CONFIG = {"epochs": 1, "batch_size": 8, "validation_split": 0.5}


def make_audio_files(dataset: Dataset, folder: Path, count: int, seconds: float = 1.0):
    return [
        make_ready_audio(dataset=dataset, folder=folder, seconds=seconds, name=f"take{index}.wav")
        for index in range(count)
    ]


def make_published_set(
    dataset: Dataset, labels: Sequence[tuple[AudioFile, str, int, int]], *, publish: bool = True
) -> AnnotationSet:
    """A set with `labels` (audio, type, start_ms, end_ms), published unless told otherwise."""
    annotation_set = annotation_services.create_annotation_set(dataset=dataset, name="labels")
    rows = [
        {
            "audio_file_id": str(audio.pk),
            "artifact_type": type_name,
            "start_ms": start_ms,
            "end_ms": end_ms,
        }
        for audio, type_name, start_ms, end_ms in labels
    ]
    annotation_services.add_annotations(annotation_set=annotation_set, rows=rows, loc=["body"])
    if publish:
        annotation_set = annotation_services.publish_annotation_set(annotation_set=annotation_set)
    annotation_set.refresh_from_db()
    return annotation_set


def upload_corpus(dataset: Dataset, corpus: Path, filenames: Sequence[str]) -> dict[str, AudioFile]:
    """The corpus files as ready audio, uploaded and processed the way the API does it."""
    store = get_object_store()
    uploaded = {}
    for filename in filenames:
        path = corpus / filename
        audio, _ = dataset_services.request_audio_upload(
            dataset=dataset,
            filename=filename,
            content_type=CONTENT_TYPES[path.suffix],
            file_size=path.stat().st_size,
        )
        store.save_file(audio.original_key, path)
        dataset_services.confirm_audio_upload(audio=audio)
        claimed = processing.claim_audio_for_processing(audio_id=str(audio.pk))
        processing.process_claimed_audio(audio=claimed)
        claimed.refresh_from_db()
        uploaded[filename] = claimed
    return uploaded


def corpus_labels(corpus: Path, audio_by_name: dict[str, AudioFile]):
    with (corpus / "labels.csv").open(newline="") as handle:
        return [
            (
                audio_by_name[row["filename"]],
                row["artifact_type"],
                int(row["start_ms"]),
                int(row["end_ms"]),
            )
            for row in csv.DictReader(handle)
            if row["filename"] in audio_by_name
        ]


def make_trained_job(tenant, dataset, annotation_set, **config) -> TrainingJob:
    """A job trained to completion by the real actor, with a tiny config."""
    job = services.create_training_job(
        tenant=tenant,
        dataset_id=dataset.pk,
        annotation_set_id=annotation_set.pk,
        config={**TINY_CONFIG, **config},
    )
    tasks.train_model(str(job.pk))
    return TrainingJob.objects.select_related("model").get(pk=job.pk)
