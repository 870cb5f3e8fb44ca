"""The labeling page and its admin view as the server renders them: the component's frame, the
config its script reads (types with number keys, the deep link), and who may open what."""

import json
import re

import pytest
from django.test import Client

from annotations.models import AnnotationSet
from tests.factories import make_dataset, make_tenant


@pytest.fixture
def member(db):
    created = make_tenant(name="Label Team", email="labeler@labeling.test")
    client = Client()
    client.force_login(created.user)
    client.tenant = created.tenant
    client.user = created.user
    return client


@pytest.fixture
def draft(member):
    dataset = make_dataset(
        tenant=member.tenant, name="Prompts", artifact_types=["click", "dropout"]
    )
    return AnnotationSet.objects.create(tenant=member.tenant, dataset=dataset, name="Pass 1")


def label_path(annotation_set: AnnotationSet) -> str:
    return f"/datasets/{annotation_set.dataset_id}/annotation-sets/{annotation_set.pk}/label"


def config_of(html: str) -> dict:
    found = re.search(
        r'<script id="labeling-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "the page carries its config"
    return json.loads(found.group(1))


def test_the_labeling_page_carries_the_component_and_its_config(member, draft):
    audio_id = "0b7e1d36-3c1f-4a55-9c43-5b1f2b0c9a10"

    response = member.get(label_path(draft), {"audio": audio_id, "t": "1500"})

    assert response.status_code == 200
    html = response.content.decode()
    for testid in ("waveform", "type-picker", "save-state", "read-only"):
        assert f'data-testid="{testid}"' in html
    assert "js/pages/labeling.js" in html
    config = config_of(html)
    assert config["set"] == {"id": str(draft.pk), "name": "Pass 1", "status": "draft"}
    assert [(t["name"], t["key"]) for t in config["types"]] == [("click", "1"), ("dropout", "2")]
    assert (config["audio_id"], config["t_ms"]) == (audio_id, 1500)
    assert config["page_url"] == label_path(draft)


def test_a_malformed_deep_link_is_ignored(member, draft):
    response = member.get(label_path(draft), {"audio": "not-a-uuid", "t": "-3"})

    config = config_of(response.content.decode())
    assert (config["audio_id"], config["t_ms"]) == (None, None)


def test_another_tenants_set_is_not_found(member, other_tenant):
    dataset = make_dataset(tenant=other_tenant, name="Not yours")
    theirs = AnnotationSet.objects.create(tenant=other_tenant, dataset=dataset, name="Theirs")

    response = member.get(label_path(theirs))

    assert response.status_code == 404
    assert "Theirs" not in response.content.decode()


def test_strangers_are_sent_to_the_login(client, draft):
    response = client.get(label_path(draft))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_staff_open_the_same_component_in_the_admin(member, draft):
    member.user.is_staff = member.user.is_superuser = True
    member.user.save()

    response = member.get(f"/admin/annotations/annotationset/{draft.pk}/label/", {"t": "20"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="waveform"' in html
    assert 'type="importmap"' in html
    config = config_of(html)
    assert config["page_url"] == f"/admin/annotations/annotationset/{draft.pk}/label/"
    assert config["t_ms"] == 20
    change = member.get(f"/admin/annotations/annotationset/{draft.pk}/change/")
    assert f"/admin/annotations/annotationset/{draft.pk}/label/" in change.content.decode()


def test_the_admin_view_tells_an_operator_outside_the_tenant(db, draft, django_user_model):
    operator = django_user_model.objects.create_user(
        username="ops", password="x", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(operator)

    response = client.get(f"/admin/annotations/annotationset/{draft.pk}/label/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="not-a-member"' in html
    assert 'data-testid="waveform"' not in html


def test_the_admin_view_needs_staff(member, draft):
    response = member.get(f"/admin/annotations/annotationset/{draft.pk}/label/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
