"""User-given filenames in HTTP headers. No Django imports.

A filename is the user's own text and stays as it was given (`AudioFile.filename`); only what goes
into a `Content-Disposition` header is made safe: no folder parts (a browser would otherwise offer
to save `../../x.wav` somewhere else), no control, bidirectional-override or other invisible
format characters (U+202E makes `evil‮vaw.exe` read as `evilexe.wav`), and the name as RFC 6266
asks: an ASCII `filename` fallback plus the exact UTF-8 one in `filename*` (RFC 5987).
"""

import re
import unicodedata
from urllib.parse import quote

FALLBACK_NAME = "download"
# Control characters, format characters (bidi overrides and isolates, zero-width ones, soft
# hyphen), lone surrogates, private use and unassigned code points.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def header_safe_filename(filename: str) -> str:
    """The last path part of `filename` without hidden characters; FALLBACK_NAME if nothing is
    left."""
    last_part = re.split(r"[/\\]", filename)[-1]
    visible = "".join(
        character
        for character in last_part
        if unicodedata.category(character) not in HIDDEN_CATEGORIES
    )
    name = visible.strip().strip(".").strip()
    return name or FALLBACK_NAME


def content_disposition(disposition: str, filename: str) -> str:
    """`inline; filename="take_1.wav"; filename*=UTF-8''take%E2%80%941.wav` for any filename."""
    name = header_safe_filename(filename)
    ascii_name = "".join(
        character if " " <= character <= "~" and character not in '"\\' else "_"
        for character in name
    )
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
