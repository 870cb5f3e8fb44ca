"""The SSRF guard: a webhook URL resolving to anything but a public address is refused."""

import pytest

from tenants.webhook_urls import refusal


def resolving_to(*addresses: str):
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
    ],
    ids=[
        "loopback",
        "private-10",
        "private-172",
        "private-192",
        "metadata",
        "carrier-nat-metadata",
        "unspecified",
        "multicast",
        "ipv6-loopback",
        "ipv6-link-local",
        "ipv6-metadata",
        "ipv4-mapped-loopback",
    ],
)
def test_a_host_resolving_to_a_private_address_is_refused(address):
    reason = refusal(
        "https://hooks.example.com/x", allow_private=False, resolver=resolving_to(address)
    )

    assert reason is not None
    assert "hooks.example.com resolves to a private, loopback, link-local or reserved" in reason


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    resolver = resolving_to("93.184.216.34", "10.0.0.5")

    assert refusal("https://hooks.example.com/", allow_private=False, resolver=resolver)


def test_a_public_address_is_allowed():
    resolver = resolving_to("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")

    assert refusal("https://hooks.example.com/", allow_private=False, resolver=resolver) is None


def test_private_addresses_are_allowed_when_the_install_says_so():
    assert refusal("http://127.0.0.1:9000/hook", allow_private=True) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/", "must start with http:// or https://"),
        ("https://user:pw@hooks.example.com/", "must not carry a user name or password"),
        ("https://hooks.example.com:99999/", "port is not a number"),
    ],
)
def test_urls_relay_cannot_send_to_are_refused_whatever_the_setting(url, reason):
    assert reason in refusal(url, allow_private=True)


def test_a_host_that_does_not_resolve_is_refused():
    def failing(host, port):
        raise OSError("no such host")

    assert refusal("https://nowhere.invalid/", allow_private=False, resolver=failing) == (
        "The host nowhere.invalid does not resolve."
    )
