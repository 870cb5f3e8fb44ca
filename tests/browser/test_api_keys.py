"""Settings → API keys in Chromium: a key is made, shown once, works, and is revoked."""

import re

import requests
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.live import LiveRelay

KEY_PATTERN = re.compile(r"^rly_[a-z0-9]{10}_\w{40}$")


def test_a_new_key_is_shown_once_and_works(signed_in_page: Page, live_relay: LiveRelay):
    page = signed_in_page
    page.goto("/settings/api-keys")

    page.get_by_label("Name").fill("nightly TTS check")
    page.get_by_role("button", name="Create key").click()

    secret = page.get_by_test_id("new-key-value")
    expect(secret).to_have_text(KEY_PATTERN)
    key = secret.inner_text()
    prefix = key.split("_")[1]
    row = page.locator(f'[data-testid="key-row"][data-prefix="{prefix}"]')
    expect(row).to_contain_text("nightly TTS check")
    expect(row).to_contain_text("never")  # last used
    answer = requests.get(
        f"{live_relay.base_url}/api/v1/datasets", headers={"X-API-Key": key}, timeout=30
    )
    assert answer.status_code == 200
    page.get_by_role("button", name="I have stored it").click()
    expect(page.get_by_test_id("new-key")).to_be_hidden()
    page.reload()
    expect(row).to_be_visible()
    assert key not in page.content()


def test_revoking_a_key_asks_first_and_the_key_stops_working(
    signed_in_page: Page, live_relay: LiveRelay
):
    page = signed_in_page
    page.goto("/settings/api-keys")
    page.get_by_label("Name").fill("to be revoked")
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_test_id("new-key-value")).to_have_text(KEY_PATTERN)
    key = page.get_by_test_id("new-key-value").inner_text()
    row = page.locator(f'[data-testid="key-row"][data-prefix="{key.split("_")[1]}"]')

    row.get_by_role("button", name="Revoke to be revoked").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Cancel").click()
    expect(row.get_by_text("active")).to_be_visible()
    row.get_by_role("button", name="Revoke to be revoked").click()
    page.get_by_test_id("confirm").click()

    expect(row.get_by_text("revoked", exact=True)).to_be_visible()
    answer = requests.get(
        f"{live_relay.base_url}/api/v1/datasets", headers={"X-API-Key": key}, timeout=30
    )
    assert answer.status_code == 401


def test_the_keys_page_has_no_serious_accessibility_problem(signed_in_page: Page):
    signed_in_page.goto("/settings/api-keys")
    expect(signed_in_page.get_by_test_id("key-row").first).to_be_visible()

    assert_accessible(signed_in_page)
