"""The SSRF guard: a webhook URL resolving to anything but a public address is refused, and a
delivery's target keeps the addresses that were checked."""

import pytest

from tenants.webhook_urls import RefusedUrl, Target, refusal, target


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


def test_the_target_is_the_checked_answer_of_one_question():
    questions = []

    def resolver(host, port):
        questions.append((host, port))
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    found = target("https://hooks.example.com/relay", allow_private=False, resolver=resolver)

    assert found.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert questions == [("hooks.example.com", 443)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://Hooks.Example.com/a/b?x=1&y=2#part",
            Target("https", "hooks.example.com", 443, "/a/b?x=1&y=2", ("93.184.216.34",)),
        ),
        (
            "http://hooks.example.com:8080",
            Target("http", "hooks.example.com", 8080, "/", ("93.184.216.34",)),
        ),
        (
            "http://[2606:2800:220:1::1]:81/x",
            Target("http", "2606:2800:220:1::1", 81, "/x", ("93.184.216.34",)),
        ),
    ],
    ids=["https-query-fragment", "no-path", "ipv6-literal"],
)
def test_a_target_names_the_scheme_host_port_and_path(url, expected):
    found = target(url, allow_private=False, resolver=resolving_to("93.184.216.34"))

    assert found == expected


def test_a_target_at_a_private_address_is_refused():
    with pytest.raises(RefusedUrl, match=r"resolves to a private.*\(169\.254\.169\.254\)"):
        target(
            "http://hooks.example.com/",
            allow_private=False,
            resolver=resolving_to("169.254.169.254"),
        )


def test_private_targets_are_allowed_when_the_install_says_so():
    found = target(
        "http://hooks.example.test/", allow_private=True, resolver=resolving_to("127.0.0.1")
    )

    assert found.addresses == ("127.0.0.1",)


def test_a_host_without_addresses_is_no_target_even_when_private_ones_are_allowed():
    with pytest.raises(RefusedUrl, match=r"The host hooks\.example\.test does not resolve\."):
        target("http://hooks.example.test/", allow_private=True, resolver=resolving_to())
