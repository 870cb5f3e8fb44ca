"""The labeling page in Chromium: regions drawn, retyped, resized and deleted with the mouse and
saved as they are (checked through the API after a reload); a region labelled with the keyboard
alone; an edit made while the network is cut, saved once it is back; a published set read-only;
the same component inside the admin; no serious accessibility violation; and the README's
screenshots of the page and the admin view."""

import datetime
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, DOCS_SCREENSHOTS, NARROW
from tests.browser.speech import speak_to_wav
from tests.live import LiveRelay, RelayClient

TYPES = [
    {"name": "click", "description": "A pop or click", "color": "#E69F00"},
    {"name": "dropout", "description": "Signal drops to silence", "color": "#56B4E9"},
    {"name": "long_pause", "description": "Unnatural pause over 500 ms", "color": "#009E73"},
]
FROZEN_NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def speech_dataset(live_relay: LiveRelay, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A dataset with one ready file of real speech (about three seconds)."""
    client = live_relay.client()
    dataset = client.post(
        "/datasets",
        {"name": "Support prompts, voice A", "artifact_types": TYPES},
        expect=201,
    )
    folder = tmp_path_factory.mktemp("labeling-audio")
    speech = speak_to_wav(
        folder / "prompt_0001.wav", "Your parcel will arrive tomorrow between nine and eleven."
    )
    audio_id = client.upload_audio(dataset["id"], speech, content_type="audio/wav")
    audio = client.wait_until(
        f"/datasets/{dataset['id']}/audio/{audio_id}",
        "processing_status",
        {"ready"},
        timeout_s=120,
        poll_s=0.5,
    )
    return {"id": dataset["id"], "audio": audio}


@pytest.fixture
def draft(relay_api: RelayClient, speech_dataset: dict) -> dict:
    """A fresh draft set of the dataset."""
    sets = f"/datasets/{speech_dataset['id']}/annotation-sets"
    created = relay_api.post(sets, {"name": f"Pass {uuid.uuid4().hex[:4]}"}, expect=201)
    return {**created, "path": f"{sets}/{created['id']}", "dataset": speech_dataset}


def label_url(draft: dict) -> str:
    return f"/datasets/{draft['dataset']['id']}/annotation-sets/{draft['id']}/label"


def saved(relay_api: RelayClient, draft: dict) -> list[tuple[str, int, int]]:
    items = relay_api.all_pages(f"{draft['path']}/annotations")
    return sorted((item["artifact_type"], item["start_ms"], item["end_ms"]) for item in items)


def open_labeling(page: Page, url: str) -> Locator:
    page.goto(url)
    waveform = page.get_by_test_id("waveform")
    expect(waveform.locator("[data-testid=spectrogram] img").first).to_be_visible()
    expect(page.get_by_test_id("lab-status")).to_contain_text("Press ? for the keys")
    return waveform


def drag(page: Page, waveform: Locator, from_x: float, to_x: float) -> None:
    box = waveform.bounding_box()
    y = box["y"] + 60
    page.mouse.move(box["x"] + from_x, y)
    page.mouse.down()
    page.mouse.move(box["x"] + (from_x + to_x) / 2, y, steps=4)
    page.mouse.move(box["x"] + to_x, y, steps=4)
    page.mouse.up()


def expect_saved(page: Page) -> None:
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved")


def test_regions_drawn_retyped_resized_and_deleted_with_the_mouse_are_saved(
    signed_in_page: Page, relay_api: RelayClient, draft: dict
):
    page = signed_in_page
    waveform = open_labeling(page, label_url(draft))
    regions = waveform.get_by_test_id("region")

    drag(page, waveform, 150, 300)
    expect(regions).to_have_count(1)
    expect_saved(page)
    page.keyboard.press("2")  # retypes the new, selected region
    expect(page.get_by_test_id("region-type")).to_have_value("dropout")
    page.keyboard.press("Escape")
    page.keyboard.press("1")  # nothing selected: picks the type new regions get
    drag(page, waveform, 600, 700)
    expect(regions).to_have_count(2)
    expect_saved(page)

    first, second = sorted(saved(relay_api, draft), key=lambda row: row[1])
    assert first[0] == "dropout"
    assert second[0] == "click"
    expect(page.get_by_test_id("region-type")).to_have_value("click")

    newest = regions.and_(page.locator('[data-selected="true"]'))
    end_before = int(page.get_by_test_id("region-end").input_value())
    handle = newest.locator('[part~="region-handle-right"]')
    handle_box = handle.bounding_box()
    page.mouse.move(handle_box["x"] + 2, handle_box["y"] + 40)
    page.mouse.down()
    page.mouse.move(handle_box["x"] + 62, handle_box["y"] + 40, steps=6)
    page.mouse.up()
    expect(page.get_by_test_id("region-end")).not_to_have_value(str(end_before))
    end_after = int(page.get_by_test_id("region-end").input_value())
    assert end_after > end_before
    expect_saved(page)

    regions.first.click()
    expect(page.get_by_test_id("region-type")).to_have_value("dropout")
    page.get_by_test_id("region-delete").click()
    expect(regions).to_have_count(1)
    expect_saved(page)

    page.reload()
    expect(waveform.get_by_test_id("region")).to_have_count(1)
    expect(page.get_by_test_id("region-count")).to_have_text("1 region in this file")
    [(artifact_type, start_ms, end_ms)] = saved(relay_api, draft)
    assert artifact_type == "click"
    assert end_ms == end_after
    assert start_ms < end_before < end_ms


def test_a_region_labelled_with_the_keyboard_alone(
    signed_in_page: Page, relay_api: RelayClient, draft: dict
):
    page = signed_in_page
    waveform = open_labeling(page, label_url(draft))
    expect(waveform).to_be_focused()
    keyboard = page.keyboard

    for _ in range(5):
        keyboard.press("ArrowRight")  # 100 ms each
    keyboard.press("[")
    keyboard.press("Shift+ArrowRight")  # 1 s
    keyboard.press("3")  # long_pause is the active type
    keyboard.press("]")
    expect(waveform.get_by_test_id("region")).to_have_count(1)
    expect_saved(page)
    assert saved(relay_api, draft) == [("long_pause", 500, 1500)]

    keyboard.press("Escape")
    expect(page.get_by_test_id("clock")).to_have_text("0:01.500")
    keyboard.press("Shift+Tab")  # on the waveform: the region before the playhead; focus stays
    expect(page.get_by_test_id("region-start")).to_have_value("500")
    expect(page.locator("#region-title")).to_contain_text("long_pause")
    expect(waveform).to_be_focused()
    keyboard.press("2")
    expect_saved(page)
    assert saved(relay_api, draft) == [("dropout", 500, 1500)]

    keyboard.press("Delete")
    expect(waveform.get_by_test_id("region")).to_have_count(0)
    expect_saved(page)
    assert saved(relay_api, draft) == []
    keyboard.press("Control+z")  # the delete, undone
    expect(waveform.get_by_test_id("region")).to_have_count(1)
    expect_saved(page)
    assert saved(relay_api, draft) == [("dropout", 500, 1500)]

    keyboard.press("?")
    expect(page.get_by_test_id("key-help")).to_be_visible()
    keyboard.press("Escape")
    expect(page.get_by_test_id("key-help")).to_be_hidden()


def test_an_edit_made_offline_shows_unsaved_and_is_saved_when_the_network_returns(
    signed_in_page: Page, relay_api: RelayClient, draft: dict
):
    page = signed_in_page
    waveform = open_labeling(page, label_url(draft))

    page.route("**/annotations**", lambda route: route.abort("internetdisconnected"))
    drag(page, waveform, 300, 420)
    save_state = page.get_by_test_id("save-state")
    expect(save_state).to_have_attribute("data-state", "unsaved")
    expect(save_state).to_contain_text("Unsaved")
    assert saved(relay_api, draft) == []

    page.unroute("**/annotations**")
    expect(save_state).to_have_attribute("data-state", "saved", timeout=30_000)
    expect(save_state).to_have_text("Saved")
    [(artifact_type, _start, _end)] = saved(relay_api, draft)
    assert artifact_type == "click"


def test_an_annotation_deleted_elsewhere_is_not_recreated(
    signed_in_page: Page, relay_api: RelayClient, draft: dict
):
    audio_id = draft["dataset"]["audio"]["id"]
    row = {"audio_file_id": audio_id, "artifact_type": "click", "start_ms": 400, "end_ms": 900}
    created = relay_api.post(f"{draft['path']}/annotations", row, expect=201)
    page = signed_in_page
    waveform = open_labeling(page, label_url(draft))
    expect(waveform.get_by_test_id("region")).to_have_count(1)

    relay_api.call("DELETE", f"{draft['path']}/annotations/{created['id']}", expect=204)
    page.keyboard.press("Tab")
    page.keyboard.press("2")

    expect(page.get_by_test_id("problem")).to_contain_text("deleted in another tab")
    expect(waveform.get_by_test_id("region")).to_have_count(0)
    expect_saved(page)
    assert saved(relay_api, draft) == []


def test_a_published_set_is_read_only_until_copied(
    signed_in_page: Page, relay_api: RelayClient, draft: dict
):
    audio_id = draft["dataset"]["audio"]["id"]
    row = {"audio_file_id": audio_id, "artifact_type": "click", "start_ms": 400, "end_ms": 900}
    relay_api.post(f"{draft['path']}/annotations", row, expect=201)
    relay_api.post(f"{draft['path']}/publish")
    page = signed_in_page
    waveform = open_labeling(page, label_url(draft))

    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("set-status")).to_have_text("published")
    drag(page, waveform, 600, 700)
    page.keyboard.press("Tab")
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("lab-status")).to_contain_text("read-only")
    expect(waveform.get_by_test_id("region")).to_have_count(1)
    expect(page.get_by_test_id("region-delete")).to_be_disabled()
    assert saved(relay_api, draft) == [("click", 400, 900)]
    assert_accessible(page, where="a published set's labeling page")

    page.get_by_test_id("copy-to-revise").click()
    expect(page.get_by_test_id("set-status")).to_have_text("draft")
    expect(page.get_by_test_id("read-only")).to_be_hidden()
    expect(page.get_by_test_id("waveform").get_by_test_id("region")).to_have_count(1)


def test_the_admin_opens_the_same_labeling_view(
    signed_in_page: Page, relay_api: RelayClient, draft: dict
):
    audio_id = draft["dataset"]["audio"]["id"]
    row = {"audio_file_id": audio_id, "artifact_type": "dropout", "start_ms": 1200, "end_ms": 1300}
    relay_api.post(f"{draft['path']}/annotations", row, expect=201)
    page = signed_in_page

    page.goto(f"/admin/datasets/audiofile/{audio_id}/change/")
    page.get_by_role("link", name=f"{draft['name']} (draft)").click()
    waveform = page.get_by_test_id("waveform")
    expect(waveform.get_by_test_id("region")).to_have_count(1)
    expect(page.get_by_test_id("lab-status")).to_contain_text("Press ? for the keys")
    assert f"audio={audio_id}" in page.url

    drag(page, waveform, 100, 200)
    expect(waveform.get_by_test_id("region")).to_have_count(2)
    expect_saved(page)
    assert len(saved(relay_api, draft)) == 2
    assert_accessible(page, where="the admin's labeling view")


def test_the_labeling_page_has_no_serious_accessibility_violation(
    signed_in_page: Page, relay_api: RelayClient, draft: dict
):
    audio_id = draft["dataset"]["audio"]["id"]
    row = {"audio_file_id": audio_id, "artifact_type": "click", "start_ms": 400, "end_ms": 402}
    relay_api.post(f"{draft['path']}/annotations", row, expect=201)
    page = signed_in_page
    open_labeling(page, f"{label_url(draft)}?audio={audio_id}&t=400")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("region-start")).to_have_value("400")

    assert_accessible(page, where="the labeling page at 1280 x 800")
    page.keyboard.press("?")
    assert_accessible(page, where="the labeling page's key list")
    page.keyboard.press("Escape")
    page.set_viewport_size(NARROW)
    assert_accessible(page, where="the labeling page 400 px wide")


# ---- the README's screenshots


@pytest.fixture
def pictured(relay_api: RelayClient, speech_dataset: dict) -> Iterator[dict]:
    """A draft with a few labels of every type, always the same."""
    sets = f"/datasets/{speech_dataset['id']}/annotation-sets"
    created = relay_api.post(sets, {"name": "Review pass (Maria)"}, expect=201)
    audio_id = speech_dataset["audio"]["id"]
    rows = [
        ("click", 262, 266),
        ("long_pause", 1480, 1900),
        ("dropout", 2330, 2410),
        ("click", 2990, 2993),
    ]
    relay_api.post(
        f"{sets}/{created['id']}/annotations/bulk",
        {
            "annotations": [
                {"audio_file_id": audio_id, "artifact_type": t, "start_ms": s, "end_ms": e}
                for t, s, e in rows
            ]
        },
        expect=201,
    )
    yield {**created, "dataset": speech_dataset, "path": f"{sets}/{created['id']}"}
    relay_api.call("DELETE", f"{sets}/{created['id']}", expect=204)


NEXT_FRAMES = (
    "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
)


def picture(page: Page, name: str) -> Path:
    """A screenshot of the whole page as freshly painted: resizing the window by a pixel and back
    repaints every part, where controls repainted alone (a value set, a state shown) could differ
    from run to run in a few antialiased pixels."""
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = DOCS_SCREENSHOTS / f"{name}.png"
    page.mouse.move(0, 0)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": size["height"] + 1})
    page.evaluate(NEXT_FRAMES)
    page.set_viewport_size(size)
    page.evaluate(NEXT_FRAMES)
    page.screenshot(path=path, animations="disabled", caret="hide")
    return path


def settle(page: Page, url: str, viewport: dict) -> None:
    """The page at `viewport` with the long pause selected (clicked: the playhead goes where the
    click was, the same place every run) and the pointer away."""
    page.set_viewport_size(viewport)
    page.clock.set_fixed_time(FROZEN_NOW)
    waveform = open_labeling(page, url)
    regions = waveform.get_by_test_id("region")
    expect(regions).to_have_count(4)
    for image in waveform.locator("[data-testid=spectrogram] img").all():
        expect(image).to_have_js_property("complete", True)
    regions.and_(page.locator('[title^="long_pause"]')).click()
    expect(page.get_by_test_id("region-start")).to_have_value("1480")


def test_the_labeling_page_as_pictured(signed_in_page: Page, pictured: dict):
    page = signed_in_page
    audio_id = pictured["dataset"]["audio"]["id"]
    url = f"{label_url(pictured)}?audio={audio_id}"
    settle(page, url, DESKTOP)
    picture(page, "labeling")
    settle(page, url, NARROW)
    picture(page, "labeling-narrow")


def test_the_admin_labeling_view_as_pictured(signed_in_page: Page, pictured: dict):
    page = signed_in_page
    audio_id = pictured["dataset"]["audio"]["id"]
    url = f"/admin/annotations/annotationset/{pictured['id']}/label/?audio={audio_id}"
    settle(page, url, DESKTOP)
    picture(page, "admin-labeling")
    settle(page, url, NARROW)
    picture(page, "admin-labeling-narrow")
