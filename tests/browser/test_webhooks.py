"""Settings → Webhooks in Chromium: a webhook is added (its secret shown once), pinged, and its
delivery log read; the ping reaches a receiver here, signed with that secret."""

import json

from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, NARROW, ROOT
from tests.webhooks.conftest import assert_signed
from tests.webhooks.receiver import running_receiver

LOOK = ROOT / "var" / "test" / "look"


def test_a_webhook_is_added_pinged_and_its_log_read(signed_in_page: Page):
    page = signed_in_page
    with running_receiver() as receiver:
        page.goto("/settings/webhooks")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("CI notifier")
        page.get_by_role("button", name="Add webhook").click()

        secret = page.get_by_test_id("new-secret-value")
        expect(secret).to_contain_text("whsec_")
        shown_secret = secret.inner_text()
        row = page.get_by_test_id("webhook-row").filter(has_text=receiver.url)
        expect(row).to_contain_text("training.completed")
        row.get_by_role("button", name=f"Ping {receiver.url}").click()

        expect(page.get_by_test_id("toasts")).to_contain_text("Ping succeeded: HTTP 200.")
        expect(page.get_by_test_id("delivery-row").first).to_contain_text("ping")
        [request] = receiver.received
        body = assert_signed(request, shown_secret)
        assert body["type"] == "ping"
        assert json.loads(request.body)["data"]["url"] == receiver.url

        LOOK.mkdir(parents=True, exist_ok=True)
        for name, size in (("desktop", DESKTOP), ("narrow", NARROW)):
            page.set_viewport_size(size)
            page.screenshot(path=LOOK / f"webhooks-{name}.png", full_page=True)
        assert_accessible(page)


def test_a_refused_url_is_shown_on_the_page_with_its_reason(signed_in_page: Page):
    page = signed_in_page
    page.goto("/settings/webhooks")

    page.get_by_label("URL").fill("ftp://files.example.com/drop")
    page.get_by_role("button", name="Add webhook").click()

    expect(page.locator("#webhook-url-error")).to_contain_text("Enter an http:// or https:// URL")
    expect(page.get_by_label("URL")).to_have_attribute("aria-invalid", "true")
