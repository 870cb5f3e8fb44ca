"""The dashboard's shell in Chromium: signing in and out, the tenant's name, what an empty
tenant is told, and axe-core on every page of the shell at 1280 x 800 and 400 px wide."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, NARROW, sign_in
from tests.live import LiveRelay, RelayClient, manage


def test_a_wrong_password_is_refused_with_a_message(page: Page, live_relay: LiveRelay):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))

    page.get_by_label("Login (email)").fill(live_relay.login)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_test_id("login-error")).to_have_text("That login and password do not match.")


def test_signing_in_shows_the_tenant_and_signing_out_ends_the_session(
    page: Page, live_relay: LiveRelay
):
    sign_in(page, login=live_relay.login, password=live_relay.password)
    expect(page.get_by_test_id("tenant-name")).to_have_text("Demo")
    expect(page.get_by_role("link", name="Datasets")).to_have_attribute("aria-current", "page")

    page.get_by_test_id("sign-out").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto("/settings/api-keys")
    expect(page).to_have_url(re.compile(r"/login/\?next=/settings/api-keys$"))


def test_a_new_tenant_is_told_how_to_start(page: Page, live_relay: LiveRelay):
    email = f"new-{uuid.uuid4().hex[:6]}@team.test"
    printed = manage("create_tenant", "Fresh Team", "--email", email, env=live_relay.env)
    password = re.search(r"^Password: (.+)$", printed, re.MULTILINE).group(1)
    sign_in(page, login=email, password=password)

    empty = page.get_by_test_id("state-empty")
    expect(empty).to_contain_text("No datasets yet")
    expect(empty).to_contain_text("bootstrap_demo --with-data")
    empty.get_by_role("link", name="Create a dataset").click()
    expect(page).to_have_url(re.compile(r"/datasets/new$"))


@pytest.fixture
def some_dataset(relay_api: RelayClient) -> dict:
    return relay_api.post(
        "/datasets",
        {"name": f"Axe {uuid.uuid4().hex[:6]}", "artifact_types": [{"name": "click"}]},
        expect=201,
    )


PAGES = {
    "datasets": ("/", "dataset-row"),
    "new dataset": ("/datasets/new", "type-row"),
    "edit dataset": ("/datasets/{id}/edit", "type-row"),
    "dataset": ("/datasets/{id}", "state-empty"),
    "api keys": ("/settings/api-keys", "key-row"),
    "not found": ("/datasets/00000000-0000-0000-0000-000000000000", "not-found"),
}


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280x800", "400px"])
@pytest.mark.parametrize("name", list(PAGES))
def test_pages_have_no_serious_accessibility_problem(
    signed_in_page: Page, some_dataset: dict, name: str, viewport: dict
):
    path, ready = PAGES[name]
    page = signed_in_page
    page.set_viewport_size(viewport)
    page.goto(path.format(id=some_dataset["id"]))
    expect(page.get_by_test_id(ready).first).to_be_visible()

    assert_accessible(page, where=f"the {name} page, {viewport['width']} px wide")


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280x800", "400px"])
def test_the_login_page_has_no_serious_accessibility_problem(page: Page, viewport: dict):
    page.set_viewport_size(viewport)
    page.goto("/login/")

    assert_accessible(page, where=f"the login page, {viewport['width']} px wide")
