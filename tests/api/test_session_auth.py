"""The dashboard calls the same API with its session cookie and a CSRF token."""

import pytest
from django.test import Client

from tenants.models import Membership
from tests.factories import make_tenant

DATASETS_URL = "/api/v1/datasets"
BODY = {"name": "From the browser", "artifact_types": [{"name": "click"}]}


@pytest.fixture
def dashboard_client(db):
    created = make_tenant(name="Browser Team", email="labeler@dashboard_client.test")
    client = Client(enforce_csrf_checks=True)
    client.force_login(created.user)
    return client


def csrf_token(client: Client) -> str:
    client.get("/")  # the dashboard sets the CSRF cookie
    return client.cookies["csrftoken"].value


def test_a_signed_in_user_reads_through_the_api(dashboard_client):
    response = dashboard_client.get(DATASETS_URL)

    assert response.status_code == 200


def test_a_write_without_the_csrf_token_is_403(dashboard_client):
    response = dashboard_client.post(DATASETS_URL, BODY, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_write_with_the_csrf_token_succeeds(dashboard_client):
    token = csrf_token(dashboard_client)

    response = dashboard_client.post(
        DATASETS_URL, BODY, content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert response.status_code == 201


def test_members_cannot_manage_keys(dashboard_client):
    Membership.objects.update(role=Membership.Role.MEMBER)

    response = dashboard_client.get("/api/v1/api-keys")

    assert response.status_code == 403


def test_a_user_outside_every_tenant_is_refused(db, django_user_model):
    operator = django_user_model.objects.create_user(username="ops", password="x")
    client = Client()
    client.force_login(operator)

    response = client.get(DATASETS_URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "This user is not a member of any tenant."}


def test_the_dashboard_is_the_datasets_page_under_the_tenants_name(dashboard_client):
    page = dashboard_client.get("/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="tenant-name" title="Your team">Browser Team<' in html
    assert 'data-testid="dataset-list"' in html  # filled by static/js/pages/datasets.js


def test_the_dashboard_asks_strangers_to_sign_in(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_login_page_signs_a_user_in(client, db):
    make_tenant(name="Login Team", email="me@login.test")

    response = client.post("/login/", {"username": "me@login.test", "password": "correct-horse-42"})

    assert response.status_code == 302
    assert client.get("/").status_code == 200
