"""HMAC signatures for the app's own upload and download URLs (the local storage backend).

The signature covers every field the endpoint will trust, so changing the key, size, content type
or expiry invalidates it.
"""

import hashlib
import hmac
from collections.abc import Mapping

from django.conf import settings

SIGNATURE_FIELD = "signature"


def _message(purpose: str, fields: Mapping[str, str]) -> bytes:
    parts = [purpose, *(f"{name}={fields[name]}" for name in sorted(fields))]
    return "\n".join(parts).encode("utf-8")


def sign(purpose: str, fields: Mapping[str, str]) -> str:
    key = f"relay-signing:{settings.SECRET_KEY}".encode()
    return hmac.new(key, _message(purpose, fields), hashlib.sha256).hexdigest()


def is_valid(purpose: str, fields: Mapping[str, str], signature: str) -> bool:
    return hmac.compare_digest(sign(purpose, fields), signature)
