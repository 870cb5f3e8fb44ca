"""Managing webhooks through the API (scope admin), the SSRF guard, ping and the delivery log."""

import pytest

from tenants.models import Webhook
from tests.conftest import client_with_key
from tests.factories import make_api_key
from tests.webhooks.conftest import WEBHOOKS_URL, assert_signed, create_webhook, ping
from tests.webhooks.receiver import running_receiver


def test_a_webhook_is_created_with_its_secret_shown_once(api_client, receiver):
    created = create_webhook(
        api_client, receiver.url, ["training.completed", "audio.ready"], description="CI"
    )
    shown = api_client.get(f"{WEBHOOKS_URL}/{created['id']}").json()
    listed = api_client.get(WEBHOOKS_URL).json()

    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["audio.ready", "training.completed"]
    assert created["is_active"] is True
    assert "secret" not in shown
    assert shown == {key: value for key, value in created.items() if key != "secret"}
    assert [item["id"] for item in listed["items"]] == [created["id"]]


def test_a_webhook_is_changed_and_deleted(api_client, receiver):
    created = create_webhook(api_client, receiver.url)

    changed = api_client.patch(
        f"{WEBHOOKS_URL}/{created['id']}",
        {"events": ["audio.failed"], "is_active": False},
        format="json",
    )
    deleted = api_client.delete(f"{WEBHOOKS_URL}/{created['id']}")

    assert changed.status_code == 200
    assert (changed.json()["events"], changed.json()["is_active"]) == (["audio.failed"], False)
    assert deleted.status_code == 204
    assert api_client.get(f"{WEBHOOKS_URL}/{created['id']}").status_code == 404


def test_webhooks_need_the_admin_scope(tenant, receiver):
    writer = client_with_key(make_api_key(tenant=tenant, scopes=["read", "write"]).key)

    response = writer.post(
        WEBHOOKS_URL, {"url": receiver.url, "events": ["audio.ready"]}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This action needs the 'admin' scope, which this key does not have."
    }


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        (
            {"url": "https://x.example", "events": ["audio.exploded"]},
            ["body", "events", 0],
            "value_error.invalid_choice",
        ),
        ({"url": "https://x.example", "events": []}, ["body", "events"], "value_error.min_length"),
        ({"events": ["audio.ready"]}, ["body", "url"], "value_error.missing"),
        ({"url": "not a url", "events": ["audio.ready"]}, ["body", "url"], "value_error.invalid"),
    ],
    ids=["unknown-event", "no-events", "no-url", "bad-url"],
)
def test_a_bad_webhook_is_422_at_the_failing_field(api_client, body, loc, error_type):
    response = api_client.post(WEBHOOKS_URL, body, format="json")

    assert response.status_code == 422
    assert [(item["loc"], item["type"]) for item in response.json()["detail"]] == [
        (loc, error_type)
    ]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
    ],
    ids=["loopback", "localhost", "metadata", "private", "ipv6-loopback"],
)
def test_private_addresses_are_refused_at_creation(api_client, url):
    response = api_client.post(WEBHOOKS_URL, {"url": url, "events": ["audio.ready"]}, format="json")

    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "url"]
    assert item["type"] == "value_error.url_refused"
    assert "private, loopback, link-local or reserved" in item["msg"]
    assert not Webhook.objects.exists()


def test_a_private_address_is_refused_when_changing_the_url_too(api_client, receiver, settings):
    created = create_webhook(api_client, receiver.url)
    settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = False

    response = api_client.patch(
        f"{WEBHOOKS_URL}/{created['id']}", {"url": "http://192.168.0.1/x"}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "url"]


def test_a_ping_is_signed_sent_now_and_logged(api_client, receiver):
    created = create_webhook(api_client, receiver.url)

    response = api_client.post(f"{WEBHOOKS_URL}/{created['id']}/ping")

    assert response.status_code == 200
    delivery = response.json()
    assert (delivery["event_type"], delivery["status"], delivery["response_status"]) == (
        "ping",
        "succeeded",
        200,
    )
    [request] = receiver.received
    body = assert_signed(request, created["secret"])
    assert body["type"] == "ping"
    assert body["data"] == {"webhook_id": created["id"], "url": receiver.url}
    assert request.headers["Relay-Event-Id"] == body["id"] == delivery["event_id"]
    log = api_client.get(f"{WEBHOOKS_URL}/{created['id']}/deliveries").json()
    assert [item["id"] for item in log["items"]] == [delivery["id"]]


def test_a_ping_to_a_failing_endpoint_reports_its_answer(api_client, private_urls_allowed):
    with running_receiver([500]) as failing:
        created = create_webhook(api_client, failing.url)

        delivery = ping(api_client, created)

    assert (delivery["status"], delivery["response_status"]) == ("failed", 500)
    assert delivery["response_body"] == "answered 500"
    assert delivery["will_retry"] is False


def test_a_ping_to_nobody_reports_the_error(api_client, private_urls_allowed):
    created = create_webhook(api_client, "http://127.0.0.1:9/nobody-listens")

    delivery = ping(api_client, created)

    assert delivery["status"] == "failed"
    assert delivery["response_status"] is None
    assert "Connection refused" in delivery["error"]


def test_the_address_is_checked_again_at_delivery(api_client, receiver, settings):
    created = create_webhook(api_client, receiver.url)
    settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = False

    delivery = ping(api_client, created)

    assert delivery["status"] == "failed"
    assert "private, loopback, link-local or reserved" in delivery["error"]
    assert receiver.received == []


def test_another_tenants_webhook_is_404(api_client, other_client, receiver):
    theirs = create_webhook(other_client, receiver.url)

    for method, path in [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/ping"),
        ("get", "/deliveries"),
    ]:
        response = getattr(api_client, method)(
            f"{WEBHOOKS_URL}/{theirs['id']}{path}", {}, format="json"
        )
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": "Webhook not found"}
    assert receiver.received == []
