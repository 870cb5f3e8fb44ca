"""The OpenAPI schema is served, valid and true to the API: schemathesis checks it live."""

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from relay.api.operations import OPERATION_DOCS
from relay.api.views import TenantApiView
from relay.wsgi import application
from tests.factories import make_api_key, make_dataset

SCHEMA_URL = "/api/v1/schema"


def test_the_schema_is_served_as_openapi_3(client, db):
    response = client.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }


def test_every_operation_documents_its_errors(client, db):
    paths = client.get(SCHEMA_URL, {"format": "json"}).json()["paths"]

    for url, path_item in paths.items():
        for method, operation in path_item.items():
            documented = set(operation["responses"])
            assert {"401", "403", "429", "500"} <= documented, (method, url)
            if "{" in url:
                assert "404" in documented, (method, url)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= documented, (method, url)


def operations(client) -> list[tuple[str, str, dict]]:
    paths = client.get(SCHEMA_URL, {"format": "json"}).json()["paths"]
    return [
        (method.upper(), url, operation)
        for url, path_item in paths.items()
        for method, operation in path_item.items()
    ]


def test_every_operation_has_a_summary_of_its_own(client, db):
    summaries = [
        (operation.get("summary"), method, url) for method, url, operation in operations(client)
    ]

    missing = [(method, url) for summary, method, url in summaries if not summary]
    seen: dict[str, tuple[str, str]] = {}
    repeated = []
    for summary, method, url in summaries:
        if summary and summary in seen:
            repeated.append((summary, seen[summary], (method, url)))
        seen.setdefault(summary, (method, url))
    assert missing == []
    assert repeated == []


def test_every_operation_has_a_user_facing_description(client, db):
    internal = TenantApiView.__doc__.split(":")[0]  # "Base of every `/api/v1` view"

    for method, url, operation in operations(client):
        description = operation.get("description", "")
        assert len(description) > 20, (method, url)
        assert not description.startswith("Base of"), (method, url, description)
        assert internal not in description, (method, url)


def test_the_summary_check_catches_a_missing_and_a_repeated_summary(client, db, monkeypatch):
    docs = dict(OPERATION_DOCS)
    docs.pop("get_dataset")
    docs["list_models"] = docs["list_datasets"]
    monkeypatch.setattr("relay.api.schema.OPERATION_DOCS", docs)

    with pytest.raises(AssertionError, match=re.escape("/api/v1/datasets/{dataset_id}")):
        test_every_operation_has_a_summary_of_its_own(client, db)
    docs["get_dataset"] = OPERATION_DOCS["get_dataset"]
    with pytest.raises(AssertionError, match="List datasets"):
        test_every_operation_has_a_summary_of_its_own(client, db)


def test_the_interactive_docs_work_offline(client, db):
    page = client.get("/api/v1/docs")

    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html.replace("https://swagger.io", "")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        start = html.index("/static/drf_spectacular_sidecar/")
        assert asset in html
        assert start >= 0
    bundle = html[html.index("/static/drf_spectacular_sidecar/") :].split('"')[0]
    assert client.get(bundle).status_code == 200


# Loaded from the running app at collection time; serving the schema touches no database.
schema = schemathesis.openapi.from_wsgi(f"{SCHEMA_URL}?format=json", application)


@pytest.fixture
def connections_kept_open():
    """Schemathesis calls the WSGI app directly, where Django closes the database connection
    after every request; inside a test's transaction that connection must stay, as Django's own
    test client arranges."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def full_access_key(tenant, settings, connections_kept_open):
    # Hypothesis runs every example inside one test, so the data is made once, here.
    settings.RELAY_THROTTLE_RATE = "100000/s"
    make_dataset(tenant=tenant, name="Existing")
    return make_api_key(tenant=tenant, scopes=["read", "write", "admin"]).key


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, full_access_key):
    case.call_and_validate(
        headers={"X-API-Key": full_access_key},
        # schemathesis's own check counts every 422 to a schema-valid request; API.md allows
        # those only for reasons a schema cannot state, which the check below knows by `type`.
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
        additional_checks=[no_schema_valid_request_rejected],
    )


# Rules no OpenAPI schema can state: they depend on what exists (unique names, ids that must
# name something, audio that must be ready), on the clock, or on two fields together.
UNSTATEABLE_RULES = frozenset(
    {
        "value_error.unique",
        "value_error.not_found",
        "value_error.not_ready",
        "value_error.past",
        "value_error.format_mismatch",
    }
)


def no_schema_valid_request_rejected(ctx, response, case) -> None:
    """A request the schema allows is refused only for a reason the schema could not state."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code == 400:
        raise AssertionError(f"Schema-valid request rejected with 400: {response.text}")
    if response.status_code == 422:
        stateable = [
            item for item in response.json()["detail"] if item["type"] not in UNSTATEABLE_RULES
        ]
        assert not stateable, f"Schema-valid request rejected for stateable reasons: {stateable}"
