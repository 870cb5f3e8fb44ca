"""A delivery connects to an address its SSRF check approved, never to a second DNS answer
(rebinding), while the Host header, SNI and the certificate check name the URL's host."""

import socket

import pytest

from tests.webhooks.conftest import assert_signed, create_webhook, ping
from tests.webhooks.receiver import running_receiver
from tests.webhooks.tls import server_context, write_certificate

HOST = "hooks.example.test"
PUBLIC_ADDRESS = "93.184.216.34"


class FakeDns:
    """Answers questions about the names in `answers`, in turn (the last answer repeats), and
    records them; every other name goes to the real resolver."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: list[str] = []
        self._real = socket.getaddrinfo

    def getaddrinfo(self, host: str, port: int, *args: object, **kwargs: object) -> list:
        if host not in self.answers:
            return self._real(host, port, *args, **kwargs)
        self.asked.append(host)
        turns = self.answers[host]
        addresses = turns.pop(0) if len(turns) > 1 else turns[0]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in addresses
        ]


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Every (address, port) a socket connects to. The public address refuses: the test machine
    has no internet, and what matters is where the delivery went."""
    made: list[tuple[str, int]] = []
    real = socket.create_connection

    def create_connection(address: tuple[str, int], *args: object, **kwargs: object):
        made.append(address)
        if address[0] == PUBLIC_ADDRESS:
            raise ConnectionRefusedError(111, "Connection refused")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return made


def test_a_delivery_connects_to_the_address_the_check_approved(
    api_client, dns, connections, receiver, settings
):
    settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = False
    dns.answers[HOST] = [[PUBLIC_ADDRESS]]
    created = create_webhook(api_client, f"http://{HOST}:{receiver.port}/hooks/relay")

    delivery = ping(api_client, created)

    assert connections == [(PUBLIC_ADDRESS, receiver.port)]
    assert (delivery["status"], delivery["response_status"]) == ("failed", None)
    assert "Connection refused" in delivery["error"]


def test_a_rebinding_dns_answer_is_never_asked_for(
    api_client, dns, connections, receiver, settings
):
    settings.RELAY_WEBHOOKS_ALLOW_PRIVATE_URLS = False
    dns.answers[HOST] = [[PUBLIC_ADDRESS]]
    created = create_webhook(api_client, f"http://{HOST}:{receiver.port}/hooks/relay")
    # Public for the check, then the receiver's loopback address for whoever asks again.
    dns.answers[HOST] = [[PUBLIC_ADDRESS], ["127.0.0.1"]]
    dns.asked.clear()

    ping(api_client, created)

    assert dns.asked == [HOST]
    assert connections == [(PUBLIC_ADDRESS, receiver.port)]
    assert receiver.received == []


def test_the_host_header_names_the_urls_host_and_port(api_client, dns, receiver):
    dns.answers[HOST] = [["127.0.0.1"]]
    created = create_webhook(api_client, f"http://{HOST}:{receiver.port}/hooks/relay?from=relay")

    delivery = ping(api_client, created)

    assert delivery["status"] == "succeeded"
    [request] = receiver.received
    assert request.headers["Host"] == f"{HOST}:{receiver.port}"
    assert request.path == "/hooks/relay?from=relay"
    assert_signed(request, created["secret"])


def test_a_redirect_is_the_answer_and_is_not_followed(api_client, private_urls_allowed):
    with running_receiver([302]) as redirecting:
        created = create_webhook(api_client, redirecting.url)

        delivery = ping(api_client, created)

    assert (delivery["status"], delivery["response_status"]) == ("failed", 302)
    assert len(redirecting.received) == 1


def test_https_checks_the_certificate_against_the_host_name_not_the_address(
    api_client, dns, private_urls_allowed, tmp_path, monkeypatch
):
    certificate, key = write_certificate(tmp_path, HOST)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the default context trusts it
    dns.answers[HOST] = [["127.0.0.1"]]

    with running_receiver(tls=server_context(certificate, key)) as receiver:
        created = create_webhook(api_client, f"https://{HOST}:{receiver.port}/hooks/relay")
        delivery = ping(api_client, created)

    assert (delivery["status"], delivery["response_status"]) == ("succeeded", 200)
    [request] = receiver.received
    assert request.headers["Host"] == f"{HOST}:{receiver.port}"
    assert_signed(request, created["secret"])


def test_https_refuses_a_certificate_for_another_host(
    api_client, dns, private_urls_allowed, tmp_path, monkeypatch
):
    certificate, key = write_certificate(tmp_path, "elsewhere.example.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    dns.answers[HOST] = [["127.0.0.1"]]

    with running_receiver(tls=server_context(certificate, key)) as receiver:
        created = create_webhook(api_client, f"https://{HOST}:{receiver.port}/hooks/relay")
        delivery = ping(api_client, created)

    assert (delivery["status"], delivery["response_status"]) == ("failed", None)
    assert f"certificate is not valid for '{HOST}'" in delivery["error"]
    assert receiver.received == []
