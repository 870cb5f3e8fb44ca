"""Upload and download URLs follow the server that was asked (issue 16, item 2): its own scheme
and host, a trusted proxy's forwarded ones, or RELAY_PUBLIC_URL when that is set."""

import pytest
import requests

from relay.proxies import client_address
from tests.factories import make_dataset
from tests.live import embedded_env, running_relay

UPLOAD = {"filename": "a.wav", "content_type": "audio/wav", "file_size": 5}
FORWARDED = {
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_HOST": "relay.example.com",
    "HTTP_X_FORWARDED_FOR": "198.51.100.7",
}


@pytest.fixture
def upload_url_path(tenant):
    dataset = make_dataset(tenant=tenant, artifact_types=["click"])
    return f"/api/v1/datasets/{dataset.pk}/audio/upload-url"


def test_the_upload_url_is_the_requests_own_server(api_client, upload_url_path):
    target = api_client.post(upload_url_path, UPLOAD, "json", HTTP_HOST="localhost:9000").json()

    assert target["upload_url"] == "http://localhost:9000/api/v1/storage/upload"


def test_forwarded_headers_of_an_untrusted_peer_are_ignored(api_client, upload_url_path):
    target = api_client.post(upload_url_path, UPLOAD, "json", **FORWARDED).json()

    assert target["upload_url"] == "http://testserver/api/v1/storage/upload"


def test_a_trusted_proxys_forwarded_scheme_and_host_are_used(api_client, upload_url_path, settings):
    settings.RELAY_TRUSTED_PROXIES = ["127.0.0.0/8"]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "relay.example.com"]

    target = api_client.post(upload_url_path, UPLOAD, "json", **FORWARDED).json()

    assert target["upload_url"] == "https://relay.example.com/api/v1/storage/upload"


def test_a_forwarded_host_outside_allowed_hosts_is_not_used(api_client, upload_url_path, settings):
    settings.RELAY_TRUSTED_PROXIES = ["127.0.0.1"]

    target = api_client.post(upload_url_path, UPLOAD, "json", **FORWARDED).json()

    assert target["upload_url"] == "https://testserver/api/v1/storage/upload"


def test_an_explicit_public_url_wins(api_client, upload_url_path, settings):
    settings.RELAY_PUBLIC_URL = "https://files.example.com/"

    target = api_client.post(upload_url_path, UPLOAD, "json", HTTP_HOST="localhost:9000").json()

    assert target["upload_url"] == "https://files.example.com/api/v1/storage/upload"


def test_the_client_address_is_believed_only_through_a_trusted_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert client_address(request) == "127.0.0.1"
    settings.RELAY_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_address(request) == "198.51.100.7"


# --- a live `manage.py serve` on a port of its own, RELAY_PUBLIC_URL unset ----------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    env = embedded_env(tmp_path_factory.mktemp("links"), RELAY_TRUSTED_PROXIES="127.0.0.1")
    with running_relay(env, pin_public_url=False) as relay:
        yield relay


def _upload_through_the_handed_out_url(relay, headers: dict[str, str]) -> str:
    session = requests.Session()
    session.headers.update({"X-API-Key": relay.api_key, **headers})
    api = f"{relay.base_url}/api/v1"
    dataset = session.post(
        f"{api}/datasets",
        json={"name": f"Links {len(headers)}", "artifact_types": [{"name": "click"}]},
        timeout=30,
    ).json()
    content = b"RIFF" + bytes(60)
    target = session.post(
        f"{api}/datasets/{dataset['id']}/audio/upload-url",
        json={"filename": "a.wav", "content_type": "audio/wav", "file_size": len(content)},
        timeout=30,
    ).json()
    stored = requests.post(
        target["upload_url"], data=target["fields"], files={"file": content}, timeout=30
    )
    assert stored.status_code == 204, stored.text
    confirmed = session.post(
        f"{api}/datasets/{dataset['id']}/audio/confirm",
        json={"audio_id": target["audio_id"]},
        timeout=30,
    )
    assert confirmed.status_code == 200, confirmed.text
    return target["upload_url"]


def test_an_upload_through_the_url_a_server_on_any_port_hands_out_succeeds(served):
    upload_url = _upload_through_the_handed_out_url(served, {})

    assert upload_url == f"{served.base_url}/api/v1/storage/upload"


def test_an_upload_through_a_forwarded_url_succeeds(served):
    port = served.base_url.rsplit(":", 1)[1]
    # The proxy (the test, on 127.0.0.1) tells the server the outside name it was reached by.
    headers = {"X-Forwarded-Host": f"localhost:{port}", "X-Forwarded-Proto": "http"}

    upload_url = _upload_through_the_handed_out_url(served, headers)

    assert upload_url == f"http://localhost:{port}/api/v1/storage/upload"
