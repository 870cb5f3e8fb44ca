"""Another tenant's objects answer 404 exactly like missing ones, and never appear in lists."""

import pytest

from tests.factories import make_api_key, make_dataset

MISSING_ID = "3f1c7a52-0000-4000-8000-000000000000"


@pytest.fixture
def foreign_dataset(other_tenant):
    return make_dataset(tenant=other_tenant, name="Their data")


@pytest.fixture
def foreign_key(other_tenant):
    return make_api_key(tenant=other_tenant, name="Their key").api_key


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("patch", {"name": "mine now"}), ("delete", None)],
)
def test_another_tenants_dataset_is_404_like_a_missing_one(
    api_client, foreign_dataset, method, body
):
    foreign = getattr(api_client, method)(
        f"/api/v1/datasets/{foreign_dataset.pk}", body, format="json"
    )
    missing = getattr(api_client, method)(f"/api/v1/datasets/{MISSING_ID}", body, format="json")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Dataset not found"}
    foreign_dataset.refresh_from_db()
    assert foreign_dataset.name == "Their data"


@pytest.mark.parametrize("method", ["get", "delete"])
def test_another_tenants_key_is_404_like_a_missing_one(api_client, foreign_key, method):
    foreign = getattr(api_client, method)(f"/api/v1/api-keys/{foreign_key.pk}")
    missing = getattr(api_client, method)(f"/api/v1/api-keys/{MISSING_ID}")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "API key not found"}
    foreign_key.refresh_from_db()
    assert foreign_key.revoked_at is None


def test_lists_never_show_another_tenants_rows(api_client, tenant, foreign_dataset, foreign_key):
    make_dataset(tenant=tenant, name="Ours")

    datasets = api_client.get("/api/v1/datasets", {"search": ""}).json()
    searched = api_client.get("/api/v1/datasets", {"search": "Their"}).json()
    api_keys = api_client.get("/api/v1/api-keys").json()

    assert [item["name"] for item in datasets["items"]] == ["Ours"]
    assert datasets["total"] == 1
    assert searched["items"] == []
    assert str(foreign_key.pk) not in {item["id"] for item in api_keys["items"]}
