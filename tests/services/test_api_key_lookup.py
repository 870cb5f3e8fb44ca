"""The API key lookup that authenticates every request: one hand-written query (relay.rows) that
gives what the ORM's `select_related("tenant")` gives, on whichever database the suite runs."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants import keys, selectors, services
from tenants.models import ApiKey
from tests.factories import make_api_key


def fields_of(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


@pytest.mark.django_db
def test_the_key_and_its_tenant_are_what_the_orm_reads_in_one_query(tenant):
    created = make_api_key(tenant=tenant, scopes=["read", "admin"], name="deploy bot")
    ApiKey.objects.filter(pk=created.api_key.pk).update(
        last_used_at=timezone.now(), expires_at=timezone.now() + timedelta(days=3)
    )
    prefix = keys.prefix_of(created.key)
    expected = ApiKey.objects.select_related("tenant").get(prefix=prefix)

    with CaptureQueriesContext(connection) as queries:
        found = selectors.api_key_with_tenant(prefix)
        tenant_name = found.tenant.name

    assert len(queries) == 1
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.tenant) == fields_of(expected.tenant)
    assert tenant_name == tenant.name
    assert found.scopes == ["read", "admin"]


@pytest.mark.django_db
def test_an_unknown_prefix_finds_nothing(tenant):
    make_api_key(tenant=tenant)

    assert selectors.api_key_with_tenant("zzzzzzzzzz") is None


@pytest.mark.django_db
def test_a_revoked_key_still_fails_to_authenticate(tenant):
    created = make_api_key(tenant=tenant)
    services.revoke_api_key(api_key=created.api_key)

    assert services.authenticate_api_key(created.key) is None
