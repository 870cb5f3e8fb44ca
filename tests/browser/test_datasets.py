"""Datasets in Chromium: create one through the form, upload real speech through the file input
and watch it get processed, find it again by search."""

import base64
import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.browser.speech import speak_to_wav
from tests.live import RelayClient


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def test_a_dataset_is_created_with_its_artifact_types(signed_in_page: Page, relay_api: RelayClient):
    page = signed_in_page
    name = unique("TTS glitch review")
    page.goto("/")
    page.get_by_test_id("new-dataset").click()

    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description (optional)").fill("Pops and long pauses in v3 voices")
    page.get_by_label("Type name").fill("click")
    page.get_by_role("button", name="+ Add a type").click()
    page.get_by_label("Type name").nth(1).fill("long_pause")
    page.get_by_label("Colour").nth(1).fill("#4444ff")
    page.get_by_role("button", name="Create dataset").click()

    expect(page.get_by_test_id("dataset-name")).to_have_text(name)
    created = relay_api.get("/datasets", search=name)["items"]
    assert [(t["name"], t["color"]) for t in created[0]["artifact_types"]] == [
        ("click", "#E69F00"),
        ("long_pause", "#4444FF"),
    ]


def test_a_form_error_is_shown_beside_its_field(signed_in_page: Page):
    page = signed_in_page
    page.goto("/datasets/new")

    page.get_by_label("Name", exact=True).fill("Bad type names")
    page.get_by_label("Type name").fill("two words")
    page.get_by_role("button", name="Create dataset").click()

    expect(page.locator("#dataset-artifact_types-0-error")).to_contain_text("letters, digits")
    expect(page.get_by_label("Type name")).to_have_attribute("aria-invalid", "true")


def test_the_datasets_list_finds_a_dataset_by_search(signed_in_page: Page, relay_api: RelayClient):
    name = unique("Searchable")
    relay_api.post("/datasets", {"name": name, "artifact_types": [{"name": "click"}]}, expect=201)
    page = signed_in_page
    page.goto("/")
    expect(page.get_by_test_id("dataset-row").first).to_be_visible()

    page.keyboard.press("/")
    page.keyboard.type(name)

    expect(page.get_by_test_id("dataset-row")).to_have_count(1)
    expect(page.get_by_test_id("dataset-row")).to_contain_text(name)
    expect(page).to_have_url(re.compile(r"\?search=Searchable\+"))  # a reload keeps the search
    expect(page.get_by_label("Search datasets")).to_be_focused()
    page.get_by_label("Search datasets").fill("no dataset is called this")
    expect(page.get_by_test_id("state-empty")).to_contain_text("No dataset matches")


def test_two_speech_files_uploaded_through_the_file_input_become_ready(
    signed_in_page: Page, relay_api: RelayClient, tmp_path: Path
):
    dataset = relay_api.post(
        "/datasets", {"name": unique("Uploads"), "artifact_types": [{"name": "click"}]}, expect=201
    )
    first = speak_to_wav(tmp_path / "take 1.wav", "The quick brown fox jumps over the lazy dog.")
    second = speak_to_wav(tmp_path / "take 2.wav", "Relay finds clicks and pauses in speech.")
    page = signed_in_page
    page.goto(f"/datasets/{dataset['id']}")
    expect(page.get_by_test_id("audio-list")).to_contain_text("No audio yet")

    page.get_by_test_id("upload-input").set_input_files([first, second])

    for filename in ("take 1.wav", "take 2.wav"):
        upload = page.locator(f'[data-testid="upload"][data-filename="{filename}"]')
        expect(upload).to_have_attribute("data-status", "ready", timeout=EXPECT_TIMEOUT_MS)
        expect(upload.get_by_test_id("upload-detail")).to_contain_text("Ready · 0:0")
        row = page.locator(f'[data-testid="audio-row"][data-filename="{filename}"]')
        expect(row).to_have_attribute("data-status", "ready", timeout=EXPECT_TIMEOUT_MS)
    stored = relay_api.all_pages(f"/datasets/{dataset['id']}/audio")
    assert sorted((a["filename"], a["processing_status"]) for a in stored) == [
        ("take 1.wav", "ready"),
        ("take 2.wav", "ready"),
    ]
    assert all(a["duration_ms"] > 1000 for a in stored)


def test_files_dropped_on_the_upload_area_are_uploaded(
    signed_in_page: Page, relay_api: RelayClient, tmp_path: Path
):
    dataset = relay_api.post(
        "/datasets", {"name": unique("Dropped"), "artifact_types": [{"name": "click"}]}, expect=201
    )
    speech = speak_to_wav(tmp_path / "dropped.wav", "Dropped on the page.")
    page = signed_in_page
    page.goto(f"/datasets/{dataset['id']}")

    # What a drag from the file manager delivers: a drop event whose dataTransfer holds files.
    page.get_by_test_id("dropzone").evaluate(
        """(zone, [name, base64]) => {
            const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "audio/wav" }));
            for (const type of ["dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true }));
            }
        }""",
        ["dropped.wav", base64.b64encode(speech.read_bytes()).decode()],
    )

    upload = page.locator('[data-testid="upload"][data-filename="dropped.wav"]')
    expect(upload).to_have_attribute("data-status", "ready", timeout=EXPECT_TIMEOUT_MS)
    assert (
        relay_api.get(f"/datasets/{dataset['id']}/audio")["items"][0]["filename"] == "dropped.wav"
    )


def test_a_file_that_is_not_audio_shows_its_processing_error(
    signed_in_page: Page, relay_api: RelayClient, tmp_path: Path
):
    dataset = relay_api.post(
        "/datasets", {"name": unique("Broken"), "artifact_types": [{"name": "click"}]}, expect=201
    )
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF but not really a wave file" * 20)
    page = signed_in_page
    page.goto(f"/datasets/{dataset['id']}")

    page.get_by_test_id("upload-input").set_input_files([broken])

    upload = page.locator('[data-testid="upload"][data-filename="broken.wav"]')
    expect(upload).to_have_attribute("data-status", "failed", timeout=EXPECT_TIMEOUT_MS)
    error = relay_api.all_pages(f"/datasets/{dataset['id']}/audio")[0]["processing_error"]
    assert error
    expect(upload.get_by_test_id("upload-detail")).to_have_text(error)
    expect(page.get_by_test_id("processing-error")).to_have_text(error)
