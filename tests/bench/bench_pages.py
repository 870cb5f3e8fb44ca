"""How long the training job page and the inference job page take to show a 200-file job, in
Chromium through Playwright: `python -m tests.bench.bench_pages [--files 200] [--repeats 5]`.

A Relay of its own (embedded: SQLite, local files) gets, through `manage.py shell`, a completed
training job over `--files` audio files (20 epochs of history, metrics per type) and a completed
inference job over as many files with 5 detections each and a metadata key. The rows are made
the way the workers finish them (`training.runner`'s and `inference.runner`'s completion steps,
with a model of untrained weights), so the pages read what they would read in production. Then
each page is opened `--repeats` times in a fresh tab and timed from navigation until it shows
what it is for: the training page its metrics table and loss chart, the inference page its
files' final status, top detections and the summary chart. Prints the median and the worst.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, sign_in
from tests.live import embedded_env, manage, running_relay

ARRANGE = """
import json, sys
from pathlib import Path
from datasets import services as dataset_services
from datasets.models import AudioFile
from inference import runner, services as inference_services
from inference.detection import FileResult
from tenants.models import Tenant
from tests.api.test_inference_jobs import make_untrained_model
from tests.training_support import make_published_set
from training.ml.postprocess import Detection
from training.models import TrainingJob

count = {count}
tenant = Tenant.objects.get(name="Demo")
dataset = dataset_services.create_dataset(
    tenant=tenant, name="Bench pages", artifact_types=[{{"name": "click"}}, {{"name": "dropout"}}]
)
audio = []
for index in range(count):
    file, _ = dataset_services.request_audio_upload(
        dataset=dataset, filename=f"take_{{index:04d}}.wav", content_type="audio/wav",
        file_size=1000,
    )
    audio.append(file)
AudioFile.objects.filter(dataset=dataset).update(
    processing_status="ready", duration_ms=8000, metadata={{"voice": "anna"}}
)
for index, file in enumerate(audio):
    file.refresh_from_db()
    if index % 2:
        AudioFile.objects.filter(pk=file.pk).update(metadata={{"voice": "maria"}})
annotation_set = make_published_set(dataset, [(audio[0], "click", 100, 150)])
history = [
    {{"epoch": e, "train_loss": 0.5 / e, "validation_loss": 0.6 / e, "validation_macro_f1": 0.5,
      "seconds": 1.0}} for e in range(1, 21)
]
score = {{"n_reference": 40, "n_detected": 38, "true_positives": 30, "precision": 0.79,
          "recall": 0.75, "f1": 0.77, "segment_precision": 0.8, "segment_recall": 0.7,
          "segment_f1": 0.75, "false_alarms_per_hour": 12.5, "threshold": 0.5}}
metrics = {{"collar_ms": 200, "tight_collar_ms": 50, "files": count // 5, "audio_hours": 0.1,
            "per_type": {{"click": {{**score, "tight": score}}, "dropout": score}},
            "macro": {{"precision": 0.79, "recall": 0.75, "f1": 0.77, "segment_f1": 0.75,
                       "tight_f1": 0.77, "false_alarms_per_hour": 12.5}},
            "thresholds": {{"click": 0.5, "dropout": 0.5}}, "best_epoch": 18, "history": history,
            "training_seconds": 600}}
job = TrainingJob.objects.create(
    tenant=tenant, dataset=dataset, annotation_set=annotation_set, status="completed",
    progress_percent=100, current_epoch=20, metrics=metrics,
    audio_file_ids=[str(file.pk) for file in audio],
    config={{"artifact_types": ["click", "dropout"], "epochs": 20, "validation_split": 0.2,
             "learning_rate": 0.001, "batch_size": 32, "include_unlabelled_audio": True}},
)
model = make_untrained_model(tenant=tenant, dataset=dataset)
inference_job = inference_services.create_inference_job(tenant=tenant, model_id=model.pk)
files = inference_services.add_dataset_audio(job=inference_job, audio_ids=[a.pk for a in audio])
for index, file in enumerate(files):
    claimed = runner.claim_inference_file(file_id=str(file.pk))
    confidence = 0.5 + index % 50 / 100
    found = [Detection("click" if k % 2 else "dropout", 1000 * k, 1000 * k + 80, confidence)
             for k in range(5)]
    runner._finish_completed(file=claimed, duration_ms=8000, result=FileResult(found, 10.0 + index))
print(json.dumps({{"training_job": str(job.pk), "inference_job": str(inference_job.pk)}}))
"""


def timed(page, path: str, ready) -> float:
    started = time.perf_counter()
    page.goto(path)
    ready(page)
    return time.perf_counter() - started


def training_ready(page) -> None:
    page.get_by_test_id("metrics-row-macro").wait_for()
    page.locator("#loss-chart .series.validation circle").nth(19).wait_for()


def inference_ready(count: int):
    def ready(page) -> None:
        page.get_by_text(f"{count} of {count} done").wait_for()
        page.locator('[data-testid="top-detections"][data-ready="true"]').wait_for()
        page.locator("#summary-chart .bar").first.wait_for()

    return ready


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="relay-bench-pages-") as folder,
        running_relay(embedded_env(Path(folder))) as relay,
    ):
        started = time.perf_counter()
        output = manage("shell", "-c", ARRANGE.format(count=args.files), env=relay.env)
        ids = json.loads(output.strip().splitlines()[-1])
        print(f"arranged {args.files} files in {time.perf_counter() - started:.0f} s", flush=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=relay.base_url, viewport=DESKTOP)
            context.set_default_timeout(60_000)
            sign_in(context.new_page(), login=relay.login, password=relay.password)
            pages = {
                "training job page": (f"/training/{ids['training_job']}", training_ready),
                "inference job page": (
                    f"/inference/{ids['inference_job']}",
                    inference_ready(args.files),
                ),
            }
            for name, (path, ready) in pages.items():
                seconds = []
                for _ in range(args.repeats):
                    page = context.new_page()
                    seconds.append(timed(page, path, ready))
                    page.close()
                median_ms = statistics.median(seconds) * 1000
                print(
                    f"{name}, {args.files}-file job: median {median_ms:.0f} ms, "
                    f"worst {max(seconds) * 1000:.0f} ms over {args.repeats} loads",
                    flush=True,
                )
            browser.close()


if __name__ == "__main__":
    main()
