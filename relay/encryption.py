"""Values kept encrypted at rest (webhook signing secrets, which must stay readable to sign), with
Fernet: AES-128-CBC under an HMAC-SHA256, keyed from the environment. No Django imports.

The first key encrypts and every key decrypts (MultiFernet), so keys can be rotated: list a new
key first, re-encrypt every value with it (`rotate`), then drop the old key.
"""

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Part of the derived key: changing it makes everything sealed under that key unreadable.
_DERIVATION_INFO = b"relay webhook signing secrets at rest"


class Undecryptable(ValueError):
    """No key opens the value: the key that sealed it was removed, or it was never sealed."""


def key_from_secret_key(secret_key: str) -> str:
    """A Fernet key (url-safe base64 of 32 bytes) derived from Django's SECRET_KEY with
    HKDF-SHA256, for installs that set no key of their own."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8"))).decode("ascii")


def is_key(text: str) -> bool:
    """Whether `text` is a Fernet key: 32 bytes in url-safe base64."""
    try:
        Fernet(text)
    except ValueError:
        return False
    return True


class SecretBox:
    """Encrypts with the first of `keys`, decrypts with any. ValueError when `keys` is empty or
    holds something that is not a Fernet key."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("A SecretBox needs at least one key.")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plain value; Undecryptable when no key opens `token`."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise Undecryptable("No configured key decrypts this value.") from None

    def rotate(self, token: str) -> str:
        """`token` encrypted again with the first key; Undecryptable when no key opens it."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise Undecryptable("No configured key decrypts this value.") from None
