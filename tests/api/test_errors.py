"""Every error status of API.md's table, with its body shape, and never HTML or a traceback."""

import json

import pytest
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response

from relay.api.views import TenantApiView
from tests.factories import make_dataset

DATASETS_URL = "/api/v1/datasets"


class ExplodingApi(TenantApiView):
    required_scopes = {"GET": "read"}

    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals that must not leak")


urlpatterns = [path("api/v1/explode", ExplodingApi.as_view())]


def test_malformed_json_is_400(api_client):
    response = api_client.post(DATASETS_URL, b'{"name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Request body is not valid JSON")


@pytest.mark.parametrize(
    "body", [b"NaN", b'{"name": Infinity}', b"\xff\xfe"], ids=["nan", "infinity", "not-utf8"]
)
def test_json_that_is_not_strict_json_is_400(api_client, body):
    response = api_client.post(DATASETS_URL, body, content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_json_is_415(api_client, content_type):
    response = api_client.post(DATASETS_URL, b"name=x", content_type=content_type)

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize("body", [[], "text", 3, None], ids=["list", "string", "number", "null"])
def test_a_json_body_that_is_not_an_object_is_422(api_client, body):
    response = api_client.post(DATASETS_URL, json.dumps(body), content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["body"], "msg": "Expected a JSON object", "type": "type_error.dict"}]
    }


def test_a_body_of_several_megabytes_is_413(api_client):
    huge = {"name": "x", "description": "a" * (5 * 1024 * 1024), "artifact_types": [{"name": "a"}]}

    response = api_client.post(DATASETS_URL, huge, format="json")

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_an_unknown_api_url_is_a_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found: no API resource at this URL"}


def test_a_malformed_id_is_a_json_404_like_an_unknown_id(api_client):
    response = api_client.get(f"{DATASETS_URL}/not-a-uuid")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Dataset not found"}


def test_an_unsupported_method_is_405(api_client):
    response = api_client.put(DATASETS_URL, {}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


@pytest.mark.urls("tests.api.test_errors")
def test_a_bug_is_a_json_500_without_a_traceback(api_client):
    api_client.raise_request_exception = False

    response = api_client.get("/api/v1/explode")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error"}
    assert b"secret internals" not in response.content


def test_too_many_requests_is_429_with_retry_after(api_client, settings):
    settings.RELAY_THROTTLE_RATE = "3/min"

    statuses = [api_client.get(DATASETS_URL).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    throttled = api_client.get(DATASETS_URL)
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled.json()["detail"].startswith(
        "Too many requests for this key: the limit is 3 per minute. Try again in "
    )


def test_throttling_counts_each_key_separately(api_client, read_client, settings):
    settings.RELAY_THROTTLE_RATE = "2/min"
    for _ in range(3):
        api_client.get(DATASETS_URL)

    assert read_client.get(DATASETS_URL).status_code == 200


def test_a_failed_request_changes_nothing(api_client, tenant):
    dataset = make_dataset(tenant=tenant, artifact_types=["click", "pop"])

    api_client.patch(
        f"{DATASETS_URL}/{dataset.pk}",
        {"name": "New", "artifact_types": [{"name": "click", "color": "nope"}]},
        format="json",
    )

    dataset.refresh_from_db()
    assert dataset.name == "TTS glitches"
    assert list(dataset.artifact_types.values_list("name", flat=True)) == ["click", "pop"]
