"""Values encrypted at rest: the first key encrypts, every key decrypts, and rotation moves a
value to the first key."""

import pytest
from cryptography.fernet import Fernet

from relay.encryption import SecretBox, Undecryptable, is_key, key_from_secret_key

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
SECRET = "whsec_" + "s" * 43


def test_a_key_derived_from_a_secret_key_is_a_stable_fernet_key_of_its_own():
    derived = key_from_secret_key("django-secret-one")

    assert is_key(derived)
    assert derived == key_from_secret_key("django-secret-one")
    assert derived != key_from_secret_key("django-secret-two")


@pytest.mark.parametrize(
    "text", ["", "not-a-key", "c2hvcnQ=", "é" * 44], ids=["empty", "words", "short", "non-ascii"]
)
def test_anything_but_32_bytes_in_url_safe_base64_is_no_key(text):
    assert not is_key(text)


def test_a_value_is_encrypted_and_decrypted_again():
    box = SecretBox([NEW_KEY])

    token = box.encrypt(SECRET)

    assert SECRET not in token
    assert box.decrypt(token) == SECRET


def test_the_first_key_encrypts_and_every_key_decrypts():
    token = SecretBox([OLD_KEY]).encrypt(SECRET)
    both = SecretBox([NEW_KEY, OLD_KEY])

    assert both.decrypt(token) == SECRET
    assert SecretBox([NEW_KEY]).decrypt(both.encrypt(SECRET)) == SECRET


def test_rotation_moves_a_value_to_the_first_key():
    token = SecretBox([OLD_KEY]).encrypt(SECRET)

    rotated = SecretBox([NEW_KEY, OLD_KEY]).rotate(token)

    assert SecretBox([NEW_KEY]).decrypt(rotated) == SECRET


@pytest.mark.parametrize("token", [SecretBox([OLD_KEY]).encrypt(SECRET), SECRET, "gAAAA…"])
def test_a_value_no_key_opens_is_undecryptable(token):
    box = SecretBox([NEW_KEY])

    with pytest.raises(Undecryptable):
        box.decrypt(token)
    with pytest.raises(Undecryptable):
        box.rotate(token)


def test_a_box_needs_a_key():
    with pytest.raises(ValueError, match="at least one key"):
        SecretBox([])
