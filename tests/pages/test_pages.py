"""The dashboard's pages as the server renders them (their scripts are tested in tests/browser)."""

import pytest
from django.test import Client

from tenants.models import Membership
from tests.factories import make_dataset, make_tenant

PAGE_PATHS = ["/", "/datasets/new", "/settings/api-keys"]


@pytest.fixture
def member(db):
    created = make_tenant(name="Page Team", email="labeler@pages.test")
    client = Client()
    client.force_login(created.user)
    client.tenant = created.tenant
    return client


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_pages_send_strangers_to_the_login(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_a_dataset_page_names_the_dataset(member):
    dataset = make_dataset(tenant=member.tenant, name="Night shift")

    response = member.get(f"/datasets/{dataset.pk}")

    assert response.status_code == 200
    assert '<h1 data-testid="dataset-name">Night shift</h1>' in response.content.decode()


def test_another_tenants_dataset_page_is_not_found(member, other_tenant):
    dataset = make_dataset(tenant=other_tenant, name="Not yours")

    for path in (f"/datasets/{dataset.pk}", f"/datasets/{dataset.pk}/edit"):
        response = member.get(path)
        assert response.status_code == 404
        assert "Not yours" not in response.content.decode()


def test_a_member_is_told_that_only_admins_manage_keys(member):
    Membership.objects.update(role=Membership.Role.MEMBER)

    response = member.get("/settings/api-keys")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="keys-admin-only"' in html
    assert "api_keys.js" not in html


def test_a_user_outside_every_tenant_is_told_so(db, django_user_model):
    operator = django_user_model.objects.create_user(username="ops", password="x")
    client = Client()
    client.force_login(operator)

    response = client.get("/")

    assert response.status_code == 403
    assert "You are not in a team yet" in response.content.decode()


def test_the_shell_carries_the_import_map_with_a_nonce_and_the_csrf_token(member):
    html = member.get("/").content.decode()

    assert '<script type="importmap" nonce="' in html
    assert '"wavesurfer": "/static/vendor/wavesurfer/wavesurfer.esm.js"' in html
    assert '<meta name="csrf-token" content="' in html
