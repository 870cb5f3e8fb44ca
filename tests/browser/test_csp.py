"""Every page of the dashboard, the API docs and the admin loads under the Content-Security-Policy
without one violation: no inline script, style or handler the policy's nonce does not cover.

The dashboard's pages come from the URL conf, so a new page is checked without anyone listing it;
a page whose path needs an id this module cannot make fails, naming the parameter."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Page

from tests.audio import write_wav
from tests.live import RelayClient

# Listens before any page script runs (an init script is not subject to the page's CSP).
VIOLATION_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ${event.sample || ""}`
  );
});
"""
NOT_PAGES = ("api/", "logout/", "static/", "healthz", "readyz")


def patterns(resolvers, prefix: str = "") -> Iterator[str]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":  # the admin site's own pages: admin_paths()
                yield from patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def dashboard_routes() -> list[str]:
    """Every page of the URL conf outside the API and the admin site (custom admin pages, such
    as the queues page, included)."""
    return [
        route for route in patterns(get_resolver().url_patterns) if not route.startswith(NOT_PAGES)
    ]


def admin_paths() -> list[str]:
    """The admin's index, every model's list, and the add form of those an operator can add."""
    operator = RequestFactory().get("/admin/")
    operator.user = SimpleNamespace(
        is_active=True, is_staff=True, is_superuser=True, has_perm=lambda *args: True
    )
    paths = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        paths.append(base)
        if model_admin.has_add_permission(operator):
            paths.append(f"{base}add/")
    return paths


@pytest.fixture
def ids(relay_api: RelayClient, tmp_path: Path) -> dict[str, str]:
    """An id for each path parameter a page may take, from the demo tenant's own data."""
    dataset = relay_api.post(
        "/datasets",
        {"name": f"CSP {uuid.uuid4().hex[:6]}", "artifact_types": [{"name": "click"}]},
        expect=201,
    )
    annotation_set = relay_api.post(
        f"/datasets/{dataset['id']}/annotation-sets", {"name": "CSP"}, expect=201
    )
    return {
        "dataset_id": dataset["id"],
        "set_id": annotation_set["id"],
        **trained_ids(relay_api, dataset["id"], tmp_path),
    }


def trained_ids(relay_api: RelayClient, dataset_id: str, folder: Path) -> dict[str, str]:
    """A training job (one epoch on one second of audio), its model and an inference job."""
    audio_id = relay_api.upload_audio(
        dataset_id, write_wav(folder / "csp.wav", seconds=1.0), content_type="audio/wav"
    )
    relay_api.wait_until(
        f"/datasets/{dataset_id}/audio/{audio_id}", "processing_status", {"ready"}, timeout_s=60
    )
    sets = f"/datasets/{dataset_id}/annotation-sets"
    labels = relay_api.post(sets, {"name": "CSP labels"}, expect=201)
    relay_api.post(
        f"{sets}/{labels['id']}/annotations",
        {"audio_file_id": audio_id, "artifact_type": "click", "start_ms": 100, "end_ms": 150},
        expect=201,
    )
    relay_api.post(f"{sets}/{labels['id']}/publish")
    job = relay_api.post(
        "/training-jobs",
        {
            "dataset_id": dataset_id,
            "annotation_set_id": labels["id"],
            "config": {"epochs": 1, "validation_split": 0, "batch_size": 4},
        },
        expect=201,
    )
    job = relay_api.wait_until(
        f"/training-jobs/{job['id']}", "status", {"completed", "failed"}, timeout_s=120
    )
    inference_job = relay_api.post("/inference-jobs", {"model_id": job["model_id"]}, expect=201)
    return {
        "training_job_id": job["id"],
        "model_id": job["model_id"],
        "inference_job_id": inference_job["id"],
    }


def fill(route: str, ids: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match[1]
        if name not in ids:
            pytest.fail(
                f"the CSP test cannot make a {name!r} for the page {route!r}: add it to ids"
            )
        return ids[name]

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", replace, route).lstrip("^").rstrip("$")


def violations_on(page: Page, path: str, console: list[str]) -> list[str]:
    console.clear()
    response = page.goto(path)
    assert response is not None, path
    assert response.status < 400, f"{path}: {response.status}"
    page.wait_for_load_state("networkidle")
    found = page.evaluate("window.__cspViolations")
    return found + [message for message in console if "Content Security Policy" in message]


@pytest.fixture
def watched_page(signed_in_page: Page) -> tuple[Page, list[str]]:
    signed_in_page.context.add_init_script(VIOLATION_WATCH)
    console: list[str] = []
    signed_in_page.on("console", lambda message: console.append(message.text))
    return signed_in_page, console


def test_the_watch_sees_a_violation(watched_page):
    page, _ = watched_page
    page.goto("/")

    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__cspViolations.length > 0")

    assert "style-src-attr" in page.evaluate("window.__cspViolations")[0]


def test_every_dashboard_page_runs_without_a_csp_violation(watched_page, ids):
    page, console = watched_page
    paths = [fill(route, ids) for route in dashboard_routes()] + ["/api/v1/docs"]

    found = {path: violations_on(page, path, console) for path in paths}

    assert {path: seen for path, seen in found.items() if seen} == {}
    assert len(paths) >= 6


def test_every_admin_page_runs_without_a_csp_violation(watched_page):
    page, console = watched_page

    found = {path: violations_on(page, path, console) for path in admin_paths()}

    assert {path: seen for path, seen in found.items() if seen} == {}


def test_the_sign_in_page_runs_without_a_csp_violation(page: Page):
    page.context.add_init_script(VIOLATION_WATCH)
    page.goto("/login/")
    page.wait_for_load_state("networkidle")

    assert page.evaluate("window.__cspViolations") == []
