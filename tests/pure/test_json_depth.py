"""The nesting check the JSON parser runs before Python's recursive decoder."""

import pytest

from relay.json_depth import json_depth_exceeds


@pytest.mark.parametrize(
    ("text", "exceeds"),
    [
        ("[" * 5, True),
        ("[[[[]]]]", False),
        ('{"a": {"b": {"c": {"d": {}}}}}', True),
        ('{"a": {"b": {"c": {}}}}', False),
        ('["[[[[[[[[", "{{{{{{{{"]', False),
        ('["a \\"[[[[[[" , "\\\\", [[[1]]]]', False),
        ('["\\\\", [[[[[1]]]]]]', True),
        ("[" * 100_000, True),
    ],
    ids=[
        "too-deep",
        "at-the-limit",
        "objects-too-deep",
        "objects-at-the-limit",
        "brackets-in-strings",
        "escaped-quotes",
        "escaped-backslash-ends-the-string",
        "hundred-thousand",
    ],
)
def test_depth_beyond_the_limit_is_found_and_strings_do_not_count(text, exceeds):
    assert json_depth_exceeds(text, 4) is exceeds
