from datetime import timedelta

import pytest
from django.utils import timezone

from tenants import keys
from tenants.models import ApiKey
from tests.conftest import client_with_key
from tests.factories import make_api_key

KEYS_URL = "/api/v1/api-keys"
LISTED_FIELDS = {
    "id",
    "name",
    "prefix",
    "scopes",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
}


def test_creating_a_key_shows_its_secret_once(api_client):
    response = api_client.post(KEYS_URL, {"name": "CI pipeline"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == LISTED_FIELDS | {"key"}
    assert body["scopes"] == ["read", "write"]
    assert body["key"].startswith(f"rly_{body['prefix']}_")
    assert body["revoked_at"] is None
    listed = api_client.get(KEYS_URL).json()["items"]
    assert all("key" not in item for item in listed)
    assert body["key"] not in str(api_client.get(f"{KEYS_URL}/{body['id']}").json())


def test_the_secret_is_never_stored(api_client):
    key = api_client.post(KEYS_URL, {"name": "x"}, format="json").json()["key"]

    row = ApiKey.objects.get(prefix=keys.prefix_of(key))

    assert key not in str(row.__dict__)
    assert row.key_hash == keys.hash_key(key)


def test_a_new_key_works_at_once(api_client):
    key = api_client.post(KEYS_URL, {"name": "x", "scopes": ["read"]}, format="json").json()["key"]

    assert client_with_key(key).get("/api/v1/datasets").status_code == 200


def test_keys_may_carry_any_set_of_scopes_and_an_expiry(api_client):
    expires_at = (timezone.now() + timedelta(days=30)).replace(microsecond=0)

    response = api_client.post(
        KEYS_URL,
        {"name": "ops", "scopes": ["admin", "read", "admin"], "expires_at": expires_at.isoformat()},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["scopes"] == ["read", "admin"]
    assert response.json()["expires_at"] == expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body", "name"]),
        ({"name": "x", "scopes": ["root"]}, ["body", "scopes", 0]),
        ({"name": "x", "scopes": []}, ["body", "scopes"]),
        ({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, ["body", "expires_at"]),
        ({"name": "x", "expires_at": "next tuesday"}, ["body", "expires_at"]),
    ],
    ids=["no-name", "unknown-scope", "no-scopes", "past-expiry", "unparseable-expiry"],
)
def test_invalid_key_requests_are_422(api_client, body, loc):
    response = api_client.post(KEYS_URL, body, format="json")

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [loc]


def test_revoking_a_key_makes_it_answer_401(api_client, tenant):
    created = make_api_key(tenant=tenant)

    response = api_client.delete(f"{KEYS_URL}/{created.api_key.pk}")

    assert response.status_code == 204
    revoked = client_with_key(created.key).get("/api/v1/datasets")
    assert revoked.status_code == 401
    assert revoked.json() == {"detail": "Invalid, revoked or expired API key."}
    assert api_client.get(f"{KEYS_URL}/{created.api_key.pk}").json()["revoked_at"] is not None


def test_revoking_twice_keeps_the_first_revocation_time(api_client, tenant):
    created = make_api_key(tenant=tenant)
    api_client.delete(f"{KEYS_URL}/{created.api_key.pk}")
    first = ApiKey.objects.get(pk=created.api_key.pk).revoked_at

    response = api_client.delete(f"{KEYS_URL}/{created.api_key.pk}")

    assert response.status_code == 204
    assert ApiKey.objects.get(pk=created.api_key.pk).revoked_at == first


def test_an_expired_key_answers_401(tenant):
    created = make_api_key(tenant=tenant, expires_at=timezone.now() + timedelta(seconds=1))
    ApiKey.objects.filter(pk=created.api_key.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = client_with_key(created.key).get("/api/v1/datasets")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "rly_short_secret", "rly_aaaaaaaaaa_" + "A" * 40, "Bearer rly_x_y"],
    ids=["empty", "garbage", "malformed", "unknown", "bearer-style"],
)
def test_unknown_keys_answer_401(db, header):
    response = client_with_key(header).get("/api/v1/datasets")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid, revoked or expired API key."}


def test_a_missing_key_answers_401(client, db):
    response = client.get("/api/v1/datasets")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "X-API-Key"


def test_a_right_prefix_with_a_wrong_secret_answers_401(tenant):
    created = make_api_key(tenant=tenant)
    forged = created.key[:-1] + ("A" if created.key[-1] != "A" else "B")

    assert client_with_key(forged).get("/api/v1/datasets").status_code == 401


def test_using_a_key_records_when_it_was_last_used(tenant):
    created = make_api_key(tenant=tenant)

    client_with_key(created.key).get("/api/v1/datasets")

    assert ApiKey.objects.get(pk=created.api_key.pk).last_used_at is not None


def test_a_key_used_again_within_a_minute_costs_no_write(tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants import services

    created = make_api_key(tenant=tenant)
    services.authenticate_api_key(created.key)

    with CaptureQueriesContext(connection) as queries:
        assert services.authenticate_api_key(created.key) is not None

    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["SELECT"]


@pytest.mark.parametrize(
    ("scopes", "method", "url", "expected"),
    [
        (["read"], "post", "/api/v1/datasets", 403),
        (["read"], "get", "/api/v1/api-keys", 403),
        (["write"], "get", "/api/v1/datasets", 403),
        (["read", "write"], "post", "/api/v1/api-keys", 403),
        (["admin"], "get", "/api/v1/api-keys", 200),
        (["read"], "get", "/api/v1/datasets", 200),
    ],
    ids=[
        "read-cannot-create-datasets",
        "read-cannot-list-keys",
        "write-cannot-read",
        "read-write-cannot-create-keys",
        "admin-lists-keys",
        "read-lists-datasets",
    ],
)
def test_scopes_decide_what_a_key_may_do(tenant, scopes, method, url, expected):
    client = client_with_key(make_api_key(tenant=tenant, scopes=scopes).key)

    response = getattr(client, method)(
        url, {"name": "x", "artifact_types": [{"name": "a"}]}, format="json"
    )

    assert response.status_code == expected
    if expected == 403:
        assert "scope" in response.json()["detail"]


def test_read_key_cannot_create_datasets(read_client):
    response = read_client.post(
        "/api/v1/datasets", {"name": "x", "artifact_types": [{"name": "a"}]}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This action needs the 'write' scope, which this key does not have."
    }


def test_unknown_key_id_is_404_naming_the_resource(api_client):
    response = api_client.delete(f"{KEYS_URL}/3f1c7a52-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert response.json() == {"detail": "API key not found"}
