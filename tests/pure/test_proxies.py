"""X-Forwarded-* are believed only from trusted proxies."""

import pytest

from relay.proxies import forwarded_client, forwarded_origin, parse_networks

PROXIES = parse_networks(("10.0.0.0/8", "127.0.0.1", "::1"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: the header is ignored
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7", "198.51.100.1"),  # spoofed left part
        ("10.0.0.2", "10.0.0.5, 10.0.0.7", "10.0.0.5"),  # every hop a proxy: the leftmost
        ("10.0.0.2", "198.51.100.1, not-an-ip", "10.0.0.2"),
        ("::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(peer, forwarded_for, client):
    assert forwarded_client(peer, forwarded_for, PROXIES) == client


def test_no_trusted_proxies_means_the_peer_always():
    assert forwarded_client("127.0.0.1", "198.51.100.1", parse_networks(())) == "127.0.0.1"


def test_the_origin_is_the_first_proxys_and_only_http_or_https():
    assert forwarded_origin(
        scheme="http", host="10.0.0.2:8000", forwarded_proto="https, http", forwarded_host=""
    ) == ("https", "10.0.0.2:8000")
    assert forwarded_origin(
        scheme="http", host="a:1", forwarded_proto="gopher", forwarded_host="relay.example.com"
    ) == ("http", "relay.example.com")


def test_a_bad_entry_is_named():
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks(("10.0.0.0/33",))
