"""The dataset page's annotation sets in Chromium: create, publish after confirming (then
read-only), copy, export in every format, and import with a dry run that lists bad rows first."""

import csv
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.browser.speech import speak_to_wav
from tests.live import RelayClient

EXTENSIONS = {
    "json": ".json",
    "csv": ".csv",
    "dcase": ".tsv",
    "audacity": ".zip",
    "raven": ".selections.txt",
}


@pytest.fixture
def labelled(relay_api: RelayClient, tmp_path: Path) -> dict:
    """A dataset with one ready speech file and a draft set "Pass 1" holding two annotations."""
    dataset = relay_api.post(
        "/datasets",
        {
            "name": f"Sets {uuid.uuid4().hex[:6]}",
            "artifact_types": [{"name": "click"}, {"name": "long_pause"}],
        },
        expect=201,
    )
    speech = speak_to_wav(tmp_path / "prompt 1.wav", "Please hold the line while we connect you.")
    audio_id = relay_api.upload_audio(dataset["id"], speech, content_type="audio/wav")
    relay_api.wait_until(
        f"/datasets/{dataset['id']}/audio/{audio_id}",
        "processing_status",
        {"ready"},
        timeout_s=120,
        poll_s=0.5,
    )
    sets = f"/datasets/{dataset['id']}/annotation-sets"
    draft = relay_api.post(sets, {"name": "Pass 1"}, expect=201)
    rows = [
        {"audio_file_id": audio_id, "artifact_type": "click", "start_ms": 300, "end_ms": 320},
        {"audio_file_id": audio_id, "artifact_type": "long_pause", "start_ms": 900, "end_ms": 1600},
    ]
    relay_api.post(f"{sets}/{draft['id']}/annotations/bulk", {"annotations": rows}, expect=201)
    return {"dataset": dataset, "set": draft, "sets_path": sets, "audio_id": audio_id}


def set_row(page: Page, name: str):
    return page.get_by_test_id("set-row").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def test_publishing_asks_first_and_leaves_the_set_read_only(
    signed_in_page: Page, relay_api: RelayClient, labelled: dict
):
    page = signed_in_page
    page.goto(f"/datasets/{labelled['dataset']['id']}")
    row = set_row(page, "Pass 1")
    expect(row).to_have_attribute("data-status", "draft")

    row.get_by_role("button", name="Publish Pass 1").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("2 annotations become final")
    dialog.get_by_role("button", name="Cancel").click()
    expect(row).to_have_attribute("data-status", "draft")
    row.get_by_role("button", name="Publish Pass 1").click()
    page.get_by_test_id("confirm").click()

    expect(row).to_have_attribute("data-status", "published")
    expect(row).to_contain_text("read-only")
    expect(row.get_by_role("button", name="Publish Pass 1")).to_have_count(0)
    expect(row.get_by_role("button", name="Import labels into Pass 1")).to_have_count(0)
    expect(row.get_by_role("link", name="View Pass 1")).to_be_visible()
    stored = relay_api.get(f"{labelled['sets_path']}/{labelled['set']['id']}")
    assert stored["status"] == "published"


def test_a_new_set_and_a_copy_appear_in_the_list(
    signed_in_page: Page, relay_api: RelayClient, labelled: dict
):
    page = signed_in_page
    page.goto(f"/datasets/{labelled['dataset']['id']}")
    expect(page.get_by_test_id("set-row")).to_have_count(1)

    page.get_by_test_id("new-set").click()
    expect(page.get_by_test_id("set-row")).to_have_count(2)
    set_row(page, "Pass 1").get_by_role("button", name="Copy Pass 1").click()

    expect(set_row(page, "Pass 1 (copy)")).to_contain_text("2 annotations")
    names = [s["name"] for s in relay_api.get(labelled["sets_path"])["items"]]
    assert len(names) == 3
    assert {"Pass 1", "Pass 1 (copy)"} < set(names)


@pytest.mark.parametrize("export_format", list(EXTENSIONS))
def test_every_export_format_downloads_the_set(
    signed_in_page: Page, labelled: dict, export_format: str
):
    page = signed_in_page
    page.goto(f"/datasets/{labelled['dataset']['id']}")
    row = set_row(page, "Pass 1")

    row.get_by_role("group").or_(row.locator("summary")).first.click()
    with page.expect_download() as download_info:
        row.locator(f'a[data-format="{export_format}"]').click()

    download = download_info.value
    assert download.suggested_filename.startswith("pass-1-")
    assert download.suggested_filename.endswith(EXTENSIONS[export_format])
    content = Path(download.path()).read_bytes()
    if export_format == "json":
        assert len(json.loads(content)["annotations"]) == 2
    elif export_format == "audacity":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert archive.namelist() == ["prompt 1.txt"]
    else:
        assert content.decode().count("\n") == 3  # a header and two rows


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["filename", "artifact_type", "start_ms", "end_ms"])
        writer.writerows(rows)
    return path


def test_an_import_shows_the_dry_runs_row_errors_before_writing_anything(
    signed_in_page: Page, relay_api: RelayClient, labelled: dict, tmp_path: Path
):
    draft = relay_api.post(labelled["sets_path"], {"name": "Imported"}, expect=201)
    annotations = f"{labelled['sets_path']}/{draft['id']}/annotations"
    bad = write_csv(
        tmp_path / "labels.csv",
        [
            ["prompt 1.wav", "click", "100", "140"],
            ["prompt 1.wav", "hum", "200", "260"],
            ["prompt 9.wav", "click", "500", "400"],
        ],
    )
    page = signed_in_page
    page.goto(f"/datasets/{labelled['dataset']['id']}")
    set_row(page, "Imported").get_by_role("button", name="Import labels into Imported").click()
    dialog = page.get_by_test_id("import-dialog")

    dialog.get_by_label("File").set_input_files(bad)
    expect(dialog.get_by_label("Format")).to_have_value("csv")
    dialog.get_by_role("button", name="Check file").click()

    errors = dialog.get_by_test_id("import-error")
    expect(dialog.get_by_test_id("import-errors-summary")).to_contain_text("nothing was imported")
    expect(errors.filter(has_text="line 3")).to_contain_text("artifact_type")
    expect(errors.filter(has_text="line 4").first).to_be_visible()
    expect(dialog.get_by_test_id("import-apply")).to_be_hidden()
    assert relay_api.get(annotations)["total"] == 0

    good = write_csv(
        tmp_path / "fixed.csv",
        [["prompt 1.wav", "click", "100", "140"], ["prompt 1.wav", "long_pause", "200", "900"]],
    )
    dialog.get_by_label("File").set_input_files(good)
    dialog.get_by_role("button", name="Check file").click()
    expect(dialog.get_by_test_id("import-result")).to_contain_text("All 2 rows are valid")
    assert relay_api.get(annotations)["total"] == 0
    dialog.get_by_role("button", name="Import 2 annotations").click()

    expect(dialog).to_be_hidden()
    expect(set_row(page, "Imported")).to_contain_text("2 annotations", timeout=EXPECT_TIMEOUT_MS)
    assert relay_api.get(annotations)["total"] == 2
