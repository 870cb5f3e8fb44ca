"""Browser tests: Debian's Chromium driven by pytest-playwright against a live Relay.

One `manage.py serve` (SQLite, local files, its in-process workers, so uploads really
process) runs for the whole package, started the way `make run` starts it. Pages come from
pytest-playwright's `page` (signed out) and from `signed_in_page` (the demo user, signed in once
through the login form). A failing test leaves a screenshot of every open page in
var/test/screenshots/.

Chromium is /usr/bin/chromium (never a downloaded browser). Without it these tests skip, except
in CI (`CI` or `RELAY_REQUIRE_INTEGRATION` set), where a missing browser fails them.

Playwright's sync API keeps an asyncio loop marked running while it is started, and Django refuses
ORM calls under a running loop; so Playwright is started per package here (not per session as
pytest-playwright does), and stops before the rest of the suite touches the database again.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    Page,
    Playwright,
    sync_playwright,
)

from tests.live import ROOT, LiveRelay, RelayClient, embedded_env, running_relay

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 400, "height": 800}
SCREENSHOTS_ON_FAILURE = ROOT / "var" / "test" / "screenshots"
# The README's pictures are rewritten only by `make screenshots`: their ids and relative times
# differ from run to run, so an ordinary test run writes them under var/ and leaves the tree clean.
DOCS_SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("RELAY_UPDATE_SCREENSHOTS")
    else ROOT / "var" / "test" / "docs-screenshots"
)
# Every wait for something the server does (processing, a page load) is bounded by this.
EXPECT_TIMEOUT_MS = 60_000


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("RELAY_REQUIRE_INTEGRATION"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# ---- Playwright, package-scoped (see the module docstring)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if browser_required():
            pytest.fail(f"{reason}; CI must have it")
        pytest.skip(reason)
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="package")
def playwright(browser_type_launch_args: dict[str, Any]) -> Iterator[Playwright]:
    started = sync_playwright().start()
    yield started
    started.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright) -> BrowserType:
    return playwright.chromium


@pytest.fixture(scope="package")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="package")
def live_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRelay]:
    """A Relay with the demo tenant, serving on a free 127.0.0.1 port for this package."""
    data_dir = tmp_path_factory.mktemp("browser-relay")
    # Webhook pages ping receivers that the tests run on 127.0.0.1.
    env = embedded_env(data_dir, RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS="true")
    with running_relay(env) as relay:
        yield relay


@pytest.fixture(scope="package")
def browser_context_args(live_relay: LiveRelay) -> dict[str, Any]:
    return {"base_url": live_relay.base_url, "viewport": DESKTOP, "locale": "en-GB"}


@pytest.fixture
def relay_api(live_relay: LiveRelay) -> RelayClient:
    """The demo tenant's API with its key, to arrange data and to check what pages saved."""
    return live_relay.client()


@pytest.fixture(scope="package")
def signed_in_state(
    browser: Browser, browser_context_args: dict[str, Any], live_relay: LiveRelay
) -> dict[str, Any]:
    """The demo user's session cookies, from one sign-in through the login form."""
    context = browser.new_context(**browser_context_args)
    try:
        page = context.new_page()
        sign_in(page, login=live_relay.login, password=live_relay.password)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def signed_in_page(new_context: Callable[..., BrowserContext], signed_in_state: dict) -> Page:
    page = new_context(storage_state=signed_in_state).new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    return page


@pytest.fixture(autouse=True)
def _screenshot_on_failure(
    request: pytest.FixtureRequest, new_context: Callable[..., BrowserContext], browser: Browser
) -> Iterator[None]:
    # Depends on new_context so that it runs before the test's contexts are closed.
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    SCREENSHOTS_ON_FAILURE.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    pages = [page for context in browser.contexts for page in context.pages]
    for number, page in enumerate(pages):
        path = SCREENSHOTS_ON_FAILURE / f"{name}-{number}.png"
        try:
            page.screenshot(path=path, full_page=True)
        except Exception as error:  # a crashed page must not hide the test's own failure
            print(f"no screenshot of page {number}: {error}")  # noqa: T201
        else:
            print(f"screenshot of the failing page: {path}")  # noqa: T201


def sign_in(page: Page, *, login: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Login (email)").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
