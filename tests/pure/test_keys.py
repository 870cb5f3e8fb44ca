from tenants import keys


def test_a_generated_key_has_the_documented_shape():
    generated = keys.generate_key()

    marker, prefix, secret = generated.key.split("_")
    assert marker == "rly"
    assert prefix == generated.prefix
    assert len(secret) == keys.SECRET_LENGTH


def test_keys_are_unique():
    assert len({keys.generate_key().key for _ in range(200)}) == 200


def test_the_prefix_is_read_back_from_a_well_formed_key():
    generated = keys.generate_key()

    assert keys.prefix_of(generated.key) == generated.prefix


def test_malformed_keys_have_no_prefix():
    generated = keys.generate_key()

    for bad in ["", "rly", generated.key + "_x", generated.key[:-1], "abc_" + generated.key[4:]]:
        assert keys.prefix_of(bad) is None


def test_a_key_matches_only_its_own_hash():
    first, second = keys.generate_key(), keys.generate_key()

    assert keys.key_matches(first.key, first.key_hash)
    assert not keys.key_matches(second.key, first.key_hash)
