"""The README's screenshots (docs/screenshots/, rewritten by `make screenshots`), made on a Relay
of their own so that they show a tidy tenant: the datasets page, and a dataset's page after an
upload, each at 1280 x 800 and in a 400 px window. The tests also check the pages as they are
pictured."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    DESKTOP,
    DOCS_SCREENSHOTS,
    EXPECT_TIMEOUT_MS,
    NARROW,
    sign_in,
)
from tests.browser.speech import speak_to_wav
from tests.live import LiveRelay, embedded_env, running_relay

TYPES = [
    {"name": "click", "description": "A pop or click"},
    {"name": "dropout", "description": "Signal drops to silence"},
    {"name": "long_pause", "description": "Unnatural pause over 500 ms"},
    {"name": "clipping", "description": "Flat-topped peaks"},
]
LINES = [
    ("anna_0001.wav", "Your parcel will arrive tomorrow between nine and eleven."),
    ("anna_0002.wav", "Please hold while we connect you to an agent."),
    ("anna_0003.wav", "The meeting has been moved to Thursday afternoon."),
]


@pytest.fixture(scope="module")
def docs_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRelay]:
    with running_relay(embedded_env(tmp_path_factory.mktemp("docs-relay"))) as relay:
        yield relay


@pytest.fixture(scope="module")
def docs_dataset(docs_relay: LiveRelay, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A dataset as a team would have it after a day: ready audio with metadata, one published
    set and one draft; and a second, smaller dataset."""
    client = docs_relay.client()
    folder = tmp_path_factory.mktemp("docs-audio")
    client.post(
        "/datasets",
        {
            "name": "Support prompts, voice B",
            "description": "IVR prompts for the second voice",
            "artifact_types": [{"name": "click"}, {"name": "long_pause"}],
        },
        expect=201,
    )
    dataset = client.post(
        "/datasets",
        {
            "name": "TTS v3 glitch review",
            "description": "Clicks, dropouts and long pauses in the v3 voices",
            "artifact_types": TYPES,
        },
        expect=201,
    )
    audio_ids = []
    for filename, text in LINES:
        path = speak_to_wav(folder / filename, text)
        audio_ids.append(client.upload_audio(dataset["id"], path, content_type="audio/wav"))
    for audio_id, take in zip(audio_ids, ("1", "2", "1"), strict=True):
        client.call(
            "PATCH",
            f"/datasets/{dataset['id']}/audio/{audio_id}",
            json={"metadata": {"voice": "anna", "tts_model": "v3.1", "take": take}},
        )
        client.wait_until(
            f"/datasets/{dataset['id']}/audio/{audio_id}",
            "processing_status",
            {"ready", "failed"},
            timeout_s=120,
            poll_s=0.5,
        )
    published = client.post(
        f"/datasets/{dataset['id']}/annotation-sets", {"name": "Pass 1"}, expect=201
    )
    client.post(
        f"/datasets/{dataset['id']}/annotation-sets/{published['id']}/annotations/bulk",
        {
            "annotations": [
                {
                    "audio_file_id": audio_ids[0],
                    "artifact_type": "click",
                    "start_ms": 410,
                    "end_ms": 430,
                },
                {
                    "audio_file_id": audio_ids[1],
                    "artifact_type": "long_pause",
                    "start_ms": 900,
                    "end_ms": 1700,
                },
            ]
        },
        expect=201,
    )
    client.post(f"/datasets/{dataset['id']}/annotation-sets/{published['id']}/publish")
    client.post(
        f"/datasets/{dataset['id']}/annotation-sets", {"name": "Pass 2 (Maria)"}, expect=201
    )
    return dataset


@pytest.fixture(scope="module")
def docs_context(browser: Browser, docs_relay: LiveRelay) -> Iterator[BrowserContext]:
    """Signed in on the docs Relay; module-scoped, so that it is still open when a failing
    test's screenshot is taken."""
    context = browser.new_context(base_url=docs_relay.base_url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    sign_in(context.new_page(), login=docs_relay.login, password=docs_relay.password)
    yield context
    context.close()


@pytest.fixture
def docs_page(docs_context: BrowserContext) -> Page:
    page = docs_context.pages[0]
    page.set_viewport_size(DESKTOP)
    return page


def picture(page: Page, name: str) -> None:
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=DOCS_SCREENSHOTS / f"{name}.png")


def test_the_datasets_page_as_pictured(docs_page: Page, docs_dataset: dict):
    page = docs_page
    page.goto("/")
    expect(page.get_by_test_id("dataset-row")).to_have_count(2)
    expect(page.get_by_test_id("dataset-row").first).to_contain_text("3 files")

    picture(page, "datasets")
    assert_accessible(page, where="the datasets page at 1280 x 800")
    page.set_viewport_size(NARROW)
    picture(page, "datasets-narrow")
    assert_accessible(page, where="the datasets page 400 px wide")


def test_an_upload_as_pictured(docs_page: Page, docs_dataset: dict, tmp_path: Path):
    page = docs_page
    new = [
        speak_to_wav(tmp_path / "anna_0004.wav", "Thank you for calling. Goodbye."),
        speak_to_wav(tmp_path / "anna_0005.wav", "Press one for billing, two for support."),
    ]
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are my notes, not a recording\n" * 40)
    page.goto(f"/datasets/{docs_dataset['id']}")
    expect(page.get_by_test_id("set-row")).to_have_count(2)

    page.get_by_test_id("upload-input").set_input_files([*new, not_audio])

    uploads = page.get_by_test_id("upload")
    expect(uploads.and_(page.locator('[data-status="ready"]'))).to_have_count(2)
    expect(uploads.and_(page.locator('[data-status="failed"]'))).to_have_count(1)
    expect(page.get_by_test_id("audio-row")).to_have_count(6)
    page.locator("#audio-heading").evaluate("heading => heading.scrollIntoView()")
    picture(page, "upload")
    assert_accessible(page, where="the dataset page at 1280 x 800")
    page.set_viewport_size(NARROW)
    picture(page, "upload-narrow")
    assert_accessible(page, where="the dataset page 400 px wide")
