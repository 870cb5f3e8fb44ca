"""Demo data for a new install (`manage.py bootstrap_demo --with-data`, which `make run` runs):
labelled synthetic speech in the demo tenant, so a detector can be trained at once.

`datasets.synthetic` makes the corpus (its `demo` profile: English TTS with clicks, dropouts,
clipping, long pauses and stutters, and the exact region of each). Its train split becomes the
dataset "Demo speech", its test split "Demo speech, held out" (for running a trained model on
audio it never saw). Each file goes through the real upload services (request, store, confirm),
with its exact labels in its metadata (`relay_demo`, `events`). Once a dataset's files are all
processed, those labels become its published annotation set "Generated labels".

Processing happens here when asked to wait (`wait=True`), or else in the workers, and then
`publish_labels_when_processed` (called as each file finishes) publishes the labels.

Safe to run again: the corpus is reused, files already there are skipped, half-finished steps are
completed, and a dataset someone deleted is made again.
"""

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from annotations import services as annotation_services
from annotations.models import AnnotationSet
from datasets import processing  # the worker's side of audio: claim and process a file here
from datasets import services as dataset_services
from datasets.models import AudioFile, Dataset
from relay.storage import get_object_store
from tenants.models import Tenant

logger = logging.getLogger(__name__)

DEMO_PROFILE = "demo"
DEMO_MARK = "relay_demo"  # the metadata key that marks a demo file; its value is the profile
DATASET_NAME = "Demo speech"
HELD_OUT_NAME = "Demo speech, held out"
LABELS_NAME = "Generated labels"
CONTENT_TYPES = {".wav": "audio/wav", ".flac": "audio/flac"}
ARTIFACT_TYPES = [
    {"name": "click", "description": "A pop or tick: one to four short impulses"},
    {"name": "dropout", "description": "The audio cuts out: digital silence or a sudden drop"},
    {"name": "clipping", "description": "Distorted speech with flat-topped peaks"},
    {"name": "long_pause", "description": "A silence longer than a natural pause"},
    {"name": "stutter", "description": "A short piece of speech repeated two to four times"},
]
MADE_MARKER = "demo-data-made.txt"  # in the corpus folder, once the datasets were staged
WORKER_WAIT_S = 300  # how long to wait for a worker that holds a demo file
UNFINISHED = (AudioFile.Status.PENDING, AudioFile.Status.PROCESSING)


@dataclass(frozen=True)
class DemoDataset:
    dataset: Dataset
    file_count: int
    label_count: int
    labels: AnnotationSet  # a draft until every file is processed, then published


@dataclass(frozen=True)
class DemoData:
    training: DemoDataset
    held_out: DemoDataset
    corpus_dir: Path | None
    generated_s: float | None  # None: an earlier run's corpus was reused
    processed_count: int  # files this call processed


def ensure_demo_data(
    *, tenant: Tenant, corpus_dir: Path, profile: str = DEMO_PROFILE, wait: bool = True
) -> DemoData:
    """The demo datasets of `tenant`, made or completed. With `wait`, their files are processed
    here and the labels published before it returns; without, the workers do both. Raises
    EngineUnavailable (no espeak-ng) before anything is written to the database."""
    from datasets.synthetic import generate_corpus  # numpy and the TTS engine: only when used

    started = time.monotonic()
    manifest = _read_manifest(corpus_dir, profile)
    generated_s = None
    if manifest is None:
        jobs = max(1, min(4, os.cpu_count() or 1))
        generate_corpus(corpus_dir, profile=profile, jobs=jobs)
        manifest = _read_manifest(corpus_dir, profile)
        generated_s = time.monotonic() - started
    made = {}
    processed_count = 0
    for split, name, description in (
        ("train", DATASET_NAME, "Synthetic speech with labelled artifacts, to train on."),
        ("test", HELD_OUT_NAME, "More of the same speech, kept apart to try a trained model."),
    ):
        entries = [entry for entry in manifest["files"] if entry["split"] == split]
        dataset = _dataset(tenant, name, f"{description} Made by datasets.synthetic ({profile}).")
        audio_files = _upload_missing(dataset, corpus_dir, entries, profile)
        if wait:
            processed_count += _process_unfinished(audio_files)
        made[split] = DemoDataset(
            dataset=dataset,
            file_count=len(audio_files),
            label_count=sum(len(entry["events"]) for entry in entries),
            labels=publish_demo_labels(dataset),
        )
    (corpus_dir / MADE_MARKER).write_text(
        "".join(f"{part.dataset.name}: {part.dataset.pk}\n" for part in made.values())
    )
    logger.info(
        "demo data of tenant %s staged: %d files processed here in %.1f s",
        tenant.pk, processed_count, time.monotonic() - started,
    )  # fmt: skip
    return DemoData(made["train"], made["test"], corpus_dir, generated_s, processed_count)


def find_demo_data(*, tenant: Tenant) -> DemoData | None:
    """The demo datasets as they are now, without making anything; None when either is gone."""
    made = {}
    for split, name in (("train", DATASET_NAME), ("test", HELD_OUT_NAME)):
        dataset = Dataset.objects.filter(tenant=tenant, name=name).first()
        labels = AnnotationSet.objects.filter(dataset=dataset, name=LABELS_NAME).first()
        if dataset is None or labels is None:
            return None
        demo_files = AudioFile.objects.filter(dataset=dataset, metadata__has_key=DEMO_MARK)
        made[split] = DemoDataset(
            dataset=dataset,
            file_count=demo_files.count(),
            label_count=sum(
                len(events or [])
                for events in demo_files.values_list("metadata__events", flat=True)
            ),
            labels=labels,
        )
    return DemoData(
        made["train"], made["test"], corpus_dir=None, generated_s=None, processed_count=0
    )


def was_made_in(corpus_dir: Path) -> bool:
    """Whether demo datasets were ever made from this corpus folder (a marker stays in it)."""
    return (corpus_dir / MADE_MARKER).exists()


def publish_labels_when_processed(sender: object, *, audio_id: str, **kwargs: object) -> None:
    """Receiver of `datasets.signals.audio_finished`: once the last file of a demo dataset is
    processed, its labels are published."""
    audio = AudioFile.objects.filter(pk=audio_id).select_related("dataset").first()
    if audio is not None and DEMO_MARK in audio.metadata:
        publish_demo_labels(audio.dataset)


def publish_demo_labels(dataset: Dataset) -> AnnotationSet:
    """The dataset's "Generated labels": made at once (a draft, so its id can be shown), and
    filled from its demo files' metadata and published once none is still unprocessed.
    Idempotent, and safe when two workers finish the last two files at once: the dataset row is
    locked while deciding, and filling and publishing are one transaction."""
    with transaction.atomic():
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
        labels = (
            AnnotationSet.objects.filter(dataset=dataset, name=LABELS_NAME)
            .order_by("-status", "created_at")  # "published" sorts before "draft"
            .first()
        )
        if labels is None:
            labels = annotation_services.create_annotation_set(
                dataset=dataset,
                name=LABELS_NAME,
                description="The exact regions datasets.synthetic changed in each file.",
            )
        if labels.is_published:
            return labels
        demo_files = AudioFile.objects.filter(dataset=dataset, metadata__has_key=DEMO_MARK)
        if demo_files.filter(processing_status__in=UNFINISHED).exists():
            return labels
        rows = [
            {
                "audio_file_id": str(audio.pk),
                "artifact_type": artifact_type,
                "start_ms": start_ms,
                "end_ms": end_ms,
                "confidence": 1.0,
            }
            for audio in demo_files.filter(processing_status=AudioFile.Status.READY)
            for artifact_type, start_ms, end_ms in audio.metadata.get("events", [])
        ]
        if not rows or labels.annotation_count:
            return labels  # nothing to label, or a set someone else has begun: left alone
        annotation_services.add_annotations(annotation_set=labels, rows=rows, loc=["demo"])
        return annotation_services.publish_annotation_set(annotation_set=labels)


def _read_manifest(corpus_dir: Path, profile: str) -> dict | None:
    """The corpus's manifest when `corpus_dir` holds a complete corpus of this profile and
    generator version (the manifest is written last), else None."""
    from datasets.synthetic import load_profile
    from datasets.synthetic.corpus import GENERATOR_VERSION

    path = corpus_dir / "manifest.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    expected = (load_profile(profile).name, GENERATOR_VERSION)
    if (manifest.get("profile"), manifest.get("generator_version")) != expected:
        return None
    if not all((corpus_dir / entry["filename"]).exists() for entry in manifest["files"]):
        return None
    return manifest


def _dataset(tenant: Tenant, name: str, description: str) -> Dataset:
    existing = Dataset.objects.filter(tenant=tenant, name=name).first()
    if existing is not None:
        return existing
    return dataset_services.create_dataset(
        tenant=tenant, name=name, description=description, artifact_types=ARTIFACT_TYPES
    )


def _upload_missing(
    dataset: Dataset, corpus_dir: Path, entries: list[dict], profile: str
) -> list[AudioFile]:
    """The dataset's demo audio, after uploading and confirming the corpus files it lacks; a
    pending row an interrupted run left gets its file and is confirmed."""
    store = get_object_store()
    existing = {audio.filename: audio for audio in AudioFile.objects.filter(dataset=dataset)}
    for entry in entries:
        filename = entry["filename"]
        path = corpus_dir / filename
        audio = existing.get(filename)
        if audio is None:
            audio, _ = dataset_services.request_audio_upload(
                dataset=dataset,
                filename=filename,
                content_type=CONTENT_TYPES[path.suffix],
                file_size=path.stat().st_size,
                metadata={
                    DEMO_MARK: profile,
                    "voice": entry["voice"],
                    "speed_wpm": entry["speed_wpm"],
                    "snr_db": entry["snr_db"],
                    "events": [
                        [event["artifact_type"], event["start_ms"], event["end_ms"]]
                        for event in entry["events"]
                    ],
                },
            )
        if audio.processing_status == AudioFile.Status.PENDING:
            store.save_file(audio.original_key, path)
            audio = dataset_services.confirm_audio_upload(audio=audio)
        existing[filename] = audio
    return [existing[entry["filename"]] for entry in entries]


def _process_unfinished(audio_files: list[AudioFile]) -> int:
    """Processes the confirmed files here; waits for any a live worker holds. Returns how many
    this call processed."""
    processed = 0
    for audio in audio_files:
        if audio.processing_status != AudioFile.Status.PROCESSING:
            continue
        claimed = processing.claim_audio_for_processing(audio_id=str(audio.pk))
        if claimed is not None:
            processing.process_claimed_audio(audio=claimed)
            processed += 1
        deadline = time.monotonic() + WORKER_WAIT_S
        audio.refresh_from_db()
        while audio.processing_status == AudioFile.Status.PROCESSING:
            if time.monotonic() > deadline:
                raise RuntimeError(f"demo audio {audio.filename} is still processing by a worker")
            time.sleep(0.5)
            audio.refresh_from_db()
    return processed
