"""API key format, generation and hashing. No Django imports.

A key reads `rly_<prefix>_<secret>`: the prefix is stored in clear to find the row, the whole key
only as a SHA-256 digest. Keys carry 238 bits of randomness, so a fast hash is enough; a slow
password hash would only add latency to every request.
"""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

KEY_MARKER = "rly"
PREFIX_LENGTH = 10
SECRET_LENGTH = 40
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class GeneratedKey:
    key: str
    prefix: str
    key_hash: str


def _random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key() -> GeneratedKey:
    prefix = _random_text(PREFIX_ALPHABET, PREFIX_LENGTH)
    key = f"{KEY_MARKER}_{prefix}_{_random_text(SECRET_ALPHABET, SECRET_LENGTH)}"
    return GeneratedKey(key=key, prefix=prefix, key_hash=hash_key(key))


def prefix_of(key: str) -> str | None:
    """The lookup prefix of a well-formed key, or None for anything else."""
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != KEY_MARKER:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or len(secret) != SECRET_LENGTH:
        return None
    if not set(prefix) <= set(PREFIX_ALPHABET) or not set(secret) <= set(SECRET_ALPHABET):
        return None
    return prefix


def key_matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), key_hash)
