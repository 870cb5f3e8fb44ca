"""Filenames made safe for Content-Disposition, the stored name untouched."""

import pytest

from relay.filenames import content_disposition, header_safe_filename


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("take.wav", "take.wav"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\take.wav", "take.wav"),
        ("a\u202egnp.wav", "agnp.wav"),
        ("a\u2066b\u2069\u200f.wav", "ab.wav"),
        ("line\r\nbreak.wav", "linebreak.wav"),
        ("..", "download"),
        ("dir/", "download"),
        ("日本語.wav", "日本語.wav"),
    ],
)
def test_folder_parts_and_hidden_characters_are_removed(given, safe):
    assert header_safe_filename(given) == safe


def test_the_header_has_an_ascii_fallback_and_the_exact_utf8_name():
    assert content_disposition("attachment", 'say "hi" — ok.wav') == (
        'attachment; filename="say _hi_ _ ok.wav"; '
        "filename*=UTF-8''say%20%22hi%22%20%E2%80%94%20ok.wav"
    )
