"""Relay-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">, checked the way a receiver would."""

import hashlib
import hmac

import pytest

from tenants.webhook_signing import new_secret, signature_header, verify

SECRET = "whsec_test-secret-value-0123456789"
BODY = b'{"id":"e1","type":"ping"}'
NOW = 1_800_000_000


def test_the_header_is_stripes_scheme():
    header = signature_header(SECRET, BODY, timestamp=NOW)

    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_a_true_signature_verifies():
    assert verify(SECRET, signature_header(SECRET, BODY, timestamp=NOW), BODY, now=NOW + 10)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("whsec_another-secret-0000000000", BODY, NOW),
        (SECRET, BODY + b" ", NOW),
        (SECRET, BODY, NOW + 301),
        (SECRET, BODY, NOW - 301),
    ],
    ids=["wrong-secret", "changed-body", "too-old", "from-the-future"],
)
def test_anything_else_fails(secret, body, now):
    header = signature_header(SECRET, BODY, timestamp=NOW)

    assert not verify(secret, header, body, now=now)


@pytest.mark.parametrize(
    "header", ["", "t=abc,v1=00", "v1=00", f"t={NOW}", f"t={NOW},t={NOW},v1=00"]
)
def test_a_malformed_header_fails(header):
    assert not verify(SECRET, header, BODY, now=NOW)


def test_any_of_several_v1_values_may_match():
    good = signature_header(SECRET, BODY, timestamp=NOW).split(",")[1]

    assert verify(SECRET, f"t={NOW},v1={'0' * 64},{good}", BODY, now=NOW)


def test_secrets_are_long_random_and_marked():
    first, second = new_secret(), new_secret()

    assert first.startswith("whsec_")
    assert len(first) >= 40
    assert first != second
