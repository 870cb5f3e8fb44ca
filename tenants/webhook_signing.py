"""Webhook signatures, Stripe's scheme: `Relay-Signature: t=<unix seconds>,v1=<hex>`, where hex
is HMAC-SHA256 of "<t>.<body>" under the webhook's secret. No Django imports, so a receiver can
copy `verify` as it stands.

The timestamp is signed with the body, so a captured request cannot be replayed later than the
receiver's tolerance; `v1=` may appear more than once (during a secret rotation, one per secret).
"""

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "Relay-Signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether `header` signs `body` with `secret`, made within `tolerance_s` of `now`."""
    parts = [part.partition("=") for part in header.split(",")]
    timestamps = [value for name, _, value in parts if name.strip() == "t"]
    candidates = [value for name, _, value in parts if name.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not candidates:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
