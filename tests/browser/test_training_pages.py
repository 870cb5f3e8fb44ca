"""The training, error review, models and inference pages in Chromium, on a Relay of their own
with a small generated corpus (datasets.synthetic's tiny profile): start training from the page
and watch it complete with its loss chart; review its errors; run inference on two uploaded
files and see their detections. The README's screenshots of these pages come from here, with
the clock frozen and every changing figure (durations, times) masked, so reruns leave the same
bytes."""

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.audio import make_corpus
from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    DESKTOP,
    DOCS_SCREENSHOTS,
    EXPECT_TIMEOUT_MS,
    NARROW,
    SCREENSHOTS_ON_FAILURE,
    sign_in,
)
from tests.live import LiveRelay, embedded_env, manage, running_relay

TYPES = ["click", "dropout", "clipping", "long_pause", "stutter"]
TRAIN_FILES = 6  # of the tiny corpus's 9 training clips: training takes seconds
CONTENT_TYPES = {".wav": "audio/wav", ".flac": "audio/flac"}
FROZEN_TIME = "2026-03-02T10:00:00Z"
TRAINING_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def training_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRelay]:
    env = embedded_env(tmp_path_factory.mktemp("training-relay"), RELAY_TRAINING_THREADS="2")
    with running_relay(env) as relay:
        yield relay


@pytest.fixture(scope="module")
def labelled(training_relay: LiveRelay, corpus: Path) -> dict:
    """A dataset of six corpus clips with their voices as metadata and a published set of the
    corpus labels."""
    client = training_relay.client()
    dataset = client.post(
        "/datasets",
        {"name": "TTS v3 clips", "artifact_types": [{"name": name} for name in TYPES]},
        expect=201,
    )
    manifest = {
        clip["filename"]: clip
        for clip in json.loads((corpus / "manifest.json").read_text())["files"]
    }
    names = (corpus / "train_files.txt").read_text().split()[:TRAIN_FILES]
    audio_ids = {}
    for name in names:
        path = corpus / name
        audio_id = client.upload_audio(dataset["id"], path, content_type=CONTENT_TYPES[path.suffix])
        client.call(
            "PATCH",
            f"/datasets/{dataset['id']}/audio/{audio_id}",
            json={"metadata": {"voice": manifest[name]["voice"]}},
        )
        audio_ids[name] = audio_id
    for audio_id in audio_ids.values():
        client.wait_until(
            f"/datasets/{dataset['id']}/audio/{audio_id}",
            "processing_status",
            {"ready", "failed"},
            timeout_s=120,
            poll_s=0.5,
        )
    with (corpus / "labels.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["filename"] in audio_ids]
    sets = f"/datasets/{dataset['id']}/annotation-sets"
    annotation_set = client.post(sets, {"name": "Corpus labels"}, expect=201)
    client.post(
        f"{sets}/{annotation_set['id']}/annotations/bulk",
        {
            "annotations": [
                {
                    "audio_file_id": audio_ids[row["filename"]],
                    "artifact_type": row["artifact_type"],
                    "start_ms": int(row["start_ms"]),
                    "end_ms": int(row["end_ms"]),
                }
                for row in rows
            ]
        },
        expect=201,
    )
    client.post(f"{sets}/{annotation_set['id']}/publish")
    client.post(sets, {"name": "Fixes"}, expect=201)  # the draft errors are fixed in
    return {"dataset": dataset, "set": annotation_set, "audio_ids": audio_ids}


@pytest.fixture(scope="module")
def context(browser: Browser, training_relay: LiveRelay) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=training_relay.base_url, viewport=DESKTOP, locale="en-GB", timezone_id="UTC"
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    sign_in(context.new_page(), login=training_relay.login, password=training_relay.password)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.pages[0]
    page.set_viewport_size(DESKTOP)
    return page


@pytest.fixture(scope="module")
def trained() -> dict:
    """The job (and model) the first test starts from the page, for the tests after it."""
    return {}


def picture(page: Page, name: str, *, hide: list | None = None) -> None:
    """docs/screenshots/<name>.png, the whole page at 1280 px wide, and a 400 px wide one for
    looking at (kept out of the docs, in var/test/screenshots). `hide`: locators of figures
    that differ run to run (how long training took), made invisible first."""
    for locator in hide or []:
        locator.evaluate("element => element.style.setProperty('visibility', 'hidden')")
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS_SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")
    page.set_viewport_size(NARROW)
    SCREENSHOTS_ON_FAILURE.mkdir(parents=True, exist_ok=True)
    narrow = SCREENSHOTS_ON_FAILURE / f"{name}-narrow.png"
    page.screenshot(path=narrow, full_page=True, animations="disabled")
    assert_accessible(page, where=f"the {name} page 400 px wide")
    page.set_viewport_size(DESKTOP)


def test_training_started_from_the_page_completes_with_its_loss_chart(
    page: Page, labelled: dict, trained: dict, training_relay: LiveRelay
):
    page.clock.set_fixed_time(FROZEN_TIME)
    page.goto(f"/datasets/{labelled['dataset']['id']}")
    page.get_by_test_id("train-model").click()
    expect(page.get_by_test_id("train-set")).to_contain_text("Corpus labels")
    expect(page.get_by_test_id("train-epochs")).to_have_value("20")  # the API's default
    assert_accessible(page, where="the training form")

    page.get_by_label("Epochs").fill("2")
    page.get_by_label("Batch size").fill("8")
    page.get_by_label("Validation split").fill("0.34")
    page.get_by_test_id("train-start").click()

    page.wait_for_url(re.compile(r"/training/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("job-status")).to_have_text("completed", timeout=TRAINING_TIMEOUT_MS)
    expect(page.get_by_test_id("job-percent")).to_have_text("100 %")
    assert page.get_by_test_id("job-progress").get_attribute("value") == "100"
    expect(page.get_by_test_id("loss-chart")).to_have_attribute("data-epochs", "2")
    expect(page.locator("#loss-chart .series.train circle")).to_have_count(2)
    expect(page.locator("#loss-chart .series.validation circle")).to_have_count(2)
    expect(page.get_by_test_id("metrics-row-macro")).to_be_visible()
    expect(page.get_by_test_id("job-epoch")).to_have_text(
        re.compile(r"^Epoch 2 of 2, best epoch(s 1 and 2|s 2 and 1| [12] for each network)$")
    )
    expect(page.get_by_test_id("job-cancel")).to_be_hidden()
    trained["job_id"] = page.url.rsplit("/", 1)[1]
    job = training_relay.client().get(f"/training-jobs/{trained['job_id']}")
    trained["model_id"] = job["model_id"]
    for name in job["config"]["artifact_types"]:
        expect(page.get_by_test_id(f"metrics-row-{name}")).to_be_visible()
    assert_accessible(page, where="the training job page")
    picture(page, "training-job", hide=[page.get_by_test_id("job-duration")])


def test_the_error_review_lists_errors_that_open_the_labeling_page_at_their_time(
    page: Page, labelled: dict, trained: dict, training_relay: LiveRelay
):
    if "job_id" not in trained:
        pytest.skip("needs the job the training test starts")
    page.clock.set_fixed_time(FROZEN_TIME)
    client = training_relay.client()
    stored = client.get(f"/training-jobs/{trained['job_id']}/errors", page_size=500)
    page.goto(f"/training/{trained['job_id']}")
    page.get_by_test_id("job-errors").click()

    by_type = {}
    for item in stored["items"]:
        by_type.setdefault(item["artifact_type"], []).append(item)
    job_types = client.get(f"/training-jobs/{trained['job_id']}")["config"]["artifact_types"]
    # The page starts at the type with the most errors (the first of the job's types on a tie).
    first_type = max(job_types, key=lambda name: len(by_type.get(name, [])))
    expect(page.get_by_test_id(f"tab-{first_type}")).to_have_attribute("aria-pressed", "true")
    rows = page.get_by_test_id("error-row")
    expected = [item for item in stored["items"] if item["artifact_type"] == first_type]
    expect(rows).to_have_count(min(25, len(expected)))
    link = page.get_by_test_id("open-error").first.get_attribute("href")
    draft = next(
        item
        for item in client.get(f"/datasets/{labelled['dataset']['id']}/annotation-sets")["items"]
        if item["status"] == "draft"
    )
    first = expected[0]
    assert link == (
        f"/datasets/{labelled['dataset']['id']}/annotation-sets/{draft['id']}/label"
        f"?audio={first['audio_file_id']}&t={max(0, first['start_ms'] - 500)}"
        f"&model={trained['model_id']}"
    )
    assert_accessible(page, where="the error review")
    picture(page, "error-review")


def test_inference_on_two_uploaded_files_lists_their_detections(
    page: Page, corpus: Path, trained: dict, training_relay: LiveRelay
):
    if "model_id" not in trained:
        pytest.skip("needs the model the training test makes")
    page.clock.set_fixed_time(FROZEN_TIME)
    page.goto(f"/inference/?model={trained['model_id']}")
    # A low threshold, so that a model trained for two epochs on six clips finds something.
    page.get_by_label("Threshold").fill("0.1")
    page.get_by_test_id("job-create").click()
    page.wait_for_url(re.compile(r"/inference/[0-9a-f-]{36}$"))

    files = [corpus / name for name in (corpus / "test_files.txt").read_text().split()[:2]]
    rows = page.get_by_test_id("inference-file")
    for count, path in enumerate(files, start=1):  # one after the other: a fixed file order
        page.get_by_test_id("upload-input").set_input_files(path)
        expect(rows).to_have_count(count, timeout=60_000)

    expect(rows.and_(page.locator('[data-status="completed"]'))).to_have_count(2, timeout=120_000)
    expect(page.get_by_test_id("job-status")).to_have_text("completed")
    expect(page.get_by_test_id("top-detections")).to_have_attribute("data-ready", "true")
    job_id = page.url.rsplit("/", 1)[1]
    detail = training_relay.client().get(f"/inference-jobs/{job_id}")
    assert detail["config"]["signal_checks"] is True
    expect(page.get_by_test_id("job-facts")).to_contain_text("signal checks on")
    for file in detail["files"]:
        row = rows.and_(page.locator(f'[data-filename="{file["original_filename"]}"]'))
        counts = {}
        for detection in file["detections"]:
            counts[detection["artifact_type"]] = counts.get(detection["artifact_type"], 0) + 1
        text = ", ".join(f"{count} {name}" for name, count in counts.items()) or "none"
        expect(row.get_by_test_id("file-detections")).to_have_text(text)
    assert detail["total_detections"] > 0
    expect(page.get_by_test_id("top-detection").first).to_be_visible()
    expect(page.locator("#summary-chart .bar").first).to_be_visible()
    for name in ("json", "csv", "dcase", "audacity", "raven"):
        expect(page.get_by_test_id(f"download-{name}")).to_have_attribute(
            "href", f"/api/v1/inference-jobs/{job_id}/detections?format={name}"
        )
    assert_accessible(page, where="the inference job page")
    picture(page, "inference")

    # Each file's detections drawn on its waveform by the labeling page's component.
    for file in detail["files"]:
        row = rows.and_(page.locator(f'[data-filename="{file["original_filename"]}"]'))
        row.get_by_test_id("show-waveform").click()
        expect(page.get_by_test_id("viewer-title")).to_contain_text(file["original_filename"])
        viewer = page.get_by_test_id("viewer-waveform")
        expect(viewer).to_have_attribute("data-file-id", file["id"])
        expect(viewer.get_by_test_id("detection")).to_have_count(len(file["detections"]))
    assert_accessible(page, where="the inference job page with a waveform")


def test_a_job_made_with_the_signal_checks_unticked_runs_without_them(
    page: Page, trained: dict, training_relay: LiveRelay
):
    if "model_id" not in trained:
        pytest.skip("needs the model the training test makes")
    page.goto(f"/inference/?model={trained['model_id']}")
    expect(page.get_by_test_id("job-model")).to_have_value(trained["model_id"])
    page.get_by_test_id("job-signal-checks").uncheck()
    page.get_by_test_id("job-create").click()
    page.wait_for_url(re.compile(r"/inference/[0-9a-f-]{36}$"))

    expect(page.get_by_test_id("job-facts")).to_contain_text("signal checks off")
    job_id = page.url.rsplit("/", 1)[1]
    job = training_relay.client().get(f"/inference-jobs/{job_id}")
    assert job["config"]["signal_checks"] is False


def test_a_model_is_renamed_compared_with_another_and_deleted(
    page: Page, labelled: dict, trained: dict, training_relay: LiveRelay
):
    if "model_id" not in trained:
        pytest.skip("needs the model the training test makes")
    client = training_relay.client()
    second = client.post(
        "/training-jobs",
        {
            "dataset_id": labelled["dataset"]["id"],
            "annotation_set_id": labelled["set"]["id"],
            "config": {"epochs": 1, "batch_size": 8, "validation_split": 0.34},
        },
        expect=201,
    )
    second = client.wait_until(
        f"/training-jobs/{second['id']}", "status", {"completed", "failed"}, timeout_s=240
    )
    page.goto("/models/")
    expect(page.get_by_test_id("model-row")).to_have_count(2)
    assert_accessible(page, where="the models list")

    page.goto(f"/models/{trained['model_id']}")
    page.get_by_test_id("model-rename").click()
    page.get_by_label("Name", exact=True).fill("Two epochs, six clips")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_test_id("model-name")).to_have_text("Two epochs, six clips")
    assert client.get(f"/models/{trained['model_id']}")["name"] == "Two epochs, six clips"
    expect(page.get_by_test_id("model-metrics")).to_contain_text("Macro average")
    assert_accessible(page, where="a model's page")

    page.get_by_test_id("compare-with").select_option(second["model_id"])
    page.wait_for_url(re.compile(r"/models/compare\?a=.+&b=.+"))
    expect(page.get_by_test_id("compare-table")).to_contain_text("Two epochs, six clips")
    expect(page.get_by_test_id("compare-macro-F1")).to_be_visible()
    assert_accessible(page, where="the model comparison")

    page.goto(f"/models/{second['model_id']}")
    page.get_by_test_id("model-delete").click()
    page.get_by_test_id("confirm").click()
    page.wait_for_url(re.compile(r"/models/$"))
    expect(page.get_by_test_id("model-row")).to_have_count(1)
    client.call("GET", f"/models/{second['model_id']}", expect=404)


# ---- the model layer on the labeling page

CRAFTED_RUN = """
import json
import uuid
from inference import runner, services
from inference.detection import FileResult
from training.ml.postprocess import Detection
from training.models import TrainedModel

model = TrainedModel.objects.get(pk="{model_id}")
results = {results}
job = services.create_inference_job(tenant=model.tenant, model_id=model.pk)
files = services.add_dataset_audio(job=job, audio_ids=[uuid.UUID(key) for key in results])
for file in files:
    detections, uncertainty = results[str(file.audio_file_id)]
    claimed = runner.claim_inference_file(file_id=str(file.pk))
    runner._finish_completed(
        file=claimed,
        duration_ms=claimed.audio_file.duration_ms,
        result=FileResult([Detection(*row) for row in detections], uncertainty),
    )
print(json.dumps({{"job": str(job.pk)}}))
"""
CRAFTED = [("click", 500, 560, 0.95), ("dropout", 1500, 1700, 0.85), ("stutter", 3000, 3200, 0.6)]


@pytest.fixture(scope="module")
def crafted(training_relay: LiveRelay, labelled: dict, trained: dict) -> dict:
    """The trained model's latest run over two of the dataset's files, finished by the worker's
    completion step with chosen detections and uncertainties: the first file is the most unsure
    (first in the label-next queue), the second next."""
    if "model_id" not in trained:
        pytest.skip("needs the model the training test makes")
    first, second = list(labelled["audio_ids"].values())[:2]
    results = {first: (CRAFTED, 999.0), second: ([], 500.0)}
    output = manage(
        "shell",
        "-c",
        CRAFTED_RUN.format(model_id=trained["model_id"], results=repr(results)),
        env=training_relay.env,
    )
    return {"first": first, "second": second, **json.loads(output.strip().splitlines()[-1])}


def draft_of(client, labelled: dict) -> dict:
    sets = client.get(f"/datasets/{labelled['dataset']['id']}/annotation-sets")["items"]
    return next(item for item in sets if item["status"] == "draft")


def model_annotations(client, labelled: dict, audio_id: str) -> set:
    draft = draft_of(client, labelled)
    rows = client.all_pages(
        f"/datasets/{labelled['dataset']['id']}/annotation-sets/{draft['id']}/annotations",
        audio_file_id=audio_id,
    )
    return {
        (row["artifact_type"], row["start_ms"], row["end_ms"])
        for row in rows
        if row["source"] == "model"
    }


def open_labeling(page: Page, client, labelled: dict, audio_id: str, model_id: str) -> None:
    draft = draft_of(client, labelled)
    page.goto(
        f"/datasets/{labelled['dataset']['id']}/annotation-sets/{draft['id']}/label"
        f"?audio={audio_id}&model={model_id}"
    )
    expect(page.get_by_test_id("file-select")).to_have_value(audio_id)


def test_an_error_opens_the_labeling_page_at_its_time_with_the_model_layer(
    page: Page, labelled: dict, trained: dict, training_relay: LiveRelay
):
    if "job_id" not in trained:
        pytest.skip("needs the job the training test starts")
    page.goto(f"/training/{trained['job_id']}/errors")
    link = page.get_by_test_id("open-error").first
    href = link.get_attribute("href")

    link.click()

    page.wait_for_url(re.compile(r"/label\?"))
    audio_id = re.search(r"audio=([0-9a-f-]+)", href)[1]
    time_ms = int(re.search(r"t=(\d+)", href)[1])
    expect(page.get_by_test_id("file-select")).to_have_value(audio_id)
    seconds = f"{time_ms % 60000 / 1000:06.3f}"
    expect(page.get_by_test_id("clock")).to_have_text(f"{time_ms // 60000}:{seconds}")
    expect(page.get_by_test_id("model-select")).to_have_value(trained["model_id"])
    expect(page.get_by_test_id("model-status")).not_to_be_empty()


def test_one_accepted_detection_becomes_a_model_annotation_in_the_draft(
    page: Page, labelled: dict, trained: dict, crafted: dict, training_relay: LiveRelay
):
    client = training_relay.client()
    open_labeling(page, client, labelled, crafted["first"], trained["model_id"])
    detections = page.get_by_test_id("detection")
    expect(detections).to_have_count(3)

    detections.first.click()
    expect(page.get_by_test_id("detection-panel")).to_be_visible()
    expect(page.get_by_test_id("detection-title")).to_contain_text("click")
    page.get_by_test_id("detection-start").fill("490")  # adjusted before accepting
    page.get_by_test_id("detection-accept").click()

    expect(page.get_by_test_id("toasts")).to_contain_text("Accepted click")
    assert model_annotations(client, labelled, crafted["first"]) == {("click", 490, 560)}


def test_every_detection_above_a_confidence_is_accepted_at_once(
    page: Page, labelled: dict, trained: dict, crafted: dict, training_relay: LiveRelay
):
    client = training_relay.client()
    before = model_annotations(client, labelled, crafted["first"])
    open_labeling(page, client, labelled, crafted["first"], trained["model_id"])
    expect(page.get_by_test_id("detection")).to_have_count(3)

    page.get_by_test_id("model-threshold").fill("0.8")
    page.get_by_test_id("model-accept-all").click()

    expect(page.get_by_test_id("toasts")).to_contain_text("accepted")
    above = {(name, start, end) for name, start, end, confidence in CRAFTED if confidence >= 0.8}
    assert model_annotations(client, labelled, crafted["first"]) == before | above


def test_n_follows_the_label_next_queue(
    page: Page, labelled: dict, trained: dict, crafted: dict, training_relay: LiveRelay
):
    client = training_relay.client()
    open_labeling(page, client, labelled, crafted["first"], trained["model_id"])

    page.get_by_test_id("model-queue").check()
    expect(page.get_by_test_id("toasts")).to_contain_text("label-next queue")
    page.get_by_test_id("waveform").focus()
    page.keyboard.press("n")

    expect(page.get_by_test_id("file-select")).to_have_value(crafted["second"])
