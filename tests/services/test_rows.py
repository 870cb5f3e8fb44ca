"""The lookups every API request makes (its key, the dataset or annotation set in its URL) are
queries written out once (relay.rows): they give what the ORM's `.get()` and `select_related`
give, in one query, on whichever database the suite runs."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import selectors as annotation_selectors
from annotations import services as annotation_services
from annotations.models import AnnotationSet
from datasets import selectors as dataset_selectors
from relay import rows
from relay.errors import NotFound
from tenants import keys, selectors, services
from tenants.models import ApiKey
from tests.factories import make_api_key, make_dataset, make_tenant


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


@pytest.mark.django_db
def test_a_dataset_row_is_what_the_orm_reads_and_only_for_its_tenant(tenant):
    dataset = make_dataset(tenant=tenant, name="voices")
    other = make_tenant(name="Other Lab", email="lead@other.test").tenant

    found = dataset_selectors.get_dataset(
        tenant=tenant, dataset_id=dataset.pk, artifact_types=False
    )

    assert fields_of(found) == fields_of(type(dataset).objects.get(pk=dataset.pk))
    with pytest.raises(NotFound, match="Dataset not found"):
        dataset_selectors.get_dataset(tenant=other, dataset_id=dataset.pk, artifact_types=False)


@pytest.mark.django_db
def test_an_annotation_set_comes_with_its_dataset_in_one_query(tenant):
    dataset = make_dataset(tenant=tenant)
    labels = annotation_services.create_annotation_set(dataset=dataset, name="labels")
    expected = AnnotationSet.objects.select_related("dataset").get(pk=labels.pk)

    with CaptureQueriesContext(connection) as queries:
        found = annotation_selectors.get_annotation_set_of_tenant(
            tenant=tenant, dataset_id=dataset.pk, set_id=labels.pk
        )
        dataset_name = found.dataset.name

    assert len(queries) == 1
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.dataset) == fields_of(expected.dataset)
    assert dataset_name == dataset.name
    other = make_tenant(name="Other Lab", email="lead@other.test").tenant
    with pytest.raises(NotFound, match="Dataset not found"):
        annotation_selectors.get_annotation_set_of_tenant(
            tenant=other, dataset_id=dataset.pk, set_id=labels.pk
        )


@pytest.mark.django_db(transaction=True)
def test_a_row_lock_needs_a_transaction(tenant):
    dataset = make_dataset(tenant=tenant)
    labels = annotation_services.create_annotation_set(dataset=dataset, name="labels")

    with pytest.raises(TransactionManagementError):
        rows.one(AnnotationSet, {"id": labels.pk}, for_update=True)
    with transaction.atomic():
        locked = rows.one(AnnotationSet, {"id": labels.pk}, for_update=True)

    assert locked.pk == labels.pk
